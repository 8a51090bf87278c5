"""Remove a user's authenticator app, recovery codes and security keys:
`rightsfirst manage reset_two_factor NAME`.

For a lost phone with no recovery codes left, or a lost security key. The user sets up a new app
at the next sign-in, after the password (a role that must use a security key then adds a new key,
and signs in with it); the second factor is never skipped. Confirm who is asking (in person, or by
a call back to a known number) before running it, since it lets whoever knows the password connect
their own app. Every session of the user ends at once and the reset is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web import audit
from rightsfirst.web.models.security import RecoveryCodeDevice, SecurityKey


class Command(BaseCommand):
    help = (
        "Reset a user's two-step sign-in (lost phone or security key): they set up a new app "
        "(and, if their role needs one, a new key) at their next sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="why (written to the audit log)")

    def handle(self, *args: Any, **options: Any) -> None:
        reason = options["reason"].strip()
        if len(reason) < 10:
            raise CommandError("give a reason of at least 10 characters (it is written to the audit log)")
        try:
            user = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {options['username']!r}") from None
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            RecoveryCodeDevice.objects.filter(user=user).delete()
            keys = SecurityKey.objects.filter(user=user).count()
            SecurityKey.objects.filter(user=user).delete()
            ended = 0
            for session in Session.objects.all().iterator():
                if session.get_decoded().get("_auth_user_id") == str(user.pk):
                    session.delete()
                    ended += 1
            audit.record(
                None,
                "auth.second_factor_reset",
                target=user.get_username(),
                fields=f"security keys removed: {keys}",
                reason=reason,
            )
        name = user.get_username()
        self.stdout.write(
            f"two-step sign-in reset for {name}; {keys} security key(s) removed; {ended} session(s) ended"
        )
