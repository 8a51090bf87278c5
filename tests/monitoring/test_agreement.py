"""DuckDB and pandas give identical results on generated records of several seeds and sizes."""

from __future__ import annotations

import datetime as dt

import pytest

from rightsfirst.monitoring.baseline import compute_with_pandas
from rightsfirst.monitoring.compute import compute
from rightsfirst.monitoring.generator import generate
from rightsfirst.monitoring.indicators import IndicatorResult, Period, catalogue
from rightsfirst.monitoring.records import empty_records
from rightsfirst.monitoring.tables import TOTAL

START, END = dt.date(2023, 1, 1), dt.date(2025, 12, 31)


def _differences(ours: list[IndicatorResult], theirs: list[IndicatorResult]) -> list[str]:
    assert [(r.indicator.id, r.breakdown) for r in ours] == [(r.indicator.id, r.breakdown) for r in theirs]
    found = []
    for a, b in zip(ours, theirs, strict=True):
        for part in ("counts", "denominator", "values"):
            if getattr(a, part) != getattr(b, part):
                found.append(f"{a.indicator.id} {a.breakdown} {part}")
    return found


@pytest.mark.parametrize(
    ("seed", "size", "period"),
    [
        (1, 500, Period(START, END)),
        (2, 4_000, Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))),
        (3, 25_000, Period(dt.date(2025, 4, 1), dt.date(2025, 6, 30))),
    ],
)
def test_duckdb_and_pandas_agree_on_generated_records(seed: int, size: int, period: Period) -> None:
    records = generate(size, seed=seed, start=START, end=END)
    ours = compute(records, period)
    assert len(ours) > 200  # every indicator with its default breakdowns
    assert _differences(ours, compute_with_pandas(records, period)) == []
    # Not trivially equal: the data fills most indicators.
    filled = [r for r in ours if r.breakdown[0] is None and r.counts.count(TOTAL, TOTAL) > 0]
    assert len({r.indicator.id for r in filled}) >= (len(catalogue()) - 2 if size >= 4_000 else 10)


def test_they_agree_on_unusual_breakdowns() -> None:
    records = generate(6_000, seed=11, start=START, end=END)
    period = Period(dt.date(2024, 7, 1), dt.date(2025, 6, 30))
    breakdowns = [
        ("rule", "measure_type"),
        ("form", "rule"),
        ("stage", "sex"),
        ("region", "form"),
        ("currency", "sex"),
        ("nationality", "age_band"),
        ("child", "form"),
    ]
    ours = compute(records, period, breakdowns=breakdowns)
    assert {r.breakdown for r in ours} >= {("rule", "measure_type"), ("form", "rule"), ("sex", "currency")}
    assert _differences(ours, compute_with_pandas(records, period, breakdowns=breakdowns)) == []


def test_empty_records_give_zeros_everywhere() -> None:
    period = Period(START, END)
    ours = compute(empty_records(), period)
    assert _differences(ours, compute_with_pandas(empty_records(), period)) == []
    assert {r.indicator.id for r in ours} == {i.id for i in catalogue()}
    for result in ours:
        assert set(result.counts.cells.values()) == {0}
        if result.values is not None:
            assert set(result.values.values()) == {None}
