"""Every example in examples/ gives the result its `expected` block states."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from rightsfirst.engine import assess, document_from_data
from rightsfirst.framework.loader import load_framework
from tests.conftest import EXAMPLES, ROOT

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def test_there_are_at_least_fifteen_examples() -> None:
    assert len(EXAMPLE_FILES) >= 15


def _run(path: Path) -> tuple[dict[str, Any], Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    document = document_from_data(data)
    profile = document.profile or "international"
    if profile.endswith(".yaml"):
        profile = str(ROOT / profile)
    framework = load_framework(profile)
    result = assess(
        document.at or dt.date.today(), document.situation, document.person, document.case, document.measures, framework
    )
    assert document.expected, f"{path.name} has no expected block"
    return document.expected, result


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[path.stem for path in EXAMPLE_FILES])
def test_it_gives_the_expected_result(path: Path) -> None:
    expected, result = _run(path)
    screening = result.screening
    if "finding" in expected:
        assert screening is not None
        assert screening.finding == expected["finding"], screening.explanation
    if "treated_as_child" in expected:
        assert screening is not None and screening.treated_as_child is expected["treated_as_child"]
    if "age_basis" in expected:
        assert screening is not None and screening.age_basis == expected["age_basis"]
    for element, status in expected.get("elements", {}).items():
        assert screening is not None and screening.element(element).status == status, element
    if "missing_facts" in expected:
        assert screening is not None
        assert sorted(fact.field for fact in screening.missing_facts) == sorted(expected["missing_facts"])
    if "related_practices" in expected:
        assert screening is not None
        assert [item.practice for item in screening.related_practices] == expected["related_practices"]
    if "positive_dimensions" in expected:
        assert screening is not None and screening.indicators is not None
        assert list(screening.indicators.positive_dimensions) == expected["positive_dimensions"]
    for text in expected.get("notes_include", []):
        assert screening is not None and any(text in note for note in screening.notes), text
    for text in expected.get("explanation_includes", []):
        assert screening is not None and text in screening.explanation
    for provision_id in expected.get("citations_include", []):
        assert provision_id in result.citations, provision_id
    if "reviews" in expected:
        assert [item.outcome for item in result.reviews] == expected["reviews"]
    fired = {finding.rule for item in result.reviews for finding in item.findings}
    for rule in expected.get("review_rules_include", []):
        assert rule in fired, f"{rule} not in {sorted(fired)}"
    if "review_missing" in expected:
        assert sorted({name for item in result.reviews for name in item.missing}) == sorted(expected["review_missing"])
    for entitlement_id, checks in expected.get("entitlements", {}).items():
        entitlement = result.entitlements.get(entitlement_id)
        for key, value in checks.items():
            actual = getattr(entitlement, key)
            if isinstance(actual, dt.date):
                actual = actual.isoformat()
            if isinstance(value, dt.date):
                value = value.isoformat()
            assert actual == value, f"{entitlement_id}.{key}: {actual!r} != {value!r}"
