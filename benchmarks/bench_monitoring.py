"""Benchmark: the full indicator set over 1,000,000 synthetic records, DuckDB against pandas.

The records are generated once (monitoring.generator), written to a temporary Arrow IPC file,
and every timed run is a fresh child process that reads the file into memory and then computes
every indicator with its default breakdowns for the five years the records span, followed by
disclosure control (monitoring.disclosure.protect, when that module is present) over all the
count tables. Each child reports its compute time and its peak resident memory, so runs do not
share caches or memory. DuckDB and pandas runs alternate, so both see the same machine load.

    python benchmarks/bench_monitoring.py                 # 1,000,000 cases, 5 runs each
    python benchmarks/bench_monitoring.py --cases 200000 --runs 3
    python benchmarks/bench_monitoring.py --quick         # correctness smoke run, not timed
    python benchmarks/bench_monitoring.py --only export   # the HTCDS export benchmark

Targets (issue 6): at most 10 s and 2 GB for 1,000,000 records, at least 3x faster than pandas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from rightsfirst.monitoring.baseline import compute_with_pandas
from rightsfirst.monitoring.compute import compute
from rightsfirst.monitoring.generator import generate
from rightsfirst.monitoring.indicators import IndicatorResult, Period
from rightsfirst.monitoring.records import MonitoringRecords
from rightsfirst.monitoring.tables import CountTable

START, END = dt.date(2021, 1, 1), dt.date(2025, 12, 31)
TARGET_SECONDS = 10.0
TARGET_MEMORY_MB = 2048
TARGET_RATIO = 3.0
QUICK_CASES = 20_000
IMPLEMENTATIONS: dict[str, Callable[..., list[IndicatorResult]]] = {"duckdb": compute, "pandas": compute_with_pandas}


def disclosure_control() -> Callable[[Sequence[CountTable]], object] | None:
    """protect() with the default policy, if the disclosure module is on this branch."""
    try:
        from rightsfirst.monitoring.disclosure import DisclosurePolicy, protect  # type: ignore[import-not-found]
    except ImportError:
        return None
    policy = DisclosurePolicy()
    return lambda tables: protect(tables, policy)


def release_tables(results: Sequence[IndicatorResult]) -> list[CountTable]:
    """Every count table of a release: numerators and denominators."""
    tables = [result.counts for result in results]
    tables += [result.denominator for result in results if result.denominator is not None]
    return tables


def _write(records: MonitoringRecords, folder: Path) -> None:
    combined = {"cases": records.cases, "measures": records.measures, "services": records.services}
    for name, table in combined.items():
        with pa.OSFile(str(folder / f"{name}.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)


def _read(folder: Path) -> MonitoringRecords:
    tables = {}
    for name in ("cases", "measures", "services"):
        with pa.OSFile(str(folder / f"{name}.arrow"), "rb") as source:
            tables[name] = pa.ipc.open_file(source).read_all()  # into memory: the RSS includes the records
    return MonitoringRecords(tables["cases"], tables["measures"], tables["services"], source="synthetic")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process, DuckDB's included
    return usage.ru_utime + usage.ru_stime


def child(implementation: str, folder: Path) -> dict[str, Any]:
    """One timed run in this process: read the records, compute, protect."""
    started = time.perf_counter()
    records = _read(folder)
    loaded = time.perf_counter() - started
    rss_loaded = _rss_mb()
    protect = disclosure_control()
    cpu_started = _cpu_seconds()
    started = time.perf_counter()
    results = IMPLEMENTATIONS[implementation](records, Period(START, END))
    computed = time.perf_counter() - started
    tables = release_tables(results)
    if protect is not None:
        protect(tables)
    total = time.perf_counter() - started
    return {
        "cpu_seconds": _cpu_seconds() - cpu_started,
        "implementation": implementation,
        "seconds": total,
        "compute_seconds": computed,
        "protect_seconds": total - computed,
        "protected": protect is not None,
        "load_seconds": loaded,
        "rss_after_load_mb": rss_loaded,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "results": len(results),
        "tables": len(tables),
        "cells": sum(len(table.cells) for table in tables),
    }


def _spawn(implementation: str, folder: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", implementation, "--data", str(folder)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def bench_indicators(cases: int, runs: int, seed: int) -> dict[str, Any]:
    """Generate, then alternate DuckDB and pandas child runs; medians and the same-run ratio."""
    load_before = os.getloadavg()
    started = time.perf_counter()
    records = generate(cases, seed=seed, start=START, end=END)
    generated = time.perf_counter() - started
    sizes = {
        "cases": records.cases.num_rows,
        "measures": records.measures.num_rows,
        "services": records.services.num_rows,
    }
    runs_by: dict[str, list[dict[str, Any]]] = {name: [] for name in IMPLEMENTATIONS}
    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as temporary:
        folder = Path(temporary)
        _write(records, folder)
        del records
        for run in range(runs):
            for name in IMPLEMENTATIONS:
                result = _spawn(name, folder)
                runs_by[name].append(result)
                print(
                    f"run {run + 1}/{runs} {name}: {result['seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB",
                    file=sys.stderr,
                )
    summary: dict[str, Any] = {"records": sizes, "generate_seconds": generated, "runs": runs}
    for name, results in runs_by.items():
        summary[name] = {
            "median_seconds": statistics.median(r["seconds"] for r in results),
            "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
            "median_compute_seconds": statistics.median(r["compute_seconds"] for r in results),
            "median_protect_seconds": statistics.median(r["protect_seconds"] for r in results),
            "min_seconds": min(r["seconds"] for r in results),
            "max_seconds": max(r["seconds"] for r in results),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
            "rss_after_load_mb": max(r["rss_after_load_mb"] for r in results),
            "median_load_seconds": statistics.median(r["load_seconds"] for r in results),
            "protected": results[0]["protected"],
            "tables": results[0]["tables"],
            "cells": results[0]["cells"],
        }
    summary["ratio_pandas_over_duckdb"] = summary["pandas"]["median_seconds"] / summary["duckdb"]["median_seconds"]
    summary["cpu_ratio_pandas_over_duckdb"] = (
        summary["pandas"]["median_cpu_seconds"] / summary["duckdb"]["median_cpu_seconds"]
    )
    summary["load_average_before"] = load_before
    summary["load_average_after"] = os.getloadavg()
    return summary


def bench_export(cases: int, runs: int, seed: int) -> dict[str, Any] | None:
    """The k-anonymous HTCDS export of 100,000 records (target 10 s): belongs to the exchange
    work (monitoring/htcds.py). Until that module is on this branch there is nothing to time."""
    try:
        import rightsfirst.monitoring.htcds  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return None
    raise NotImplementedError("wire the HTCDS export here once monitoring/htcds.py has landed")


def quick(cases: int = QUICK_CASES, seed: int = 1) -> dict[str, Any]:
    """The correctness smoke run (`make test`): both implementations agree on generated records
    and the release goes through disclosure control when it is present. Not timed."""
    records = generate(cases, seed=seed, start=START, end=END)
    period = Period(START, END)
    ours = compute(records, period)
    theirs = compute_with_pandas(records, period)
    if ours != theirs:
        different = [a.counts.table_id for a, b in zip(ours, theirs, strict=True) if a != b]
        raise AssertionError(f"DuckDB and pandas differ on {len(different)} tables, e.g. {different[:3]}")
    protect = disclosure_control()
    tables = release_tables(ours)
    if protect is not None:
        protect(tables)
    return {"cases": cases, "results": len(ours), "tables": len(tables), "protected": protect is not None}


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", choices=("indicators", "export"), default=None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CASES:,} cases, correctness only, not timed")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--child", choices=tuple(IMPLEMENTATIONS), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.data)))
        return 0
    if args.quick:
        print(json.dumps(quick()))
        return 0
    report: dict[str, Any] = {"machine": _machine()}
    if args.only in (None, "indicators"):
        report["indicators"] = bench_indicators(args.cases, args.runs, args.seed)
    if args.only in (None, "export"):
        report["export"] = bench_export(100_000, args.runs, args.seed)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    _print(report)
    return 0


def _met(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def _print(report: dict[str, Any]) -> None:
    machine = report["machine"]
    print(f"machine: {machine['cpus']} CPUs, Python {machine['python']}, DuckDB {machine['duckdb']}, ", end="")
    print(f"pandas {machine['pandas']}")
    indicators = report.get("indicators")
    if indicators:
        sizes = indicators["records"]
        print(
            f"records: {sizes['cases']:,} cases, {sizes['measures']:,} measures, {sizes['services']:,} service steps "
            f"(generated in {indicators['generate_seconds']:.1f} s)"
        )
        for name in IMPLEMENTATIONS:
            part = indicators[name]
            print(
                f"{name:7} median {part['median_seconds']:.2f} s (compute {part['median_compute_seconds']:.2f} s, "
                f"disclosure {part['median_protect_seconds']:.2f} s; "
                f"range {part['min_seconds']:.2f}-{part['max_seconds']:.2f}), "
                f"CPU {part['median_cpu_seconds']:.2f} s, "
                f"peak RSS {part['peak_rss_mb']:.0f} MB (records loaded: {part['rss_after_load_mb']:.0f} MB)"
            )
        duckdb_part = indicators["duckdb"]
        protected = "included" if duckdb_part["protected"] else "NOT included (monitoring.disclosure absent)"
        print(f"tables: {duckdb_part['tables']:,} ({duckdb_part['cells']:,} cells); disclosure control {protected}")
        print(
            f"pandas / duckdb: {indicators['ratio_pandas_over_duckdb']:.1f}x "
            f"(CPU: {indicators['cpu_ratio_pandas_over_duckdb']:.1f}x; target >= {TARGET_RATIO:.0f}x); "
            f"time {_met(duckdb_part['median_seconds'], TARGET_SECONDS)} (<= {TARGET_SECONDS:.0f} s); "
            f"memory {_met(duckdb_part['peak_rss_mb'], TARGET_MEMORY_MB)} (<= {TARGET_MEMORY_MB} MB)"
        )
        print(f"load average before {indicators['load_average_before']}, after {indicators['load_average_after']}")
    if "export" in report:
        export = report["export"]
        print(
            "export: "
            + ("not available on this branch (monitoring/htcds.py)" if export is None else json.dumps(export))
        )


if __name__ == "__main__":
    sys.exit(main())
