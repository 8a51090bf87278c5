"""Key files: created on first use with owner-only permissions, read afterwards."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def read_or_create_key(path: Path, size: int = 32) -> bytes:
    """Read a base64 key file, or create one with `size` random bytes (mode 0600) if it is missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return base64.b64decode(path.read_bytes().strip(), validate=True)
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(size)
    # O_EXCL: if two processes start at once, only one writes; the other reads what it wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return base64.b64decode(path.read_bytes().strip(), validate=True)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key) + b"\n")
    return key


def read_or_create_secret(path: Path) -> str:
    """A text secret (Django's SECRET_KEY) kept in a key file."""
    return base64.urlsafe_b64encode(read_or_create_key(path, 48)).decode("ascii")
