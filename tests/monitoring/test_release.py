"""A release: indicators computed and protected together; derived numbers only from published ones."""

from __future__ import annotations

import datetime as dt

import pyarrow.compute as pc
import pytest

from rightsfirst.monitoring import dp
from rightsfirst.monitoring.disclosure import DisclosurePolicy, protect
from rightsfirst.monitoring.generator import generate
from rightsfirst.monitoring.indicators import Period, default_catalogue
from rightsfirst.monitoring.records import MonitoringRecords
from rightsfirst.monitoring.release import DifferentialPrivacy, agency_regions, build_release
from rightsfirst.monitoring.tables import TOTAL
from tests.monitoring.suppression_attacker import attack

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


FAMILY = [
    "persons_referred",
    "children_guardian_within_target",
    "detained_presumed_victims",
    "detained_child_victims",
    "prosecuted_for_status_offences",
]


def test_indicators_tied_by_their_definitions_give_nothing_away_together(records: MonitoringRecords) -> None:
    # A small place: the persons of one region, so that children and detentions are few.
    region = "Capital"
    keep = pc.equal(records.cases["region"], region)
    small = MonitoringRecords(
        records.cases.filter(keep),
        records.measures.filter(pc.is_in(records.measures["case_key"], records.cases.filter(keep)["case_key"])),
        records.services.filter(pc.is_in(records.services["case_key"], records.cases.filter(keep)["case_key"])),
        records.source,
    )
    breakdowns = [(None, None), ("child", None), ("sex", None), ("child", "sex"), ("nationality", None)]
    release = build_release(small, YEAR, indicators=FAMILY, breakdowns=breakdowns)
    tables = {}
    for result in release.results:
        for published in (result.counts, result.denominator):
            if published is not None:
                tables[published.table.table_id] = published
    relations = default_catalogue().relations()
    # Children detained are the detained persons whose child is yes: the same cells.
    children = release.result("detained_child_victims", ("sex", None))
    everyone = release.result("detained_presumed_victims", ("child", "sex"))
    assert children is not None and everyone is not None
    for sex in children.table.rows:
        assert children.table.count(sex, TOTAL) == everyone.table.count("yes", sex)
        assert (children.count((sex, TOTAL)) is None) == (everyone.count(("yes", sex)) is None)
    assert release.suppressed_count() > 10
    nestings = [nesting] if (nesting := agency_regions(small)) else []
    assert attack(list(tables.values()), relations=relations, nestings=nestings) == []
    # Each indicator protected on its own, the definitions give cells away (18 in this place).
    apart = protect([published.table for published in tables.values()], release.policy, nestings=nestings)
    assert len(attack(apart, relations=relations, nestings=nestings)) > 5
