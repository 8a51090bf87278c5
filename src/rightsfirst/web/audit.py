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

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
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


# --- Anchors: signed statements of the chain's head, kept away from the database ----------------
#
# The hash chain finds any change made without the audit key. Someone holding both the database
# and that key could still cut the newest entries off, or rewrite the chain from some point on.
# An anchor is a statement "entry n had hash h at time t", signed with a separate Ed25519 key and
# sent somewhere the database's operators cannot write (an oversight body, a write-once store).
# Checking the chain against the anchors catches a cut tail and a rewritten history.


@functools.cache
def anchor_key() -> Ed25519PrivateKey:
    """The key that signs anchors: from RIGHTSFIRST_ANCHOR_KEY (base64 seed) or a key file."""
    configured = os.environ.get("RIGHTSFIRST_ANCHOR_KEY")
    seed = base64.b64decode(configured) if configured else read_or_create_key(settings.RIGHTSFIRST_ANCHOR_KEY_FILE)
    return Ed25519PrivateKey.from_private_bytes(seed)


def _anchor_message(sequence: int, entry_hash: str, at: str) -> bytes:
    return json.dumps(["rightsfirst-audit-anchor", sequence, entry_hash, at], separators=(",", ":")).encode()


def make_anchor() -> dict[str, Any]:
    """A signed statement of the chain's newest entry (to be stored off-host)."""
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "entry_hash").first()
    if last is None or last[0] is None:
        raise ValueError("the audit log is empty: nothing to anchor")
    at = timezone.now().isoformat()
    key = anchor_key()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {
        "sequence": last[0],
        "entry_hash": last[1],
        "at": at,
        "public_key": base64.b64encode(public).decode(),
        "signature": base64.b64encode(key.sign(_anchor_message(last[0], last[1], at))).decode(),
    }


def check_anchor(anchor: dict[str, Any]) -> str | None:
    """What is wrong between the chain and one anchor (None: the chain still holds that entry)."""
    try:
        sequence, entry_hash, at = int(anchor["sequence"]), str(anchor["entry_hash"]), str(anchor["at"])
        signature = base64.b64decode(anchor["signature"])
    except (KeyError, TypeError, ValueError):
        return "not an anchor (sequence, entry_hash, at and signature are needed)"
    try:
        # Checked with our own key, not the one the anchor names: a forger would name theirs.
        anchor_key().public_key().verify(signature, _anchor_message(sequence, entry_hash, at))
    except InvalidSignature:
        return f"anchor of entry {sequence} ({at}): signature does not match (forged or altered anchor)"
    stored = AuditEvent.objects.filter(sequence=sequence).values_list("entry_hash", flat=True).first()
    if stored is None:
        newest = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
        return f"entry {sequence}, anchored at {at}, is gone: the log ends at entry {newest} (its tail was cut)"
    if not hmac.compare_digest(stored, entry_hash):
        return f"entry {sequence} is not the entry anchored at {at}: the chain was rewritten from there or before"
    return None
