"""Argon2id password hashing sized for a server that answers other requests on the same cores.

Argon2id is memory-hard and slow on purpose, and stays so here: each hash or check of a password
fills 100 MiB twice over (Django's memory and time costs, unchanged). Two things are changed
from Django's hasher, both found by the load benchmark (docs/performance.md):

- **One lane instead of eight.** With eight lanes a single check runs on every core at once for
  its quarter of a second, and each page being served meanwhile waits for a core: with 50 people
  at work and sign-ins every second or so, that put the slowest pages far past their target.
  An attacker's cost per guess is set by the memory and the passes, not by the lanes (which only
  let the defender spread the work over cores), so one lane costs no strength; the check uses
  about the same CPU time, on one core, and takes a little longer itself.
- **At most RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE (default 1) per process.** Each hash holds its
  100 MiB until done; a burst of sign-ins (the start of a shift, or someone posting passwords for
  many names) would otherwise add 100 MiB per request in flight: 50 people signing in pushed
  two workers past 700 MB. Others wait their turn.

The algorithm name stays "argon2": hashes made with eight lanes are still read, and Django
rehashes each with one lane at that user's next sign-in.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def hashing_slots() -> threading.BoundedSemaphore:
    """The process's semaphore, sized by RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE when first used."""
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE)
        return _slots


class BoundedArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2id hasher with one lane, and a bound on how many hashes run at once per process."""

    parallelism = 1

    def encode(self, password: str, salt: str) -> Any:
        with hashing_slots():
            return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> Any:
        with hashing_slots():
            return super().verify(password, encoded)
