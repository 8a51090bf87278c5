"""`rightsfirst audit verify`: check that no audit entry was changed, removed, inserted or reordered."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from rightsfirst.web import audit
from rightsfirst.web.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 and name each entry that breaks it."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = audit.verify()
        if not problems:
            self.stdout.write(f"audit log intact: {AuditEvent.objects.count()} entries, chain and hashes verified")
            return
        for item in problems:
            where = f"entry {item.sequence}" if item.sequence is not None else "an entry without a number"
            self.stdout.write(f"{where} (row id {item.entry_id}): {item.problem}")
        self.stdout.write(f"audit log NOT intact: {len(problems)} problem(s)")
        sys.exit(1)
