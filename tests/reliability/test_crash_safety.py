"""Crash safety: kill the server mid-load and lose nothing it acknowledged.

Gunicorn serves the application (as `make run` does) on a fresh data directory with the demo
logins and a few fictional cases. Several client threads record screenings through the REST API
with a case worker's token, each keeping the case reference and screening number of every
write the server acknowledged (201). After a few seconds the whole server process group is
killed with SIGKILL, in the middle of the load. The server is started again on the same data
and then:

- every acknowledged screening is there (read back through the restarted server's API, and
  from the database);
- every screening written under load has exactly one audit entry, and every such entry its
  screening (an act and its audit entry are one transaction, so a crash keeps both or neither);
- the audit chain verifies (`rightsfirst audit verify`);
- SQLite: `PRAGMA integrity_check` and `PRAGMA foreign_key_check` are clean;
  PostgreSQL: fsync, full_page_writes and synchronous_commit are on, and amcheck (when the
  server has it) finds every index consistent with its table.

This is repeated for several rounds on each database. Slow (about 20 s a database), so it is
marked `slow` and left out of `make test`; `make crash-test` and CI run it.

A killed process is not a power cut: SQLite's committed pages are in the operating system's
cache when the process dies, whatever `synchronous` says. What protects acknowledged writes
from a power cut is `synchronous=FULL` (tests/web/test_sqlite_pragmas.py) and, on PostgreSQL,
the server settings this test asserts.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
ROUNDS = int(os.environ.get("RIGHTSFIRST_CRASH_ROUNDS", "3"))
CLIENT_THREADS = 6
CASES = 12
# The kill comes at a random moment in this window (seconds after the load started).
KILL_AFTER = (2.0, 4.0)
# The server gets its own data directory and keys, never the caller's.
INHERITED_NOT = (
    "DATABASE_URL",
    "RIGHTSFIRST_DEBUG",
    "RIGHTSFIRST_MASTER_KEY",
    "RIGHTSFIRST_AUDIT_KEY",
    "DJANGO_SECRET_KEY",
)
POSTGRES_BASE_URL = os.environ.get("RIGHTSFIRST_CI_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

SITUATIONS = (
    {
        "person": {"age": 30, "non_national": True},
        "actions": ["recruitment", "transportation"],
        "means": ["deception"],
        "purposes": ["forced_labour"],
    },
    {"person": {"age": 16}, "actions": ["recruitment"], "purposes": ["sexual_exploitation"]},
    {"person": {"age": 41}, "actions": ["harbouring"], "means": [], "purposes": ["forced_labour"]},
)

# Fictional cases for the case worker (who may screen them), written through the workflow so
# that each has its audit entry like any other case.
SEED_SCRIPT = """
import datetime as dt, sys
import django
django.setup()
from rightsfirst.web import demo, workflow
worker = demo.demo_users()["case_worker"]
for number in range(int(sys.argv[1])):
    identity = {"given_names": "Fictional", "family_name": f"Person {number}", "phone": "+000 555 0199"}
    case = workflow.create_case(worker, identity, workflow.today() - dt.timedelta(days=3), nationality="XX")
    print(case.reference)
"""

# Run after each restart, on the same data: what the database itself says.
CHECK_SCRIPT = """
import json, re, sys
import django
django.setup()
from django.db import connection
from rightsfirst.web.models import AuditEvent, Screening

acked = {tuple(item) for item in json.load(open(sys.argv[1]))}
references = json.load(open(sys.argv[2]))
stored = set(Screening.objects.filter(case__reference__in=references).values_list("case__reference", "number"))
audited = {}
for reference, target in AuditEvent.objects.filter(
    action="screening.record", case_reference__in=references
).values_list("case_reference", "target"):
    key = (reference, int(re.match(r"screening (\\d+):", target).group(1)))
    audited[key] = audited.get(key, 0) + 1
report = {
    "missing": sorted(acked - stored),
    "without_audit_entry": sorted(stored - set(audited)),
    "audit_entry_without_screening": sorted(set(audited) - stored),
    "audited_twice": sorted(key for key, count in audited.items() if count > 1),
    "stored": len(stored),
}
with connection.cursor() as cursor:
    if connection.vendor == "sqlite":
        cursor.execute("PRAGMA integrity_check")
        report["integrity_check"] = [row[0] for row in cursor.fetchall()]
        cursor.execute("PRAGMA foreign_key_check")
        report["foreign_key_check"] = [list(row) for row in cursor.fetchall()]
        cursor.execute("PRAGMA journal_mode")
        report["journal_mode"] = cursor.fetchone()[0]
    else:
        for name in ("fsync", "full_page_writes", "synchronous_commit"):
            cursor.execute(f"SHOW {name}")
            report[name] = cursor.fetchone()[0]
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'")
        if cursor.fetchone():
            cursor.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
            cursor.execute(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE a.amname = 'btree' AND n.nspname = 'public'"
            )
            indexes = [row[0] for row in cursor.fetchall()]
            for name in indexes:
                cursor.execute("SELECT bt_index_check(%s::regclass, true)", [name])
            report["amcheck_indexes"] = len(indexes)
        else:
            report["amcheck_indexes"] = "amcheck not available on this server"
print(json.dumps(report))
"""


@dataclass
class Load:
    """What the client threads saw in one round."""

    acknowledged: list[tuple[str, int]] = field(default_factory=list)
    in_flight: int = 0  # requests sent and not yet answered, at this moment
    unexpected: Counter[str] = field(default_factory=Counter)  # any answer but 201 is a failure
    lock: threading.Lock = field(default_factory=threading.Lock)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(port: int, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = connection.getresponse()
        payload = response.read()
        return response.status, json.loads(payload) if payload else None
    finally:
        connection.close()


class Server:
    """Gunicorn in a process group of its own, so that one SIGKILL takes master and workers."""

    def __init__(self, env: dict[str, str], data_dir: Path) -> None:
        self.env = env
        self.data_dir = data_dir
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.data_dir / f"gunicorn-{self.starts}.log", "wb")  # noqa: SIM115 (kept open by gunicorn)
        command = [str(BIN / "gunicorn"), "rightsfirst.web.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", "2", "--threads", "4", "--log-level", "warning"]
        self.process = subprocess.Popen(
            command, env=self.env, cwd=self.data_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}: {self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/api/openapi.json")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer within 60 s: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL to the whole process group: master and workers die at once, mid-request."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def log_tail(self) -> str:
        path = self.data_dir / f"gunicorn-{self.starts}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "rightsfirst"), "manage", *args], env=env, capture_output=True, text=True, timeout=300
    )


def _prepare(env: dict[str, str]) -> tuple[str, list[str]]:
    """Migrate, seed the logins and a few cases; returns an API token and the case references."""
    for args in (("migrate", "--noinput", "-v", "0"), ("seed_demo", "--no-cases")):
        done = _manage(env, *args)
        assert done.returncode == 0, f"{args[0]} failed: {done.stderr[-2000:]}"
    seeded = subprocess.run(
        [sys.executable, "-c", SEED_SCRIPT, str(CASES)], env=env, capture_output=True, text=True, timeout=300
    )
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    references = seeded.stdout.split()
    assert len(references) == CASES and all(re.fullmatch(r"RF-[0-9A-Z]{4}-[0-9A-Z]{4}", ref) for ref in references)
    issued = _manage(env, "issue_api_token", "case_worker", "--name", "crash-safety test load")
    assert issued.returncode == 0, issued.stderr[-2000:]
    return issued.stdout.strip(), references


def _client(port: int, token: str, references: list[str], seed: int, stop: threading.Event, load: Load) -> None:
    """Record screenings until told to stop; keep every acknowledged one."""
    rng = random.Random(seed)
    while not stop.is_set():
        reference = rng.choice(references)
        with load.lock:
            load.in_flight += 1
        try:
            status, body = _request(port, "POST", f"/api/cases/{reference}/screenings", token, rng.choice(SITUATIONS))
        except (OSError, http.client.HTTPException):
            # Refused, reset, or cut off by the kill: the server never acknowledged this write.
            with load.lock:
                load.in_flight -= 1
            time.sleep(0.05)
            continue
        with load.lock:
            load.in_flight -= 1
            if status == 201:
                load.acknowledged.append((reference, int(body["number"])))
            else:
                load.unexpected[f"{status}: {str(body)[:200]}"] += 1


def _run_load_and_kill(
    server: Server, token: str, references: list[str], rng: random.Random
) -> tuple[Load, float, int]:
    """Client threads write while the server is killed under them.

    Returns what they saw, when the kill came, and how many writes were in flight at that moment.
    """
    load = Load()
    stop = threading.Event()
    # Each thread screens its own cases: two screenings of one case at the same moment are not
    # what this test is about.
    threads = [
        threading.Thread(
            target=_client,
            args=(server.port, token, references[index::CLIENT_THREADS], rng.randrange(2**32), stop, load),
            daemon=True,
        )
        for index in range(CLIENT_THREADS)
    ]
    for thread in threads:
        thread.start()
    kill_after = rng.uniform(*KILL_AFTER)
    time.sleep(kill_after)
    with load.lock:
        acknowledged_before_kill, in_flight = len(load.acknowledged), load.in_flight
    server.kill()
    # Let the clients hit the dead server for a moment before they stop.
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert acknowledged_before_kill > 0, "no write was acknowledged before the kill: the load never ran"
    return load, kill_after, in_flight


def _stored_through_api(port: int, token: str, references: list[str]) -> set[tuple[str, int]]:
    stored = set()
    for reference in references:
        status, body = _request(port, "GET", f"/api/cases/{reference}/screenings", token)
        assert status == 200, (reference, status, body)
        stored.update((reference, int(item["number"])) for item in body)
    return stored


def _check_database(env: dict[str, str], data_dir: Path, acked: list[tuple[str, int]], refs: list[str]) -> Any:
    acked_file, refs_file = data_dir / "acknowledged.json", data_dir / "references.json"
    acked_file.write_text(json.dumps(acked))
    refs_file.write_text(json.dumps(refs))
    done = subprocess.run(
        [sys.executable, "-c", CHECK_SCRIPT, str(acked_file), str(refs_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _crash_rounds(env: dict[str, str], data_dir: Path, label: str) -> dict[str, Any]:
    """The test itself, on whichever database `env` points at."""
    started = time.perf_counter()
    token, references = _prepare(env)
    seed = int(os.environ.get("RIGHTSFIRST_CRASH_SEED", str(random.randrange(10**6))))
    rng = random.Random(seed)
    server = Server(env, data_dir)
    all_acked: list[tuple[str, int]] = []
    try:
        server.start()
        for round_number in range(1, ROUNDS + 1):
            load, kill_after, in_flight = _run_load_and_kill(server, token, references, rng)
            assert not load.unexpected, f"round {round_number}: answers other than 201: {dict(load.unexpected)}"
            all_acked.extend(load.acknowledged)
            # Every acknowledged write is a new screening number: if one had been lost, a later
            # write would have been given its number again.
            repeated = [key for key, count in Counter(all_acked).items() if count > 1]
            assert not repeated, f"round {round_number}: numbers acknowledged twice (a write was lost): {repeated}"

            server.start()  # same data directory, same database
            through_api = _stored_through_api(server.port, token, references)
            lost = sorted(set(all_acked) - through_api)
            assert not lost, f"round {round_number}: acknowledged but missing after the restart: {lost}"

            report = _check_database(env, data_dir, all_acked, references)
            assert report["missing"] == [], report
            assert report["without_audit_entry"] == [], report
            assert report["audit_entry_without_screening"] == [], report
            assert report["audited_twice"] == [], report
            if "integrity_check" in report:
                assert report["integrity_check"] == ["ok"], report
                assert report["foreign_key_check"] == [], report
                assert report["journal_mode"] == "wal", report
            else:
                assert (report["fsync"], report["full_page_writes"], report["synchronous_commit"]) == (
                    "on",
                    "on",
                    "on",
                ), report
            verified = _manage(env, "audit_verify")
            assert verified.returncode == 0, f"round {round_number}: {verified.stdout[-2000:]}"
            checked = (
                "integrity_check ok"
                if "integrity_check" in report
                else f"fsync, full_page_writes, synchronous_commit on; amcheck: {report['amcheck_indexes']} indexes"
            )
            print(
                f"{label} round {round_number}: killed after {kill_after:.1f} s with {in_flight} writes in flight; "
                f"{len(load.acknowledged)} acknowledged, 0 lost; "
                f"{report['stored'] - len(all_acked)} committed but never acknowledged (so far); "
                f"{checked}; {verified.stdout.strip()}",
                file=sys.stderr,
            )
    finally:
        server.stop()
    elapsed = time.perf_counter() - started
    summary = {
        "database": label,
        "rounds": ROUNDS,
        "acknowledged": len(all_acked),
        "lost": 0,
        "seconds": round(elapsed, 1),
        "seed": seed,
    }
    print(f"{label}: {json.dumps(summary)}", file=sys.stderr)
    return summary


def _environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in INHERITED_NOT}
    env.update(DJANGO_SETTINGS_MODULE="rightsfirst.web.settings", RIGHTSFIRST_DATA_DIR=str(data_dir))
    # One token writes as fast as the server acknowledges, far past the per-token request limit;
    # this test is about durability, and a 429 is not a write (the limit has its own tests).
    env["RIGHTSFIRST_API_RATE"] = "0"
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@pytest.fixture
def data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="rf-crash-") as name:
        yield Path(name)


def test_sqlite_keeps_every_acknowledged_write_through_repeated_kills(data_dir: Path) -> None:
    summary = _crash_rounds(_environment(data_dir, None), data_dir, "SQLite")
    assert summary["acknowledged"] > 0


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database of this test's own on the PostgreSQL server, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    base = POSTGRES_BASE_URL.replace("postgres://", "postgresql://", 1)
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_BASE_URL}: {error}")
    name = f"rf_crash_{os.getpid()}"
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urllib.parse.urlunsplit(urllib.parse.urlsplit(base)._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgresql_keeps_every_acknowledged_write_through_repeated_kills(data_dir: Path, postgres_url: str) -> None:
    summary = _crash_rounds(_environment(data_dir, postgres_url), data_dir, "PostgreSQL")
    assert summary["acknowledged"] > 0
