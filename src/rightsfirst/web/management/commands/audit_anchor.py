"""`rightsfirst audit anchor [--append FILE]`: a signed statement of the audit log's newest entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rightsfirst.web import audit


class Command(BaseCommand):
    help = (
        "Print a signed anchor of the audit log's newest entry (one JSON line), or append it to a file. "
        "Send anchors somewhere the database's operators cannot write (an oversight body, a write-once "
        "store); `rightsfirst audit verify --anchors FILE` then catches a cut tail or a rewritten chain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--append", metavar="FILE", help="append the anchor to this file (one JSON line each)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            anchor = audit.make_anchor()
        except ValueError as error:
            raise CommandError(str(error)) from None
        line = json.dumps(anchor, sort_keys=True)
        if options["append"]:
            with Path(options["append"]).open("a", encoding="utf-8") as out:
                out.write(line + "\n")
            self.stdout.write(f"anchored entry {anchor['sequence']} in {options['append']}")
        else:
            self.stdout.write(line)
