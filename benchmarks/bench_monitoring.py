"""Benchmark of the monitoring targets, DuckDB against pandas in the same run.

Two measurements (issue 6, "Performance"):

1. **release**: `monitoring.release.build_release(records, period)` over 1,000,000 synthetic cases
   (five years): every indicator with its default breakdowns, then disclosure control
   (`disclosure.protect`) over every count table of the release, then the published results:
   what the dashboard and the report show. The pandas side runs the very same build_release with
   its computation swapped for `baseline.compute_with_pandas`; protection and assembly are the
   same code for both, so the ratio is about the computation while the absolute time includes
   protection. Compute and protect are also timed on their own.
2. **export**: `htcds.export_htcds` (k-anonymity, default policy) of 100,000 synthetic cases,
   against `htcds_baseline.export_htcds_with_pandas`.

The records are generated once in this process (`monitoring.generator`, not timed) and written
to Arrow IPC files. Every timed run is a fresh child process that reads those files fully into
memory (not timed; the records then take as much memory as after an extraction from the
database), runs once, and reports wall time, CPU time of all its threads, its peak resident
memory (getrusage maxrss, the records included) and a digest of what it produced (so the parent
can check that DuckDB and pandas gave the same release and the same export). DuckDB and pandas
runs alternate, starting with the other one every second run; medians over the runs, ratios of
the medians of this run, the load average before and after each measurement.

    python benchmarks/bench_monitoring.py                 # both, 5 runs of each implementation
    python benchmarks/bench_monitoring.py --check         # exit 1 when a target is missed
    python benchmarks/bench_monitoring.py --only release --cases 200000 --runs 3
    python benchmarks/bench_monitoring.py --quick         # correctness smoke run, not timed
    python benchmarks/bench_monitoring.py --json          # the numbers for machines

Targets: release <= 10 s, export <= 10 s, peak memory <= 2 GB, DuckDB >= 3x faster than pandas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

START, END = dt.date(2021, 1, 1), dt.date(2025, 12, 31)
CASES = 1_000_000
EXPORT_CASES = 100_000
RUNS = 5
TARGET_SECONDS = 10.0
TARGET_MEMORY_MB = 2048.0
TARGET_RATIO = 3.0
QUICK_CASES = 20_000
QUICK_EXPORT_CASES = 5_000
IMPLEMENTATIONS = ("duckdb", "pandas")
MEASUREMENTS = ("release", "export")
TABLES = ("cases", "measures", "services")


# -- records: generated once, read by every child ------------------------------------------------


def _write(records: Any, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        table = getattr(records, name)
        with pa.OSFile(str(folder / f"{name}.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)


def _read(folder: Path) -> Any:
    from rightsfirst.monitoring.records import MonitoringRecords

    tables = {}
    for name in TABLES:
        with pa.OSFile(str(folder / f"{name}.arrow"), "rb") as source:
            tables[name] = pa.ipc.open_file(source).read_all()  # copied into memory, not mapped
    return MonitoringRecords(tables["cases"], tables["measures"], tables["services"], source="synthetic")


def _generate(cases: int, seed: int) -> Any:
    from rightsfirst.monitoring.generator import generate

    return generate(cases, seed=seed, start=START, end=END)


# -- what a child measures ----------------------------------------------------------------------


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process, DuckDB's included
    return usage.ru_utime + usage.ru_stime


class Stopwatch:
    """Wall and CPU seconds spent in named parts of a run (a part may be entered several times)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), _cpu_seconds()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
            self.cpu[name] = self.cpu.get(name, 0.0) + _cpu_seconds() - cpu

    def timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """`function`, with its calls counted in part `name`."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.part(name):
                return function(*args, **kwargs)

        return wrapper


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode("utf-8")).hexdigest()[:16]


def release_digest(release: Any) -> str:
    """A fingerprint of everything a release publishes: counts, suppressed cells, values."""

    def table(published: Any) -> object:
        if published is None:
            return None
        return (
            published.table.table_id,
            sorted(published.table.cells.items()),
            sorted((cell, reason.value) for cell, reason in published.suppressed.items()),
        )

    return _digest(
        [
            (result.indicator.id, result.breakdown, table(result.counts), table(result.denominator))
            + (sorted(result.values.items()),)
            for result in release.results
        ]
    )


def export_digest(result: Any) -> str:
    """A fingerprint of an export: its rows and what it withheld."""
    return _digest(
        (result.table.to_pydict(), result.rows_dropped, result.generalised_age, sorted(result.suppressed.items()))
    )


def run_release(implementation: str, records: Any) -> tuple[Any, Stopwatch]:
    """build_release over the records, its computation done by `implementation`.

    build_release looks compute and protect up in its module when it runs, so wrapping them
    there times each part of the real call, and swapping compute for the pandas reference gives
    the pandas side the very same release (disclosure control and assembly included).
    """
    from rightsfirst.framework.loader import default_framework
    from rightsfirst.monitoring import release
    from rightsfirst.monitoring.indicators import Period

    if implementation == "pandas":
        from rightsfirst.monitoring.baseline import compute_with_pandas as computation
    else:
        from rightsfirst.monitoring.compute import compute as computation
    default_framework()  # loaded (and cached) before the clock starts, as in a running application
    watch = Stopwatch()
    original = release.compute, release.protect
    release.compute = watch.timed("compute", computation)
    release.protect = watch.timed("protect", original[1])
    try:
        with watch.part("total"):
            published = release.build_release(records, Period(START, END))
    finally:
        release.compute, release.protect = original
    return published, watch


def run_export(implementation: str, records: Any) -> tuple[Any, Stopwatch]:
    """The k-anonymous HTCDS export of the records (default policy) by `implementation`."""
    if implementation == "pandas":
        from rightsfirst.monitoring.htcds_baseline import export_htcds_with_pandas as export
    else:
        from rightsfirst.monitoring.htcds import export_htcds as export
    watch = Stopwatch()
    with watch.part("total"):
        result = export(records)
    return result, watch


def _import_libraries() -> None:
    """Import, before any clock starts, the libraries either implementation uses.

    A running application has them loaded; and DuckDB's Python package imports pandas the first
    time a table is registered, which would otherwise charge the DuckDB runs for a library
    import (about a quarter of a second) that the pandas runs make before their clock starts.
    """
    import duckdb  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.compute  # noqa: F401


def child(measurement: str, implementation: str, folder: Path) -> dict[str, Any]:
    """One timed run in this (fresh) process."""
    load_average = os.getloadavg()[0]
    _import_libraries()
    started = time.perf_counter()
    records = _read(folder)
    read_seconds = time.perf_counter() - started
    rss_records = _rss_mb()
    report: dict[str, Any] = {
        "measurement": measurement,
        "implementation": implementation,
        "load_average_1min": load_average,
        "read_seconds": read_seconds,
        "rss_after_read_mb": rss_records,
    }
    if measurement == "release":
        published, watch = run_release(implementation, records)
        report["peak_rss_mb"] = _peak_rss_mb()  # before the digest, which is not part of the run
        tables = {item.counts.table.table_id: item.counts for item in published.results}
        tables.update(
            {item.denominator.table.table_id: item.denominator for item in published.results if item.denominator}
        )
        report["results"] = len(published.results)
        report["tables"] = len(tables)
        report["cells"] = sum(len(item.table.cells) for item in tables.values())
        report["suppressed"] = published.suppressed_count()
        report["digest"] = release_digest(published)
    else:
        result, watch = run_export(implementation, records)
        report["peak_rss_mb"] = _peak_rss_mb()
        report["rows"] = result.table.num_rows
        report["rows_dropped"] = result.rows_dropped
        report["digest"] = export_digest(result)
    report["wall"] = watch.wall
    report["cpu"] = watch.cpu
    return report


def _spawn(measurement: str, implementation: str, folder: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", measurement, implementation, "--data", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{measurement} {implementation} child failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- the parent: runs, medians, ratios ------------------------------------------------------------


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(measurement: str, folder: Path, runs: int, progress: bool = True) -> dict[str, Any]:
    """`runs` fresh child runs of each implementation, alternating; medians and same-run ratios."""
    load_before = os.getloadavg()
    by: dict[str, list[dict[str, Any]]] = {name: [] for name in IMPLEMENTATIONS}
    for run in range(runs):
        order = IMPLEMENTATIONS if run % 2 == 0 else tuple(reversed(IMPLEMENTATIONS))
        for name in order:
            result = _spawn(measurement, name, folder)
            by[name].append(result)
            if progress:
                print(
                    f"{measurement} run {run + 1}/{runs} {name}: {result['wall']['total']:.2f} s "
                    f"(CPU {result['cpu']['total']:.2f} s), peak RSS {result['peak_rss_mb']:.0f} MB, "
                    f"load {result['load_average_1min']:.1f}",
                    file=sys.stderr,
                    flush=True,
                )
    summary: dict[str, Any] = {
        "runs": runs,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "parent_rss_mb": _rss_mb(),  # the floor of every run's maxrss (see prepare)
    }
    for name, results in by.items():
        part: dict[str, Any] = {
            "wall": {key: _spread([r["wall"][key] for r in results]) for key in results[0]["wall"]},
            "cpu": {key: _spread([r["cpu"][key] for r in results]) for key in results[0]["cpu"]},
            "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
            "rss_after_read_mb": max(r["rss_after_read_mb"] for r in results),
            "read_seconds": statistics.median(r["read_seconds"] for r in results),
            "load_average_1min": [r["load_average_1min"] for r in results],
            "digests": sorted({r["digest"] for r in results}),
        }
        for key in ("results", "tables", "cells", "suppressed", "rows", "rows_dropped"):
            if key in results[0]:
                part[key] = results[0][key]
        summary[name] = part
    duck, pandas = summary["duckdb"], summary["pandas"]
    summary["identical"] = duck["digests"] == pandas["digests"] and len(duck["digests"]) == 1
    summary["ratio"] = pandas["wall"]["total"]["median"] / duck["wall"]["total"]["median"]
    summary["cpu_ratio"] = pandas["cpu"]["total"]["median"] / duck["cpu"]["total"]["median"]
    if "compute" in duck["wall"]:
        summary["compute_ratio"] = pandas["wall"]["compute"]["median"] / duck["wall"]["compute"]["median"]
    return summary


def generate_into(folder: Path, cases: int, seed: int) -> dict[str, Any]:
    """Generate `cases` cases and write them to `folder` (runs in a child process of its own)."""
    started = time.perf_counter()
    records = _generate(cases, seed)
    generated = time.perf_counter() - started
    _write(records, folder)
    return {
        "cases": records.cases.num_rows,
        "measures": records.measures.num_rows,
        "services": records.services.num_rows,
        "arrow_mb": sum(getattr(records, name).nbytes for name in TABLES) / 2**20,
        "generate_seconds": generated,
    }


def prepare(folder: Path, measurements: Sequence[str], cases: int, export_cases: int, seed: int) -> dict[str, Any]:
    """Generate the records of each measurement once and write them where the runs read them.

    Generation runs in a child process too: a process started by fork and exec keeps, as its
    maxrss, the resident size its parent had when it forked, so a parent that had held a million
    generated cases would lift every run's peak memory to its own.
    """
    sizes: dict[str, Any] = {}
    for measurement in measurements:
        count = cases if measurement == "release" else export_cases
        command = [sys.executable, __file__, "--generate", str(count), "--seed", str(seed)]
        command += ["--data", str(folder / measurement)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"generating {count:,} cases failed ({done.returncode}):\n{done.stderr[-4000:]}")
        sizes[measurement] = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    return sizes


def targets(report: dict[str, Any]) -> list[tuple[str, bool, str]]:
    """Every target of the measurements in the report: (what, met, the figure it was judged on)."""
    found = []
    for measurement in MEASUREMENTS:
        part = report.get(measurement)
        if not part:
            continue
        size = report["records"][measurement]["cases"]
        seconds = part["duckdb"]["wall"]["total"]["median"]
        memory = part["duckdb"]["peak_rss_mb"]
        found += [
            (f"{measurement}: median time <= {TARGET_SECONDS:.0f} s", seconds <= TARGET_SECONDS, f"{seconds:.2f} s"),
            (
                f"{measurement}: peak memory <= {TARGET_MEMORY_MB:.0f} MB",
                memory <= TARGET_MEMORY_MB,
                f"{memory:.0f} MB",
            ),
            (
                f"{measurement}: >= {TARGET_RATIO:.0f}x faster than pandas",
                part["ratio"] >= TARGET_RATIO,
                f"{part['ratio']:.1f}x",
            ),
            (f"{measurement}: same output as pandas", part["identical"], "yes" if part["identical"] else "NO"),
        ]
        expected = CASES if measurement == "release" else EXPORT_CASES
        if size != expected:
            found.append((f"{measurement}: the target's size ({expected:,} cases)", False, f"{size:,} cases"))
    return found


# -- the quick smoke run (make test) --------------------------------------------------------------


def quick(cases: int = QUICK_CASES, export_cases: int = QUICK_EXPORT_CASES, seed: int = 1) -> dict[str, Any]:
    """Correctness only, not timed: on generated records, the DuckDB and pandas releases are the
    same (counts, suppression, values) and so are the two exports."""
    records = _generate(cases, seed)
    duck, _ = run_release("duckdb", records)
    pandas, _ = run_release("pandas", records)
    if release_digest(duck) != release_digest(pandas):
        different = [a.counts.table.table_id for a, b in zip(duck.results, pandas.results, strict=True) if a != b]
        raise AssertionError(f"the DuckDB and pandas releases differ on {len(different)} results, e.g. {different[:3]}")
    small = _generate(export_cases, seed)
    first, _ = run_export("duckdb", small)
    second, _ = run_export("pandas", small)
    if export_digest(first) != export_digest(second):
        raise AssertionError("the DuckDB and pandas HTCDS exports differ")
    return {
        "cases": cases,
        "results": len(duck.results),
        "suppressed": duck.suppressed_count(),
        "export_cases": export_cases,
        "exported_rows": first.table.num_rows,
    }


# -- output --------------------------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    import duckdb
    import pandas

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pa.__version__,
        "date": dt.date.today().isoformat(),
    }


def _seconds(part: dict[str, Any], key: str) -> str:
    wall = part["wall"][key]
    return f"{wall['median']:.2f} s ({wall['min']:.2f}-{wall['max']:.2f})"


def _load(values: Sequence[float]) -> str:
    return " ".join(f"{value:.1f}" for value in values)


def summary_table(report: dict[str, Any]) -> str:
    """The results as a Markdown table (medians, ranges, CPU, ratios, memory, load), to paste."""
    lines = [
        "| measurement | DuckDB median (range) | DuckDB CPU | pandas median (range) | pandas CPU "
        "| pandas / DuckDB (CPU) | peak RSS DuckDB / pandas | load avg before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for measurement in MEASUREMENTS:
        part = report.get(measurement)
        if not part:
            continue
        size = report["records"][measurement]["cases"]
        duck, pandas = part["duckdb"], part["pandas"]
        title = f"release, {size:,} cases" if measurement == "release" else f"HTCDS export, {size:,} cases"
        ratio = f"**{part['ratio']:.1f}x** ({part['cpu_ratio']:.1f}x)"
        memory = f"{duck['peak_rss_mb']:,.0f} / {pandas['peak_rss_mb']:,.0f} MB"
        load = f"{part['load_average_before'][0]:.1f} → {part['load_average_after'][0]:.1f}"
        lines.append(
            f"| {title} | **{_seconds(duck, 'total')}** | {duck['cpu']['total']['median']:.2f} s "
            f"| {_seconds(pandas, 'total')} | {pandas['cpu']['total']['median']:.2f} s | {ratio} | {memory} | {load} |"
        )
        for key, label in (("compute", "… of which compute"), ("protect", "… of which disclosure control")):
            if key in duck["wall"]:
                share = pandas["wall"][key]["median"] / duck["wall"][key]["median"]
                lines.append(
                    f"| {label} | {_seconds(duck, key)} | {duck['cpu'][key]['median']:.2f} s "
                    f"| {_seconds(pandas, key)} | {pandas['cpu'][key]['median']:.2f} s | {share:.1f}x | | |"
                )
    return "\n".join(lines)


def _print(report: dict[str, Any]) -> None:
    machine = report["machine"]
    print(
        f"\n{machine['date']}: {machine['cpus']} CPUs, Python {machine['python']}, DuckDB {machine['duckdb']}, "
        f"pandas {machine['pandas']}, pyarrow {machine['pyarrow']}; {report['runs']} runs of each, "
        "every run a fresh process\n"
    )
    print(summary_table(report))
    print()
    for measurement, sizes in report["records"].items():
        part = report[measurement]
        print(
            f"{measurement}: {sizes['cases']:,} cases, {sizes['measures']:,} measures, {sizes['services']:,} service "
            f"steps ({sizes['arrow_mb']:,.0f} MB in Arrow; generated in {sizes['generate_seconds']:.1f} s, "
            f"read by each run in {part['duckdb']['read_seconds']:.1f} s, "
            f"RSS after reading {part['duckdb']['rss_after_read_mb']:,.0f} MB); "
            f"same output from both: {'yes' if part['identical'] else 'NO'}"
        )
        if measurement == "release":
            duck = part["duckdb"]
            print(
                f"release: {duck['results']} results, {duck['tables']} count tables, {duck['cells']:,} cells, "
                f"{duck['suppressed']:,} suppressed; compute alone {part['compute_ratio']:.1f}x faster than pandas"
            )
        else:
            print(f"export: {part['duckdb']['rows']:,} rows exported, {part['duckdb']['rows_dropped']:,} left out")
        for name in IMPLEMENTATIONS:
            print(f"  1-min load average at the start of each {name} run: {_load(part[name]['load_average_1min'])}")
    print()
    for what, met, figure in targets(report):
        print(f"{'met    ' if met else 'NOT MET'}  {what}: {figure}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=CASES, help="cases of the release measurement")
    parser.add_argument("--export-cases", type=int, default=EXPORT_CASES, help="cases of the export measurement")
    parser.add_argument("--runs", type=int, default=RUNS, help="fresh runs of each implementation")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", choices=MEASUREMENTS, default=None)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--quick", action="store_true", help="correctness on a few records only, not timed")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--child", nargs=2, metavar=("MEASUREMENT", "IMPLEMENTATION"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, metavar="CASES", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate is not None:
        print(json.dumps(generate_into(args.data, args.generate, args.seed)))
        return 0
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.data)))
        return 0
    if args.quick:
        print(json.dumps(quick()))
        return 0
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    measurements = MEASUREMENTS if args.only is None else (args.only,)
    report: dict[str, Any] = {"machine": _machine(), "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as temporary:
        folder = Path(temporary)
        report["records"] = prepare(folder, measurements, args.cases, args.export_cases, args.seed)
        for measurement in measurements:
            report[measurement] = measure(measurement, folder / measurement, args.runs)
    missed = [what for what, met, _figure in targets(report) if not met]
    if args.json:
        report["targets"] = [{"target": what, "met": met, "figure": figure} for what, met, figure in targets(report)]
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    if args.check and missed:
        print(f"\n{len(missed)} target(s) missed: {'; '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
