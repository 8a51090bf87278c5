"""Issue an API token for a user. The token is printed once; only its hash is kept."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rightsfirst.web import access, audit
from rightsfirst.web.models import ApiToken


class Command(BaseCommand):
    help = (
        "Issue an API token for a user whose role may use the API. The token is shown once and cannot be "
        "recovered: store it where the calling system keeps its secrets."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user the token acts as (it has that user's role and agency).")
        parser.add_argument(
            "--name", required=True, help="What the token is for, e.g. 'shelter reporting system' (max. 100)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Create the token, audit its issue, and print it."""
        name = options["name"].strip()
        if not name:
            raise CommandError("--name must not be empty: say what the token is for.")
        if len(name) > 100:
            raise CommandError("--name is longer than 100 characters.")
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"There is no user {options['username']!r}.")
        if not user.is_active:
            raise CommandError(f"The user {user.get_username()!r} is not active.")
        # A token for a role the API refuses would only fail later, on every call.
        if not access.may(user, "api.use"):
            raise CommandError(f"The role of {user.get_username()!r} may not use the API (or they have no agency).")
        with transaction.atomic():
            record, token = ApiToken.issue(user, name)
            # The command has no signed-in actor: the entry names the token's user and what it is for.
            audit.record(None, "api.token.issue", target=f"token #{record.pk} for {user.get_username()}: {name}")
        self.stderr.write(f"Token #{record.pk} ({name}) for {user.get_username()}. Shown once; keep it secret:")
        self.stdout.write(token)
