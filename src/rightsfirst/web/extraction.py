"""From the case database to the de-identified monitoring records (rightsfirst.monitoring.records).

Only coded columns are read: no sealed column is ever selected, so nothing here can decrypt a
name or a note, and the records carry no case reference (a `case_key` is a number given in this
extraction only). Cases, their measures and their service steps are read in batches inside one
transaction; a measure or step of a case created after the cases were read is left out, so the
tables always agree with each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
from django.db import transaction
from django.db.models import QuerySet

from rightsfirst.engine.inputs import SITUATION_SPEC
from rightsfirst.monitoring.ages import AGE_BANDS, age_band_of_situation
from rightsfirst.monitoring.records import (
    CASE_COLUMNS,
    FACT_COLUMNS,
    FORMS,
    MEASURE_COLUMNS,
    SERVICE_COLUMNS,
    MonitoringRecords,
    case_schema,
    measure_schema,
    service_schema,
)
from rightsfirst.web.models import Case, Measure, ServiceEvent

BATCH = 5_000
_FACT_NAMES = {column.name.removeprefix("fact_"): column for column in FACT_COLUMNS}
_NUMERIC_FACTS = frozenset(name for name, column in _FACT_NAMES.items() if pa.types.is_floating(column.type))


def _purpose_aliases() -> dict[str, str]:
    spec = next(field for field in SITUATION_SPEC.fields if field.name == "purposes")
    names = {purpose: purpose for purpose in spec.choices}
    names.update(spec.aliases)
    return names


_PURPOSES = _purpose_aliases()


def forms_of(stored: str) -> list[str]:
    """The case's forms of exploitation in the engine's words (aliases resolved, unknown words left out)."""
    found = {_PURPOSES[item] for item in stored.split(",") if item in _PURPOSES}
    return [form for form in FORMS if form in found]


def _latest_situations(cases: QuerySet[Case]) -> dict[int, dict[str, Any]]:
    from rightsfirst.web.models import Screening

    latest: dict[int, tuple[int, dict[str, Any]]] = {}
    rows = Screening.objects.filter(case__in=cases.values("pk")).values_list("case_id", "number", "situation")
    for case_id, number, situation in rows.iterator(chunk_size=BATCH):
        known = latest.get(case_id)
        if known is None or number > known[0]:
            latest[case_id] = (number, situation if isinstance(situation, dict) else {})
    return {case_id: situation for case_id, (_number, situation) in latest.items()}


def _not_identified_on(cases: QuerySet[Case]) -> dict[int, dt.date]:
    # The latest negative identification decision: a later positive one leaves identified_on set too.
    found: dict[int, dt.date] = {}
    rows = Measure.objects.filter(case__in=cases.values("pk"), measure_type="identification_decision").values_list(
        "case_id", "decided_on", "facts"
    )
    for case_id, decided_on, facts in rows.iterator(chunk_size=BATCH):
        negative = isinstance(facts, dict) and facts.get("decision") == "not_identified"
        if negative and (case_id not in found or decided_on > found[case_id]):
            found[case_id] = decided_on
    return found


def _columns(names: Iterable[str]) -> dict[str, list[Any]]:
    return {name: [] for name in names}


def _table(columns: dict[str, list[Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pydict(columns, schema=schema)


def _case_rows(cases: QuerySet[Case]) -> Iterator[tuple[Any, ...]]:
    fields = (
        "pk",
        "referred_on",
        "holding_agency__name",
        "holding_agency__region",
        "stage",
        "finding",
        "reasonable_grounds_on",
        "identified_on",
        "age_band",
        "treated_as_child",
        "person__sex",
        "person__nationality",
        "forms_of_exploitation",
        "reflection_period_days",
    )
    yield from cases.order_by("pk").values_list(*fields).iterator(chunk_size=BATCH)


def _violated_rules(review: Any) -> list[str]:
    findings = review.get("findings") if isinstance(review, dict) else None
    return sorted(
        {item["rule"] for item in findings or () if isinstance(item, dict) and item.get("outcome") == "violation"}
    )


def _fact_value(name: str, value: Any) -> Any:
    # Facts were validated by the engine when saved; anything else (a hand-edited row) is left out.
    column = _FACT_NAMES[name]
    if pa.types.is_boolean(column.type):
        return value if isinstance(value, bool) else None
    if name in _NUMERIC_FACTS:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return value if isinstance(value, str) else None


def extract(cases: QuerySet[Case] | None = None, source: str = "application database") -> MonitoringRecords:
    """The monitoring records of the given cases (all cases by default), read in one transaction."""
    scope = Case.objects.all() if cases is None else cases
    with transaction.atomic():
        return _extract(scope, source)


def _extract(scope: QuerySet[Case], source: str) -> MonitoringRecords:
    situations = _latest_situations(scope)
    negatives = _not_identified_on(scope)
    keys: dict[int, int] = {}
    case_columns = _columns(column.name for column in CASE_COLUMNS)
    for case_row in _case_rows(scope):
        (pk, referred_on, agency, region, stage, finding, presumed_on, identified_on, stored_band, child) = case_row[
            :10
        ]
        sex, nationality, forms, reflection_days = case_row[10:]
        key = keys[pk] = len(keys) + 1
        # An erased case keeps only its band; its screenings no longer hold an age.
        band = stored_band if stored_band in AGE_BANDS else age_band_of_situation(situations.get(pk), child)
        values = {
            "case_key": key,
            "referred_on": referred_on,
            "agency": agency,
            "region": region or None,
            "stage": stage,
            "finding": finding or None,
            "presumed_on": presumed_on,
            "identified_on": identified_on,
            "not_identified_on": negatives.get(pk),
            "age_band": band,
            "child": child,
            "sex": sex if sex and sex != "not_known" else None,
            "nationality": nationality.upper() if nationality else None,
            "forms": forms_of(forms),
            "reflection_days": reflection_days,
        }
        for name, value in values.items():
            case_columns[name].append(value)

    measure_columns = _columns(column.name for column in MEASURE_COLUMNS)
    measures = (
        Measure.objects.filter(case__in=scope.values("pk"))
        .order_by("pk")
        .values_list(
            "case_id",
            "measure_type",
            "decided_on",
            "agency__name",
            "outcome",
            "overridden",
            "review",
            "facts",
            "details",
        )
        .iterator(chunk_size=BATCH)
    )
    for case_id, measure_type, decided_on, agency, outcome, overridden, review, facts, details in measures:
        if case_id not in keys:
            continue
        currency = details.get("currency") if isinstance(details, dict) else None
        measure: dict[str, Any] = {
            "case_key": keys[case_id],
            "measure_type": measure_type,
            "decided_on": decided_on,
            "agency": agency,
            "outcome": outcome,
            "overridden": overridden,
            "violated_rules": _violated_rules(review),
            "currency": currency.upper() if isinstance(currency, str) and currency else None,
        }
        known = facts if isinstance(facts, dict) else {}
        for name in _FACT_NAMES:
            measure[f"fact_{name}"] = _fact_value(name, known[name]) if name in known else None
        for name, value in measure.items():
            measure_columns[name].append(value)

    service_columns = _columns(column.name for column in SERVICE_COLUMNS)
    steps = (
        ServiceEvent.objects.filter(case__in=scope.values("pk"))
        .order_by("pk")
        .values_list("case_id", "entitlement", "status", "on", "agency__name")
        .iterator(chunk_size=BATCH)
    )
    for case_id, entitlement, status, on, agency in steps:
        if case_id not in keys:
            continue
        for name, value in zip(
            ("case_key", "entitlement", "status", "on", "agency"),
            (keys[case_id], entitlement, status, on, agency),
            strict=True,
        ):
            service_columns[name].append(value)

    records = MonitoringRecords(
        _table(case_columns, case_schema()),
        _table(measure_columns, measure_schema()),
        _table(service_columns, service_schema()),
        source,
    )
    records.check()
    return records
