"""Load benchmark of the case-management application, served by gunicorn on loopback.

Seeds a fresh database (SQLite in a new data directory, or a new PostgreSQL database) with the
demo logins and N fictional cases, starts gunicorn, signs 20 simulated case workers in and lets
them work for a minute (benchmarks/locustfile.py: case list, search by reference, case page with
its rights panel, review of a proposed measure), while it samples the memory of the gunicorn
processes. Prints p50/p95/p99 per task, errors and peak memory, against the targets.

    python benchmarks/bench_web.py                          # 100,000 cases on SQLite
    python benchmarks/bench_web.py --database postgres      # the same on PostgreSQL
    python benchmarks/bench_web.py --cases 2000 --duration 20   # a quick look

PostgreSQL: a server on 127.0.0.1:5432 that lets `postgres` in without a password (override with
--postgres-url); the benchmark creates (and afterwards drops) its own database, rf_bench_<N>.

Targets at 100,000 cases: p95 at most 150 ms for each task, no errors, server memory at most 500 MB.
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
TASKS = ("case list", "search by reference", "case detail", "measure review")
TARGET_P95_MS = 150
TARGET_RSS_MB = 500
DEMO_PASSWORD = "demo-rightsfirst-2026"

# Run inside the seeded environment: a random sample of the cases the shelter holds (the ones
# the simulated case workers may open), and the row counts for the report.
SAMPLE_SCRIPT = """
import sys, django
django.setup()
from rightsfirst.web import demo
from rightsfirst.web.models import Case, Deadline, Measure
shelter = demo.demo_agencies()["shelter"]
refs = list(Case.objects.filter(holding_agency=shelter).order_by("?").values_list("reference", flat=True)[:2000])
open(sys.argv[1], "w").write("\\n".join(refs) + "\\n")
print(Case.objects.count(), Deadline.objects.count(), Measure.objects.count())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(command: list[str], env: dict[str, str], label: str, check: bool = True) -> float:
    """Run a step, echoing its output; returns how long it took."""
    print(f"== {label}: {' '.join([Path(command[0]).name, *command[1:]])}", flush=True)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=check)
    return time.perf_counter() - started


def postgres_database(base_url: str, name: str, create: bool) -> str:
    """Drop and (if `create`) create the benchmark's own database; returns its URL."""
    import psycopg

    if not re.fullmatch(r"rf_bench_[a-z0-9_]+", name):
        raise SystemExit("the benchmark only touches databases named rf_bench_...")
    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')
    parsed = urllib.parse.urlsplit(base_url)
    return urllib.parse.urlunsplit(parsed._replace(path=f"/{name}"))


def postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


class ServerSampler(threading.Thread):
    """Samples the gunicorn master and its workers every half second: summed RSS and CPU time.

    CPU time per request does not depend on how busy the rest of the machine is, so it
    compares runs on a shared machine better than response times do.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0
        self.cpu: list[tuple[float, float]] = []  # (time, CPU seconds so far)
        self.stopping = threading.Event()

    def sample(self) -> tuple[int, float]:
        rss, cpu = 0, 0.0
        for process in [self.process, *self.process.children(recursive=True)]:
            try:
                rss += process.memory_info().rss
                times = process.cpu_times()
                cpu += times.user + times.system
            except psutil.NoSuchProcess:
                continue
        return rss, cpu

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                rss, cpu = self.sample()
            except psutil.NoSuchProcess:
                return
            self.peak = max(self.peak, rss)
            self.cpu.append((time.time(), cpu))
            self.stopping.wait(0.5)

    def cpu_since(self, moment: float) -> float:
        """CPU seconds the server used from `moment` to the last sample."""
        after = [cpu for at, cpu in self.cpu if at >= moment]
        return after[-1] - after[0] if len(after) > 1 else float("nan")


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def warm_up(url: str, reference: str, rounds: int) -> None:
    """Sign in and open a few pages, so each worker has loaded the framework and its templates.

    A long-running server has done this long before anyone measures it.
    """
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(url + "/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    form = {"username": "case_worker", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    opener.open(url + "/login/", urllib.parse.urlencode(form).encode())
    for _ in range(rounds):
        for path in ("/cases/", f"/cases/{reference}/", f"/cases/{reference}/measures/new/support_offer/"):
            opener.open(url + path).read()


def read_stats(prefix: Path) -> dict[str, dict[str, Any]]:
    """Locust's summary CSV, by request name."""
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = row
    return rows


def read_exceptions(prefix: Path) -> list[str]:
    """Exceptions raised in the simulated users (a failed sign-in, for instance)."""
    path = Path(f"{prefix}_exceptions.csv")
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return [f"{row['Count']} x {row['Message']}" for row in csv.DictReader(handle)]


def number(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--duration", type=int, default=60, help="seconds measured after all have signed in (60)")
    parser.add_argument("--users", type=int, default=20, help="simulated users (default 20)")
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--app", default="rightsfirst.web.wsgi", help="the WSGI module gunicorn serves")
    parser.add_argument("--data-dir", type=Path, help="data directory (default: a new temporary one)")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reuse", action="store_true", help="use the data already in --data-dir (no seeding)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and database afterwards")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args()
    if args.reuse and args.data_dir is None:
        parser.error("--reuse needs --data-dir")

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="rf-bench-web-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "RIGHTSFIRST_DEBUG", "RIGHTSFIRST_MASTER_KEY", "DJANGO_SECRET_KEY")
    }
    env.update(DJANGO_SETTINGS_MODULE="rightsfirst.web.settings", RIGHTSFIRST_DATA_DIR=str(data_dir))
    db_name = f"rf_bench_{args.cases}"
    database_version = ""
    if args.database == "postgres":
        env["DATABASE_URL"] = (
            urllib.parse.urlunsplit(urllib.parse.urlsplit(args.postgres_url)._replace(path=f"/{db_name}"))
            if args.reuse
            else postgres_database(args.postgres_url, db_name, create=True)
        )
        database_version = "PostgreSQL " + postgres_version(env["DATABASE_URL"])
    else:
        import sqlite3

        database_version = "SQLite " + sqlite3.sqlite_version

    manage = [str(BIN / "rightsfirst"), "manage"]
    seed_seconds = None
    server = None
    sampler = None
    try:
        if not args.reuse:
            run([*manage, "migrate", "--noinput", "-v", "0"], env, "migrate")
            run([*manage, "seed_demo", "--no-cases"], env, "demo agencies and logins")
            seed_seconds = run([*manage, "seed_cases", "--cases", str(args.cases)], env, "seed cases")
        references = data_dir / "bench-references.txt"
        counted = subprocess.run(
            [sys.executable, "-c", SAMPLE_SCRIPT, str(references)], env=env, check=True, capture_output=True, text=True
        ).stdout.split()
        cases, deadlines, measures = (int(value) for value in counted[-3:])
        print(f"== {cases:,} cases, {deadlines:,} deadlines, {measures:,} measures ({database_version})", flush=True)

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        gunicorn = [str(BIN / "gunicorn"), args.app, "-b", f"127.0.0.1:{port}"]
        gunicorn += ["-w", str(args.workers), "--threads", str(args.threads), "--error-logfile", "-"]
        # Keep-alive longer than the users' pauses (1-2 s): with gunicorn's default of 2 s, the server
        # may close a connection just as a user sends the next request on it. Browsers retry that
        # silently and a reverse proxy in front of gunicorn avoids it, but the load generator counts it.
        gunicorn += ["--log-level", "warning", "--keep-alive", "10"]
        print(f"== gunicorn: {args.workers} workers x {args.threads} threads on {url}", flush=True)
        server = subprocess.Popen(gunicorn, env=env, cwd=data_dir)
        wait_until_up(url)
        sampler = ServerSampler(server.pid)
        sampler.start()
        warm_up(url, references.read_text().split()[0], rounds=args.workers * 3)

        prefix = data_dir / "locust"
        locust = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--host", url]
        # The users stop the run `duration` seconds after the last one signed in; -t is a safety net.
        locust += ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration + 180}s"]
        locust += ["--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
        mark = data_dir / "bench-mark.txt"
        mark.unlink(missing_ok=True)
        locust_env = {
            **env,
            "RF_BENCH_REFERENCES": str(references),
            "RF_BENCH_MEASURE_SECONDS": str(args.duration),
            "RF_BENCH_MARK": str(mark),
        }
        load_before = os.getloadavg()[0]
        # Locust exits with 1 when any request failed; the report below counts those failures.
        run(locust, locust_env, f"locust: {args.users} users, {args.duration} s measured after signing in", check=False)
        sampler.stopping.set()
        sampler.join()
        load_after = os.getloadavg()[0]
        server_cpu = sampler.cpu_since(float(mark.read_text())) if mark.exists() else float("nan")
        stats = read_stats(prefix)
        exceptions = read_exceptions(prefix)
    finally:
        if sampler is not None:
            sampler.stopping.set()
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep:
            if args.database == "postgres" and not args.reuse:
                postgres_database(args.postgres_url, db_name, create=False)
            if args.data_dir is None:
                shutil.rmtree(data_dir, ignore_errors=True)

    machine = {"load_before": load_before, "load_after": load_after, "server_cpu_s": server_cpu}
    return report(args, stats, exceptions, sampler, cases, database_version, seed_seconds, machine)


def report(
    args: Any,
    stats: dict[str, dict[str, Any]],
    exceptions: list[str],
    sampler: ServerSampler | None,
    cases: int,
    database_version: str,
    seed_seconds: float | None,
    machine: dict[str, float],
) -> int:
    results: dict[str, Any] = {
        "cases": cases,
        "database": database_version,
        "users": args.users,
        "duration_s": args.duration,
        "workers": args.workers,
        "threads": args.threads,
        "seed_s": round(seed_seconds, 1) if seed_seconds is not None else None,
        "peak_rss_mb": round(sampler.peak / 2**20, 1) if sampler else None,
        "tasks": {},
    }
    print()
    print(f"{'task':<22} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}  target")
    met = True
    for name in (*TASKS, "Aggregated"):
        row = stats.get(name)
        if row is None:
            print(f"{name:<22} (no requests)")
            met = met and name not in TASKS
            continue
        p50, p95, p99, top = (number(row[key]) for key in ("50%", "95%", "99%", "Max Response Time"))
        requests, errors = int(row["Request Count"]), int(row["Failure Count"])
        verdict = ""
        if name in TASKS:
            ok = p95 <= TARGET_P95_MS and errors == 0
            met = met and ok
            verdict = "met" if ok else "MISSED"
        elif errors:
            met = False
            verdict = "errors"
        print(f"{name:<22} {requests:>8} {errors:>6} {p50:>7.0f} {p95:>7.0f} {p99:>7.0f} {top:>7.0f}  {verdict}")
        results["tasks"][name] = {
            "requests": requests,
            "errors": errors,
            "p50_ms": p50,
            "p95_ms": p95,
            "p99_ms": p99,
            "max_ms": top,
            "rps": number(row["Requests/s"]),
        }
    aggregated = results["tasks"].get("Aggregated")
    if aggregated and aggregated["rps"]:
        print(f"measured over {aggregated['requests'] / aggregated['rps']:.0f} s: {aggregated['rps']:.1f} requests/s")
        per_request = machine["server_cpu_s"] * 1000 / aggregated["requests"]
        results["server_cpu_ms_per_request"] = round(per_request, 1)
        print(f"server CPU: {machine['server_cpu_s']:.1f} s, {per_request:.1f} ms per request")
    results["load_average"] = [round(machine["load_before"], 2), round(machine["load_after"], 2)]
    print(
        f"machine load average (1 min, {os.cpu_count()} CPUs) before/after the run: "
        f"{machine['load_before']:.2f} / {machine['load_after']:.2f}"
    )
    for line in exceptions:
        met = False
        print(f"exception in a simulated user: {line}")
    results["exceptions"] = exceptions
    peak = results["peak_rss_mb"]
    rss_ok = peak is not None and peak <= TARGET_RSS_MB
    met = met and rss_ok
    print()
    print(f"server memory (gunicorn master + workers, RSS): peak {peak} MB  {'met' if rss_ok else 'MISSED'}")
    print(
        f"{cases:,} cases on {database_version}; targets: p95 <= {TARGET_P95_MS} ms per task, no errors, "
        f"memory <= {TARGET_RSS_MB} MB: {'all met' if met else 'NOT all met'}"
    )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
