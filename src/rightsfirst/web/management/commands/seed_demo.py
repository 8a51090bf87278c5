"""`rightsfirst manage seed_demo`: the fictional demo (agencies, one login per role, about 50 cases)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rightsfirst.web import demo


class Command(BaseCommand):
    help = (
        "Seed the fictional demo: agencies, one login per role and about 50 cases built through the "
        "workflow. Does nothing (but print the logins) if the demo is already there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-cases", action="store_true", help="only the agencies and logins (for load tests, see seed_cases)"
        )
        parser.add_argument("--url", default=demo.DEMO_URL, help="the address to print with the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = demo.seed(cases=not options["no_cases"])
        except demo.DemoRefused as refused:
            raise CommandError(str(refused)) from None
        if created:
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        else:
            self.stdout.write("Demo data already present: nothing added.")
        self.stdout.write(demo.logins_text(options["url"]))
