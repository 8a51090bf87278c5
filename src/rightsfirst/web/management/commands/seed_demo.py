"""`rightsfirst manage seed_demo`: the fictional demo (agencies, one login per role, about 50 cases
built through the workflow, and a fictional history of cases for the statistics)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rightsfirst.web import demo
from rightsfirst.web.management.commands.seed_statistics import seed_statistics


class Command(BaseCommand):
    help = (
        "Seed the fictional demo: agencies, one login per role, about 50 cases built through the "
        "workflow and a fictional history of cases for the statistics. Does nothing (but print the "
        "logins) if the demo is already there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-cases", action="store_true", help="only the agencies and logins (for load tests, see seed_cases)"
        )
        parser.add_argument(
            "--statistics",
            type=int,
            default=demo.STATISTICS_CASES,
            help=f"fictional historical cases for the statistics (default {demo.STATISTICS_CASES:,}; 0 for none)",
        )
        parser.add_argument("--url", default=demo.DEMO_URL, help="the address to print with the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        cases, statistics = not options["no_cases"], options["statistics"]
        if statistics < 0:
            raise CommandError(f"--statistics must be 0 or more, not {statistics}")
        try:
            # All or nothing: a demo cut short would never be completed, since a second run adds nothing.
            with transaction.atomic():
                created = demo.seed(cases=cases)
                if created and cases and statistics:
                    seeded = seed_statistics(statistics, seed=demo.SEED, years=demo.STATISTICS_YEARS)
                    self.stdout.write(
                        f"Added {seeded.cases:,} fictional historical cases for the statistics "
                        f"({seeded.seconds:.0f} s)."
                    )
        except demo.DemoRefused as refused:
            raise CommandError(str(refused)) from None
        if created:
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        else:
            self.stdout.write("Demo data already present: nothing added.")
        self.stdout.write(demo.logins_text(options["url"]))
