"""The indicator catalogue: complete, cited with provisions that exist, strictly validated,
implemented by both computations, and documented in docs/indicators.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from rightsfirst.framework.model import Framework
from rightsfirst.framework.yamlsource import FrameworkError
from rightsfirst.monitoring import compute as duckdb_compute
from rightsfirst.monitoring.disclosure import Slice, Subset
from rightsfirst.monitoring.indicator_docs import catalogue_markdown
from rightsfirst.monitoring.indicators import ALL_DIMENSIONS, catalogue, default_catalogue, load_catalogue
from tests.conftest import ROOT

SHIPPED = ROOT / "src" / "rightsfirst" / "monitoring" / "indicators.yaml"

# What the issue asks to be monitored, by the id that measures it.
ASKED_FOR = {
    "persons_referred",
    "persons_presumed",
    "persons_identified",
    "identification_decision_days",
    "detained_presumed_victims",
    "detained_child_victims",
    "prosecuted_for_status_offences",
    "support_conditional_on_cooperation",
    "services_refused",
    "mandatory_testing",
    "reflection_periods_granted",
    "reflection_period_days",
    "residence_permits_during_proceedings",
    "returns_with_risk_assessment",
    "voluntary_returns",
    "children_guardian_within_target",
    "compensation_claimed",
    "compensation_awarded",
    "compensation_paid",
    "compensation_paid_from_confiscated_assets",
    "investigations_opened",
    "measures_with_violations",
    "measures_overridden",
}


def test_the_catalogue_has_every_indicator_the_issue_asks_for() -> None:
    assert {indicator.id for indicator in catalogue()} == ASKED_FOR


def test_every_citation_is_a_provision_of_the_framework(framework: Framework) -> None:
    cat = default_catalogue()
    cited = [*cat.basis, *(provision for indicator in cat.indicators for provision in indicator.citations)]
    assert cited
    missing = sorted(set(cited) - set(framework.provisions))
    assert missing == []


def test_the_issue_s_citations_are_kept() -> None:
    cat = default_catalogue()
    expectations = {
        "detained_presumed_victims": {"RPG.P7", "RPG.G2.6"},
        "prosecuted_for_status_offences": {"RPG.G2.5"},
        "support_conditional_on_cooperation": {"RPG.P8"},
        "mandatory_testing": {"RPG.G6.2"},
        "residence_permits_during_proceedings": {"RPG.P9"},
        "returns_with_risk_assessment": {"RPG.P11"},
        "voluntary_returns": {"RPG.P11"},
        "compensation_paid_from_confiscated_assets": {"RPG.P16"},
        "compensation_paid": {"RPG.P17"},
    }
    for indicator_id, citations in expectations.items():
        assert citations <= set(cat.indicator(indicator_id).citations), indicator_id
    assert {"RPG.G1.7", "RPG.G3.2", "RPG.G3.3"} <= set(cat.basis)


def test_every_indicator_is_fully_defined() -> None:
    for indicator in catalogue():
        assert len(indicator.definition) > 40 and indicator.period_rule and indicator.title, indicator.id
        assert set(indicator.dimensions) <= set(ALL_DIMENSIONS)
        assert {"age_band", "sex", "nationality", "form", "agency", "region"} <= set(indicator.dimensions)
        assert (indicator.kind == "share") == (indicator.denominator is not None)


def test_every_indicator_has_a_duckdb_computation() -> None:
    # The pandas side is held to the same list by the agreement tests (it raises on an unknown id).
    assert {indicator.id for indicator in catalogue()} == duckdb_compute.IMPLEMENTED


def test_the_definitions_relations_are_declared() -> None:
    relations = default_catalogue().relations()
    assert Slice("detained_child_victims", "detained_presumed_victims", "child", "yes") in relations
    assert Slice("children_protected_in_period", "protected_in_period", "child", "yes") in relations
    assert Slice("children_referred", "persons_referred", "child", "yes") in relations
    # Every share's count is within its denominator.
    for indicator in catalogue():
        if indicator.denominator is not None:
            assert Subset(indicator.id, indicator.denominator) in relations
    assert Subset("measures_overridden", "measures_with_violations") in relations


def test_docs_are_in_sync_with_the_catalogue() -> None:
    written = (ROOT / "docs" / "indicators.md").read_text(encoding="utf-8")
    assert written == catalogue_markdown(), (
        "regenerate: python -m rightsfirst.monitoring.indicator_docs > docs/indicators.md"
    )
    for indicator in catalogue():
        assert f"### {indicator.id}" in written


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "indicators.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("citations: [RPG.P7, RPG.G2.6,", "citations: [RPG.P7, RPG.G2.66,", "'RPG.G2.66' is not a provision"),
        (
            "dimensions: [age_band, sex, nationality, form, agency, region, child, stage]",
            "dimensions: [age_band, gender, nationality]",
            "'gender' is not allowed",
        ),
        ("    kind: median\n", "    kind: average\n", "'average' is not allowed"),
        ("    denominator: protected_in_period\n", "    denominator: everyone\n", "no population 'everyone'"),
        (
            "    period: the referral date.\n",
            "    period: the referral date.\n    periods: twice\n",
            "unknown key 'periods'",
        ),
        ("  - id: persons_presumed\n", "  - id: persons_referred\n", "duplicate indicator 'persons_referred'"),
        ("      of: detained_presumed_victims\n", "      of: detained_victims\n", "no other indicator or population"),
        ("      dimension: child\n", "      dimension: colour\n", "'colour' is not allowed"),
        ("    within: compensation_paid\n", "    within: returns\n", "returns counts measures"),
        (
            "    denominator: children_referred\n    citations: [FS36.III.C.child-guardian, RPG.P10, RPG.G8.7]\n"
            "    dimensions: [age_band, sex, nationality, form, agency, region]",
            "    denominator: children_referred\n    citations: [FS36.III.C.child-guardian, RPG.P10, RPG.G8.7]\n"
            '    slice_of:\n      of: persons_referred\n      dimension: child\n      value: "yes"\n'
            "    dimensions: [age_band, sex, nationality, form, agency, region, child]",
            "cannot be published by it",
        ),
    ],
)
def test_errors_name_the_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(FrameworkError) as raised:
        load_catalogue(path)
    error = raised.value
    assert error.file == "monitoring/indicators.yaml"
    assert message in error.problem
    assert error.line is not None and 1 <= error.line <= len(path.read_text().splitlines())
    assert str(error).startswith(f"monitoring/indicators.yaml:{error.line}: ")


def test_the_reported_line_is_where_the_problem_is(tmp_path: Path) -> None:
    path = _broken(tmp_path, "citations: [RPG.G6.2, FS36.III.C.non-coercion]\n", "citations: [RPG.G6.2, NOPE.1]\n")
    with pytest.raises(FrameworkError) as raised:
        load_catalogue(path)
    assert raised.value.line == _line_of(path.read_text(), "NOPE.1")


def test_a_missing_field_is_reported(tmp_path: Path) -> None:
    path = _broken(tmp_path, "    statistic: the median number of days.\n", "")
    with pytest.raises(FrameworkError, match="medians and sums, and only they, say their statistic"):
        load_catalogue(path)
    path = _broken(tmp_path, "    title: Persons referred\n", "")
    with pytest.raises(FrameworkError, match="missing title"):
        load_catalogue(path)
