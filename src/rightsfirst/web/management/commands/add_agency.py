"""Register an agency: `rightsfirst manage add_agency "Name" --kind shelter [--region R]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rightsfirst.web.models import Agency


class Command(BaseCommand):
    help = "Register an agency (police unit, shelter, legal aid centre, guardianship service ...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--kind", required=True, choices=Agency.Kind.values)
        parser.add_argument("--region", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("the agency needs a name")
        if Agency.objects.filter(name=name).exists():
            raise CommandError(f"an agency named {name!r} already exists")
        Agency.objects.create(name=name, kind=options["kind"], region=options["region"])
        self.stdout.write(f"Agency {name!r} registered.")
