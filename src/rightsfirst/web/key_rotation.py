"""Key inventory and rotation: re-wrapping case keys under a new master key, rebuilding the blind index.

Both jobs go through the cases in batches, each batch in a transaction of its own, and pick
their work by key id: a case still under a retired master key (or indexed under an earlier index
key) is simply taken up by the next batch or the next run. Stopping a run at any moment - Ctrl+C,
a killed process, a lost connection - loses nothing: the batch in flight rolls back and is done
again next time.

Changing a key file while the application runs is safe: the application reads the key files
again when it meets a key id it does not know. It keeps wrapping new cases under the key it
started with until it is restarted, so run the rotation once more after the restart (`status`
shows what is left).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet

from rightsfirst.web import blind_index, crypto
from rightsfirst.web.keys import read_or_create_key
from rightsfirst.web.models import Case, SearchToken


class RotationError(Exception):
    """A rotation step cannot be done; the message says why and what to do."""


# --- Key files ---------------------------------------------------------------------------------


def _write_new_file(path: Path, key: bytes) -> None:
    # Written beside the target and renamed over it, so the file is never seen half-written.
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key) + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def new_master_key() -> tuple[str, str]:
    """Retire the master key file into the retired-keys directory and write a new one; (old id, new id).

    The retired copy is written (and flushed) before the key file is replaced, so a crash in
    between leaves the old key in both places, never in neither.
    """
    if os.environ.get("RIGHTSFIRST_MASTER_KEY"):
        raise RotationError(
            "the master key comes from RIGHTSFIRST_MASTER_KEY: put the new key there, add the old one to "
            "RIGHTSFIRST_RETIRED_MASTER_KEYS (or to a file in the retired-keys directory), restart, and run "
            "`rightsfirst keys rotate` again"
        )
    path = Path(settings.RIGHTSFIRST_MASTER_KEY_FILE)
    old = read_or_create_key(path)
    old_id = crypto.key_id_of(old)
    retired = crypto.retired_key_path(old_id)
    retired.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not retired.exists():
        _write_new_file(retired, old)
    new = secrets.token_bytes(crypto.KEY_BYTES)
    _write_new_file(path, new)
    crypto.key_ring.cache_clear()
    return old_id, crypto.key_id_of(new)


def new_index_key() -> str:
    """Write a new blind-index root key file (the index must then be rebuilt); returns its id."""
    if os.environ.get("RIGHTSFIRST_INDEX_KEY"):
        raise RotationError("the index key comes from RIGHTSFIRST_INDEX_KEY: put the new key there and restart")
    key = secrets.token_bytes(32)
    _write_new_file(Path(settings.RIGHTSFIRST_INDEX_KEY_FILE), key)
    blind_index.root_key.cache_clear()
    return blind_index.key_id(key)


def delete_retired(key_id: str) -> Path:
    """Delete a retired master key file, only if no case key is wrapped with it; returns the path."""
    ring = crypto.key_ring()
    if key_id == ring.active_id:
        raise RotationError(f"{key_id} is the active master key, not a retired one")
    if key_id not in ring.retired:
        raise RotationError(f"there is no retired master key {key_id} in the key ring")
    used = Case.objects.filter(master_key_id=key_id).count()
    if used:
        raise RotationError(
            f"master key {key_id} still wraps {used} case key(s): run `rightsfirst keys rotate` first; "
            "it may be deleted only when no case uses it"
        )
    source = ring.retired_sources[key_id]
    if source == "RIGHTSFIRST_RETIRED_MASTER_KEYS":
        raise RotationError(
            f"master key {key_id} is no longer used: remove it from RIGHTSFIRST_RETIRED_MASTER_KEYS yourself"
        )
    path = Path(source)
    path.unlink()
    crypto.key_ring.cache_clear()
    return path


# --- Batches -----------------------------------------------------------------------------------


def rewrap_batch(size: int) -> int:
    """Re-wrap up to `size` case keys that are under a retired master key; how many were done."""
    ring = crypto.key_ring()
    active = ring.active_id
    with transaction.atomic():
        # Only keys the ring holds: a case under a missing key is reported by `status`, not retried.
        rows = list(
            Case.objects.filter(master_key_id__in=sorted(ring.retired))
            .order_by("pk")
            .select_for_update()
            .values_list("pk", "reference", "wrapped_data_key", "master_key_id")[:size]
        )
        for pk, reference, wrapped, old_id in rows:
            owner = Case.owner_for(reference)
            data_key = crypto.unwrap_data_key(bytes(wrapped), owner, old_id)
            rewrapped, new_id = crypto.wrap_data_key(data_key, owner, active)
            Case.objects.filter(pk=pk, master_key_id=old_id).update(wrapped_data_key=rewrapped, master_key_id=new_id)
    return len(rows)


def reindex_batch(size: int) -> int:
    """Recompute the search tokens of up to `size` cases not indexed under the current index key."""
    root = blind_index.root_key()
    current = blind_index.key_id(root)
    fields = (*blind_index.NAME_FIELDS, *blind_index.DOCUMENT_FIELDS)
    with transaction.atomic():
        cases = list(
            Case.objects.exclude(index_key_id=current)
            .select_related("person")
            .select_for_update()
            .order_by("pk")[:size]
        )
        tokens = [
            SearchToken(case=case, index=index, token=token)
            for case in cases
            for index, token in sorted(blind_index.tokens_for(case.person.identity(case, fields), root))
        ]
        SearchToken.objects.filter(case__in=[case.pk for case in cases]).delete()
        SearchToken.objects.bulk_create(tokens)
        Case.objects.filter(pk__in=[case.pk for case in cases]).update(index_key_id=current)
    return len(cases)


def run_batches(
    step: Callable[[int], int],
    size: int,
    pause: float = 0.0,
    after_batch: Callable[[int], None] | None = None,
) -> int:
    """Run a batch step until it finds nothing left; returns how many cases were done in this run."""
    if size < 1:
        raise RotationError("the batch size must be at least 1")
    done = 0
    while True:
        count = step(size)
        if not count:
            return done
        done += count
        if after_batch is not None:
            after_batch(done)
        if pause:
            time.sleep(pause)


# --- Inventory ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MasterKeyUse:
    """One master key id: where it comes from (if in the key ring) and how many case keys it wraps."""

    key_id: str
    state: str  # "active", "retired" or "missing"
    source: str
    cases: int


@dataclass(frozen=True)
class Inventory:
    """Key ids in use and what uses them (never any key material)."""

    master: list[MasterKeyUse]
    index_key_id: str
    index_source: str
    indexed: dict[str, int]
    tokens: int
    audit_key_id: str
    audit_source: str
    django_secret_source: str

    @property
    def to_rewrap(self) -> int:
        """Case keys not yet under the active master key."""
        return sum(use.cases for use in self.master if use.state != "active")

    @property
    def to_reindex(self) -> int:
        """Cases not yet indexed under the current index key."""
        return sum(count for key_id, count in self.indexed.items() if key_id != self.index_key_id)


def _fingerprint(label: bytes, key: bytes) -> str:
    return hashlib.sha256(label + key).hexdigest()[:16]


def _count_by(cases: QuerySet[Case], column: str) -> dict[str, int]:
    return dict(cases.order_by().values_list(column).annotate(count=Count("pk")).values_list(column, "count"))


def inventory() -> Inventory:
    """Which keys exist, where they come from, and how many records each one covers."""
    from rightsfirst.web import audit

    ring = crypto.key_ring()
    counts = dict(
        Case.objects.values_list("master_key_id").annotate(count=Count("pk")).values_list("master_key_id", "count")
    )
    master = [MasterKeyUse(ring.active_id, "active", ring.active_source, counts.pop(ring.active_id, 0))]
    for key_id in sorted(ring.retired):
        master.append(MasterKeyUse(key_id, "retired", ring.retired_sources[key_id], counts.pop(key_id, 0)))
    for key_id, count in sorted(counts.items()):
        master.append(MasterKeyUse(key_id, "missing", "", count))
    indexed = dict(
        Case.objects.values_list("index_key_id").annotate(count=Count("pk")).values_list("index_key_id", "count")
    )
    index_configured = bool(os.environ.get("RIGHTSFIRST_INDEX_KEY"))
    audit_configured = bool(os.environ.get("RIGHTSFIRST_AUDIT_KEY"))
    return Inventory(
        master=master,
        index_key_id=blind_index.key_id(),
        index_source="RIGHTSFIRST_INDEX_KEY" if index_configured else str(settings.RIGHTSFIRST_INDEX_KEY_FILE),
        indexed=indexed,
        tokens=SearchToken.objects.count(),
        audit_key_id=_fingerprint(b"rightsfirst-audit-key-id", audit.audit_key()),
        audit_source="RIGHTSFIRST_AUDIT_KEY" if audit_configured else str(settings.RIGHTSFIRST_AUDIT_KEY_FILE),
        django_secret_source="DJANGO_SECRET_KEY"
        if os.environ.get("DJANGO_SECRET_KEY")
        else str(Path(settings.DATA_DIR) / "django-secret.key"),
    )
