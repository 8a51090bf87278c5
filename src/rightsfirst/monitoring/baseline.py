"""The same indicators computed with plain pandas: the reference the DuckDB version is checked
against (tests) and timed against (benchmarks/bench_monitoring.py).

Written the way an analyst would: the tables as DataFrames, the persons and measures each
indicator counts selected with boolean masks, then one groupby per cell grouping, exploding the
list columns (forms, rules) only for the groupings that contain them. It shares with compute.py
only the catalogue and the layout of the tables (layout.py), never the definitions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rightsfirst.framework.model import Framework
from rightsfirst.monitoring.grouping import make_plan
from rightsfirst.monitoring.indicators import UNKNOWN, Breakdown, Catalogue, Indicator, IndicatorResult, Period
from rightsfirst.monitoring.layout import cell_key, count_table, grouping_sets, table_id
from rightsfirst.monitoring.records import MonitoringRecords
from rightsfirst.monitoring.tables import TOTAL
from rightsfirst.monitoring.vocabulary import COOPERATION_CONDITIONS, GUARDIAN_TARGET, STATUS_OFFENCES

CASE_DIMENSIONS = ["age_band", "sex", "nationality", "agency", "region", "child", "stage"]
LISTS = {"form": "forms", "rule": "rules"}
FACTS = [
    "offence",
    "mandatory",
    "granted",
    "days",
    "grounds",
    "proceedings_pending",
    "opened",
    "amount_claimed",
    "amount_awarded",
    "amount_paid",
    "paid_from_confiscated_assets",
    "risk_assessment",
    "voluntary",
    "appointed",
    *sorted({fact for facts in COOPERATION_CONDITIONS.values() for fact in facts}),
]
MEASURE_COLUMNS = [
    "case_key",
    "measure_type",
    "decided_on",
    "outcome",
    "overridden",
    "violated_rules",
    "currency",
    *[f"fact_{fact}" for fact in FACTS],
]
MONEY = {
    "compensation_claimed": "fact_amount_claimed",
    "compensation_awarded": "fact_amount_awarded",
    "compensation_paid": "fact_amount_paid",
    "compensation_paid_from_confiscated_assets": "fact_amount_paid",
}


def _day(value: dt.date) -> pd.Timestamp:
    return pd.Timestamp(value)


def _clean_list(values: object) -> list[str]:
    kept = [] if values is None else list(dict.fromkeys(v for v in values if v is not None))  # type: ignore[attr-defined]
    return kept or [UNKNOWN]


@dataclass
class _Frames:
    cases: pd.DataFrame  # indexed by case_key; dimensions with "unknown" for missing values
    measures: pd.DataFrame  # every measure (the columns the indicators read)
    in_period: pd.DataFrame  # the measures dated in the period
    services: pd.DataFrame


def _frames(records: MonitoringRecords, period: Period) -> _Frames:
    cases = records.cases.to_pandas(date_as_object=False)
    if cases["case_key"].duplicated().any():
        raise ValueError("cases: some case_key values appear more than once; each case needs its own")
    for column in ["age_band", "sex", "nationality", "agency", "region", "stage"]:
        cases[column] = cases[column].astype(object).where(cases[column].notna(), UNKNOWN)
    cases["is_child"] = cases["child"].eq(True)
    cases["child"] = cases["child"].map({True: "yes", False: "no"}).astype(object).fillna(UNKNOWN)
    cases["forms"] = cases["forms"].map(_clean_list)
    measures = records.measures.select(MEASURE_COLUMNS).to_pandas(date_as_object=False)
    in_period = measures[measures["decided_on"].between(_day(period.start), _day(period.end))]
    services = records.services.select(["case_key", "status", "on"]).to_pandas(date_as_object=False)
    return _Frames(cases.set_index("case_key"), measures, in_period, services)


def protected_at(day: pd.Series, cases: pd.DataFrame) -> pd.Series:
    """Whether each person was a presumed or identified victim on `day` (aligned on the index)."""
    positive_steps = pd.concat(
        [
            cases["presumed_on"].where(cases["presumed_on"] <= day),
            cases["identified_on"].where(cases["identified_on"] <= day),
        ],
        axis=1,
    )
    last_positive = positive_steps.max(axis=1)
    negative = cases["not_identified_on"]
    still = negative.isna() | (negative > day) | (negative < last_positive)
    return last_positive.notna() & still


def protected_during(period: Period, cases: pd.DataFrame) -> pd.Series:
    """Whether each person was a presumed or identified victim on some day of the period."""
    start, end = _day(period.start), _day(period.end)
    on_start = protected_at(pd.Series(start, index=cases.index), cases)
    presumed_in = cases["presumed_on"].between(start, end) & protected_at(cases["presumed_on"], cases)
    identified_in = cases["identified_on"].between(start, end) & protected_at(cases["identified_on"], cases)
    return on_start | presumed_in | identified_in


def guardian_due(referred_on: pd.Series, framework: Framework) -> pd.Series:
    """The last day a guardian appointment meets the target, for each referral date (NaT: none)."""
    parameter = framework.profile.parameter(GUARDIAN_TARGET)
    amount = pd.Series(np.nan, index=referred_on.index)
    for position, value in enumerate(parameter.values):
        until = parameter.values[position + 1].valid_from if position + 1 < len(parameter.values) else None
        in_force = referred_on >= _day(value.valid_from)
        if until is not None:
            in_force &= referred_on < _day(until)
        amount[in_force] = np.nan if value.value is None else float(value.value)
    known = amount.notna() & referred_on.notna()
    due = pd.Series(pd.NaT, index=referred_on.index, dtype="datetime64[ms]")
    days = referred_on[known].to_numpy().astype("datetime64[D]")
    steps = amount[known].astype(int).to_numpy()
    if parameter.unit == "working_days":
        # Counting working days after the referral day: a referral at a weekend counts from the Friday before.
        moved = np.where(steps == 0, days, np.busday_offset(days, steps, roll="backward"))
    elif parameter.unit == "days":
        moved = days + steps.astype("timedelta64[D]")
    else:
        moved = np.array(
            [(pd.Timestamp(d) + pd.DateOffset(months=int(s))).to_datetime64() for d, s in zip(days, steps, strict=True)]
        )
    due[known] = pd.to_datetime(moved)
    return due


def _is(frame: pd.DataFrame, fact: str) -> pd.Series:
    return frame[f"fact_{fact}"].eq(True)


def _person_flags(persons: pd.DataFrame, data: _Frames, period: Period, framework: Framework) -> pd.DataFrame:
    """Per person (indexed by case_key): what their measures and services in the period say."""
    start, end = _day(period.start), _day(period.end)
    dates = persons[["presumed_on", "identified_on", "not_identified_on"]]
    m = data.in_period.merge(dates, left_on="case_key", right_index=True).reset_index(drop=True)
    protected = protected_at(m["decided_on"], m)
    kind = m["measure_type"]
    residence = kind.eq("residence_permit") & (m["fact_grounds"].eq("proceedings") | _is(m, "proceedings_pending"))
    conditional = pd.Series(False, index=m.index)
    for measure_type, facts in COOPERATION_CONDITIONS.items():
        conditional |= kind.eq(measure_type) & pd.concat([_is(m, fact) for fact in facts], axis=1).any(axis=1)
    compensation = kind.eq("compensation")
    paid = compensation & m["fact_amount_paid"].gt(0)
    flags = pd.DataFrame(
        {
            "case_key": m["case_key"],
            "detained": kind.eq("detention") & protected,
            "prosecuted": kind.eq("prosecution") & m["fact_offence"].isin(STATUS_OFFENCES) & protected,
            "cooperation_decision": kind.isin(list(COOPERATION_CONDITIONS)),
            "conditional": conditional,
            "tested": kind.eq("testing"),
            "mandatory_test": kind.eq("testing") & _is(m, "mandatory"),
            "reflection": kind.eq("reflection_period") & _is(m, "granted"),
            "residence_decision": residence,
            "residence_granted": residence & _is(m, "granted"),
            "investigation": kind.eq("investigation") & _is(m, "opened"),
            "claimed": compensation & m["fact_amount_claimed"].gt(0),
            "awarded": compensation & m["fact_amount_awarded"].gt(0),
            "paid": paid,
            "paid_confiscated": paid & _is(m, "paid_from_confiscated_assets"),
        }
    )
    per_case = flags.groupby("case_key").any()
    flagged = persons[[]].join(per_case).fillna(False).astype(bool)
    granted = m[kind.eq("reflection_period") & _is(m, "granted")]
    flagged["reflection_days"] = granted.groupby("case_key")["fact_days"].max()

    steps = data.services[data.services["on"].between(start, end)]
    flagged["service_step"] = persons.index.isin(steps["case_key"])
    flagged["refused"] = persons.index.isin(steps.loc[steps["status"].eq("refused"), "case_key"])

    everything = data.measures
    appointed = everything[everything["measure_type"].eq("guardian_appointment") & _is(everything, "appointed")]
    guardian_on = appointed.groupby("case_key")["decided_on"].min().reindex(persons.index)
    referred_in = persons["referred_on"].between(start, end)
    flagged["children_referred"] = persons["is_child"] & referred_in
    due = guardian_due(persons["referred_on"].where(flagged["children_referred"]), framework)
    flagged["guardian_on_time"] = flagged["children_referred"] & (guardian_on <= due)

    first_decision = persons[["identified_on", "not_identified_on"]].min(axis=1)
    decided = first_decision.between(start, end) & (persons["referred_on"] <= first_decision)
    flagged["decision_days"] = (first_decision - persons["referred_on"]).dt.days.where(decided)
    flagged["protected"] = protected_during(period, persons)
    return flagged


def _person_counts(persons: pd.DataFrame, flags: pd.DataFrame, period: Period) -> dict[str, pd.Series]:
    start, end = _day(period.start), _day(period.end)
    return {
        "persons_referred": persons["referred_on"].between(start, end),
        "persons_presumed": persons["presumed_on"].between(start, end),
        "persons_identified": persons["identified_on"].between(start, end),
        "detained_presumed_victims": flags["detained"],
        "detained_child_victims": persons["is_child"] & flags["detained"],
        "prosecuted_for_status_offences": flags["prosecuted"],
        "support_conditional_on_cooperation": flags["conditional"],
        "services_refused": flags["refused"],
        "mandatory_testing": flags["mandatory_test"],
        "reflection_periods_granted": flags["reflection"],
        "residence_permits_during_proceedings": flags["residence_granted"],
        "children_guardian_within_target": flags["guardian_on_time"],
        "investigations_opened": flags["investigation"],
        "compensation_claimed": flags["claimed"],
        "compensation_awarded": flags["awarded"],
        "compensation_paid": flags["paid"],
        "compensation_paid_from_confiscated_assets": flags["paid_confiscated"],
        "identification_decision_days": flags["decision_days"].notna(),
        "reflection_period_days": flags["reflection_days"].notna(),
    }


def _person_populations(persons: pd.DataFrame, flags: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        "protected_in_period": flags["protected"],
        "children_protected_in_period": persons["is_child"] & flags["protected"],
        "cooperation_sensitive_decisions": flags["cooperation_decision"],
        "service_steps": flags["service_step"],
        "tested": flags["tested"],
        "residence_decisions_during_proceedings": flags["residence_decision"],
        "children_referred": flags["children_referred"],
    }


PERSON_VALUES = {"identification_decision_days": "decision_days", "reflection_period_days": "reflection_days"}


def _measure_units(data: _Frames) -> pd.DataFrame:
    dimensions = data.cases[[*CASE_DIMENSIONS, "forms"]]
    units = data.in_period.merge(dimensions, left_on="case_key", right_index=True).reset_index(drop=True)
    units["rules"] = units["violated_rules"].map(_clean_list)
    units["measure_type"] = units["measure_type"].astype(object).fillna(UNKNOWN)
    returns = units["measure_type"].eq("return")
    units["returns"] = returns
    units["returns_with_risk_assessment"] = returns & _is(units, "risk_assessment")
    units["voluntary_returns"] = returns & _is(units, "voluntary")
    units["measures_with_violations"] = units["outcome"].eq("violation")
    units["measures_overridden"] = units["overridden"].eq(True)
    return units


def _money(data: _Frames, indicator_id: str) -> pd.DataFrame:
    """One row per person and currency with a positive amount: the amount summed."""
    claims = data.in_period[data.in_period["measure_type"].eq("compensation")]
    amount = claims[MONEY[indicator_id]]
    condition = amount.gt(0)
    if indicator_id == "compensation_paid_from_confiscated_assets":
        condition &= _is(claims, "paid_from_confiscated_assets")
    claims = claims.assign(amount=amount.where(condition), currency=claims["currency"].astype(object).fillna(UNKNOWN))
    per_person = claims.groupby(["case_key", "currency"])["amount"].sum(min_count=1).dropna().reset_index()
    dimensions = data.cases[[*CASE_DIMENSIONS, "forms"]]
    return per_person.merge(dimensions, left_on="case_key", right_index=True).reset_index(drop=True)


def _tabulate(
    units: pd.DataFrame, breakdown: Breakdown, value: str | None = None, statistic: str | None = None
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], float]]:
    """Counts (and medians or sums of `value`) per cell, margins included."""
    counts: dict[tuple[str, str], int] = {}
    values: dict[tuple[str, str], float] = {}
    for grouping in grouping_sets(breakdown):
        frame = units
        for dimension in grouping:
            if dimension in LISTS:
                frame = frame.explode(LISTS[dimension]).rename(columns={LISTS[dimension]: dimension})
        if not grouping:
            counts[(TOTAL, TOTAL)] = len(frame)
            if statistic is not None and len(frame):
                values[(TOTAL, TOTAL)] = float(getattr(frame[value], statistic)())
            continue
        groups = frame.groupby(list(grouping))
        sizes = groups.size()
        stats = getattr(groups[value], statistic)() if statistic is not None else None
        for key, size in sizes.items():
            group = key if isinstance(key, tuple) else (key,)
            cell = cell_key(breakdown, dict(zip(grouping, group, strict=True)))
            counts[cell] = int(size)
            if stats is not None:
                values[cell] = float(stats[key])
    return counts, values


def _results(
    indicator: Indicator,
    breakdowns: Sequence[Breakdown],
    values: dict[str, tuple[str, ...]],
    units: pd.DataFrame,
    population: pd.DataFrame | None,
    money: pd.DataFrame | None,
) -> list[IndicatorResult]:
    results = []
    value_column = PERSON_VALUES.get(indicator.id)
    for breakdown in breakdowns:
        if money is not None and "currency" in breakdown:
            counts, _ = _tabulate(units, (breakdown[0], None))
            per_currency, sums = _tabulate(money, breakdown, "amount", "sum")
            counts.update({cell: count for cell, count in per_currency.items() if cell[1] != TOTAL})
            cell_values: dict[tuple[str, str], float] | None = {c: v for c, v in sums.items() if c[1] != TOTAL}
        elif value_column is not None:
            counts, cell_values = _tabulate(units, breakdown, value_column, "median")
        else:
            counts, cell_values = _tabulate(units, breakdown)[0], None
        table = count_table(table_id(indicator, breakdown), indicator.id, breakdown, values, counts)
        denominator = None
        if population is not None and indicator.denominator is not None:
            population_counts, _ = _tabulate(population, breakdown)
            denominator = count_table(
                table_id(indicator, breakdown, denominator=True),
                indicator.denominator,
                breakdown,
                values,
                population_counts,
            )
        shown = None
        if indicator.kind in {"median", "sum"}:
            if cell_values is None:
                raise RuntimeError(f"{indicator.id}: a median or sum indicator without values")
            shown = {cell: cell_values.get(cell) if count else None for cell, count in table.cells.items()}
        results.append(IndicatorResult(indicator, breakdown, table, denominator, shown))
    return results


def compute_with_pandas(
    records: MonitoringRecords,
    period: Period,
    *,
    breakdowns: Sequence[Breakdown] | None = None,
    indicators: Sequence[str] | None = None,
    framework: Framework | None = None,
    catalogue: Catalogue | None = None,
) -> list[IndicatorResult]:
    """The same results as compute.compute, computed with pandas alone."""
    records.check()
    if framework is None:
        from rightsfirst.framework.loader import default_framework

        framework = default_framework()
    plan = make_plan(records, breakdowns, indicators, catalogue)
    data = _frames(records, period)
    persons = data.cases
    flags = _person_flags(persons, data, period, framework)
    person_units = persons[[*CASE_DIMENSIONS, "forms"]].join(flags[list(PERSON_VALUES.values())])
    counted = _person_counts(persons, flags, period)
    populations = _person_populations(persons, flags)
    measure_units = _measure_units(data) if any(i.counted == "measures" for i in plan.indicators) else None
    results: list[IndicatorResult] = []
    for indicator in plan.indicators:
        breakdowns_of = plan.breakdowns[indicator.id]
        if indicator.counted == "measures":
            if measure_units is None:
                raise RuntimeError(f"{indicator.id}: counted in measures, but no measure units were built")
            units = measure_units[measure_units[indicator.id]]
            population = measure_units[measure_units[indicator.denominator]] if indicator.denominator else None
            results += _results(indicator, breakdowns_of, dict(plan.values), units, population, None)
            continue
        if indicator.id not in counted:
            raise ValueError(f"no computation for indicator {indicator.id}")
        units = person_units[counted[indicator.id]]
        population = person_units[populations[indicator.denominator]] if indicator.denominator else None
        money = _money(data, indicator.id) if indicator.kind == "sum" else None
        results += _results(indicator, breakdowns_of, dict(plan.values), units, population, money)
    return results
