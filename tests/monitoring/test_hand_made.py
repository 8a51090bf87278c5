"""Five fictional persons whose indicator values are worked out by hand, checked against both
computations (DuckDB and pandas). The period is the year 2026.

Person 1: a girl (9--17), two forms of exploitation; referred Mon 2 Feb, presumed 5 Feb,
          identified 1 Mar. Detained 3 Feb (before the presumption: not counted) and 10 Feb
          (counted). Guardian appointed Thu 5 Feb: the target of 3 working days ends that day.
Person 2: a man, referred and presumed in December 2025 and still presumed; detained 30 Dec 2025
          (outside the period); prosecuted for illegal stay 15 Jan 2026.
Person 3: sex and age not recorded, treated as a child by presumption, no form recorded;
          referred Fri 6 Mar, presumed 7 Mar, negative decision 1 Apr; detained 10 Apr (after the
          negative decision: not counted); guardian appointed Thu 12 Mar (target: Wed 11 Mar).
Person 4: a woman, referred 1 May, never presumed, negative decision 20 May (19 days).
Person 5: referred in 2027: in nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from rightsfirst.monitoring.baseline import compute_with_pandas
from rightsfirst.monitoring.compute import compute
from rightsfirst.monitoring.indicators import IndicatorResult, Period
from rightsfirst.monitoring.records import AGE_BANDS, SEXES, MonitoringRecords
from rightsfirst.monitoring.tables import TOTAL
from tests.monitoring.helpers import make_records

T = TOTAL
D = dt.date
PERIOD = Period(D(2026, 1, 1), D(2026, 12, 31))
BREAKDOWNS = [(None, None), ("sex", None), ("form", None), ("form", "sex"), ("age_band", "sex"), ("child", None)]


def _records() -> MonitoringRecords:
    common = {"agency": "Fictional Shelter", "region": "North", "stage": "identified"}
    cases = [
        {
            **common,
            "case_key": 1,
            "referred_on": D(2026, 2, 2),
            "presumed_on": D(2026, 2, 5),
            "identified_on": D(2026, 3, 1),
            "age_band": "9--17",
            "child": True,
            "sex": "female",
            "nationality": "NG",
            "forms": ["forced_labour", "sexual_exploitation"],
        },
        {
            **common,
            "case_key": 2,
            "referred_on": D(2025, 12, 20),
            "presumed_on": D(2025, 12, 22),
            "age_band": "30--38",
            "child": False,
            "sex": "male",
            "forms": ["forced_labour"],
            "agency": "Fictional Police",
        },
        {
            **common,
            "case_key": 3,
            "referred_on": D(2026, 3, 6),
            "presumed_on": D(2026, 3, 7),
            "not_identified_on": D(2026, 4, 1),
            "child": True,
            "forms": [],
        },
        {
            **common,
            "case_key": 4,
            "referred_on": D(2026, 5, 1),
            "not_identified_on": D(2026, 5, 20),
            "age_band": "24--26",
            "child": False,
            "sex": "female",
            "forms": None,
        },
        {
            **common,
            "case_key": 5,
            "referred_on": D(2027, 1, 2),
            "age_band": "48+",
            "child": False,
            "sex": "male",
            "forms": ["forced_begging"],
        },
    ]

    def m(case: int, kind: str, day: dt.date, **facts: Any) -> dict[str, Any]:
        extra = {key: facts.pop(key) for key in ("outcome", "overridden", "violated_rules", "currency") if key in facts}
        return {
            "case_key": case,
            "measure_type": kind,
            "decided_on": day,
            "agency": "Fictional Shelter",
            "facts": facts,
            **extra,
        }

    violation = {"outcome": "violation"}
    measures = [
        m(1, "detention", D(2026, 2, 3), facility="police_cell"),
        m(
            1,
            "detention",
            D(2026, 2, 10),
            facility="immigration_detention",
            **violation,
            violated_rules=["detention.immigration_detention", "detention.routine_detention"],
        ),
        m(1, "guardian_appointment", D(2026, 2, 5), appointed=True),
        m(1, "reflection_period", D(2026, 2, 6), granted=True, days=30.0),
        m(1, "reflection_period", D(2026, 3, 10), granted=True, days=60.0),
        m(1, "residence_permit", D(2026, 4, 1), grounds="proceedings", granted=True),
        m(1, "testing", D(2026, 2, 7), mandatory=True),
        m(1, "investigation", D(2026, 3, 1), opened=True),
        m(
            1,
            "compensation",
            D(2026, 6, 1),
            currency="EUR",
            amount_claimed=1000.0,
            amount_awarded=600.0,
            amount_paid=300.0,
            paid_from_confiscated_assets=True,
        ),
        m(2, "detention", D(2025, 12, 30), facility="immigration_detention"),
        m(
            2,
            "prosecution",
            D(2026, 1, 15),
            offence="illegal_stay",
            **violation,
            overridden=True,
            violated_rules=["prosecution.status_offence"],
        ),
        m(2, "residence_permit", D(2026, 4, 2), proceedings_pending=True, granted=False),
        m(2, "investigation", D(2026, 3, 2), opened=False),
        m(2, "compensation", D(2026, 7, 1), currency="USD", amount_claimed=500.0, amount_paid=0.0),
        m(2, "compensation", D(2026, 8, 1), currency="EUR", amount_claimed=200.0),
        m(2, "return", D(2026, 9, 1), voluntary=True),
        m(3, "detention", D(2026, 4, 10), facility="immigration_detention"),
        m(3, "guardian_appointment", D(2026, 3, 12), appointed=True),
        m(3, "support_offer", D(2026, 3, 8), service="shelter", conditional_on_testimony=True),
        m(3, "reflection_period", D(2026, 3, 8), granted=True),
        m(4, "testing", D(2026, 5, 3), mandatory=False),
        m(4, "return", D(2026, 9, 2), voluntary=False, risk_assessment=True),
        m(4, "compensation", D(2026, 10, 1), amount_claimed=50.0),
    ]
    services = [
        {"case_key": 4, "entitlement": "safe_shelter", "status": "refused", "on": D(2026, 5, 5), "agency": "X"},
        {"case_key": 1, "entitlement": "safe_shelter", "status": "offered", "on": D(2026, 2, 6), "agency": "X"},
        {"case_key": 2, "entitlement": "safe_shelter", "status": "delivered", "on": D(2025, 12, 28), "agency": "X"},
    ]
    return make_records(cases, measures, services)


Compute = Callable[..., list[IndicatorResult]]


@pytest.fixture(scope="module", params=[compute, compute_with_pandas], ids=["duckdb", "pandas"])
def results(request: pytest.FixtureRequest) -> dict[tuple[str, tuple[str | None, str | None]], IndicatorResult]:
    computed = request.param(_records(), PERIOD, breakdowns=BREAKDOWNS)
    return {(result.indicator.id, result.breakdown): result for result in computed}


def total(results: dict[Any, IndicatorResult], indicator: str) -> tuple[int, int | None]:
    result = results[(indicator, (None, None))]
    denominator = result.denominator.count(T, T) if result.denominator else None
    return result.counts.count(T, T), denominator


@pytest.mark.parametrize(
    ("indicator", "expected"),
    [
        ("persons_referred", (3, None)),  # persons 1, 3, 4
        ("persons_presumed", (2, None)),  # 1, 3 (person 2 was presumed in 2025)
        ("persons_identified", (1, None)),
        ("identification_decision_days", (3, None)),  # decisions of 1, 3 and 4
        ("detained_presumed_victims", (1, 3)),  # 1 only; presumed in the period: 1, 2, 3
        ("detained_child_victims", (1, 2)),
        ("prosecuted_for_status_offences", (1, 3)),
        ("support_conditional_on_cooperation", (1, 3)),  # 3; decisions of 1, 2 and 3
        ("services_refused", (1, 2)),  # 4; steps of 1 and 4 in the period
        ("mandatory_testing", (1, 2)),
        ("reflection_periods_granted", (2, None)),
        ("reflection_period_days", (1, None)),  # person 3's length was not recorded
        ("residence_permits_during_proceedings", (1, 2)),
        ("returns_with_risk_assessment", (1, 2)),
        ("voluntary_returns", (1, 2)),
        ("children_guardian_within_target", (1, 2)),  # 1 on time, 3 a day late
        ("investigations_opened", (1, None)),
        ("measures_with_violations", (2, None)),
        ("measures_overridden", (1, None)),
    ],
)
def test_totals(results: dict[Any, IndicatorResult], indicator: str, expected: tuple[int, int | None]) -> None:
    assert total(results, indicator) == expected


def test_medians(results: dict[Any, IndicatorResult]) -> None:
    days = results[("identification_decision_days", (None, None))].values
    assert days == {(T, T): 26.0}  # 19, 26, 27
    by_sex = results[("identification_decision_days", ("sex", None))].values
    assert by_sex is not None
    assert by_sex[("female", T)] == 23.0  # 27 and 19
    assert by_sex[("unknown", T)] == 26.0
    assert by_sex[("male", T)] is None  # no person, no median
    assert results[("reflection_period_days", (None, None))].values == {(T, T): 60.0}  # the longer of 30 and 60


def test_sums_are_per_currency_and_never_added_across_currencies(results: dict[Any, IndicatorResult]) -> None:
    claimed = results[("compensation_claimed", (None, "currency"))]
    assert claimed.counts.columns == ("EUR", "USD", "unknown")
    assert claimed.counts.cells == {(T, "EUR"): 2, (T, "USD"): 1, (T, "unknown"): 1, (T, T): 3}
    assert claimed.values == {(T, "EUR"): 1200.0, (T, "USD"): 500.0, (T, "unknown"): 50.0, (T, T): None}
    paid = results[("compensation_paid", (None, "currency"))]
    assert paid.counts.cells[(T, T)] == 1  # person 2's payment of 0 is no payment
    assert results[("compensation_paid_from_confiscated_assets", (None, "currency"))].values == {
        (T, "EUR"): 300.0,
        (T, "USD"): None,
        (T, "unknown"): None,
        (T, T): None,
    }
    by_sex = results[("compensation_claimed", ("sex", "currency"))]
    assert by_sex.counts.cells[("female", "EUR")] == 1 and by_sex.counts.cells[("male", "EUR")] == 1
    assert by_sex.counts.cells[("male", T)] == 1  # one person, though in two currencies
    assert by_sex.values is not None and by_sex.values[("male", T)] is None


def test_a_person_with_two_forms_counts_once_in_the_total(results: dict[Any, IndicatorResult]) -> None:
    by_form = results[("persons_referred", ("form", None))].counts
    assert by_form.row_overlap and not by_form.column_overlap
    assert by_form.cells[("forced_labour", T)] == 1
    assert by_form.cells[("sexual_exploitation", T)] == 1
    assert by_form.cells[("unknown", T)] == 2  # an empty list and a null list
    assert by_form.cells[(T, T)] == 3  # not 4: person 1 is one person
    by_form_sex = results[("persons_referred", ("form", "sex"))].counts
    assert by_form_sex.cells[("unknown", "female")] == 1 and by_form_sex.cells[("unknown", "unknown")] == 1
    assert by_form_sex.cells[(T, "female")] == 2
    assert by_form_sex.cells[("forced_labour", T)] == 1


def test_every_cell_is_present_zeros_included(results: dict[Any, IndicatorResult]) -> None:
    table = results[("persons_referred", ("age_band", "sex"))].counts
    assert table.rows == (*AGE_BANDS, "unknown") and table.columns == (*SEXES, "unknown")
    assert len(table.cells) == (len(AGE_BANDS) + 2) * (len(SEXES) + 2)
    assert table.cells[("9--17", "female")] == 1 and table.cells[("unknown", "unknown")] == 1
    assert table.cells[("48+", "male")] == 0  # person 5 is outside the period
    assert table.cells[(T, "male")] == 0
    assert sum(table.cells[(row, T)] for row in table.rows) == table.cells[(T, T)] == 3


def test_null_sex_and_child_by_presumption(results: dict[Any, IndicatorResult]) -> None:
    by_child = results[("detained_child_victims", (None, None))]
    assert by_child.denominator is not None and by_child.denominator.count(T, T) == 2  # persons 1 and 3
    referred_by_child = results[("persons_referred", ("child", None))].counts
    assert referred_by_child.cells == {("yes", T): 2, ("no", T): 1, ("unknown", T): 0, (T, T): 3}
    by_sex = results[("persons_referred", ("sex", None))].counts
    assert by_sex.cells[("unknown", T)] == 1


def test_violations_by_rule_count_a_measure_under_each_rule(results: dict[Any, IndicatorResult]) -> None:
    computed = compute(_records(), PERIOD, indicators=["measures_with_violations"], breakdowns=[("rule", None)])
    (by_rule,) = computed
    assert by_rule.counts.cells[("detention.immigration_detention", T)] == 1
    assert by_rule.counts.cells[("detention.routine_detention", T)] == 1
    assert by_rule.counts.cells[("prosecution.status_offence", T)] == 1
    assert by_rule.counts.cells[(T, T)] == 2
    assert (
        by_rule
        == compute_with_pandas(
            _records(), PERIOD, indicators=["measures_with_violations"], breakdowns=[("rule", None)]
        )[0]
    )
