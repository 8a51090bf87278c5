"""The load benchmark's verdict (benchmarks/bench_web.py --check), which CI relies on to fail."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_web", ROOT / "benchmarks" / "bench_web.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_web"] = module
    spec.loader.exec_module(module)
    return module


def row(count: int, p95: float, errors: int = 0) -> dict[str, str]:
    return {
        "Request Count": str(count),
        "Failure Count": str(errors),
        "50%": str(p95 / 2),
        "95%": str(p95),
        "99%": str(p95 * 1.5),
        "Max Response Time": str(p95 * 2),
        "Requests/s": str(count / 120),
    }


def healthy(bench: Any) -> dict[str, dict[str, str]]:
    stats = {name: row(800, 90) for name in bench.TASKS}
    stats |= {"identity view": row(200, 60), "person search": row(100, 300), "sign-in: password": row(90, 900)}
    stats |= {"sign-in: code": row(90, 40), "sign-out": row(90, 30), "Aggregated": row(3700, 120)}
    return stats


GUARDS = {
    "axes_attempts": 0,
    "axes_failures": 0,
    "passwords_refused": 0,
    "codes_refused": 0,
    "searches_refused": 0,
    "sign_ins": 150,
    "oversight_alerts": {},
}


def verdict(
    bench: Any, stats: dict[str, Any], check: bool = True, peak_mb: int = 400, guards: Any = None, **changes: Any
) -> int:
    args = SimpleNamespace(
        users=50, duration=120, sign_in_every=60.0, workers=2, threads=4, json=False, check=check, **changes
    )
    sampler = SimpleNamespace(peak=peak_mb * 2**20, high_water={1: peak_mb * 2**20})
    machine = {
        "load_before": 1.0,
        "load_after": 1.0,
        "server_cpu_s": 80.0,
        "generator_cpu_s": 20.0,
        "all_signed_in": True,
        "window_peak_mb": peak_mb,
        "guards": guards or GUARDS,
    }
    return int(bench.report(args, stats, [], sampler, 5000, "SQLite", None, machine))


def test_a_run_within_every_target_passes_the_check(bench: Any) -> None:
    assert verdict(bench, healthy(bench)) == 0


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda s: s.update({"sign-in: code": row(90, 40, errors=1)}), id="one failed sign-in"),
        pytest.param(lambda s: s.update({"person search": row(100, 300, errors=2)}), id="errors without a target"),
        pytest.param(lambda s: s.pop("measure review"), id="a page kind never requested"),
        pytest.param(lambda s: s.update({"sign-in: code": row(30, 40)}), id="fewer sign-ins than users"),
    ],
)
def test_the_check_fails_on_any_error_or_missed_target(bench: Any, spoil: Any) -> None:
    stats = healthy(bench)
    spoil(stats)
    assert verdict(bench, stats) == 1
    assert verdict(bench, stats, check=False) == 0  # without --check it reports only


def test_a_p95_over_150_ms_fails_the_check_with_its_own_status(bench: Any) -> None:
    # Response times alone (which a busy machine can cause) exit 3, so that CI can measure again;
    # with anything else wrong as well, the check fails with 1.
    stats = healthy(bench)
    stats["case detail"] = row(800, 151)
    assert verdict(bench, stats) == bench.EXIT_ONLY_SLOW == 3
    assert verdict(bench, stats, check=False) == 0
    stats["sign-in: code"] = row(90, 40, errors=1)
    assert verdict(bench, stats) == 1
    assert verdict(bench, healthy(bench) | {"case detail": row(800, 151)}, peak_mb=501) == 1


def test_the_check_fails_when_memory_goes_over_500_mb(bench: Any) -> None:
    assert verdict(bench, healthy(bench), peak_mb=501) == 1


def test_the_password_step_has_no_response_time_target(bench: Any) -> None:
    stats = healthy(bench)
    stats["sign-in: password"] = row(90, 2500)
    assert verdict(bench, stats) == 0


@pytest.mark.parametrize("guard", ["passwords_refused", "codes_refused", "axes_attempts"])
def test_the_check_fails_when_the_lockout_or_the_code_check_turned_someone_away(bench: Any, guard: str) -> None:
    assert verdict(bench, healthy(bench), guards=GUARDS | {guard: 1}) == 1


def test_searches_refused_by_the_per_user_limit_are_not_errors(bench: Any) -> None:
    assert verdict(bench, healthy(bench), guards=GUARDS | {"searches_refused": 4}) == 0
