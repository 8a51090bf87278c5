"""The monitoring benchmark's quick variant and its child-process path, as smoke tests (not timed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from tests.conftest import ROOT


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_monitoring", ROOT / "benchmarks" / "bench_monitoring.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_finds_the_same_release_and_export_from_duckdb_and_pandas() -> None:
    summary = _bench().quick()
    assert summary["cases"] == 20_000 and summary["results"] > 200
    assert summary["suppressed"] > 0, "a release of 20,000 persons by nationality must suppress something"
    assert summary["export_cases"] == 5_000 and 0 < summary["exported_rows"] <= 5_000


def test_the_digests_tell_different_releases_apart() -> None:
    # The parent's "same output" verdict rests on these: a changed count must change the digest.
    bench = _bench()
    records = bench._generate(400, 5)
    release, watch = bench.run_release("duckdb", records)
    assert set(watch.wall) == {"compute", "protect", "total"}
    assert watch.wall["compute"] + watch.wall["protect"] <= watch.wall["total"]
    other = bench.run_release("duckdb", bench._generate(400, 6))[0]
    assert bench.release_digest(release) == bench.release_digest(bench.run_release("pandas", records)[0])
    assert bench.release_digest(release) != bench.release_digest(other)


def test_the_full_benchmark_path_runs_on_a_few_records(tmp_path: Path) -> None:
    bench = _bench()
    sizes = bench.prepare(tmp_path, bench.MEASUREMENTS, cases=300, export_cases=200, seed=3)
    report = {"records": sizes, "runs": 1}
    for measurement in bench.MEASUREMENTS:
        report[measurement] = bench.measure(measurement, tmp_path / measurement, runs=1, progress=False)
    release = report["release"]
    assert release["identical"] and report["export"]["identical"]
    for name in bench.IMPLEMENTATIONS:
        assert release[name]["wall"]["total"]["median"] > 0 and release[name]["peak_rss_mb"] > 0
        assert release[name]["wall"]["protect"]["median"] > 0, "disclosure control is part of the measurement"
    assert release["duckdb"]["tables"] == release["pandas"]["tables"] > 200
    # At 300 cases the sizes are not the targets', so --check would fail: the verdict can say no.
    verdicts = {what: met for what, met, _figure in bench.targets(report)}
    assert verdicts["release: the target's size (1,000,000 cases)"] is False
    assert "| release, 300 cases |" in bench.summary_table(report)
