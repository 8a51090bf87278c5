"""`rightsfirst audit verify`: check that no audit entry was changed, removed, inserted or reordered."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rightsfirst.web import audit
from rightsfirst.web.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain (and, with --anchors, that it still holds every anchored "
        "entry); exit 1 and name each entry that breaks it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--anchors", metavar="FILE", help="a file of anchors from `rightsfirst audit anchor`")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = audit.verify()
        anchored = self._check_anchors(Path(options["anchors"])) if options["anchors"] else []
        for problem in anchored:
            self.stdout.write(problem)
        if anchored:
            self.stdout.write(f"audit log NOT intact: {len(anchored)} anchor(s) no longer match")
        if not problems and not anchored:
            self.stdout.write(f"audit log intact: {AuditEvent.objects.count()} entries, chain and hashes verified")
            return
        if not problems:
            sys.exit(1)
        for item in problems:
            where = f"entry {item.sequence}" if item.sequence is not None else "an entry without a number"
            self.stdout.write(f"{where} (row id {item.entry_id}): {item.problem}")
        self.stdout.write(f"audit log NOT intact: {len(problems)} problem(s)")
        sys.exit(1)

    def _check_anchors(self, path: Path) -> list[str]:
        try:
            lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except OSError as error:
            raise CommandError(f"cannot read the anchors: {error}") from None
        found = []
        for number, line in enumerate(lines, start=1):
            try:
                anchor = json.loads(line)
            except json.JSONDecodeError:
                found.append(f"{path}, line {number}: not JSON")
                continue
            problem = audit.check_anchor(anchor) if isinstance(anchor, dict) else "not an anchor"
            if problem:
                found.append(f"{path}, line {number}: {problem}")
        return found
