"""Breakdowns, table ids and dimension values: the same layout for every table of a release."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pandas as pd
import pytest

from rightsfirst.engine.dates import add_period
from rightsfirst.framework.model import Framework, Parameter, ParameterValue
from rightsfirst.monitoring.baseline import compute_with_pandas, guardian_due
from rightsfirst.monitoring.compute import compute
from rightsfirst.monitoring.indicators import Period, default_catalogue
from rightsfirst.monitoring.layout import default_breakdowns, dimension_values, resolve_breakdowns, table_id
from rightsfirst.monitoring.records import AGE_BANDS, FORMS, empty_records
from rightsfirst.monitoring.vocabulary import GUARDIAN_TARGET, guardian_due_dates
from tests.monitoring.helpers import make_records

CAT = default_catalogue()


def test_default_breakdowns() -> None:
    referred = default_breakdowns(CAT.indicator("persons_referred"))
    assert referred[0] == (None, None)
    assert ("stage", None) in referred and ("agency", "child") in referred and ("form", "sex") in referred
    child_only = default_breakdowns(CAT.indicator("detained_child_victims"))
    assert ("child", None) not in child_only and ("agency", "child") not in child_only
    violations = default_breakdowns(CAT.indicator("measures_with_violations"))
    assert ("rule", None) in violations and ("measure_type", "agency") in violations
    claimed = default_breakdowns(CAT.indicator("compensation_claimed"))
    assert claimed[0] == (None, "currency") and ("sex", "currency") in claimed
    assert all(column == "currency" for _, column in claimed)


def test_resolving_requested_breakdowns() -> None:
    detained = CAT.indicator("detained_presumed_victims")
    assert resolve_breakdowns(detained, [("stage", None), ("sex", None), ("sex", None)]) == [("sex", None)]
    claimed = CAT.indicator("compensation_claimed")
    assert resolve_breakdowns(claimed, [(None, None), ("currency", "sex"), ("age_band", "sex")]) == [
        (None, "currency"),
        ("sex", "currency"),
    ]
    with pytest.raises(ValueError, match="unknown dimension 'gender'"):
        resolve_breakdowns(detained, [("gender", None)])
    with pytest.raises(ValueError, match="row dimension first"):
        resolve_breakdowns(detained, [(None, "sex")])
    with pytest.raises(ValueError, match="must differ"):
        resolve_breakdowns(detained, [("sex", "sex")])
    assert table_id(detained, ("age_band", "sex")) == "detained_presumed_victims/by_age_band_and_sex"
    assert table_id(detained, (None, None), denominator=True) == "detained_presumed_victims/denominator/total"


def test_dimension_values_are_fixed_lists_then_seen_values_then_unknown() -> None:
    records = make_records(
        [
            {"case_key": 1, "sex": "female", "age_band": "odd", "forms": ["forced_labour"], "nationality": "PH"},
            {"case_key": 2, "nationality": "AL", "agency": "B", "forms": ["new_form"]},
        ]
    )
    values = dimension_values(records)
    assert values["age_band"] == (*AGE_BANDS, "odd", "unknown")
    assert values["form"] == (*FORMS, "new_form", "unknown")
    assert values["nationality"] == ("AL", "PH", "unknown")
    assert values["child"] == ("yes", "no", "unknown")
    assert values["agency"] == ("B", "unknown")
    assert "detention.immigration_detention" in values["rule"]
    assert dimension_values(empty_records())["nationality"] == ("unknown",)


def test_denominator_tables_carry_their_population_id() -> None:
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    (detained,) = compute(empty_records(), period, indicators=["detained_presumed_victims"], breakdowns=[(None, None)])
    assert detained.denominator is not None
    assert detained.counts.indicator_id == "detained_presumed_victims"
    assert detained.denominator.indicator_id == "protected_in_period"


def test_unknown_indicators_and_duplicate_cases_are_refused() -> None:
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(KeyError, match="no indicator 'detentions'"):
        compute(empty_records(), period, indicators=["detentions"])
    twice = make_records([{"case_key": 1}, {"case_key": 1}])
    for implementation in (compute, compute_with_pandas):
        with pytest.raises(ValueError, match="more than once"):
            implementation(twice, period)


def test_period_parsing() -> None:
    assert Period.parse("2026-01-01", "2026-12-31") == Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(ValueError, match="period end: '2026-13-01' is not a date"):
        Period.parse("2026-01-01", "2026-13-01")
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        Period.parse("2026-02-01", "2026-01-01")


def _with_target(framework: Framework, unit: str, values: list[tuple[dt.date, int | None]]) -> Framework:
    parameter = Parameter(
        GUARDIAN_TARGET, "test target", unit, tuple(ParameterValue(day, v, "test", ()) for day, v in values), "test"
    )
    parameters = {**framework.profile.parameters, GUARDIAN_TARGET: parameter}
    return replace(framework, profile=replace(framework.profile, parameters=parameters))


@pytest.mark.parametrize(
    ("unit", "values"),
    [
        ("working_days", [(dt.date(2000, 1, 1), 3)]),
        ("working_days", [(dt.date(2000, 1, 1), 0), (dt.date(2025, 6, 1), 5), (dt.date(2026, 3, 1), None)]),
        ("days", [(dt.date(2025, 1, 1), 10)]),
        ("months", [(dt.date(2000, 1, 1), 1)]),
    ],
)
def test_guardian_target_dates_agree_with_the_engine(
    framework: Framework, unit: str, values: list[tuple[dt.date, int | None]]
) -> None:
    profile = _with_target(framework, unit, values)
    days = [dt.date(2024, 12, 1) + dt.timedelta(days=offset) for offset in range(500)]
    random.Random(4).shuffle(days)
    engine_side = guardian_due_dates(profile, days)
    pandas_side = guardian_due(pd.Series(pd.to_datetime(days)), profile)
    parameter = profile.profile.parameter(GUARDIAN_TARGET)
    for day, due in zip(days, pandas_side, strict=True):
        expected = engine_side.get(day)
        assert (None if pd.isna(due) else due.date()) == expected, day
        if expected is not None:
            assert expected == add_period(day, int(parameter.at(day)), unit)
    assert len(engine_side) > 100
