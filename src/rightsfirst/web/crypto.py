"""Identity encryption at rest: envelope encryption with AES-256-GCM.

Each person's identity is encrypted with a data key of its own; that data key is stored
wrapped (encrypted) by the master key, which never enters the database: it comes from
RIGHTSFIRST_MASTER_KEY or from a key file created on first run with owner-only permissions.
The associated data binds each ciphertext to its table, field, record and key id, so a
ciphertext copied into another record or field does not decrypt.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from rightsfirst.web.keys import read_or_create_key

NONCE_BYTES = 12


class DecryptionError(Exception):
    """A ciphertext could not be decrypted (wrong key, altered data or moved between records)."""


@functools.cache
def master_key() -> bytes:
    """The master key: from the environment, else the key file (created on first use)."""
    configured = os.environ.get("RIGHTSFIRST_MASTER_KEY")
    key = base64.b64decode(configured) if configured else read_or_create_key(settings.RIGHTSFIRST_MASTER_KEY_FILE)
    if len(key) != 32:
        raise ValueError("the master key must be 32 bytes (base64-encoded)")
    return key


def master_key_id() -> str:
    """A short, non-secret fingerprint naming the master key that wrapped a data key."""
    return hashlib.sha256(b"rightsfirst-key-id" + master_key()).hexdigest()[:16]


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError) as error:
        raise DecryptionError("identity could not be decrypted") from error


def new_wrapped_data_key(record_id: str) -> tuple[bytes, str]:
    """A fresh data key for one record, wrapped by the master key; returns (wrapped, key id)."""
    key_id = master_key_id()
    wrapped = _seal(master_key(), secrets.token_bytes(32), f"data-key|{record_id}|{key_id}".encode())
    return wrapped, key_id


def unwrap_data_key(wrapped: bytes, record_id: str, key_id: str) -> bytes:
    """The record's data key (raises DecryptionError if the master key is not the one that wrapped it)."""
    return _open(master_key(), bytes(wrapped), f"data-key|{record_id}|{key_id}".encode())


def encrypt_fields(
    data_key: bytes, table: str, field: str, record_id: str, key_id: str, value: dict[str, Any]
) -> bytes:
    """Encrypt a mapping of identity values for one field of one record."""
    plaintext = json.dumps(value, sort_keys=True, ensure_ascii=False).encode()
    return _seal(data_key, plaintext, f"{table}|{field}|{record_id}|{key_id}".encode())


def decrypt_fields(
    data_key: bytes, table: str, field: str, record_id: str, key_id: str, sealed: bytes
) -> dict[str, Any]:
    """Decrypt what encrypt_fields produced, checking it belongs to this table, field and record."""
    plaintext = _open(data_key, bytes(sealed), f"{table}|{field}|{record_id}|{key_id}".encode())
    value = json.loads(plaintext)
    if not isinstance(value, dict):
        raise DecryptionError("identity is not a mapping")
    return value
