"""Every SQLite connection the application opens is crash-safe and overwrites what it deletes.

The settings are read back from live connections opened through Django's own SQLite backend (so
the application's connection_created handler is what sets them), on a database file of their own:
the test database may be in memory, where WAL does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler

MARKER = b"Quillonah-Vexbridge-erased-"


def _open(path: Path) -> Any:
    handler = ConnectionHandler(
        {
            # A handler of its own, away from the test database; it needs a "default".
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            }
        }
    )
    connection = handler["default"]
    connection.ensure_connection()
    return connection


def _pragma(connection: Any, name: str) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


@pytest.fixture(autouse=True)
def _database_files_allowed(django_db_blocker: Any) -> Any:
    # These connections go to files of their own, never to the test database.
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def probe(tmp_path: Path) -> Any:
    connection = _open(tmp_path / "probe.sqlite3")
    yield connection
    connection.close()


def test_each_connection_gets_wal_full_sync_foreign_keys_busy_timeout_and_secure_delete(probe: Any) -> None:
    assert _pragma(probe, "journal_mode") == "wal"
    # 2 is FULL: the log is synced at every commit (1, NORMAL, may lose the last commits at a power cut).
    assert _pragma(probe, "synchronous") == 2
    assert _pragma(probe, "foreign_keys") == 1
    assert _pragma(probe, "busy_timeout") == 5000
    assert _pragma(probe, "secure_delete") == 1


def test_a_second_connection_to_the_same_file_gets_them_too(tmp_path: Path) -> None:
    # synchronous, foreign_keys, busy_timeout and secure_delete belong to the connection, not the
    # file: a connection opened later (another worker, another thread) must set them again.
    path = tmp_path / "shared.sqlite3"
    first, second = _open(path), _open(path)
    try:
        for connection in (first, second):
            assert _pragma(connection, "synchronous") == 2
            assert _pragma(connection, "secure_delete") == 1
            assert _pragma(connection, "foreign_keys") == 1
        assert first.connection is not second.connection
    finally:
        first.close()
        second.close()


def test_deleted_rows_are_overwritten_in_the_database_file(probe: Any, tmp_path: Path) -> None:
    # What secure_delete is for: after a deletion (and a checkpoint, which moves the WAL's pages
    # into the main file and empties the WAL), the deleted bytes are nowhere in the files.
    with probe.cursor() as cursor:
        cursor.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY, value TEXT)")
        cursor.execute("INSERT INTO kept (value) VALUES ('a row that stays')")
        for number in range(50):
            cursor.execute("INSERT INTO kept (value) VALUES (%s)", [(MARKER + str(number).encode()).decode()])
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database = tmp_path / "probe.sqlite3"
    assert MARKER in database.read_bytes(), "the marker was never written: the test proves nothing"
    with probe.cursor() as cursor:
        cursor.execute("DELETE FROM kept WHERE value LIKE %s", [MARKER.decode() + "%"])
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = tmp_path / "probe.sqlite3-wal"
    leftovers = database.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    still_there = leftovers.count(MARKER)
    assert still_there == 0, f"{still_there} deleted values still readable in the database files"
    with probe.cursor() as cursor:
        cursor.execute("SELECT value FROM kept")
        assert cursor.fetchall() == [("a row that stays",)]
