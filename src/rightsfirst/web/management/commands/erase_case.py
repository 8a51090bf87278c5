"""`rightsfirst manage erase_case REF --reason "..." [--dry-run]`: erase one case now, on request.

The same erasure as the retention schedule's (identity and key destroyed, notes blanked, facts
kept for statistics), for one case whatever its stage or age. Refused while the case is on legal
hold or has pending legal proceedings; the refusal says which.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from rightsfirst.web import erasure
from rightsfirst.web.models import Case

MINIMUM_REASON = 10


class Command(BaseCommand):
    help = "Erase one case's identity and notes now (refused while it is on legal hold)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="the case reference, e.g. RF-7K3Q-9PXD")
        parser.add_argument(
            "--reason",
            required=True,
            help="why (kept in the audit log: write no names or other identifying details)",
        )
        parser.add_argument("--dry-run", action="store_true", help="say whether it would be erased; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        reference = str(options["reference"]).strip().upper()
        reason = str(options["reason"]).strip()
        if len(reason) < MINIMUM_REASON:
            raise CommandError(f"--reason: write why the case is erased, at least {MINIMUM_REASON} characters")
        case = Case.objects.select_related("legal_hold_by").filter(reference=reference).first()
        if case is None:
            raise CommandError(f"no case with the reference {reference!r} (references look like RF-7K3Q-9PXD)")
        if case.erased_at is not None:
            self.stdout.write(f"{reference} was already erased on {case.erased_at:%Y-%m-%d}; nothing to do")
            return
        reasons = erasure.hold_reasons(case, timezone.localdate())
        if reasons:
            raise CommandError(self._refusal(reference, reasons))
        if options["dry_run"]:
            self.stdout.write(f"{reference} would be erased (dry run: nothing is changed)")
            return
        try:
            erasure.erase(case, None, "on request (command line)", reason)
        except erasure.ErasureRefused as refused:  # a hold set meanwhile
            raise CommandError(self._refusal(reference, refused.reasons)) from None
        except erasure.AlreadyErased as done:
            self.stdout.write(f"{done}; nothing to do")
            return
        self.stdout.write(f"{reference} erased: identity and key destroyed, notes blanked, audit entry written")
        self.stdout.write(f"SQLite write-ahead log checkpoint: {erasure.checkpoint()}")

    def _refusal(self, reference: str, reasons: list[erasure.HoldReason]) -> str:
        listed = "; ".join(item.detail for item in reasons)
        return (
            f"{reference} is not erased: {listed}. A legal hold is lifted on the case page by a coordinator "
            "or legal adviser; pending proceedings end when their end date is recorded."
        )
