"""Create a user in an agency with a role: `rightsfirst manage add_user NAME --agency A --role R`.

The password is asked for twice (or read from RIGHTSFIRST_NEW_PASSWORD for scripts) and checked
against the password rules; it never appears on the command line.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rightsfirst.web import audit
from rightsfirst.web.models import Agency, Membership
from rightsfirst.web.roles import Role


class Command(BaseCommand):
    help = "Create a user with a role in an agency."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--agency", required=True, help="the agency's exact name")
        parser.add_argument("--role", required=True, choices=[role.value for role in Role])

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username = options["username"].strip()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"the user {username!r} already exists")
        try:
            agency = Agency.objects.get(name=options["agency"])
        except Agency.DoesNotExist:
            names = ", ".join(Agency.objects.values_list("name", flat=True)) or "none yet (add_agency)"
            raise CommandError(f"no agency named {options['agency']!r}; agencies: {names}") from None
        password = os.environ.get("RIGHTSFIRST_NEW_PASSWORD") or self._ask_password()
        user = User(username=username)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError("password refused: " + " ".join(error.messages)) from None
        with transaction.atomic():
            user.set_password(password)
            user.save()
            Membership.objects.create(user=user, agency=agency, role=options["role"])
            audit.record(None, "user.create", target=f"{username} ({options['role']}, {agency.name})")
        self.stdout.write(f"User {username!r} created: {options['role']} at {agency.name}.")

    def _ask_password(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return first
