"""Hypothesis strategies for situations, cases and measures (raw data, as users give it)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from rightsfirst.engine.inputs import ACTIONS, MEANS, MINORITY_INDICATIONS_KNOWN, PURPOSES
from rightsfirst.engine.measures import MEASURE_SPECS
from rightsfirst.framework.loader import default_framework

INDICATOR_IDS = sorted(default_framework().indicators.indicators)


def _known_or_not(values: tuple[str, ...]) -> st.SearchStrategy[list[str] | None]:
    return st.one_of(st.none(), st.lists(st.sampled_from(values), unique=True, max_size=4))


@st.composite
def persons(draw: st.DrawFn) -> dict[str, Any]:
    person: dict[str, Any] = {}
    if draw(st.booleans()):
        person["age"] = draw(st.integers(min_value=5, max_value=70))
    if draw(st.booleans()):
        person["stated_age"] = draw(st.integers(min_value=10, max_value=40))
    if draw(st.booleans()):
        low = draw(st.integers(min_value=10, max_value=30))
        person["age_range"] = [low, low + draw(st.integers(min_value=0, max_value=6))]
    indications = draw(_known_or_not(MINORITY_INDICATIONS_KNOWN))
    if indications is not None:
        person["indications_of_minority"] = indications
    for key in ("non_national", "asylum_seeker", "unaccompanied"):
        value = draw(st.one_of(st.none(), st.booleans()))
        if value is not None:
            person[key] = value
    return person


@st.composite
def situations(draw: st.DrawFn) -> dict[str, Any]:
    situation: dict[str, Any] = {"person": draw(persons())}
    for key, values in (("actions", ACTIONS), ("means", MEANS), ("purposes", PURPOSES)):
        chosen = draw(_known_or_not(values))
        if chosen is not None:
            situation[key] = chosen
    for key in ("consent_to_exploitation", "crossed_border"):
        value = draw(st.one_of(st.none(), st.booleans()))
        if value is not None:
            situation[key] = value
    if draw(st.booleans()):
        situation["smuggling"] = {
            "facilitated_irregular_entry": draw(st.booleans()),
            "for_profit": draw(st.booleans()),
        }
    indicators = draw(st.one_of(st.none(), st.lists(st.sampled_from(INDICATOR_IDS), unique=True, max_size=6)))
    if indicators is not None:
        situation["indicators"] = indicators
    return situation


@st.composite
def measures(draw: st.DrawFn) -> dict[str, Any]:
    measure_type = draw(st.sampled_from(sorted(MEASURE_SPECS)))
    measure: dict[str, Any] = {"type": measure_type, "date": "2026-03-02"}
    for spec in MEASURE_SPECS[measure_type].fields:
        if spec.name == "date" or not draw(st.booleans()):
            continue
        if spec.kind == "bool":
            measure[spec.name] = draw(st.booleans())
        elif spec.kind == "choice":
            measure[spec.name] = draw(st.sampled_from(spec.choices))
        elif spec.kind == "number":
            measure[spec.name] = draw(st.integers(min_value=0, max_value=100))
    return measure


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    case: dict[str, Any] = {"referred_on": "2026-01-20"}
    status = draw(st.sampled_from(["rg", "identified", "none", "possible", "not_established"]))
    if status == "rg":
        case["reasonable_grounds_on"] = "2026-01-23"
    elif status == "identified":
        case["reasonable_grounds_on"] = "2026-01-23"
        case["identified_on"] = "2026-02-20"
    elif status in {"possible", "not_established"}:
        case["victim_status"] = status
    if draw(st.booleans()):
        case["proceedings"] = [{"kind": draw(st.sampled_from(["criminal", "civil", "labour"])), "role": "witness"}]
    return case
