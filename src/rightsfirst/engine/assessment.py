"""The engine's public operations: screen, entitlements, review, and assess (all three)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rightsfirst.engine import entitlement_rules as entitlements_module
from rightsfirst.engine import review_rules as review_module
from rightsfirst.engine import screening as screening_module
from rightsfirst.engine.inputs import Case, Person, Situation, merge_person
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
    case = case or Case()
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
