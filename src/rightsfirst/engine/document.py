"""Input documents: a bare situation, a bare measure (or a list), or a whole case document.

A case document holds any of `situation`, `person`, `case` and `measures`, with an optional
`at` date, `profile`, and descriptive keys. Examples also carry `expected`, which the engine
ignores and the tests check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rightsfirst.engine.inputs import (
    Case,
    Person,
    Situation,
    case_from_data,
    person_from_data,
    situation_from_data,
)
from rightsfirst.engine.measures import Measure, measure_from_data
from rightsfirst.engine.spec import FieldSpec, InputError, ObjectSpec, is_descriptive, parse_date

DOCUMENT_KEYS = frozenset(
    {"title", "description", "at", "profile", "situation", "person", "case", "measures", "expected", "notes"}
)

DOCUMENT_SPEC = ObjectSpec(
    "case document",
    "One case for `rightsfirst assess`: the situation, the person, the case and the measures "
    "taken or proposed. Every part is optional.",
    (
        FieldSpec("title", "text", "A short title."),
        FieldSpec("description", "text", "What happened, in plain words."),
        FieldSpec("at", "date", "The date to assess at (defaults to today)."),
        FieldSpec("profile", "text", "A jurisdiction profile name or file (defaults to international)."),
    ),
    ignored_keys=frozenset({"situation", "person", "case", "measures", "expected", "notes"}),
    descriptive=True,
)


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed input document."""

    title: str | None
    at: dt.date | None
    profile: str | None
    situation: Situation | None
    person: Person | None
    case: Case | None
    measures: tuple[Measure, ...]
    expected: Any


def _is_document(data: dict[str, Any]) -> bool:
    keys = {key for key in data if not is_descriptive(str(key))}
    return bool(keys & {"situation", "case", "measures", "at"}) and keys <= DOCUMENT_KEYS


def document_from_data(data: Any) -> Document:
    """Read any accepted input shape into a Document, validating every part."""
    if isinstance(data, list):
        measures = tuple(measure_from_data(item, f"[{index}]") for index, item in enumerate(data))
        return Document(None, None, None, None, None, None, measures, None)
    if not isinstance(data, dict):
        raise InputError("", "expected a mapping (a situation, a measure or a case document) or a list of measures")
    if "type" in data:
        return Document(None, None, None, None, None, None, (measure_from_data(data),), None)
    if not _is_document(data):
        situation = situation_from_data(data)
        return Document(None, None, None, situation, None, None, (), None)
    for key in data:
        if key not in DOCUMENT_KEYS and not is_descriptive(str(key)):
            raise InputError(str(key), "unknown part of a case document", tuple(sorted(DOCUMENT_KEYS)))
    title = data.get("title")
    at = parse_date(data["at"], "at") if data.get("at") is not None else None
    profile = data.get("profile")
    if profile is not None and not isinstance(profile, str):
        raise InputError("profile", "expected a profile name or file path")
    raw_measures = data.get("measures") or []
    if not isinstance(raw_measures, list):
        raise InputError("measures", "expected a list of measures")
    return Document(
        title=str(title) if title is not None else None,
        at=at,
        profile=profile,
        situation=situation_from_data(data["situation"], "situation") if data.get("situation") is not None else None,
        person=person_from_data(data["person"]) if data.get("person") is not None else None,
        case=case_from_data(data["case"]) if data.get("case") is not None else None,
        measures=tuple(measure_from_data(item, f"measures[{index}]") for index, item in enumerate(raw_measures)),
        expected=data.get("expected"),
    )
