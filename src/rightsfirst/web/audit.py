"""Writing and verifying the audit log. Written inside the same transaction as the act it
records, so that if the entry cannot be written the act does not happen either.

The log is a hash chain: entry n stores HMAC(key, content of n + hash of n-1). The key lives
outside the database (RIGHTSFIRST_AUDIT_KEY or a key file), so someone who can write to the
database can still not forge, change, remove, insert or reorder an entry without `verify`
naming it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from rightsfirst.web.keys import read_or_create_key
from rightsfirst.web.models import AuditEvent

# Any fixed number: the PostgreSQL advisory lock that serialises appends to the chain.
CHAIN_LOCK = 7_140_331


@functools.cache
def audit_key() -> bytes:
    configured = os.environ.get("RIGHTSFIRST_AUDIT_KEY")
    return base64.b64decode(configured) if configured else read_or_create_key(settings.RIGHTSFIRST_AUDIT_KEY_FILE)


def entry_digest(entry: AuditEvent, previous_hash: str) -> str:
    """The keyed hash of one entry's content, chained to the previous entry's hash."""
    content = [
        entry.sequence,
        entry.at.isoformat(),
        entry.user_id,
        entry.username,
        entry.role,
        entry.agency,
        entry.action,
        entry.case_reference,
        entry.target,
        entry.fields,
        entry.reason,
        previous_hash,
    ]
    message = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(audit_key(), message, hashlib.sha256).hexdigest()


def record(
    user: Any,
    action: str,
    case: Any = None,
    target: str = "",
    fields: str = "",
    reason: str = "",
) -> AuditEvent:
    """Append one audit entry: who, what, which case (by reference only), when, and why."""
    signed_in = user is not None and user.is_authenticated
    membership = getattr(user, "membership", None) if signed_in else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        # (SQLite: the transaction already holds the database's single write lock.)
        last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "entry_hash").first()
        sequence, previous = (last[0] + 1, last[1]) if last and last[0] is not None else (1, "")
        entry = AuditEvent(
            user=user if signed_in else None,
            username=user.get_username() if signed_in else "",
            role=membership.role if membership else "",
            agency=membership.agency.name if membership else "",
            action=action,
            case_reference=case.reference if case is not None else "",
            target=target[:200],
            fields=fields[:300],
            reason=reason,
            at=timezone.now(),
            sequence=sequence,
            previous_hash=previous,
        )
        entry.entry_hash = entry_digest(entry, previous)
        entry.save()
        from rightsfirst.web import oversight

        oversight.notice(entry)
        return entry


@dataclass(frozen=True)
class Problem:
    """One break in the chain: the entry's sequence number (or id) and what is wrong."""

    sequence: int | None
    entry_id: int
    problem: str


def verify() -> list[Problem]:
    """Check the whole chain; an empty list means intact."""
    problems: list[Problem] = []
    expected_sequence = 1
    previous = ""
    for entry in AuditEvent.objects.order_by("sequence", "id").iterator():
        if entry.sequence is None:
            problems.append(Problem(None, entry.pk, "entry has no place in the chain (inserted)"))
            continue
        if entry.sequence != expected_sequence:
            problems.append(
                Problem(
                    entry.sequence,
                    entry.pk,
                    f"expected entry {expected_sequence} here: "
                    f"{entry.sequence - expected_sequence} entr(y/ies) before it deleted",
                )
            )
        if entry.previous_hash != previous:
            problems.append(
                Problem(
                    entry.sequence, entry.pk, "does not follow the entry before it (deleted, inserted or reordered)"
                )
            )
        if not hmac.compare_digest(entry.entry_hash, entry_digest(entry, entry.previous_hash)):
            problems.append(Problem(entry.sequence, entry.pk, "content does not match its hash (modified or forged)"))
        expected_sequence = entry.sequence + 1
        previous = entry.entry_hash
    return problems
