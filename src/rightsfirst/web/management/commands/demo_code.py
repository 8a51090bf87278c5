"""Print the demo authenticator's current code (demo databases only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from rightsfirst.web import demo


class Command(BaseCommand):
    help = "Print the 6-digit code for the second step of signing in to the demo (fictional demo logins only)."

    def handle(self, *args: Any, **options: Any) -> None:
        code = demo.demo_code()
        if code is None:
            raise CommandError("this database holds no demo logins; real accounts use their own authenticator app")
        self.stdout.write(f"{code}  (valid for about 30 seconds; each code works once per login)")
