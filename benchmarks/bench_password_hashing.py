"""What checking passwords does to the other requests a server answers on the same cores.

Two processes stand in for gunicorn's two workers, each serving "pages" (20 ms of CPU work each,
with short pauses between them) while a third checks a password now and then, as sign-ins
arrive. The password check is Argon2id with Django's memory and time costs (100 MiB, 2 passes),
either with 8 lanes (Django's default: one check runs on every core at once) or with 1 lane (the
application's hasher, rightsfirst.web.hashers), or not at all (the baseline). The three are
measured in turn, several rounds, in one run, because a shared machine changes from minute to
minute; the report gives, per variant, the median over rounds of each round's page p50/p95/p99,
and the CPU time and wall time of one check.

    python benchmarks/bench_password_hashing.py                 # 3 rounds, 0.8 checks a second
    python benchmarks/bench_password_hashing.py --rounds 5 --checks-per-second 2
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import statistics
import time
from typing import Any

import argon2

MEMORY_KIB = 102_400  # Django's Argon2 memory cost
PASSES = 2  # Django's Argon2 time cost
PAGE_CPU_MS = 20  # about what a case page costs the server in CPU (docs/performance.md)
PASSWORD = "a fictional passphrase of some length"


def checker(lanes: int, rate: float, stop: Any, out: Any) -> None:
    """Check one password `rate` times a second until told to stop; report CPU and wall per check."""
    hasher = argon2.PasswordHasher(time_cost=PASSES, memory_cost=MEMORY_KIB, parallelism=lanes)
    encoded = hasher.hash(PASSWORD)
    walls: list[float] = []
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    while not stop.is_set():
        started = time.perf_counter()
        hasher.verify(encoded, PASSWORD)
        walls.append(time.perf_counter() - started)
        time.sleep(max(0.0, random.expovariate(rate) - walls[-1]))
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
    out.put((cpu / max(len(walls), 1), statistics.median(walls) if walls else float("nan"), len(walls)))


def busy(milliseconds: float) -> None:
    """Spend this much CPU time in this thread (a stand-in for rendering a page)."""
    end = time.thread_time() + milliseconds / 1000
    while time.thread_time() < end:
        pass


def pages(count: int, out: Any) -> None:
    """Serve `count` pages with short random pauses between them; report each page's wall time in ms."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        busy(PAGE_CPU_MS)
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(random.uniform(0.005, 0.04))
    out.put(times)


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def one_round(lanes: int | None, rate: float, count: int) -> dict[str, float]:
    stop, results, timings = mp.Event(), mp.Queue(), mp.Queue()
    check = mp.Process(target=checker, args=(lanes, rate, stop, results)) if lanes else None
    if check is not None:
        check.start()
        time.sleep(0.5)  # past the first hash, which the checker makes for itself
    workers = [mp.Process(target=pages, args=(count, timings)) for _ in range(2)]
    for worker in workers:
        worker.start()
    measured = sorted(value for _ in workers for value in timings.get())
    for worker in workers:
        worker.join()
    stop.set()
    row = {"p50": percentile(measured, 0.5), "p95": percentile(measured, 0.95), "p99": percentile(measured, 0.99)}
    if check is not None:
        cpu, wall, checks = results.get()
        check.join()
        row |= {"check_cpu_ms": cpu * 1000, "check_wall_ms": wall * 1000, "checks": checks}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checks-per-second", type=float, default=0.8, help="password checks a second (0.8)")
    parser.add_argument("--pages", type=int, default=200, help="pages per worker per round (200)")
    args = parser.parse_args()
    variants: dict[str, int | None] = {"8 lanes (Django's default)": 8, "1 lane (rightsfirst)": 1, "no checks": None}
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for number in range(args.rounds):
        for name, lanes in variants.items():
            row = one_round(lanes, args.checks_per_second, args.pages)
            rows[name].append(row)
            spread = f"{row['p50']:.0f}/{row['p95']:.0f}/{row['p99']:.0f}"
            print(f"round {number + 1} {name:<28} page p50/p95/p99 {spread} ms", flush=True)
    print()
    print(f"{PAGE_CPU_MS} ms pages in 2 processes, {args.checks_per_second} password checks/s, {args.rounds} rounds:")
    print(f"{'variant':<28} {'page p50':>8} {'p95':>6} {'p99':>6}  {'check CPU':>9} {'check wall':>10}")
    for name, measured in rows.items():
        p50, p95, p99 = (statistics.median(row[key] for row in measured) for key in ("p50", "p95", "p99"))
        cpu = statistics.median(row.get("check_cpu_ms", float("nan")) for row in measured)
        wall = statistics.median(row.get("check_wall_ms", float("nan")) for row in measured)
        print(f"{name:<28} {p50:>8.0f} {p95:>6.0f} {p99:>6.0f}  {cpu:>7.0f}ms {wall:>8.0f}ms")


if __name__ == "__main__":
    main()
