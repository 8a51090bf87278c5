"""The engine's results: immutable, each carrying its citations and plain-language reasons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

RESULT_SCHEMA_VERSION = "1"

# Findings ordered by how far the facts go towards the definition; used to compare results.
FINDING_RANK = {
    "not_established": 0,
    "smuggling_only": 0,
    "insufficient_information": 1,
    "presumed": 2,
    "established": 3,
}
OUTCOME_RANK = {"ok": 0, "requires_justification": 1, "violation": 2}


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def merge_citations(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """Union of citation ids, sorted for deterministic output."""
    return _merge(tuple(groups))


@lru_cache(maxsize=16_384)
def _merge(groups: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    merged: set[str] = set()
    for group in groups:
        merged.update(group)
    return tuple(sorted(merged))


class ElementResult(NamedTuple):
    """The status of one element of the definition (action, means or purpose)."""

    element: str
    status: str  # met | not_met | unknown | not_required
    facts: tuple[str, ...]
    reason: str
    citations: tuple[str, ...]
    probable: bool = False
    indicated_by: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "status": self.status,
            "facts": list(self.facts),
            "probable": self.probable,
            "indicated_by": list(self.indicated_by),
            "reason": self.reason,
            "citations": list(self.citations),
        }


class MissingFact(NamedTuple):
    """A fact that is not known and could change the finding: the next question to ask."""

    field: str  # the situation field to fill in, e.g. `means` or `person.age`
    element: str  # what it decides: action, means, purpose, or age (whether the child path applies)
    question: str
    why: str

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"field": self.field, "element": self.element, "question": self.question, "why": self.why}


class RelatedPractice(NamedTuple):
    """An exploitative practice found without the action element of trafficking."""

    practice: str
    reason: str
    citations: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"practice": self.practice, "reason": self.reason, "citations": list(self.citations)}


class DimensionResult(NamedTuple):
    """How the observed indicators of one dimension combine."""

    dimension: str
    title: str
    positive: bool
    strong: int
    medium: int
    weak: int
    indicator_set: str
    bears_on: str
    indicators: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "dimension": self.dimension,
            "title": self.title,
            "positive": self.positive,
            "counts": {"strong": self.strong, "medium": self.medium, "weak": self.weak},
            "indicator_set": self.indicator_set,
            "bears_on": self.bears_on,
            "indicators": list(self.indicators),
        }


class IndicatorResult(NamedTuple):
    """The indicator analysis: which dimensions are positive and what they suggest."""

    sets: tuple[str, ...]
    dimensions: tuple[DimensionResult, ...]
    suggests_means: bool
    suggests_purpose: bool
    suggests_action: bool
    grades_verified: bool

    @property
    def positive_dimensions(self) -> tuple[str, ...]:
        """Ids of the dimensions that reached the combination rule."""
        return tuple(item.dimension for item in self.dimensions if item.positive)

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "sets": list(self.sets),
            "positive_dimensions": list(self.positive_dimensions),
            "suggests": {
                "action": self.suggests_action,
                "means": self.suggests_means,
                "purpose": self.suggests_purpose,
            },
            "grades_verified": self.grades_verified,
            "dimensions": [item.to_json() for item in self.dimensions],
        }


class ScreeningResult(NamedTuple):
    """The result of `screen`: the finding, element by element, with what to ask next."""

    finding: str
    treated_as_child: bool
    age_basis: str
    elements: tuple[ElementResult, ...]
    missing_facts: tuple[MissingFact, ...]
    related_practices: tuple[RelatedPractice, ...]
    indicators: IndicatorResult | None
    notes: tuple[str, ...]
    citations: tuple[str, ...]
    explanation: str
    at: dt.date
    framework_version: str
    profile: str

    def element(self, name: str) -> ElementResult:
        """The result for one element: action, means or purpose."""
        for item in self.elements:
            if item.element == name:
                return item
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON, following docs/schema/screening-result.v1.json."""
        return {
            "schema": f"rightsfirst.screening-result/{RESULT_SCHEMA_VERSION}",
            "finding": self.finding,
            "treated_as_child": self.treated_as_child,
            "age_basis": self.age_basis,
            "elements": {item.element: item.to_json() for item in self.elements},
            "missing_facts": [item.to_json() for item in self.missing_facts],
            "related_practices": [item.to_json() for item in self.related_practices],
            "indicators": self.indicators.to_json() if self.indicators else None,
            "notes": list(self.notes),
            "citations": list(self.citations),
            "explanation": self.explanation,
            "at": self.at.isoformat(),
            "framework_version": self.framework_version,
            "profile": self.profile,
        }


class EntitlementDefinition(NamedTuple):
    """What an entitlement is, independent of any case: its basis, duty bearer and terms."""

    id: str
    title: str
    description: str
    basis: tuple[str, ...]
    condition: str
    duty_bearer: str
    may_be_refused: bool


class Entitlement(NamedTuple):
    """Something the person is owed, with its basis, duty bearer and timing."""

    definition: EntitlementDefinition
    applies: bool
    reason: str
    status: str
    due: dt.date | None = None
    starts: dt.date | None = None
    ends: dt.date | None = None
    ends_when: str | None = None
    overdue: bool = False

    @property
    def id(self) -> str:
        """Stable id of the entitlement (e.g. `guardian`)."""
        return self.definition.id

    @property
    def title(self) -> str:
        """Short title."""
        return self.definition.title

    @property
    def description(self) -> str:
        """What it means in practice, in plain words."""
        return self.definition.description

    @property
    def basis(self) -> tuple[str, ...]:
        """The provisions it rests on."""
        return self.definition.basis

    @property
    def condition(self) -> str:
        """Who is owed it."""
        return self.definition.condition

    @property
    def duty_bearer(self) -> str:
        """Who owes it."""
        return self.definition.duty_bearer

    @property
    def may_be_refused(self) -> bool:
        """Whether the person may decline it."""
        return self.definition.may_be_refused

    @property
    def conditional_on_cooperation(self) -> bool:
        """Never: no entitlement depends on cooperating with the authorities."""
        return False

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "basis": list(self.basis),
            "condition": self.condition,
            "duty_bearer": self.duty_bearer,
            "applies": self.applies,
            "reason": self.reason,
            "status": self.status,
            "due": _date(self.due),
            "starts": _date(self.starts),
            "ends": _date(self.ends),
            "ends_when": self.ends_when,
            "overdue": self.overdue,
            "conditional_on_cooperation": self.conditional_on_cooperation,
            "may_be_refused": self.may_be_refused,
        }


class EntitlementsResult(NamedTuple):
    """The result of `entitlements`: what the person is owed now and next."""

    victim_status: str
    treated_as_child: bool
    entitlements: tuple[Entitlement, ...]
    notes: tuple[str, ...]
    citations: tuple[str, ...]
    at: dt.date
    framework_version: str
    profile: str

    def get(self, entitlement_id: str) -> Entitlement:
        """The entitlement with this id."""
        for item in self.entitlements:
            if item.id == entitlement_id:
                return item
        raise KeyError(entitlement_id)

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON, following docs/schema/entitlements-result.v1.json."""
        return {
            "schema": f"rightsfirst.entitlements-result/{RESULT_SCHEMA_VERSION}",
            "victim_status": self.victim_status,
            "treated_as_child": self.treated_as_child,
            "entitlements": [item.to_json() for item in self.entitlements],
            "notes": list(self.notes),
            "citations": list(self.citations),
            "at": self.at.isoformat(),
            "framework_version": self.framework_version,
            "profile": self.profile,
        }


class ReviewFinding(NamedTuple):
    """One obligation's verdict on a measure."""

    rule: str
    outcome: str  # violation | requires_justification | ok
    reason: str
    citations: tuple[str, ...]
    missing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "rule": self.rule,
            "outcome": self.outcome,
            "reason": self.reason,
            "citations": list(self.citations),
            "missing": list(self.missing),
        }


class ReviewResult(NamedTuple):
    """The result of `review`: the measure's overall outcome and every finding behind it."""

    measure_type: str
    measure_date: dt.date | None
    outcome: str
    findings: tuple[ReviewFinding, ...]
    missing: tuple[str, ...]
    citations: tuple[str, ...]
    explanation: str
    assumptions: tuple[str, ...]
    at: dt.date
    framework_version: str
    profile: str

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON, following docs/schema/review-result.v1.json."""
        return {
            "schema": f"rightsfirst.review-result/{RESULT_SCHEMA_VERSION}",
            "measure_type": self.measure_type,
            "measure_date": _date(self.measure_date),
            "outcome": self.outcome,
            "findings": [item.to_json() for item in self.findings],
            "missing": list(self.missing),
            "citations": list(self.citations),
            "explanation": self.explanation,
            "assumptions": list(self.assumptions),
            "at": self.at.isoformat(),
            "framework_version": self.framework_version,
            "profile": self.profile,
        }


class Assessment(NamedTuple):
    """The three together for one case: screening, entitlements and reviews of measures."""

    screening: ScreeningResult | None
    entitlements: EntitlementsResult
    reviews: tuple[ReviewResult, ...]
    outcome: str
    at: dt.date
    framework_version: str
    profile: str

    @property
    def citations(self) -> tuple[str, ...]:
        """Every provision the screening, the entitlements and the reviews cite (derived)."""
        groups = [self.entitlements.citations, *(item.citations for item in self.reviews)]
        if self.screening is not None:
            groups.append(self.screening.citations)
        merged: set[str] = set()
        for group in groups:
            merged.update(group)
        return tuple(sorted(merged))

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON, following docs/schema/assessment-result.v1.json."""
        return {
            "schema": f"rightsfirst.assessment-result/{RESULT_SCHEMA_VERSION}",
            "screening": self.screening.to_json() if self.screening else None,
            "entitlements": self.entitlements.to_json(),
            "reviews": [item.to_json() for item in self.reviews],
            "outcome": self.outcome,
            "citations": list(self.citations),
            "at": self.at.isoformat(),
            "framework_version": self.framework_version,
            "profile": self.profile,
        }
