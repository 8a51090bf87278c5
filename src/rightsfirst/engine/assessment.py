"""The engine's public operations: screen, entitlements, review, and assess (all three)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rightsfirst.engine import entitlement_rules as entitlements_module
from rightsfirst.engine import review_rules as review_module
from rightsfirst.engine import screening as screening_module
from rightsfirst.engine.inputs import Case, Person, ServiceRecord, Situation, merge_person
from rightsfirst.engine.measures import Measure
from rightsfirst.engine.results import (
    OUTCOME_RANK,
    Assessment,
    EntitlementsResult,
    ReviewResult,
    ScreeningResult,
)
from rightsfirst.framework.loader import default_framework
from rightsfirst.framework.model import Framework


def screen(situation: Situation, at: dt.date, framework: Framework | None = None) -> ScreeningResult:
    """Does the situation meet the international definition of trafficking on `at`?"""
    return screening_module.screen(situation, at, framework or default_framework())


def entitlements(
    person: Person,
    case: Case,
    at: dt.date,
    framework: Framework | None = None,
    screening: ScreeningResult | None = None,
) -> EntitlementsResult:
    """What the person is entitled to on `at`, with basis, duty bearer and due dates."""
    return entitlements_module.entitlements(person, case, at, framework or default_framework(), screening)


def review(
    measure: Measure,
    at: dt.date,
    person: Person | None = None,
    case: Case | None = None,
    framework: Framework | None = None,
    screening: ScreeningResult | None = None,
) -> ReviewResult:
    """Check one measure against the obligations, in the context of the person and the case."""
    context, assumptions = review_module.review_context(
        person or Person(), case or Case(), at, framework or default_framework(), screening
    )
    return review_module.review(measure, context, assumptions)


def assess(
    at: dt.date,
    situation: Situation | None = None,
    person: Person | None = None,
    case: Case | None = None,
    measures: Iterable[Measure] = (),
    framework: Framework | None = None,
) -> Assessment:
    """Screen the situation, list the entitlements and review every measure, for one case."""
    framework = framework or default_framework()
    measures = tuple(measures)
    case = _with_services_from(case or Case(), measures, at)
    if situation is not None:
        person = merge_person(person, situation.person) if person is not None else situation.person
    person = person or Person()
    screening = screening_module.screen(situation, at, framework) if situation is not None else None
    owed = entitlements_module.entitlements(person, case, at, framework, screening)
    context, assumptions = review_module.review_context(person, case, at, framework, screening)
    reviews = tuple(review_module.review(measure, context, assumptions) for measure in measures)
    outcome = max((item.outcome for item in reviews), key=OUTCOME_RANK.__getitem__, default="ok")
    return Assessment(
        screening=screening,
        entitlements=owed,
        reviews=reviews,
        outcome=outcome,
        at=at,
        framework_version=framework.version,
        profile=framework.profile.id,
    )


def _implied_service(measure: Measure) -> tuple[str, str] | None:
    """The entitlement a recorded measure delivers or offers, if any: (entitlement id, status)."""
    kind, flag, choice = measure.type, measure.flag, measure.choice
    if kind == "identification_decision" and choice("decision") is not None:
        return "identification_decision", "delivered"
    if kind == "guardian_appointment" and flag("appointed"):
        return "guardian", "delivered"
    if kind == "reflection_period" and flag("granted"):
        return "recovery_and_reflection_period", "delivered"
    if kind == "residence_permit" and flag("granted"):
        if choice("grounds") == "proceedings":
            return "residence_during_proceedings", "delivered"
        return "initial_temporary_residence", "delivered"
    if kind == "best_interests_determination" and flag("conducted"):
        return "best_interests_determination", "delivered"
    if kind == "child_views" and flag("heard"):
        return "child_views_heard", "delivered"
    if kind == "suspect_release_notification" and flag("notified_before_release"):
        return "notification_of_suspect_release", "delivered"
    if kind == "family_tracing" and flag("risk_assessment"):
        return "family_tracing", "offered"
    if kind == "support_offer":
        service = SERVICE_ENTITLEMENTS.get(choice("service") or "")
        if service is not None and not flag("conditional_on_cooperation") and not flag("conditional_on_testimony"):
            return service, "offered"
    return None


SERVICE_ENTITLEMENTS = {
    "shelter": "safe_shelter",
    "housing": "safe_shelter",
    "medical_care": "medical_and_psychological_care",
    "psychological_care": "medical_and_psychological_care",
    "counselling": "medical_and_psychological_care",
    "legal_assistance": "legal_assistance_and_interpreter",
    "interpretation": "legal_assistance_and_interpreter",
}


def _with_services_from(case: Case, measures: tuple[Measure, ...], at: dt.date) -> Case:
    """The case with the entitlements its recorded measures deliver, so both views agree.

    Only measures taken on or before `at` count (an undated one counts as taken); an offer made
    on conditions the review rejects delivers nothing.
    """
    implied = []
    recorded = {record.entitlement for record in case.services}
    for measure in measures:
        if measure.date is not None and measure.date > at:
            continue
        service = _implied_service(measure)
        if service is not None and service[0] not in recorded:
            implied.append(ServiceRecord(service[0], service[1], measure.date))
    if not implied:
        return case
    return case._replace(services=case.services + tuple(implied))


def clear_caches() -> None:
    """Forget every memoised intermediate result (benchmarks measure from cold caches)."""
    from rightsfirst.engine import dates, results

    results._merge.cache_clear()
    entitlements_module._PLANS.clear()
    screening_module._missing_facts.cache_clear()
    review_module._conclude.cache_clear()
    screening_module._element.cache_clear()
    screening_module._explain.cache_clear()
    dates._DUE_CACHE.clear()
