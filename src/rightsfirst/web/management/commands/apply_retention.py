"""`rightsfirst manage apply_retention [--dry-run] [--today YYYY-MM-DD]`: apply the retention schedule.

Erases every closed case whose retention period has run out and that is not on legal hold (each
case in its own transaction, with its audit entry), deletes expired sessions and old failed
sign-in records, and on SQLite truncates the write-ahead log so the erased bytes leave it too.
Safe to run again: a case is erased once, and what is already gone stays gone.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from rightsfirst.web import erasure, retention
from rightsfirst.web.models import Case


def parse_day(value: str) -> dt.date:
    """A YYYY-MM-DD date for --today, with an error that says what is expected."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected a date as YYYY-MM-DD, e.g. 2031-01-15") from None


class Command(BaseCommand):
    help = (
        "Erase closed cases past their retention period (unless on legal hold), delete expired sessions "
        "and old failed sign-in records. --dry-run only reports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report what would be done; change nothing")
        parser.add_argument(
            "--today",
            type=parse_day,
            help="review as on this date (YYYY-MM-DD); a date later than today needs --dry-run",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        self.verbosity = int(options["verbosity"])
        real_today = timezone.localdate()
        today: dt.date = options["today"] or real_today
        if today > real_today and not dry_run:
            # A mistyped year would erase cases whose time has not come: irreversible.
            raise CommandError(
                f"--today {today} is after today ({real_today}); erasing as on a later date is refused. "
                "Add --dry-run to see what a run on that date would do."
            )
        verb = "would be" if dry_run else "were"
        found = retention.review(today)
        limits = retention.periods()
        self.stdout.write(f"retention review as on {today}{' (dry run: nothing is changed)' if dry_run else ''}")
        self.stdout.write(
            f"periods: closed cases {limits['closed_case_years']} years, closed at screening "
            f"{limits['screening_only_years']} years after closure"
        )

        erased, held, failed = 0, 0, 0
        for due in found.due:
            case = Case.objects.select_related("legal_hold_by").get(pk=due.pk)
            reasons = erasure.hold_reasons(case, today)
            if reasons:
                held += 1
                self._detail(f"{due.reference}: kept: " + "; ".join(item.detail for item in reasons))
                continue
            if dry_run:
                erased += 1
                self._detail(f"{due.reference}: would be erased (closed {due.closed_on}, due {due.until})")
                continue
            try:
                erased += self._erase(case, today)
            except erasure.ErasureRefused as refused:
                held += 1
                self._detail(f"{due.reference}: kept: " + "; ".join(item.detail for item in refused.reasons))
            except Exception as error:  # one case failing must not stop the others
                failed += 1
                self.stderr.write(f"{due.reference}: NOT erased: {type(error).__name__}: {error}")

        self.stdout.write(f"closed cases past their retention period: {len(found.due)}")
        self.stdout.write(f"  erased{' (would be)' if dry_run else ''}: {erased}")
        self.stdout.write(f"  kept on legal hold or pending proceedings: {held}")
        if failed:
            self.stdout.write(f"  failed (see errors above; run again): {failed}")
        self.stdout.write(f"closed cases still within their period: {found.within}")
        if found.undated:
            self.stdout.write(
                f"closed cases with no recorded closure (kept: the clock cannot start): {len(found.undated)}"
            )

        sessions = retention.expired_sessions(today)
        failures = retention.old_sign_in_failures(today)
        if dry_run:
            session_count = sessions.count()
            failure_count = sum(query.count() for query in failures)
        else:
            erasure.secure_delete_on()
            with transaction.atomic():
                session_count = sessions.delete()[0]
                failure_count = sum(query.delete()[0] for query in failures)
        self.stdout.write(f"expired sessions {verb} deleted: {session_count}")
        self.stdout.write(f"failed sign-in records {verb} deleted: {failure_count}")
        old_audit = retention.old_audit_entries(today)
        self.stdout.write(
            f"audit entries older than {limits['audit_log_years']} years: {old_audit} "
            "(kept: the log is append-only and holds no identity)"
        )
        if not dry_run:
            self.stdout.write(f"SQLite write-ahead log checkpoint: {erasure.checkpoint()}")
        if failed:
            raise CommandError(f"{failed} case(s) could not be erased")

    def _erase(self, case: Case, today: dt.date) -> int:
        with transaction.atomic():
            # Rechecked under lock: the case may have been reopened since the review.
            locked = Case.objects.select_for_update().get(pk=case.pk)
            due = retention.still_due(locked, today)
            if due is None:
                self._detail(f"{case.reference}: no longer due (reopened or changed since the review)")
                return 0
            how = f"retention: closed {due.closed_on}, {due.years} years ({due.category})"
            erasure.erase(locked, None, how, "retention period ended", on=today, checkpoint_after=False)
        self._detail(f"{case.reference}: erased (closed {due.closed_on}, due {due.until})")
        return 1

    def _detail(self, line: str) -> None:
        if self.verbosity >= 2:
            self.stdout.write(line)
