"""Invariants of the engine, checked on generated situations, cases and measures."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rightsfirst.engine import (
    assess,
    case_from_data,
    measure_from_data,
    person_from_data,
    review,
    screen,
    situation_from_data,
)
from rightsfirst.engine.inputs import ACTIONS, MEANS, PURPOSES
from rightsfirst.engine.results import FINDING_RANK
from rightsfirst.framework.loader import default_framework
from tests.conftest import AT
from tests.engine.strategies import INDICATOR_IDS, cases, measures, situations

FRAMEWORK = default_framework()
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def finding(data: dict[str, Any]) -> str:
    return screen(situation_from_data(data), AT, FRAMEWORK).finding


@SETTINGS
@given(situations())
def test_consent_never_changes_the_finding(data: dict[str, Any]) -> None:
    consenting = {**data, "consent_to_exploitation": True}
    refusing = {**data, "consent_to_exploitation": False}
    assert finding(consenting) == finding(refusing)


@SETTINGS
@given(situations(), st.lists(st.sampled_from(MEANS), min_size=1, unique=True))
def test_consent_never_defeats_a_finding_when_a_means_is_present(data: dict[str, Any], means: list[str]) -> None:
    data = {**data, "means": means}
    assert finding({**data, "consent_to_exploitation": True}) == finding({**data, "consent_to_exploitation": False})


@SETTINGS
@given(situations(), st.integers(min_value=0, max_value=17))
def test_a_child_never_needs_a_means(data: dict[str, Any], age: int) -> None:
    data = {**data, "person": {**data["person"], "age": age}}
    without = {key: value for key, value in data.items() if key != "means"}
    results = {finding({**without, "means": means}) for means in ([], ["coercion"])}
    results.add(finding(without))
    assert len(results) == 1
    result = screen(situation_from_data(data), AT, FRAMEWORK)
    assert result.treated_as_child
    assert result.element("means").status == "not_required"


@st.composite
def situation_and_added_fact(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    data = draw(situations())
    bigger = copy.deepcopy(data)
    key, values = draw(
        st.sampled_from([("actions", ACTIONS), ("means", MEANS), ("purposes", PURPOSES), ("indicators", INDICATOR_IDS)])
    )
    added = draw(st.sampled_from(values))
    bigger[key] = sorted({*(bigger.get(key) or []), added})
    return data, bigger


@SETTINGS
@given(situation_and_added_fact())
def test_adding_a_fact_or_an_indicator_never_lowers_the_finding(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    smaller, bigger = pair
    assert FINDING_RANK[finding(bigger)] >= FINDING_RANK[finding(smaller)], (smaller, bigger)


@SETTINGS
@given(situations(), cases(), st.lists(measures(), max_size=3))
def test_every_result_cites_provisions_that_exist(
    situation: dict[str, Any], case: dict[str, Any], raw_measures: list[dict[str, Any]]
) -> None:
    result = assess(
        AT,
        situation_from_data(situation),
        None,
        case_from_data(case),
        [measure_from_data(item) for item in raw_measures],
        FRAMEWORK,
    )
    assert result.screening is not None and result.screening.citations
    assert result.entitlements.citations
    for item in result.reviews:
        assert item.citations
        for one in item.findings:
            assert one.citations
    every = {*result.citations, *(c for e in result.entitlements.entitlements for c in e.basis)}
    assert every <= set(FRAMEWORK.provisions)


def _shuffled(data: Any, rng: random.Random) -> Any:
    if isinstance(data, dict):
        items = list(data.items())
        rng.shuffle(items)
        return {key: _shuffled(value, rng) for key, value in items}
    if isinstance(data, list) and all(isinstance(item, str) for item in data):
        copy_ = list(data)
        rng.shuffle(copy_)
        return copy_
    return data


@SETTINGS
@given(situations(), cases(), measures(), st.integers(min_value=0, max_value=10_000))
def test_results_are_deterministic_and_independent_of_list_order(
    situation: dict[str, Any], case: dict[str, Any], measure: dict[str, Any], seed: int
) -> None:
    rng = random.Random(seed)

    def run(situation_data: dict[str, Any]) -> str:
        result = assess(
            AT,
            situation_from_data(situation_data),
            None,
            case_from_data(case),
            [measure_from_data(measure)],
            FRAMEWORK,
        )
        return json.dumps(result.to_json(), sort_keys=True)

    first = run(situation)
    assert run(situation) == first
    assert run(_shuffled(situation, rng)) == first


@SETTINGS
@given(persons_and_measure=st.tuples(situations(), cases(), measures()))
def test_review_always_reaches_an_outcome_with_reasons(persons_and_measure: tuple[Any, Any, Any]) -> None:
    situation, case, measure = persons_and_measure
    result = review(
        measure_from_data(measure), AT, person_from_data(situation["person"]), case_from_data(case), FRAMEWORK
    )
    assert result.outcome in {"violation", "requires_justification", "ok"}
    assert result.explanation
    assert all(item.reason for item in result.findings)


@SETTINGS
@given(situations(), st.sampled_from(["appearance", "documents_doubtful", "says_is_a_child"]))
def test_a_reason_to_believe_the_person_is_a_child_never_lowers_the_finding(
    data: dict[str, Any], indication: str
) -> None:
    person = {key: value for key, value in data["person"].items() if key not in {"age", "age_at_action"}}
    before = {**data, "person": person}
    after = {**data, "person": {**person, "indications_of_minority": [indication]}}
    assert FINDING_RANK[finding(after)] >= FINDING_RANK[finding(before)], (before, after)
