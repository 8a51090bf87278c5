"""Differentially private counts: unbiased, spread as epsilon says, and stopped at the budget.

OpenDP draws its noise from the system's secure random source and takes no seed, so the
statistical tests use many draws and bounds of five standard errors computed from the known
distribution (a false alarm about once in a million runs per check).
"""

from __future__ import annotations

import json
import math
import statistics
import threading
from pathlib import Path

import pytest

from rightsfirst.monitoring import dp
from rightsfirst.monitoring.dp import (
    BudgetExceeded,
    JsonFileLedger,
    LedgerError,
    MemoryLedger,
    noise_plan,
    noisy_table,
    release_with_budget,
)
from rightsfirst.monitoring.tables import TOTAL, CountTable
from tests.monitoring.disclosure_factory import two_way

ROWS = tuple(f"r{i:04d}" for i in range(4000))


def wide_table(count: int, table_id: str = "wide") -> CountTable:
    """One-way, 4,000 rows of the same count: one noisy table gives 4,000 independent draws."""
    cells = {(row, TOTAL): count for row in ROWS}
    cells[(TOTAL, TOTAL)] = count * len(ROWS)
    return CountTable(table_id, "ind", "row", None, ROWS, (), cells)


def discrete_laplace_moments(scale: float) -> tuple[float, float]:
    """Variance and fourth moment of P(k) = (1 - q) / (1 + q) * q^|k|, q = exp(-1 / scale)."""
    q = math.exp(-1 / scale)
    norm = (1 - q) / (1 + q)
    second = fourth = 0.0
    k = 1
    while True:
        p = 2 * norm * q**k
        second += p * k**2
        fourth += p * k**4
        if p * k**4 < 1e-15 and k > 10:
            return second, fourth
        k += 1


def errors(epsilon: float, tables: int = 5, count: int = 1000) -> list[int]:
    drawn: list[int] = []
    for _ in range(tables):
        noisy = noisy_table(wide_table(count), epsilon, clamp=False)
        drawn += [noisy.count(row, TOTAL) - count for row in ROWS]
    return drawn


@pytest.mark.parametrize("epsilon", [0.5, 2.0])
def test_noisy_counts_are_unbiased_and_spread_as_epsilon_says(epsilon: float) -> None:
    scale = 1 / epsilon  # sensitivity 1: a person is in one row
    variance, fourth = discrete_laplace_moments(scale)
    assert noise_plan(wide_table(1000), epsilon).parts[0].variance == pytest.approx(variance)
    drawn = errors(epsilon)
    n = len(drawn)
    mean_error = statistics.fmean(drawn)
    assert abs(mean_error) <= 5 * math.sqrt(variance / n), mean_error
    # The sample variance's own standard error: sqrt((mu4 - sigma^4) / n).
    spread = statistics.pvariance(drawn)
    assert abs(spread - variance) <= 5 * math.sqrt((fourth - variance**2) / n), (spread, variance)


def test_a_smaller_epsilon_means_more_noise() -> None:
    loose, tight = statistics.pvariance(errors(4.0, tables=2)), statistics.pvariance(errors(0.25, tables=2))
    assert tight > 20 * loose


def test_margins_that_are_sums_stay_sums_of_the_noisy_cells() -> None:
    table = two_way("t", "ind", "age", "sex", {"a": {"f": 300, "m": 200}, "b": {"f": 120, "m": 90}})
    plan = noise_plan(table, 1.0)
    assert [(p.name, p.sensitivity, p.epsilon) for p in plan.parts] == [("cells", 1, 1.0)]
    assert plan.variance(("a", TOTAL)) == pytest.approx(2 * plan.parts[0].variance)
    assert plan.variance((TOTAL, TOTAL)) == pytest.approx(4 * plan.parts[0].variance)
    noisy = noisy_table(table, 1.0, clamp=False)
    for r in ("a", "b"):
        assert noisy.count(r, TOTAL) == noisy.count(r, "f") + noisy.count(r, "m")
    for c in ("f", "m"):
        assert noisy.count(TOTAL, c) == noisy.count("a", c) + noisy.count("b", c)
    assert noisy.count(TOTAL, TOTAL) == noisy.count("a", TOTAL) + noisy.count("b", TOTAL)


def test_an_overlapping_dimension_raises_the_sensitivity_and_gets_its_own_totals() -> None:
    forms = {"labour": {"f": 30, "m": 50}, "sexual": {"f": 40, "m": 5}, "begging": {"f": 3, "m": 4}}
    table = two_way("t", "ind", "form", "sex", forms)
    table = CountTable(
        table.table_id,
        table.indicator_id,
        "form",
        "sex",
        table.rows,
        table.columns,
        {**table.cells, (TOTAL, "f"): 60, (TOTAL, "m"): 55, (TOTAL, TOTAL): 115},
        row_overlap=True,
    )
    worst = noise_plan(table, 1.0)
    # A person may hold every form (3 cells of a column); the column totals count persons once.
    assert [(p.name, p.sensitivity, p.epsilon) for p in worst.parts] == [("cells", 3, 0.5), ("column totals", 1, 0.5)]
    assert worst.parts[0].scale == pytest.approx(6.0)
    bounded = noise_plan(table, 1.0, contributions={"form": 2})
    assert bounded.parts[0].sensitivity == 2
    noisy = noisy_table(table, 1.0, clamp=False)
    assert noisy.count(TOTAL, TOTAL) == noisy.count(TOTAL, "f") + noisy.count(TOTAL, "m")
    assert noisy.count("labour", TOTAL) == noisy.count("labour", "f") + noisy.count("labour", "m")
    with pytest.raises(ValueError, match=r"contributions\['form'\]"):
        noise_plan(table, 1.0, contributions={"form": 0})


def test_negative_noisy_counts_are_clamped_to_zero() -> None:
    zeros = wide_table(0)
    raw = noisy_table(zeros, 0.2, clamp=False)
    assert min(raw.cells.values()) < 0  # about half the cells, with near certainty
    clamped = noisy_table(zeros, 0.2)
    assert min(clamped.cells.values()) >= 0


def test_opendp_accounts_each_part_within_its_share() -> None:
    table = two_way("t", "ind", "age", "sex", {"a": {"f": 3, "m": 2}, "b": {"f": 1, "m": 9}})
    for part in noise_plan(table, 0.7, contributions={}).parts:
        assert dp._laplace(part).map(part.sensitivity) <= part.epsilon * (1 + 1e-9)


def test_bad_epsilons_are_refused() -> None:
    for value in (0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="positive number"):
            noise_plan(wide_table(5), value)


# -- the budget --------------------------------------------------------------------------------


def small_tables(count: int) -> list[CountTable]:
    return [
        two_way(f"t{i}", "ind", "age", "sex", {"a": {"f": 30, "m": 20}, "b": {"f": 12, "m": 9}}) for i in range(count)
    ]


def test_the_ledger_stops_at_the_budget() -> None:
    ledger = MemoryLedger()
    released = 0
    with pytest.raises(BudgetExceeded) as refused:
        while True:
            out = release_with_budget(small_tables(3), 0.1, ledger=ledger, budget_id="2026", budget=1.0)
            assert len(out) == 3
            released += 1
    assert released == 3  # 3 x 0.3 = 0.9; a fourth would be 1.2
    assert ledger.spent("2026") == pytest.approx(0.9)
    message = str(refused.value)
    assert "'2026'" in message and "epsilon 1" in message and "0.9 already spent" in message and "asks 0.3" in message
    # A smaller release that fits is still allowed, up to the budget exactly.
    release_with_budget(small_tables(1), 0.1, ledger=ledger, budget_id="2026", budget=1.0)
    assert ledger.spent("2026") == pytest.approx(1.0)
    assert ledger.spent("another release") == 0.0


def test_spending_is_recorded_before_any_number_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = MemoryLedger()
    seen: list[float] = []
    original = dp._apply_plan

    def noting(table: CountTable, plan: dp.NoisePlan, *, clamp: bool) -> CountTable:
        seen.append(ledger.spent("b"))
        return original(table, plan, clamp=clamp)

    monkeypatch.setattr(dp, "_apply_plan", noting)
    release_with_budget(small_tables(2), 0.25, ledger=ledger, budget_id="b", budget=1.0)
    assert seen == [0.5, 0.5]


def test_a_failure_midway_leaves_the_budget_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = MemoryLedger()
    original = dp._apply_plan
    calls = {"n": 0}

    def failing(table: CountTable, plan: dp.NoisePlan, *, clamp: bool) -> CountTable:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(table, plan, clamp=clamp)

    monkeypatch.setattr(dp, "_apply_plan", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        release_with_budget(small_tables(3), 0.2, ledger=ledger, budget_id="b", budget=1.0)
    assert ledger.spent("b") == pytest.approx(0.6)
    monkeypatch.setattr(dp, "_apply_plan", original)
    with pytest.raises(BudgetExceeded):
        release_with_budget(small_tables(3), 0.2, ledger=ledger, budget_id="b", budget=1.0)
    assert ledger.spent("b") == pytest.approx(0.6)


def test_bad_input_spends_nothing() -> None:
    ledger = MemoryLedger()
    broken = two_way("t", "ind", "age", "form", {"a": {"x": 1, "y": 2}})
    broken = CountTable(
        broken.table_id, "ind", "age", "form", broken.rows, broken.columns, broken.cells, column_overlap=True
    )
    with pytest.raises(ValueError, match="contributions"):
        release_with_budget(
            [*small_tables(1), broken], 0.1, ledger=ledger, budget_id="b", budget=1.0, contributions={"form": -1}
        )
    with pytest.raises(ValueError, match="positive number"):
        release_with_budget(small_tables(1), 0.0, ledger=ledger, budget_id="b", budget=1.0)
    assert ledger.spent("b") == 0.0


def test_the_json_ledger_keeps_spending_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "ledger" / "privacy.json"
    release_with_budget(small_tables(2), 0.2, ledger=JsonFileLedger(path), budget_id="2026", budget=1.0, note="first")
    again = JsonFileLedger(path)
    assert again.spent("2026") == pytest.approx(0.4)
    with pytest.raises(BudgetExceeded):
        release_with_budget(small_tables(4), 0.2, ledger=again, budget_id="2026", budget=1.0)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["budgets"]["2026"] == [{"epsilon": pytest.approx(0.4), "note": "first"}]
    # Written by replacement: no temporary file is left beside it.
    assert sorted(p.name for p in path.parent.iterdir()) == ["privacy.json", "privacy.json.lock"]


def test_a_damaged_json_ledger_is_an_error_not_a_fresh_budget(tmp_path: Path) -> None:
    path = tmp_path / "privacy.json"
    path.write_text('{"format": "rightsfirst-privacy-ledger", "version": 1, "budgets": {"b": [{"epsilon": "x"}]}}')
    with pytest.raises(LedgerError, match="budget 'b' must be a list"):
        JsonFileLedger(path).spent("b")
    path.write_text("{not json")
    with pytest.raises(LedgerError, match="cannot be read"):
        release_with_budget(small_tables(1), 0.1, ledger=JsonFileLedger(path), budget_id="b", budget=1.0)
    assert path.read_text() == "{not json"


@pytest.mark.parametrize("kind", ["memory", "json"])
def test_concurrent_releases_cannot_overspend(kind: str, tmp_path: Path) -> None:
    ledger = MemoryLedger() if kind == "memory" else JsonFileLedger(tmp_path / "privacy.json")
    results: list[str] = []

    def spend() -> None:
        try:
            ledger.spend("b", 0.3, "thread", limit=1.0)
            results.append("spent")
        except BudgetExceeded:
            results.append("refused")

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("spent") == 3 and results.count("refused") == 5
    assert ledger.spent("b") == pytest.approx(0.9)
