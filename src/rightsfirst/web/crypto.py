"""Encryption at rest: one data key per case, wrapped by a master key, AES-256-GCM for every value.

Where the keys live, and why
----------------------------
Each case has one data key (32 random bytes). It is stored on the case row
(`Case.wrapped_data_key`), encrypted ("wrapped") by the master key, together with the id of the
master key that wrapped it (`Case.master_key_id`). The case owns the key because the case is the
unit of work and of erasure: everything recorded about a person in a case - the person's
identity fields and the case's narrative notes - is sealed under that one key, so destroying the
case's wrapped data key makes all of it unreadable at once, in backups too (crypto-shredding).
The person row has no key of its own: a person is registered together with their case
(`workflow.create_case`), and their identity is sealed under that case's key.

The master key never enters the database. It comes from RIGHTSFIRST_MASTER_KEY (base64) or the
key file `settings.RIGHTSFIRST_MASTER_KEY_FILE`. Master keys that were replaced stay readable
through a key ring: files in `settings.RIGHTSFIRST_RETIRED_KEYS_DIR` and base64 keys in
RIGHTSFIRST_RETIRED_MASTER_KEYS (comma-separated). A key is always selected by its id, a short
non-secret fingerprint, so rotating the master key only re-wraps the case keys (a few hundred
bytes per case) and never re-encrypts the data (`rightsfirst keys rotate`).

What a stored value looks like
------------------------------
    version (1 byte) || data key id (8 bytes) || nonce (12 bytes) || AES-256-GCM ciphertext + tag

The associated data binds each value to `table|field|row pk|data key id`: a value copied into
another row, another field or another table, or a single flipped bit, fails to decrypt. The data
key id is in the clear header too, so a value sealed under another case's key is named as such
instead of failing as a bare authentication error. The empty string is stored as zero bytes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from rightsfirst.web.keys import read_or_create_key

NONCE_BYTES = 12
KEY_BYTES = 32
VERSION = 1
DATA_KEY_ID_BYTES = 8
HEADER_BYTES = 1 + DATA_KEY_ID_BYTES + NONCE_BYTES


class DecryptionError(Exception):
    """A value could not be decrypted (wrong key, altered data, or moved to another row or field)."""


class MissingKeyError(DecryptionError):
    """The master key a case key was wrapped with is not in the key ring."""


def key_id_of(key: bytes) -> str:
    """The id of a master key: a short, non-secret fingerprint (16 hex digits)."""
    return hashlib.sha256(b"rightsfirst-key-id" + key).hexdigest()[:16]


def _decode_key(text: str | bytes, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{where}: not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"{where}: a master key must be {KEY_BYTES} bytes (base64-encoded), not {len(key)}")
    return key


@dataclass(frozen=True)
class KeyRing:
    """The active master key (new case keys are wrapped with it) and the retired ones still readable."""

    active_id: str
    active: bytes
    active_source: str
    retired: dict[str, bytes] = field(default_factory=dict)
    retired_sources: dict[str, str] = field(default_factory=dict)

    def key(self, key_id: str) -> bytes:
        """The master key with this id, active or retired; MissingKeyError if the ring lacks it."""
        if key_id == self.active_id:
            return self.active
        try:
            return self.retired[key_id]
        except KeyError:
            raise MissingKeyError(
                f"master key {key_id or '(none)'} is not in the key ring: put it back in "
                f"{settings.RIGHTSFIRST_RETIRED_KEYS_DIR} (or RIGHTSFIRST_RETIRED_MASTER_KEYS)"
            ) from None


def retired_key_path(key_id: str) -> Path:
    """Where a retired master key with this id is kept as a file."""
    return Path(settings.RIGHTSFIRST_RETIRED_KEYS_DIR) / f"{key_id}.key"


@functools.cache
def key_ring() -> KeyRing:
    """The master keys, read once per process (restart the application after changing keys)."""
    configured = os.environ.get("RIGHTSFIRST_MASTER_KEY")
    if configured:
        active, source = _decode_key(configured, "RIGHTSFIRST_MASTER_KEY"), "RIGHTSFIRST_MASTER_KEY"
    else:
        path = Path(settings.RIGHTSFIRST_MASTER_KEY_FILE)
        active, source = read_or_create_key(path), str(path)
        if len(active) != KEY_BYTES:
            raise ValueError(f"{path}: a master key must be {KEY_BYTES} bytes (base64-encoded)")
    active_id = key_id_of(active)
    retired: dict[str, bytes] = {}
    sources: dict[str, str] = {}
    for number, text in enumerate(filter(None, os.environ.get("RIGHTSFIRST_RETIRED_MASTER_KEYS", "").split(","))):
        key = _decode_key(text, f"RIGHTSFIRST_RETIRED_MASTER_KEYS item {number + 1}")
        retired[key_id_of(key)] = key
        sources[key_id_of(key)] = "RIGHTSFIRST_RETIRED_MASTER_KEYS"
    directory = Path(settings.RIGHTSFIRST_RETIRED_KEYS_DIR)
    if directory.is_dir():
        for path in sorted(directory.glob("*.key")):
            key = _decode_key(path.read_bytes(), str(path))
            retired.setdefault(key_id_of(key), key)
            sources.setdefault(key_id_of(key), str(path))
    retired.pop(active_id, None)
    sources.pop(active_id, None)
    return KeyRing(active_id, active, source, retired, sources)


def master_key_id() -> str:
    """The id of the active master key."""
    return key_ring().active_id


def _aead_seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _aead_open(key: bytes, sealed: bytes, aad: bytes, what: str) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as error:
        raise DecryptionError(f"{what} could not be decrypted (altered, or not stored for this place)") from error


# --- Data keys ---------------------------------------------------------------------------------


def new_data_key() -> bytes:
    """A fresh random data key for one case."""
    return secrets.token_bytes(KEY_BYTES)


def data_key_id(data_key: bytes) -> bytes:
    """The id of a data key written in each value's header (a non-secret fingerprint)."""
    return hashlib.sha256(b"rightsfirst-data-key-id" + data_key).digest()[:DATA_KEY_ID_BYTES]


def _wrap_aad(owner: str, master_id: str) -> bytes:
    return f"data-key|{owner}|{master_id}".encode()


def wrap_data_key(data_key: bytes, owner: str, master_id: str | None = None) -> tuple[bytes, str]:
    """Wrap a data key for its owner (e.g. "case|RF-7K3Q-9PXD") with a master key; (wrapped, master key id).

    Without `master_id` the active master key is used.
    """
    ring = key_ring()
    key_id = master_id or ring.active_id
    return _aead_seal(ring.key(key_id), data_key, _wrap_aad(owner, key_id)), key_id


def unwrap_data_key(wrapped: bytes, owner: str, master_id: str) -> bytes:
    """The data key (DecryptionError if that master key did not wrap it for this owner)."""
    try:
        key = key_ring().key(master_id)
    except MissingKeyError:
        # The key files may have changed since this process read them (a rotation started while
        # the application runs): read them again, once.
        key_ring.cache_clear()
        key = key_ring().key(master_id)
    return _aead_open(key, bytes(wrapped), _wrap_aad(owner, master_id), "a case's data key")


# --- Values ------------------------------------------------------------------------------------


def _value_aad(table: str, field_name: str, row: str, key_id: bytes) -> bytes:
    return f"{table}|{field_name}|{row}|{key_id.hex()}".encode()


def seal_text(data_key: bytes, table: str, field_name: str, row: str, text: str) -> bytes:
    """Encrypt one text value for one field of one row (the empty string stays empty)."""
    if not text:
        return b""
    key_id = data_key_id(data_key)
    sealed = _aead_seal(data_key, text.encode(), _value_aad(table, field_name, row, key_id))
    return bytes([VERSION]) + key_id + sealed


def open_text(data_key: bytes, table: str, field_name: str, row: str, stored: bytes | memoryview | None) -> str:
    """Decrypt what seal_text stored, checking it belongs to this table, field and row."""
    value = bytes(stored or b"")
    if not value:
        return ""
    what = f"{table}.{field_name} of row {row}"
    if len(value) < HEADER_BYTES + 16 or value[0] != VERSION:
        raise DecryptionError(f"{what}: not a value this version of the application wrote")
    key_id = value[1 : 1 + DATA_KEY_ID_BYTES]
    if key_id != data_key_id(data_key):
        raise DecryptionError(f"{what}: sealed under another data key (copied from another case?)")
    plaintext = _aead_open(data_key, value[1 + DATA_KEY_ID_BYTES :], _value_aad(table, field_name, row, key_id), what)
    return plaintext.decode()
