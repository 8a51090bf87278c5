"""The monitoring benchmark's quick variant, as a correctness smoke test (not timed)."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.conftest import ROOT


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_monitoring", ROOT / "benchmarks" / "bench_monitoring.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_agrees_and_goes_through_disclosure_control_when_present() -> None:
    bench = _bench()
    summary = bench.quick()
    assert summary["cases"] == 20_000 and summary["results"] > 200
    assert summary["protected"] == (bench.disclosure_control() is not None)


def test_the_full_benchmark_path_runs_on_a_few_records() -> None:
    summary = _bench().bench_indicators(cases=300, runs=1, seed=3)
    assert summary["records"]["cases"] == 300
    for name in ("duckdb", "pandas"):
        assert summary[name]["median_seconds"] > 0 and summary[name]["peak_rss_mb"] > 0
    assert summary["duckdb"]["tables"] == summary["pandas"]["tables"] > 200
