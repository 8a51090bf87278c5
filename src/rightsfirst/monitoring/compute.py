"""Indicators computed with DuckDB over the Arrow record tables.

The records are registered with DuckDB without copying. The unit tables are built once per
call, each row carrying its dimensions and one column per indicator (or population) saying
whether the row counts for it:

- `persons`: one row per case (person), with the values medians are taken of;
- `person_cube`: the persons counted per combination of all their dimensions, which the person
  counts of every table are summed from (far fewer rows to group than persons);
- `measure_units`: one row per measure counted by a measure-counted indicator;
- `money`: one row per person and currency of compensation measures in the period.

Then one GROUPING SETS query per table (and per list dimension to unnest) computes every cell
and margin of every requested table at once; `form` and `rule` are unnested only in the
groupings that contain them, so their totals stay counts of distinct persons or measures.
The definitions are in indicators.yaml; baseline.py computes the same with pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from rightsfirst.framework.model import Framework
from rightsfirst.monitoring.grouping import Plan, Source, assemble, make_plan
from rightsfirst.monitoring.indicators import Breakdown, Catalogue, IndicatorResult, Period
from rightsfirst.monitoring.records import MonitoringRecords
from rightsfirst.monitoring.vocabulary import COOPERATION_CONDITIONS, STATUS_OFFENCES, guardian_due_dates


def _quoted(values: Sequence[str]) -> str:
    # Only the engine's own vocabulary reaches SQL text this way; record values never do.
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


IN_PERIOD = "BETWEEN $start AND $end"
PROTECTED_AT = "protected_at(m.decided_on, d.presumed_on, d.identified_on, d.not_identified_on)"
RESIDENCE_IN_PROCEEDINGS = (
    "m.measure_type = 'residence_permit' AND (m.fact_grounds = 'proceedings' OR m.fact_proceedings_pending IS TRUE)"
)
CONDITIONAL = " OR ".join(
    f"(m.measure_type = '{measure_type}' AND ({' OR '.join(f'm.fact_{fact} IS TRUE' for fact in facts)}))"
    for measure_type, facts in COOPERATION_CONDITIONS.items()
)

# What a case's measures in the period say. Each condition is one bit of a per-case mask (one
# bit_or aggregate is far cheaper than a dozen bool_or ones over millions of measures).
MEASURE_CONDITIONS = {
    "cooperation_decision": f"m.measure_type IN ({_quoted(tuple(COOPERATION_CONDITIONS))})",
    "conditional": CONDITIONAL,
    "tested": "m.measure_type = 'testing'",
    "mandatory_test": "m.measure_type = 'testing' AND m.fact_mandatory IS TRUE",
    "reflection": "m.measure_type = 'reflection_period' AND m.fact_granted IS TRUE",
    "residence_decision": RESIDENCE_IN_PROCEEDINGS,
    "residence_granted": f"{RESIDENCE_IN_PROCEEDINGS} AND m.fact_granted IS TRUE",
    "investigation": "m.measure_type = 'investigation' AND m.fact_opened IS TRUE",
    "claimed": "m.measure_type = 'compensation' AND m.fact_amount_claimed > 0",
    "awarded": "m.measure_type = 'compensation' AND m.fact_amount_awarded > 0",
    "paid": "m.measure_type = 'compensation' AND m.fact_amount_paid > 0",
    "paid_confiscated": "m.measure_type = 'compensation' AND m.fact_amount_paid > 0 "
    "AND m.fact_paid_from_confiscated_assets IS TRUE",
}
# Conditions on the person's status on the measure's day: only these need the case's dates.
STATUS_CONDITIONS = {
    "detained": f"m.measure_type = 'detention' AND {PROTECTED_AT}",
    "prosecuted": f"m.measure_type = 'prosecution' AND m.fact_offence IN ({_quoted(STATUS_OFFENCES)}) "
    f"AND {PROTECTED_AT}",
}
FLAGS = {
    **{name: f"(f.mask & {1 << bit}) <> 0" for bit, name in enumerate(MEASURE_CONDITIONS)},
    **{name: f"h.{name}" for name in STATUS_CONDITIONS},
}

FIRST_DECISION = "least(d.identified_on, d.not_identified_on)"
PROTECTED_DURING = "protected_during($start, $end, d.presumed_on, d.identified_on, d.not_identified_on)"
CHILD_REFERRED = f"d.child IS TRUE AND d.referred_on {IN_PERIOD}"

# Person-counted indicators and populations: the condition for a person to count.
PERSON_FLAGS = {
    "persons_referred": f"d.referred_on {IN_PERIOD}",
    "persons_presumed": f"d.presumed_on {IN_PERIOD}",
    "persons_identified": f"d.identified_on {IN_PERIOD}",
    "detained_presumed_victims": "{detained}",
    "detained_child_victims": "d.child IS TRUE AND {detained}",
    "prosecuted_for_status_offences": "{prosecuted}",
    "support_conditional_on_cooperation": "{conditional}",
    "services_refused": "s.refused",
    "mandatory_testing": "{mandatory_test}",
    "reflection_periods_granted": "{reflection}",
    "residence_permits_during_proceedings": "{residence_granted}",
    "children_guardian_within_target": f"{CHILD_REFERRED} AND g.guardian_on <= due.due",
    "investigations_opened": "{investigation}",
    # For sums, whether the person counts in a total across currencies.
    "compensation_claimed": "{claimed}",
    "compensation_awarded": "{awarded}",
    "compensation_paid": "{paid}",
    "compensation_paid_from_confiscated_assets": "{paid_confiscated}",
}
POPULATIONS = {
    "protected_in_period": "d.protected",
    "children_protected_in_period": "d.child IS TRUE AND d.protected",
    "cooperation_sensitive_decisions": "{cooperation_decision}",
    "service_steps": "s.case_key IS NOT NULL",
    "tested": "{tested}",
    "residence_decisions_during_proceedings": "{residence_decision}",
    "children_referred": CHILD_REFERRED,
}
PERSON_VALUES = {
    "identification_decision_days": f"CASE WHEN {FIRST_DECISION} {IN_PERIOD} AND d.referred_on <= {FIRST_DECISION} "
    f"THEN date_diff('day', d.referred_on, {FIRST_DECISION}) END",
    "reflection_period_days": "f.reflection_days",
}
MEASURE_INDICATORS = {
    "returns_with_risk_assessment": "m.measure_type = 'return' AND m.fact_risk_assessment IS TRUE",
    "voluntary_returns": "m.measure_type = 'return' AND m.fact_voluntary IS TRUE",
    "measures_with_violations": "m.outcome = 'violation'",
    "measures_overridden": "m.overridden IS TRUE",
}
MEASURE_POPULATIONS = {"returns": "m.measure_type = 'return'"}
MONEY = {
    "compensation_claimed": ("m.fact_amount_claimed", "m.fact_amount_claimed > 0"),
    "compensation_awarded": ("m.fact_amount_awarded", "m.fact_amount_awarded > 0"),
    "compensation_paid": ("m.fact_amount_paid", "m.fact_amount_paid > 0"),
    "compensation_paid_from_confiscated_assets": (
        "m.fact_amount_paid",
        "m.fact_amount_paid > 0 AND m.fact_paid_from_confiscated_assets IS TRUE",
    ),
}
IMPLEMENTED = frozenset(PERSON_FLAGS) | frozenset(PERSON_VALUES) | frozenset(MEASURE_INDICATORS)

MACROS = """
CREATE OR REPLACE TEMP MACRO last_positive(d, presumed, identified) AS
    greatest(CASE WHEN presumed <= d THEN presumed END, CASE WHEN identified <= d THEN identified END);
CREATE OR REPLACE TEMP MACRO protected_at(d, presumed, identified, negative) AS
    coalesce(last_positive(d, presumed, identified) IS NOT NULL
        AND (negative IS NULL OR negative > d OR negative < last_positive(d, presumed, identified)), false);
CREATE OR REPLACE TEMP MACRO protected_during(s, e, presumed, identified, negative) AS
    protected_at(s, presumed, identified, negative)
    OR coalesce(presumed BETWEEN s AND e AND protected_at(presumed, presumed, identified, negative), false)
    OR coalesce(identified BETWEEN s AND e AND protected_at(identified, presumed, identified, negative), false);
"""


def _distinct_or_unknown(column: str) -> str:
    # The values of a list without nulls or repeats, or ['unknown'] for none. Most lists hold one
    # value: they skip list_distinct, which costs about eight times as much.
    return (
        f"CASE WHEN len({column}) = 1 AND {column}[1] IS NOT NULL THEN {column} "
        f"WHEN len(list_distinct({column})) > 0 THEN list_distinct({column}) ELSE ['unknown'] END"
    )


# The dimensions of a person, read from the cases table (aliased d). Each is cast to an ENUM of
# the dimension's values (plan.values, registered as a table: no record value becomes SQL text):
# one byte per value instead of a string, so that grouping a million persons by all their
# dimensions hashes small integers.
DIMENSION_COLUMNS = f"""
    d.case_key,
    CAST(coalesce(d.age_band, 'unknown') AS dimension_age_band) AS age_band,
    CAST(coalesce(d.sex, 'unknown') AS dimension_sex) AS sex,
    CAST(coalesce(d.nationality, 'unknown') AS dimension_nationality) AS nationality,
    CAST(coalesce(d.agency, 'unknown') AS dimension_agency) AS agency,
    CAST(coalesce(d.region, 'unknown') AS dimension_region) AS region,
    CAST(CASE WHEN d.child THEN 'yes' WHEN NOT d.child THEN 'no' ELSE 'unknown' END AS dimension_child) AS child,
    CAST(coalesce(d.stage, 'unknown') AS dimension_stage) AS stage,
    CAST({_distinct_or_unknown("d.forms")} AS dimension_form[]) AS forms"""
ENUM_DIMENSIONS = ("age_band", "sex", "nationality", "agency", "region", "child", "stage", "form")
CUBE_DIMENSIONS = "age_band, sex, nationality, agency, region, child, stage, forms"
# Measure and money rows take the person's dimensions from the persons table (aliased p).
PERSON_DIMENSIONS = "p.case_key, p.age_band, p.sex, p.nationality, p.agency, p.region, p.child, p.stage, p.forms"


def _flag(expression: str) -> str:
    return f"coalesce({expression}, false)"


def _persons_sql() -> str:
    mask = " | ".join(
        f"(CASE WHEN {condition} THEN {1 << bit} ELSE 0 END)"
        for bit, condition in enumerate(MEASURE_CONDITIONS.values())
    )
    status = ", ".join(f"bool_or({condition}) AS {name}" for name, condition in STATUS_CONDITIONS.items())
    columns = [f"{_flag(expr.format(**FLAGS))} AS n_{name}" for name, expr in PERSON_FLAGS.items()]
    columns += [f"{_flag(expr.format(**FLAGS))} AS p_{name}" for name, expr in POPULATIONS.items()]
    columns += [f"{expr} AS v_{name}" for name, expr in PERSON_VALUES.items()]
    return f"""
CREATE OR REPLACE TEMP TABLE persons AS
WITH f AS (
    SELECT m.case_key, bit_or({mask}) AS mask,
        max(m.fact_days) FILTER (WHERE m.measure_type = 'reflection_period' AND m.fact_granted IS TRUE)
            AS reflection_days
    FROM measures_arrow m
    WHERE m.decided_on {IN_PERIOD}
    GROUP BY m.case_key
), h AS (
    SELECT m.case_key, {status}
    FROM measures_arrow m JOIN cases_arrow d USING (case_key)
    WHERE m.decided_on {IN_PERIOD} AND m.measure_type IN ('detention', 'prosecution')
    GROUP BY m.case_key
), s AS (
    SELECT case_key, bool_or(status = 'refused') AS refused
    FROM services_arrow WHERE "on" {IN_PERIOD} GROUP BY case_key
), g AS (
    SELECT case_key, min(decided_on) AS guardian_on FROM measures_arrow
    WHERE measure_type = 'guardian_appointment' AND fact_appointed IS TRUE GROUP BY case_key
)
SELECT {DIMENSION_COLUMNS},
    {", ".join(columns)}
FROM (SELECT *, {PROTECTED_DURING} AS protected FROM cases_arrow d) d
LEFT JOIN f USING (case_key) LEFT JOIN h USING (case_key) LEFT JOIN s USING (case_key) LEFT JOIN g USING (case_key)
LEFT JOIN guardian_due due ON due.referred_on = d.referred_on
"""  # nosec B608  # built only from the catalogue's own names and conditions


def _measure_units_sql() -> str:
    wanted = " OR ".join(
        f"({expression})" for expression in [*MEASURE_INDICATORS.values(), *MEASURE_POPULATIONS.values()]
    )
    columns = [f"{_flag(expr)} AS n_{name}" for name, expr in MEASURE_INDICATORS.items()]
    columns += [f"{_flag(expr)} AS p_{name}" for name, expr in MEASURE_POPULATIONS.items()]
    return f"""
CREATE OR REPLACE TEMP TABLE measure_units AS
SELECT {PERSON_DIMENSIONS}, coalesce(m.measure_type, 'unknown') AS measure_type,
    {_distinct_or_unknown("m.violated_rules")} AS rules,
    {", ".join(columns)}
FROM measures_arrow m JOIN persons p USING (case_key)
WHERE m.decided_on {IN_PERIOD} AND ({wanted})
"""  # nosec B608  # built only from the catalogue's own names and conditions


def _money_sql() -> str:
    sums = ", ".join(
        f"sum({amount}) FILTER (WHERE {condition}) AS a_{name}" for name, (amount, condition) in MONEY.items()
    )
    return f"""
CREATE OR REPLACE TEMP TABLE money AS
WITH per_currency AS (
    SELECT m.case_key, coalesce(m.currency, 'unknown') AS currency, {sums}
    FROM measures_arrow m
    WHERE m.measure_type = 'compensation' AND m.decided_on {IN_PERIOD}
    GROUP BY ALL
)
SELECT {PERSON_DIMENSIONS}, c.* EXCLUDE (case_key)
FROM per_currency c JOIN persons p USING (case_key)
"""  # nosec B608  # built only from the catalogue's own names and conditions


def _cube_sql() -> str:
    counts = [f"count_if(n_{name}) AS n_{name}" for name in PERSON_FLAGS]
    counts += [f"count_if(p_{name}) AS p_{name}" for name in POPULATIONS]
    return f"""
CREATE OR REPLACE TEMP TABLE person_cube AS
SELECT {CUBE_DIMENSIONS}, {", ".join(counts)}
FROM persons
GROUP BY {CUBE_DIMENSIONS}
"""  # nosec B608  # built only from the catalogue's own names and conditions


def _sources() -> dict[str, Source]:
    return {
        "persons": Source("persons", {"form": "forms"}),
        "person_cube": Source("person_cube", {"form": "forms"}),
        "measure_units": Source("measure_units", {"form": "forms", "rule": "rules"}),
        "money": Source("money", {"form": "forms"}),
    }


def _guardian_due_table(records: MonitoringRecords, period: Period, framework: Framework) -> pa.Table:
    cases = records.cases
    referred = cases["referred_on"]
    in_period = pc.and_(
        pc.and_(pc.greater_equal(referred, pa.scalar(period.start)), pc.less_equal(referred, pa.scalar(period.end))),
        pc.fill_null(cases["child"], False),
    )
    days = [day for day in pc.unique(pc.filter(referred, in_period)).to_pylist() if day is not None]
    due = guardian_due_dates(framework, days)
    return pa.table({"referred_on": pa.array(list(due), pa.date32()), "due": pa.array(list(due.values()), pa.date32())})


def _run(con: duckdb.DuckDBPyConnection, plan: Plan, period: Period) -> dict[str, list[tuple[object, ...]]]:
    params = {"start": period.start, "end": period.end}
    for statement in MACROS.strip().split(";"):
        if statement.strip():
            con.execute(statement)
    duplicates = con.execute("SELECT count(*) - count(DISTINCT case_key) FROM cases_arrow").fetchone()
    if duplicates is not None and duplicates[0]:
        raise ValueError(f"cases: {duplicates[0]} case_key value(s) appear more than once; each case needs its own")
    for dimension in ENUM_DIMENSIONS:
        # The values come from a registered table: no record value is ever part of the text.
        values = f"SELECT value FROM values_{dimension}"  # nosec B608  # our own dimension names only
        con.execute(f"CREATE TYPE dimension_{dimension} AS ENUM ({values})")
    tables = plan.tables()
    con.execute(_persons_sql(), params)  # every other table takes the persons' dimensions from it
    if "person_cube" in tables:
        con.execute(_cube_sql())
    if "measure_units" in tables:
        con.execute(_measure_units_sql(), params)
    if "money" in tables:
        con.execute(_money_sql(), params)
    return {key: con.execute(sql).fetchall() for key, sql in plan.queries(_sources())}


def compute(
    records: MonitoringRecords,
    period: Period,
    *,
    breakdowns: Sequence[Breakdown] | None = None,
    indicators: Sequence[str] | None = None,
    framework: Framework | None = None,
    catalogue: Catalogue | None = None,
) -> list[IndicatorResult]:
    """Every selected indicator (default: all) for the period and breakdowns (default: each
    indicator's default breakdowns), computed with DuckDB.

    `framework` gives the jurisdiction profile (the guardian target); default: the international
    one. Results are in catalogue order, then breakdown order.
    """
    records.check()
    if framework is None:
        from rightsfirst.framework.loader import default_framework

        framework = default_framework()
    plan = make_plan(records, breakdowns, indicators, catalogue)
    missing = [indicator.id for indicator in plan.indicators if indicator.id not in IMPLEMENTED]
    if missing:
        raise ValueError(f"no computation for indicator(s) {', '.join(missing)}")
    con = duckdb.connect(":memory:")
    try:
        # Nothing derived from the records goes to disk: no spilling to a temporary directory.
        con.execute("SET temp_directory = ''")
        con.register("cases_arrow", records.cases)
        con.register("measures_arrow", records.measures)
        con.register("services_arrow", records.services)
        con.register("guardian_due", _guardian_due_table(records, period, framework))
        for dimension in ENUM_DIMENSIONS:
            con.register(f"values_{dimension}", pa.table({"value": pa.array(plan.values[dimension], pa.string())}))
        rows = _run(con, plan, period)
    finally:
        con.close()
    return assemble(plan, rows)
