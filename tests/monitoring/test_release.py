"""A release: indicators computed and protected together; derived numbers only from published ones."""

from __future__ import annotations

import datetime as dt

import pytest

from rightsfirst.monitoring import dp
from rightsfirst.monitoring.disclosure import DisclosurePolicy
from rightsfirst.monitoring.generator import generate
from rightsfirst.monitoring.indicators import Period
from rightsfirst.monitoring.records import MonitoringRecords
from rightsfirst.monitoring.release import DifferentialPrivacy, agency_regions, build_release
from rightsfirst.monitoring.tables import TOTAL

YEAR = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))


@pytest.fixture(scope="module")
def records() -> MonitoringRecords:
    return generate(6_000, seed=7, start=dt.date(2024, 1, 1), end=dt.date(2026, 6, 30))


def test_every_number_shown_rests_on_published_counts(records: MonitoringRecords) -> None:
    release = build_release(records, YEAR)
    assert release.suppressed_count() > 0, "a release of 6,000 persons by nationality must suppress something"
    checked_shares = checked_values = 0
    for result in release.results:
        for cell in result.cells():
            if result.indicator.kind == "share":
                share = result.share(cell)
                if result.suppressed(cell):
                    assert share is None
                elif result.base(cell):
                    assert share == pytest.approx(result.count(cell) / result.base(cell))
                    checked_shares += 1
            if result.indicator.kind in {"median", "sum"} and cell in result.counts.suppressed:
                assert result.value(cell) is None
                checked_values += 1
    assert checked_shares > 50 and checked_values > 0


def test_a_published_count_is_the_exact_count_and_a_small_one_is_never_shown(records: MonitoringRecords) -> None:
    policy = DisclosurePolicy(minimum_cell=10)
    release = build_release(records, YEAR, policy=policy, indicators=["persons_referred"])
    for result in release.results:
        for cell in result.cells():
            count = result.count(cell)
            exact = result.table.count(*cell)
            assert count is None or count == exact
            if 0 < exact < 10:
                assert count is None


def test_the_suppression_pattern_carries_over_to_the_next_period(records: MonitoringRecords) -> None:
    first = build_release(records, YEAR, indicators=["persons_referred"])
    again = build_release(records, YEAR, indicators=["persons_referred"], previous=first.suppression_pattern())
    assert again.suppression_pattern() == first.suppression_pattern()


def test_agencies_are_declared_within_their_regions(records: MonitoringRecords) -> None:
    nesting = agency_regions(records)
    assert nesting is not None and nesting.fine == "agency" and nesting.coarse == "region"
    pairs = set(zip(records.cases["agency"].to_pylist(), records.cases["region"].to_pylist(), strict=True))
    assert {(agency, region) for agency, region in pairs if agency and region} == set(nesting.parent.items())


def test_a_noisy_release_is_charged_to_its_budget_and_then_refused(records: MonitoringRecords) -> None:
    ledger = dp.MemoryLedger()
    noise = DifferentialPrivacy(epsilon_per_table=0.01, budget_id="national", budget=1.0, ledger=ledger)
    release = build_release(records, YEAR, indicators=["persons_referred", "identification_decision_days"], noise=noise)
    tables = {result.counts.table.table_id for result in release.results}
    assert ledger.spent("national") == pytest.approx(0.01 * len(tables))
    # Noise protects every cell: nothing is suppressed, and no median is released beside it.
    assert release.suppressed_count() == 0
    assert all(not result.values for result in release.results)
    total = release.result("persons_referred", (None, None))
    assert total is not None and total.count((TOTAL, TOTAL)) is not None
    with pytest.raises(dp.BudgetExceeded):
        for _ in range(100):
            build_release(records, YEAR, indicators=["persons_referred"], noise=noise)
    assert ledger.spent("national") <= 1.0 + dp.TOLERANCE
