"""`rightsfirst manage import_htcds FILE --agency NAME --user LOGIN [--dry-run]`: HTCDS rows as new cases.

Every row is checked first (the standard's fields and code lists, dates, E.164 phones, ISO codes,
what the application needs); one bad row and nothing is stored, and the report lists every
problem with its line and field. A clean file is imported in one transaction through the
workflow, so that identity is sealed and indexed exactly as when a person is registered by hand.
See docs/monitoring.md, "Data exchange".
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rightsfirst.monitoring.exchange import FileProblems
from rightsfirst.monitoring.htcds import check_htcds
from rightsfirst.web import htcds_import, workflow
from rightsfirst.web.access import membership_of
from rightsfirst.web.models import Agency
from rightsfirst.web.roles import allowed

# The whole file is read into memory to be checked before anything is stored; beyond this size
# split it (about a million rows of a typical export).
MAX_BYTES = 200 * 1024 * 1024


class Command(BaseCommand):
    help = "Import the persons of an HTCDS 2.0 CSV file as new cases of an agency (all rows or none)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the HTCDS CSV file (UTF-8, commas, a header row of field names)")
        parser.add_argument("--agency", required=True, help="the exact name of the agency that will hold the cases")
        parser.add_argument(
            "--user",
            required=True,
            help="the login the cases are registered by: a first responder, case worker or coordinator of the agency",
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file and say what would be done")
        parser.add_argument(
            "--progress",
            action="store_true",
            default=None,
            help="show progress bars on standard error (the default when it is a terminal)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["user"], options["agency"])
        path = Path(options["file"])
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise CommandError(f"{path}: {size:,} bytes; split the file into parts of at most {MAX_BYTES:,} bytes")
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: cannot be read ({error.strerror or error})") from None
        progress = options["progress"] if options["progress"] is not None else sys.stderr.isatty()
        try:
            parsed, problems = check_htcds(data, source=str(path), required=htcds_import.REQUIRED, progress=progress)
            report = htcds_import.plan(parsed, workflow.today(), problems)
        except FileProblems as problems:
            problems.source = str(path)
            raise CommandError(f"nothing was imported.\n{problems.report()}") from None
        if options["dry_run"]:
            self._describe(report, "would be")
            self.stdout.write("Dry run: nothing was stored.")
            return
        htcds_import.run(user, report, progress=progress)
        self._describe(report, "were")
        self.stdout.write(self.style.SUCCESS(f"Imported {len(report.created):,} cases into {options['agency']}."))

    def _user(self, login: str, agency_name: str) -> Any:
        agency = Agency.objects.filter(name=agency_name).first()
        if agency is None:
            names = ", ".join(Agency.objects.values_list("name", flat=True)) or "none yet (add_agency)"
            raise CommandError(f"no agency named {agency_name!r}; agencies: {names}")
        user = get_user_model().objects.filter(username=login).first()
        membership = membership_of(user)
        if user is None or membership is None:
            raise CommandError(f"no active user {login!r} with a role in an agency")
        if membership.agency_id != agency.pk:
            raise CommandError(f"{login!r} works at {membership.agency.name}, not at {agency.name}")
        if not (allowed(membership.role, "case.create") and allowed(membership.role, "screening.edit")):
            raise CommandError(
                f"{login!r} is a {membership.role}, who may not register and screen cases "
                "(a first responder, case worker or coordinator may)"
            )
        return user

    def _describe(self, report: htcds_import.ImportReport, verb: str) -> None:
        planned = report.planned
        self.stdout.write(
            f"{len(planned):,} cases {verb} opened; {report.screened:,} of them screened from the file's facts."
        )
        claims = report.claims()
        if claims:
            counted = ", ".join(f"{status} {count:,}" for status, count in sorted(claims.items()))
            self.stdout.write(
                f"Status given by the sending organisation (not taken over as a decision here): {counted}."
            )
            if report.created:
                waiting = [
                    reference
                    for (line, reference), item in zip(report.created, planned, strict=True)
                    if item.claimed_status in htcds_import.CLAIMS and line == item.line
                ]
                if waiting:
                    self.stdout.write(
                        "For a coordinator's own decision (the sending organisation saw a possible or actual "
                        f"victim): {', '.join(waiting)}"
                    )
        if report.ignored_columns:
            self.stdout.write(f"Checked but not stored: {', '.join(report.ignored_columns)}.")
