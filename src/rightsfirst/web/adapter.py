"""The one adapter from a stored case to the engine's inputs. Facts in, cited results out."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from rightsfirst import engine
from rightsfirst.framework.loader import load_framework
from rightsfirst.framework.model import Framework


@functools.cache
def _framework(profile: str) -> Framework:
    return load_framework(profile)


def framework() -> Framework:
    """The framework with the configured jurisdiction profile (loaded once per process)."""
    from django.conf import settings

    return _framework(settings.RIGHTSFIRST_PROFILE)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class CaseRecords:
    """What is stored about one case beyond its own row, each kind read once.

    A page that assesses a case and also shows its screening or measures reads them here instead
    of asking the database again (the case page did it four times).
    """

    latest_screening: Any | None
    # Newest first, as a case's measures are listed everywhere.
    measures: tuple[Any, ...]
    # In the order they happened: the last one for a right is its current status.
    service_events: tuple[Any, ...]


def records_of(case: Any) -> CaseRecords:
    """The case's latest screening, measures and service events."""
    return CaseRecords(
        latest_screening=case.screenings.order_by("-number").first(),
        measures=tuple(case.measures.all()),
        service_events=tuple(case.service_events.order_by("on", "recorded_at")),
    )


def situation_of(case: Any, records: CaseRecords | None = None) -> engine.Situation | None:
    """The facts of the latest screening, if the case has been screened."""
    latest = records.latest_screening if records else case.screenings.order_by("-number").first()
    return engine.situation_from_data(latest.situation, "situation") if latest else None


def measure_data(measure_type: str, decided_on: dt.date | None, facts: dict[str, Any]) -> dict[str, Any]:
    """A measure in the engine's input shape."""
    return {"type": measure_type, "date": _iso(decided_on), **facts}


def case_data(case: Any, exclude_measure: Any = None, records: CaseRecords | None = None) -> dict[str, Any]:
    """The case facts in the engine's input shape: dates, stage, services and proceedings."""
    latest: dict[str, Any] = {}
    events = records.service_events if records else case.service_events.order_by("on", "recorded_at")
    for event in events:
        latest[event.entitlement] = {"entitlement": event.entitlement, "status": event.status, "date": _iso(event.on)}
    proceedings = []
    measures = records.measures if records else case.measures.filter(measure_type="legal_proceedings")
    for measure in measures:
        if measure.measure_type != "legal_proceedings":
            continue
        if measure.pk == getattr(exclude_measure, "pk", None) or not measure.facts.get("proceeding"):
            continue
        proceedings.append(
            {
                "kind": measure.facts["proceeding"],
                "role": measure.facts.get("role"),
                "started_on": measure.details.get("started_on") or _iso(measure.decided_on),
                "ended_on": measure.details.get("ended_on"),
            }
        )
    data = {
        "stage": case.stage,
        "referred_on": _iso(case.referred_on),
        "reasonable_grounds_on": _iso(case.reasonable_grounds_on),
        "identified_on": _iso(case.identified_on),
        "reflection_period_started_on": _iso(case.reflection_period_started_on),
        "reflection_period_days": case.reflection_period_days,
        "services": list(latest.values()),
        "proceedings": [{k: v for k, v in item.items() if v is not None} for item in proceedings],
    }
    return {key: value for key, value in data.items() if value is not None}


def stored_measures(case: Any, records: CaseRecords | None = None) -> list[engine.Measure]:
    """Every stored measure of the case in the engine's input shape, newest first."""
    return [
        engine.measure_from_data(measure_data(item.measure_type, item.decided_on, item.facts_for_review()))
        for item in (records.measures if records else case.measures.all())
    ]


def assess_case(
    case: Any,
    at: dt.date,
    extra_measures: tuple[engine.Measure, ...] = (),
    records: CaseRecords | None = None,
) -> engine.Assessment:
    """Screen, list entitlements and review every stored measure (and any proposed ones) on `at`.

    `records` are the case's records when the caller has read them already (`records_of`).
    """
    records = records or records_of(case)
    return engine.assess(
        at,
        situation=situation_of(case, records),
        case=engine.case_from_data(case_data(case, records=records)),
        measures=(*stored_measures(case, records), *extra_measures),
        framework=framework(),
    )


def review_proposed(case: Any, measure: engine.Measure, at: dt.date) -> engine.ReviewResult:
    """Review one proposed measure in the context of the stored case (before anything is saved)."""
    return engine.assess(
        at,
        situation=situation_of(case),
        case=engine.case_from_data(case_data(case)),
        measures=(measure,),
        framework=framework(),
    ).reviews[0]
