"""`rightsfirst report --from DATE --to DATE --format html|csv|json`: the national report.

Every indicator of the period over every case in the system, protected as the monitoring pages
are (the same release: web/publication.py and rightsfirst.monitoring.release), written as a
printable HTML report with charts and tables, or as CSV or JSON for other tools. With --noise,
the counts are released with differential privacy instead, charged to a privacy budget that is
recorded in the database and never exceeded.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.loader import render_to_string
from django.utils import timezone, translation

from rightsfirst.monitoring import dp
from rightsfirst.monitoring.disclosure import DisclosurePolicy
from rightsfirst.monitoring.indicators import Period
from rightsfirst.monitoring.release import DifferentialPrivacy, Release, build_release
from rightsfirst.monitoring.release_formats import to_csv, to_json
from rightsfirst.web import audit, publication
from rightsfirst.web.models import DatabaseLedger
from rightsfirst.web.report_document import report_context

STATIC_CSS = Path(__file__).resolve().parents[2] / "static" / "web" / "rightsfirst.css"


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} {text!r}: expected a date as YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Write the national report of the human-rights indicators for a period (HTML, CSV or JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD", help="first day of the period")
        parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD", help="last day of the period")
        parser.add_argument("--format", choices=("html", "csv", "json"), default="html")
        parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of the standard output")
        parser.add_argument("--language", choices=[code for code, _name in settings.LANGUAGES], default="en")
        parser.add_argument(
            "--noise",
            type=float,
            metavar="EPSILON",
            help="release noisy counts with differential privacy, spending EPSILON per table of the budget",
        )
        parser.add_argument(
            "--budget",
            default="national-report",
            help="the privacy budget --noise spends (RIGHTSFIRST_PRIVACY_BUDGETS; default: national-report)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = _date(options["start"], "--from"), _date(options["end"], "--to")
        if end < start:
            raise CommandError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
        period = Period(start, end)
        release = self._release(period, options)
        with translation.override(options["language"]):
            text = self._render(release, options["format"])
        if options["output"]:
            try:
                Path(options["output"]).write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(f"cannot write {options['output']}: {error}") from None
            self.stderr.write(f"report written to {options['output']}")
        else:
            sys.stdout.write(text)
        audit.record(
            None,
            "statistics.report",
            target=f"{start.isoformat()} to {end.isoformat()} {options['format']}"
            + (f" noise {options['noise']:g} from {options['budget']}" if options["noise"] else ""),
        )

    def _release(self, period: Period, options: dict[str, Any]) -> Release:
        policy: DisclosurePolicy = publication.policy()
        scope_key, cases = publication.scope_of(None)
        records = publication.records_for(scope_key, cases)
        if options["noise"] is None:
            length = period.end - period.start
            before_end = period.start - dt.timedelta(days=1)
            before = Period(before_end - length, before_end)
            previous = build_release(records, before, policy=policy).suppression_pattern()
            return build_release(records, period, policy=policy, previous=previous)
        budgets: dict[str, float] = getattr(settings, "RIGHTSFIRST_PRIVACY_BUDGETS", {})
        if options["budget"] not in budgets:
            known = ", ".join(sorted(budgets)) or "none"
            raise CommandError(f"no privacy budget {options['budget']!r} is configured (configured: {known})")
        noise = DifferentialPrivacy(
            epsilon_per_table=options["noise"],
            budget_id=options["budget"],
            budget=budgets[options["budget"]],
            ledger=DatabaseLedger(),
        )
        try:
            return build_release(records, period, policy=policy, noise=noise)
        except dp.BudgetExceeded as error:
            raise CommandError(str(error)) from None
        except ValueError as error:
            raise CommandError(f"--noise: {error}") from None

    def _render(self, release: Release, file_format: str) -> str:
        if file_format == "csv":
            return to_csv(release)
        if file_format == "json":
            return json.dumps(to_json(release), ensure_ascii=False, indent=1) + "\n"
        context = report_context(release, generated=timezone.localdate())
        context["stylesheet"] = STATIC_CSS.read_text(encoding="utf-8")
        return render_to_string("documents/national_report.html", context)
