"""Backups: a round trip loses and alters nothing; tampering, truncation and wrong keys are refused
and restore nothing; a backup taken while the application writes restores to a consistent database;
and neither a PostgreSQL dump nor a backup holds a name in clear."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from rightsfirst import cli
from rightsfirst.web import backup, crypto, workflow
from rightsfirst.web.backup import BackupDamaged, BackupRefused, Database
from rightsfirst.web.models import Case
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE

SMALL_CHUNKS = 4096


@pytest.fixture(autouse=True)
def _isolated_backup_key(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.RIGHTSFIRST_BACKUP_KEY_FILE = tmp_path / "backup.key"
    monkeypatch.delenv("RIGHTSFIRST_BACKUP_KEY", raising=False)


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def _fictional_database(path: Path, notes: int = 400) -> Database:
    """A small SQLite database in WAL mode (as the application runs it), with several column types."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT, blob BLOB, amount REAL, missing TEXT)")
        db.execute("CREATE TABLE tag (name TEXT PRIMARY KEY, weight INTEGER)")
        db.executemany(
            "INSERT INTO note VALUES (?, ?, ?, ?, NULL)",
            [(i, f"fictional note {i}", bytes([i % 256]) * 40, i / 7) for i in range(1, notes + 1)],
        )
        db.executemany("INSERT INTO tag VALUES (?, ?)", [("alpha", 1), ("beta", 2)])
        # SQLite accepts text that is not valid UTF-8; a backup must keep it exactly too.
        db.execute("INSERT INTO note VALUES (?, CAST(X'C3FF' AS TEXT), NULL, NULL, NULL)", [notes + 1])
    db.close()
    return Database("sqlite", path=path)


def _all_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, and each table's schema, read independently of the backup module."""
    with sqlite3.connect(path) as db:
        schema = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        tables = [name for kind, name, _ in schema if kind == "table"]
        found: dict[str, list[tuple[Any, ...]]] = {"(schema)": schema}
        db.text_factory = bytes  # text as stored, valid UTF-8 or not
        for name in tables:
            found[name] = sorted(db.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
    db.close()
    return found


def _chunk_spans(data: bytes) -> list[tuple[int, int]]:
    """Where each chunk lies in a backup file, from the documented layout (not from the module's reader)."""
    (header_length,) = struct.unpack(">I", data[len(backup.MAGIC) : len(backup.MAGIC) + 4])
    position = len(backup.MAGIC) + 4 + header_length + backup.TAG_BYTES
    spans = []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        spans.append((position, position + 4 + length))
        position += 4 + length
    return spans


@pytest.fixture
def made(tmp_path: Path) -> tuple[Path, bytes, Database]:
    """A backup, in small chunks so that there are many, of a small fictional database."""
    source = _fictional_database(tmp_path / "source.sqlite3")
    key = secrets.token_bytes(32)
    path = tmp_path / "made.rfbackup"
    summary = backup.create_backup(path, source, key, chunk_size=SMALL_CHUNKS)
    assert summary.chunks >= 6
    assert len(_chunk_spans(path.read_bytes())) == summary.chunks
    return path, key, source


# --- A round trip loses nothing ---------------------------------------------------------------


def test_a_small_round_trip_restores_every_row_and_the_file_is_private(made, tmp_path):
    path, key, source = made
    assert path.stat().st_mode & 0o777 == 0o600
    target = Database("sqlite", path=tmp_path / "restored" / "db.sqlite3")
    summary = backup.restore_backup(path, key, target)
    assert (summary.tables, summary.rows) == (2, 403)
    assert _all_rows(target.path) == _all_rows(source.path)
    assert target.path.stat().st_mode & 0o777 == 0o600
    assert sorted(item.name for item in target.path.parent.iterdir()) == ["db.sqlite3"]


SETUP_SCRIPT = textwrap.dedent(
    """
    import datetime as dt, json, sys
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from rightsfirst.web import audit, workflow
    from rightsfirst.web.models import Agency, Membership

    adult_situation, child_situation = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    shelter = Agency.objects.create(name="Fictional Shelter", kind="shelter")
    legal = Agency.objects.create(name="Fictional Legal Aid", kind="legal_aid")

    def member(name, role):
        user = get_user_model().objects.create_user(username=name, password="a long fictional passphrase")
        Membership.objects.create(user=user, agency=shelter, role=role)
        return user

    worker, guardian, coordinator = member("worker", "case_worker"), member("guardian", "guardian"), member(
        "coordinator", "coordinator")
    today = workflow.today()
    adult = workflow.create_case(worker, {"given_names": "Orlaith Fictive", "family_name": "Brannagh",
        "phone": "+000 555 0199"}, today - dt.timedelta(days=12), sex="female", nationality="XX")
    workflow.screen(worker, adult, adult_situation)
    workflow.record_measure(coordinator, adult, "support_offer", {"service": "shelter",
        "conditional_on_testimony": True}, today, override_justification="Fictional court order pending appeal")
    workflow.record_service(worker, adult, "safe_shelter", "offered", today)
    workflow.update_identity(worker, adult, {"given_names": "Orlaith Fictive", "family_name": "Brannagh-Odell",
        "phone": "+000 555 0199"}, reason="Spelling corrected after the interview")
    child = workflow.create_case(worker, {"given_names": "Tamsin", "family_name": "Quorvale"},
        today - dt.timedelta(days=3), sex="female", nationality="YY")
    workflow.screen(worker, child, child_situation)
    consent = workflow.record_consent(worker, child, agreed_to="Share the case with legal aid", purpose="referral",
        information_language="en", given_by="guardian", given_on=today)
    workflow.record_measure(guardian, child, "best_interests_determination", {"conducted": True,
        "child_views_heard": True, "multidisciplinary": True, "purpose": "care"}, today)
    workflow.refer(worker, child, legal, consent, "legal help")
    workflow.withdraw_consent(worker, child, consent, today)
    audit.record(worker, "case.search", target="fictional search")
    from django.db import connection
    connection.close()
    print(json.dumps({adult.reference: "Brannagh-Odell", child.reference: "Quorvale"}))
    """
)

CHECK_SCRIPT = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from rightsfirst.web import audit
    from rightsfirst.web.models import AuditEvent, Case, Consent, Measure, Referral, Screening
    print(json.dumps({
        "families": {case.reference: case.person.identity(case)["family_name"] for case in Case.objects.all()},
        "audit_problems": [item.problem for item in audit.verify()],
        "counts": [model.objects.count() for model in (Case, Screening, Measure, Consent, Referral, AuditEvent)],
    }))
    """
)


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300, check=False)


def _environment(data_dir: Path, keys: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rightsfirst.web.settings", "RIGHTSFIRST_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    env.update(keys)
    return env


def test_sqlite_round_trip_through_the_command_line_keeps_every_row_identity_and_the_audit_chain(tmp_path):
    keys = {
        "RIGHTSFIRST_MASTER_KEY": _b64(secrets.token_bytes(32)),
        "RIGHTSFIRST_AUDIT_KEY": _b64(secrets.token_bytes(32)),
        "RIGHTSFIRST_BACKUP_KEY": _b64(secrets.token_bytes(32)),
        "DJANGO_SECRET_KEY": "fictional-test-secret-" + secrets.token_hex(16),
    }
    first, second = _environment(tmp_path / "first", keys), _environment(tmp_path / "second", keys)
    made = _run(
        [sys.executable, "-c", SETUP_SCRIPT, json.dumps(ADULT_SITUATION), json.dumps(CHILD_UNCERTAIN_AGE)], first
    )
    assert made.returncode == 0, made.stderr
    families = json.loads(made.stdout.strip().splitlines()[-1])
    rightsfirst = [sys.executable, "-m", "rightsfirst.cli"]
    file = tmp_path / "backups" / "cases.rfbackup"
    file.parent.mkdir()

    created = _run([*rightsfirst, "backup", "create", str(file)], first)
    assert created.returncode == 0, created.stderr
    assert "holds no key" in created.stdout
    verified = _run([*rightsfirst, "backup", "verify", "--deep", str(file)], first)
    assert verified.returncode == 0, verified.stderr
    assert "every table matches the manifest" in verified.stdout

    restored = _run([*rightsfirst, "restore", str(file)], second)
    assert restored.returncode == 0, restored.stderr
    assert "Audit log intact" in restored.stdout
    assert "Identities: 2, all under the configured master key" in restored.stdout
    original = _all_rows(tmp_path / "first" / "rightsfirst.sqlite3")
    assert _all_rows(tmp_path / "second" / "rightsfirst.sqlite3") == original
    for table in ("casework_person", "casework_screening", "casework_measure", "casework_consent", "casework_referral"):
        assert original[table], f"the fictional data has no {table} rows: the round trip would prove little"

    checked = _run([sys.executable, "-c", CHECK_SCRIPT], second)
    assert checked.returncode == 0, checked.stderr
    result = json.loads(checked.stdout.strip().splitlines()[-1])
    assert result["families"] == families
    assert result["audit_problems"] == []
    assert all(result["counts"]) and result["counts"][-1] >= 10

    # The backup holds no key, and no identity in clear, even once decrypted.
    with backup.open_backup(file, base64.b64decode(keys["RIGHTSFIRST_BACKUP_KEY"])) as opened:
        plaintext = b"".join(opened.payload)
    assert b"casework_person" in plaintext
    for secret in (keys["RIGHTSFIRST_MASTER_KEY"], keys["RIGHTSFIRST_AUDIT_KEY"], keys["RIGHTSFIRST_BACKUP_KEY"]):
        assert secret.encode() not in plaintext
        assert base64.b64decode(secret) not in plaintext
    for name in ("Brannagh", "Quorvale", "Orlaith"):
        assert name.encode() not in plaintext
        assert name.encode() not in file.read_bytes()

    # A database that holds data is not replaced without --force, which says what it replaces.
    again = _run([*rightsfirst, "restore", str(file)], second)
    assert again.returncode == backup.EXIT_REFUSED
    assert "is not empty" in again.stderr and "--force" in again.stderr
    assert "Traceback" not in again.stderr and len(again.stderr.strip().splitlines()) == 1
    forced = _run([*rightsfirst, "backup", "restore", "--force", str(file)], second)
    assert forced.returncode == 0, forced.stderr
    tables, rows = len(original) - 1, sum(len(found) for name, found in original.items() if name != "(schema)")
    assert f"all {tables} tables holding {rows} rows" in forced.stdout
    assert "will be dropped and replaced by the backup" in forced.stdout
    assert _all_rows(tmp_path / "second" / "rightsfirst.sqlite3") == original


# --- Tampering, truncation, wrong keys: refused, and nothing restored --------------------------


def _flip_inside_chunk_3(data: bytes) -> bytes:
    start, end = _chunk_spans(data)[2]
    changed = bytearray(data)
    changed[(start + end) // 2] ^= 0x01
    return bytes(changed)


def _flip_last_tag(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[-1] ^= 0x80
    return bytes(changed)


def _cut_inside_chunk_4(data: bytes) -> bytes:
    start, end = _chunk_spans(data)[3]
    return data[: (start + end) // 2]


def _drop_final_chunk(data: bytes) -> bytes:
    return data[: _chunk_spans(data)[-1][0]]


def _swap_chunks_2_and_3(data: bytes) -> bytes:
    (a_start, a_end), (b_start, b_end) = _chunk_spans(data)[1:3]
    return data[:a_start] + data[b_start:b_end] + data[a_start:a_end] + data[b_end:]


def _remove_chunk_2(data: bytes) -> bytes:
    start, end = _chunk_spans(data)[1]
    return data[:start] + data[end:]


def _append_bytes(data: bytes) -> bytes:
    return data + b"\x00\x00\x00\x10" + b"\x00" * 16


def _edit_header_time(data: bytes) -> bytes:
    start = data.index(b'"created":"') + len(b'"created":"')
    year = data[start : start + 4]
    return data[:start] + str(int(year) - 1).encode() + data[start + 4 :]


def _edit_header_version(data: bytes) -> bytes:
    return data.replace(b'"version":1', b'"version":2', 1)


TAMPERED: list[tuple[Callable[[bytes], bytes], type[Exception], str]] = [
    (_flip_inside_chunk_3, BackupDamaged, "altered: chunk 3 fails authentication"),
    (_flip_last_tag, BackupDamaged, "fails authentication"),
    (_cut_inside_chunk_4, BackupDamaged, "truncated: the file ends inside chunk 4"),
    (_drop_final_chunk, BackupDamaged, "truncated: the file ends after chunk"),
    (_swap_chunks_2_and_3, BackupDamaged, "altered: chunk 2 fails authentication"),
    (_remove_chunk_2, BackupDamaged, "altered: chunk 2 fails authentication"),
    (_append_bytes, BackupDamaged, "bytes after the final chunk"),
    (_edit_header_time, BackupDamaged, "altered: the header fails authentication"),
    (_edit_header_version, BackupRefused, "unknown backup format version 2"),
    (lambda data: b"SQLite format 3\x00" + data[16:], BackupRefused, "not a Rightsfirst backup"),
    (lambda data: b"", BackupRefused, "not a Rightsfirst backup"),
    (lambda data: data[:30], BackupDamaged, "truncated: the file ends inside its header"),
]


@pytest.mark.parametrize(("tamper", "error", "message"), TAMPERED, ids=[item[2][:40] for item in TAMPERED])
def test_a_tampered_backup_is_refused_with_its_reason_and_restores_nothing(made, tmp_path, tamper, error, message):
    path, key, _ = made
    tampered = tmp_path / "tampered.rfbackup"
    tampered.write_bytes(tamper(path.read_bytes()))
    with pytest.raises(error, match=message):
        backup.verify_backup(tampered, key)
    target_directory = tmp_path / "target"
    with pytest.raises(error, match=message):
        backup.restore_backup(tampered, key, Database("sqlite", path=target_directory / "db.sqlite3"))
    # Nothing half-restored: no database, no temporary file left behind.
    assert not target_directory.exists() or list(target_directory.iterdir()) == []


def test_a_chunk_from_another_backup_made_with_the_same_key_is_refused(made, tmp_path):
    path, key, source = made
    other = tmp_path / "other.rfbackup"
    backup.create_backup(other, source, key, chunk_size=SMALL_CHUNKS)
    data, foreign = path.read_bytes(), other.read_bytes()
    (start, end), (f_start, f_end) = _chunk_spans(data)[2], _chunk_spans(foreign)[2]
    spliced = tmp_path / "spliced.rfbackup"
    spliced.write_bytes(data[:start] + foreign[f_start:f_end] + data[end:])
    with pytest.raises(BackupDamaged, match="altered: chunk 3"):
        backup.verify_backup(spliced, key)


def test_a_wrong_key_is_named_and_an_edited_key_id_does_not_help(made, tmp_path):
    path, key, _ = made
    wrong = secrets.token_bytes(32)
    with pytest.raises(BackupRefused, match=f"wrong key: the backup was made with backup key id {backup.key_id(key)}"):
        backup.verify_backup(path, wrong)
    # Pretending the file was made with the other key: the header then fails authentication.
    forged = tmp_path / "forged.rfbackup"
    forged.write_bytes(path.read_bytes().replace(backup.key_id(key).encode(), backup.key_id(wrong).encode()))
    with pytest.raises(BackupDamaged, match="header fails authentication"):
        backup.verify_backup(forged, wrong)
    with pytest.raises(BackupRefused, match="wrong key"):
        backup.restore_backup(path, wrong, Database("sqlite", path=tmp_path / "never.sqlite3"))
    assert not (tmp_path / "never.sqlite3").exists()


@pytest.mark.parametrize(
    ("tamper", "code", "message"),
    [
        (_flip_inside_chunk_3, backup.EXIT_DAMAGED, "altered: chunk 3"),
        (_cut_inside_chunk_4, backup.EXIT_DAMAGED, "truncated"),
        (lambda data: b"not a backup at all", backup.EXIT_REFUSED, "not a Rightsfirst backup"),
    ],
)
def test_the_command_line_says_what_is_wrong_in_one_line_with_its_exit_code(
    made, tmp_path, monkeypatch, capsys, tamper, code, message
):
    path, key, _ = made
    tampered = tmp_path / "tampered.rfbackup"
    tampered.write_bytes(tamper(path.read_bytes()))
    monkeypatch.setenv("RIGHTSFIRST_BACKUP_KEY", _b64(key))
    with pytest.raises(SystemExit) as exited:
        cli.main(["backup", "verify", str(tampered)])
    assert exited.value.code == code
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in errors[0]
    monkeypatch.setenv("RIGHTSFIRST_BACKUP_KEY", _b64(secrets.token_bytes(32)))
    with pytest.raises(SystemExit) as exited:
        cli.main(["backup", "verify", str(path)])
    assert exited.value.code == backup.EXIT_REFUSED
    assert "wrong key" in capsys.readouterr().err


def test_the_command_verifies_an_intact_backup(made, monkeypatch):
    path, key, _ = made
    monkeypatch.setenv("RIGHTSFIRST_BACKUP_KEY", _b64(key))
    out = _call("verify", str(path))
    assert "intact" in out and "2 tables, 403 rows" in out and backup.key_id(key) in out


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("backup", *args, stdout=out)
    return out.getvalue()


def test_a_restore_that_would_not_match_its_manifest_fails_loudly_and_changes_nothing(tmp_path, monkeypatch):
    source = _fictional_database(tmp_path / "source.sqlite3")
    real = backup.sqlite_manifest

    def drifted(path: Path) -> backup.Manifest:
        manifest = real(path)
        manifest["tables"]["note"]["sha256"] = "0" * 64
        return manifest

    # A manifest that does not describe the data (what a faulty snapshot would produce).
    monkeypatch.setattr(backup, "sqlite_manifest", drifted)
    key = secrets.token_bytes(32)
    backup.create_backup(tmp_path / "drifted.rfbackup", source, key)
    monkeypatch.setattr(backup, "sqlite_manifest", real)
    target = tmp_path / "target" / "db.sqlite3"
    with pytest.raises(BackupDamaged, match="differs from the backup's manifest: table note has the same 401 rows"):
        backup.restore_backup(tmp_path / "drifted.rfbackup", key, Database("sqlite", path=target))
    assert not target.exists()
    with pytest.raises(BackupDamaged, match="table note"):
        backup.verify_backup(tmp_path / "drifted.rfbackup", key, deep=True, work_dir=tmp_path)


def test_a_backup_never_overwrites_a_file_and_leaves_nothing_when_refused(made, tmp_path):
    path, key, source = made
    before = path.read_bytes()
    with pytest.raises(BackupRefused, match="already exists"):
        backup.create_backup(path, source, key)
    assert path.read_bytes() == before
    with pytest.raises(BackupRefused, match="no SQLite database"):
        backup.create_backup(tmp_path / "new.rfbackup", Database("sqlite", path=tmp_path / "none.sqlite3"), key)
    assert not (tmp_path / "none.sqlite3").exists()
    assert not [item for item in tmp_path.iterdir() if item.name.endswith(".partial") or "new.rfbackup" in item.name]


def test_restore_refuses_a_database_with_data_and_force_says_what_it_replaces(made, tmp_path):
    path, key, source = made
    target = _fictional_database(tmp_path / "busy.sqlite3", notes=5)
    before = _all_rows(target.path)
    with pytest.raises(BackupRefused, match=r"is not empty \(2 tables holding 8 rows.*--force"):
        backup.restore_backup(path, key, target)
    assert _all_rows(target.path) == before
    said: list[str] = []
    backup.restore_backup(path, key, target, force=True, notify=said.append)
    assert said == [
        f"the SQLite database {target.path}: all 2 tables holding 8 rows (note 6, tag 2 ...) will be "
        "dropped and replaced by the backup"
    ]
    assert _all_rows(target.path) == _all_rows(source.path)


def test_a_backup_of_one_vendor_is_not_restored_into_another(made):
    path, key, _ = made
    with pytest.raises(BackupRefused, match="backup of a sqlite database"):
        backup.restore_backup(path, key, Database("postgresql", params={"dbname": "never_connected"}))


# --- Keys ------------------------------------------------------------------------------------


def test_the_backup_key_file_is_created_once_private_and_never_by_verify_or_restore(settings, tmp_path):
    key_file = Path(settings.RIGHTSFIRST_BACKUP_KEY_FILE)
    with pytest.raises(BackupRefused, match="no backup key"):
        backup.load_backup_key(create=False)
    assert not key_file.exists()
    made = backup.load_backup_key(create=True)
    assert made.created and key_file.stat().st_mode & 0o777 == 0o600
    again = backup.load_backup_key(create=False)
    assert not again.created and again.key == made.key and again.id == made.id


def test_the_backup_key_must_differ_from_the_master_and_audit_keys(settings, monkeypatch):
    shared = secrets.token_bytes(32)
    monkeypatch.setenv("RIGHTSFIRST_BACKUP_KEY", _b64(shared))
    Path(settings.RIGHTSFIRST_MASTER_KEY_FILE).write_text(_b64(shared) + "\n")
    with pytest.raises(BackupRefused, match="same as the master key"):
        backup.load_backup_key(create=True)
    Path(settings.RIGHTSFIRST_MASTER_KEY_FILE).write_text(_b64(secrets.token_bytes(32)) + "\n")
    monkeypatch.setenv("RIGHTSFIRST_AUDIT_KEY", _b64(shared))
    with pytest.raises(BackupRefused, match="same as the audit key"):
        backup.load_backup_key(create=True)
    monkeypatch.setenv("RIGHTSFIRST_AUDIT_KEY", _b64(secrets.token_bytes(32)))
    assert backup.load_backup_key(create=True).key == shared
    monkeypatch.setenv("RIGHTSFIRST_BACKUP_KEY", _b64(b"short"))
    with pytest.raises(BackupRefused, match="must be 32 bytes"):
        backup.load_backup_key(create=True)


# --- A consistent snapshot while the application writes ----------------------------------------


def test_a_backup_taken_while_another_thread_writes_restores_to_a_consistent_database(tmp_path):
    live = tmp_path / "live.sqlite3"
    with sqlite3.connect(live) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE entry (id INTEGER PRIMARY KEY, amount INTEGER, filler BLOB)")
        db.execute("CREATE TABLE total (id INTEGER PRIMARY KEY CHECK (id = 1), amount INTEGER, entries INTEGER)")
        db.executemany("INSERT INTO entry VALUES (?, 1, ?)", [(i, bytes(2048)) for i in range(1, 4001)])
        db.execute("INSERT INTO total VALUES (1, 4000, 4000)")
    db.close()
    stop, written = threading.Event(), [0]

    def writer() -> None:
        # Each transaction adds an entry and updates the total: a consistent database has them agree.
        db = sqlite3.connect(live, timeout=30)
        while not stop.is_set():
            with db:
                db.execute("INSERT INTO entry (amount, filler) VALUES (3, ?)", [bytes(2048)])
                db.execute("UPDATE total SET amount = amount + 3, entries = entries + 1")
            written[0] += 1
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 20:
            stop.wait(0.01)
        started = written[0]
        key = secrets.token_bytes(32)
        backup.create_backup(tmp_path / "live.rfbackup", Database("sqlite", path=live), key)
        finished = written[0]
    finally:
        stop.set()
        thread.join()
    assert finished > started, "the writer was blocked during the backup"
    restored = tmp_path / "restored.sqlite3"
    backup.restore_backup(tmp_path / "live.rfbackup", key, Database("sqlite", path=restored))
    with sqlite3.connect(restored) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        entries, amount = db.execute("SELECT count(*), sum(amount) FROM entry").fetchone()
        assert db.execute("SELECT entries, amount FROM total").fetchone() == (entries, amount)
    db.close()
    assert 4000 + started <= entries <= 4000 + finished


# --- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture
def postgres(transactional_db: Any) -> Database:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: run with DATABASE_URL=postgres://... (the CI's PostgreSQL leg does)")
    if not (shutil.which("pg_dump") and shutil.which("psql")):
        pytest.skip("the PostgreSQL client tools (pg_dump, psql) are not installed")
    return backup.database_from_settings(connection.settings_dict)


@pytest.fixture
def second_database(postgres: Database):
    """An empty database on the same server, dropped afterwards."""
    from psycopg import sql

    name = f"{postgres.params['dbname']}_restore_{secrets.token_hex(4)}"[:63]
    with backup._pg_connect(postgres, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield postgres.with_dbname(name)
    finally:
        with backup._pg_connect(postgres, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _pg_rows(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read directly (not through the manifest)."""
    with backup._pg_connect(database) as db:
        tables = db.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1, 2"
        ).fetchall()
        return {
            name: sorted(db.execute(f'SELECT * FROM "{schema}"."{name}"').fetchall(), key=repr)
            for schema, name in tables
        }


def _with_default_database(name: str, action: Callable[[], Any]) -> Any:
    """Run `action` with Django's default connection pointed at another database of the same server."""
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        return action()
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


def test_postgres_round_trip_into_a_second_database_keeps_every_row_identity_and_audit_chain(
    postgres, second_database, make_case, users, agencies, tmp_path, monkeypatch
):
    adult = make_case(ADULT_SITUATION, family_name="Brannagh")
    child = make_case(CHILD_UNCERTAIN_AGE, family_name="Quorvale")
    consent = workflow.record_consent(
        users["case_worker"],
        child,
        agreed_to="Share the case with legal aid",
        purpose="referral",
        information_language="en",
        given_by="guardian",
        given_on=workflow.today(),
    )
    workflow.record_measure(
        users["guardian"],
        child,
        "best_interests_determination",
        {"conducted": True, "child_views_heard": True, "multidisciplinary": True, "purpose": "care"},
        workflow.today(),
    )
    workflow.refer(users["case_worker"], child, agencies["legal"], consent, "legal help")
    workflow.record_service(users["case_worker"], adult, "safe_shelter", "offered", workflow.today())
    key = secrets.token_bytes(32)
    file = tmp_path / "pg.rfbackup"
    made = backup.create_backup(file, postgres, key)
    assert made.header["vendor"] == "postgresql" and made.header["payload"] == "pg_dump-plain"
    deep = backup.verify_backup(file, key, deep=True, server=postgres)
    assert deep.deep and deep.rows == made.rows

    monkeypatch.setenv("RIGHTSFIRST_BACKUP_KEY", _b64(key))
    out = _with_default_database(second_database.params["dbname"], lambda: _call("restore", str(file)))
    assert "every table matches the backup's manifest" in out
    assert "Audit log intact" in out and "Identities: 2, all under the configured master key" in out
    original = _pg_rows(postgres)
    assert _pg_rows(second_database) == original
    assert original["casework_referral"] and original["casework_consent"] and len(original["casework_auditevent"]) >= 8

    with backup._pg_connect(second_database) as db:
        people = db.execute(
            "SELECT p.id, p.family_name_sealed, c.wrapped_data_key, c.master_key_id, c.reference"
            " FROM casework_person p JOIN casework_case c ON c.person_id = p.id"
        ).fetchall()
    names = set()
    for person_id, sealed, wrapped, master_id, reference in people:
        data_key = crypto.unwrap_data_key(bytes(wrapped), Case.owner_for(reference), master_id)
        names.add(crypto.open_text(data_key, "casework_person", "family_name", str(person_id), bytes(sealed)))
    assert names == {"Brannagh", "Quorvale"}

    # Not over data without --force; with it, said and done in one transaction.
    with pytest.raises(CommandError, match="is not empty") as refused:
        _with_default_database(second_database.params["dbname"], lambda: _call("restore", str(file)))
    assert refused.value.returncode == backup.EXIT_REFUSED
    out = _with_default_database(second_database.params["dbname"], lambda: _call("restore", "--force", str(file)))
    assert f"holding {sum(len(rows) for rows in original.values())} rows" in out
    assert "will be dropped and replaced by the backup" in out
    assert _pg_rows(second_database) == original


def test_postgres_restore_that_stops_half_way_changes_nothing(postgres, second_database):
    with backup._pg_connect(second_database, autocommit=True) as db:
        db.execute("CREATE TABLE kept (id integer PRIMARY KEY); INSERT INTO kept VALUES (7)")

    def payload_that_breaks():
        yield b"CREATE TABLE half_restored (id integer);\nINSERT INTO half_restored VALUES (1);\n"
        raise BackupDamaged("altered: chunk 2 fails authentication")

    # psql would commit at the end of its input: it must be stopped before it sees one.
    with pytest.raises(BackupDamaged):
        backup._psql_restore(second_database, payload_that_breaks(), ["DROP TABLE kept CASCADE;"])
    with backup._pg_connect(second_database) as db:
        assert db.execute("SELECT id FROM kept").fetchall() == [(7,)]
        assert db.execute("SELECT to_regclass('public.half_restored')").fetchone() == (None,)


def test_postgres_restore_counts_and_replaces_functions_types_and_collations_not_only_tables(
    postgres, second_database, make_case, tmp_path
):
    from psycopg.errors import RestrictViolation

    make_case(ADULT_SITUATION)
    key = secrets.token_bytes(32)
    file = tmp_path / "pg.rfbackup"
    backup.create_backup(file, postgres, key)
    # No table at all, but objects a plain dump creates without OR REPLACE: among them the audit
    # log's trigger function, which every migrated database holds (the backup holds it too).
    leftovers = (
        "public.casework_auditevent_refuse_change()",
        "public.leftover_mood",
        "public.leftover_count",
        "public.leftover_order",
    )
    with backup._pg_connect(second_database, autocommit=True) as db:
        db.execute(
            "CREATE FUNCTION casework_auditevent_refuse_change() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NULL; END; $$"
        )
        db.execute("CREATE TYPE leftover_mood AS ENUM ('calm')")
        db.execute("CREATE DOMAIN leftover_count AS integer CHECK (VALUE >= 0)")
        db.execute("CREATE COLLATION leftover_order (provider = icu, locale = 'und')")
    with pytest.raises(BackupRefused, match="is not empty") as refused:
        backup.restore_backup(file, key, second_database)
    assert "4 tables, views, sequences, functions, types or collations holding 0 rows" in str(refused.value)
    assert all(name in str(refused.value) for name in leftovers)

    said: list[str] = []
    backup.restore_backup(file, key, second_database, force=True, notify=said.append)
    assert len(said) == 1 and all(name in said[0] for name in leftovers)
    assert _pg_rows(second_database) == _pg_rows(postgres)
    with backup._pg_connect(second_database) as db:
        assert db.execute(
            "SELECT to_regtype('public.leftover_mood'), to_regtype('public.leftover_count'), "
            "(SELECT count(*) FROM pg_collation WHERE collname = 'leftover_order')"
        ).fetchone() == (None, None, 0)
        # The function now is the backup's, which refuses a change to an audit entry.
        (source,) = db.execute(
            "SELECT prosrc FROM pg_proc WHERE proname = 'casework_auditevent_refuse_change'"
        ).fetchone()
        assert "append-only" in source
        with pytest.raises(RestrictViolation):
            db.execute("DELETE FROM casework_auditevent")


def test_a_damaged_postgres_backup_is_refused_before_the_database_is_touched(
    postgres, second_database, make_case, tmp_path
):
    make_case(ADULT_SITUATION)
    key = secrets.token_bytes(32)
    file = tmp_path / "pg.rfbackup"
    backup.create_backup(file, postgres, key, chunk_size=SMALL_CHUNKS)
    data = file.read_bytes()
    file.write_bytes(data[: _chunk_spans(data)[-1][0]])
    with backup._pg_connect(second_database, autocommit=True) as db:
        db.execute("CREATE TABLE kept (id integer PRIMARY KEY); INSERT INTO kept VALUES (7)")
    with pytest.raises(BackupDamaged, match="truncated"):
        backup.restore_backup(file, key, second_database, force=True)
    with backup._pg_connect(second_database) as db:
        assert db.execute("SELECT id FROM kept").fetchall() == [(7,)]


PLANTED = ("Quillonah", "Vexbridge", "ZZ9PLURALZ", "+000 777 4242")


def test_a_postgres_dump_and_the_backup_hold_no_planted_name_in_clear(postgres, make_case, users, tmp_path):
    case = make_case(
        ADULT_SITUATION,
        given_names="Quillonah",
        family_name="Vexbridge",
        identity_documents="ZZ9PLURALZ",
        phone="+000 777 4242",
    )
    other = make_case(family_name="Placeholder")
    workflow.update_identity(
        users["case_worker"], other, {"given_names": "Quillonah", "family_name": "Vexbridge"}, "Fictional correction"
    )
    assert case.person.identity(case)["family_name"] == "Vexbridge"
    dumped = subprocess.run(
        [shutil.which("pg_dump") or "pg_dump", "--format=plain", "--no-password"],
        env=backup._pg_environment(postgres),
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert dumped.returncode == 0, dumped.stderr
    dump = dumped.stdout
    # The dump does hold the data (else finding nothing would prove nothing).
    assert b"Fictional Shelter" in dump and case.reference.encode() in dump
    key = secrets.token_bytes(32)
    file = tmp_path / "pg.rfbackup"
    backup.create_backup(file, postgres, key)
    with backup.open_backup(file, key) as opened:
        decrypted = b"".join(opened.payload)
    assert case.reference.encode() in decrypted
    for planted in PLANTED:
        # As text, as UTF-16, and as the hex a bytea column is dumped in.
        for needle in (planted.encode(), planted.encode("utf-16-le"), planted.encode().hex().encode()):
            assert needle not in dump, f"{planted!r} found in clear in the pg_dump output"
            assert needle not in file.read_bytes(), f"{planted!r} found in clear in the backup"
            assert needle not in decrypted, f"{planted!r} found in the decrypted backup"
