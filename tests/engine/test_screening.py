"""Screening applies TIP.3a-3d: action + means + purpose for adults, no means for children."""

from __future__ import annotations

import datetime as dt

import pytest

from rightsfirst.engine import InputError, screen, situation_from_data
from rightsfirst.engine.indicators import dimension_positive, indicator_sets
from rightsfirst.framework.model import Framework, ParameterNotDefined
from tests.conftest import AT
from tests.engine.helpers import ADULT, CHILD, screened

FULL = {"actions": ["recruitment"], "means": ["deception"], "purposes": ["forced_labour"]}


def test_it_establishes_an_adult_with_all_three_elements(framework: Framework) -> None:
    result = screened(framework, person=ADULT, **FULL)
    assert result.finding == "established"
    assert not result.treated_as_child
    assert {"TIP.3a", "FS36.I.A.definition"} <= set(result.citations)


@pytest.mark.parametrize("absent", ["actions", "means", "purposes"])
def test_an_adult_lacking_any_element_is_not_established(framework: Framework, absent: str) -> None:
    facts = {**FULL, absent: []}
    result = screened(framework, person=ADULT, **facts)
    assert result.finding == "not_established"
    assert "not a finding that the person was not trafficked" in result.explanation


@pytest.mark.parametrize("unknown", ["actions", "means", "purposes"])
def test_an_unknown_element_asks_for_it(framework: Framework, unknown: str) -> None:
    facts = {key: value for key, value in FULL.items() if key != unknown}
    result = screened(framework, person=ADULT, **facts)
    assert result.finding == "insufficient_information"
    assert [fact.field for fact in result.missing_facts] == [unknown]


def test_a_child_needs_no_means(framework: Framework) -> None:
    result = screened(framework, person=CHILD, actions=["harbouring"], means=[], purposes=["forced_begging"])
    assert result.finding == "established"
    assert result.element("means").status == "not_required"
    assert {"TIP.3c", "RPG.G8.1"} <= set(result.citations)


def test_a_child_with_unknown_means_is_still_established(framework: Framework) -> None:
    result = screened(framework, person=CHILD, actions=["receipt"], purposes=["sexual_exploitation"])
    assert result.finding == "established"
    assert result.missing_facts == ()


@pytest.mark.parametrize(
    "person",
    [
        {"stated_age": 16},
        {"age_range": [16, 20]},
        {"indications_of_minority": ["appearance"]},
        {"stated_age": 19, "indications_of_minority": ["documents_doubtful"]},
    ],
)
def test_reasons_to_believe_the_person_is_a_child_trigger_the_presumption_of_age(
    framework: Framework, person: dict[str, object]
) -> None:
    result = screened(framework, person=person, actions=["recruitment"], means=[], purposes=["forced_labour"])
    assert result.treated_as_child
    assert result.age_basis == "presumption_of_age"
    assert result.finding == "presumed"
    assert "FS36.III.C.child-identification" in result.citations
    assert "person.age" in [fact.field for fact in result.missing_facts]


def test_an_established_adult_age_outweighs_indications(framework: Framework) -> None:
    person = {"age": 25, "indications_of_minority": ["appearance"], "stated_age": 16}
    result = screened(framework, person=person, actions=["recruitment"], means=[], purposes=["forced_labour"])
    assert not result.treated_as_child
    assert result.finding == "not_established"


def test_stated_adult_age_without_other_reasons_takes_the_adult_path(framework: Framework) -> None:
    person = {"stated_age": 19, "indications_of_minority": []}
    result = screened(framework, person=person, actions=["recruitment"], purposes=["forced_labour"])
    assert not result.treated_as_child
    assert result.age_basis == "no_reason_to_believe_child"
    assert result.finding == "insufficient_information"


def test_when_the_age_is_unknown_and_means_absent_it_asks_about_age(framework: Framework) -> None:
    result = screened(framework, actions=["recruitment"], means=[], purposes=["forced_labour"])
    assert result.finding == "not_established"
    assert [fact.field for fact in result.missing_facts] == ["person.age"]


def test_a_known_absent_element_outweighs_an_unknown_one(framework: Framework) -> None:
    result = screened(framework, person=ADULT, actions=[], purposes=["forced_labour"])
    assert result.finding == "not_established"
    assert result.missing_facts == ()


def test_consent_is_irrelevant_once_a_means_is_used(framework: Framework) -> None:
    result = screened(framework, person=ADULT, consent_to_exploitation=True, **FULL)
    assert result.finding == "established"
    assert "TIP.3b" in result.citations
    assert any("irrelevant" in note for note in result.notes)


def test_a_childs_consent_is_always_irrelevant(framework: Framework) -> None:
    result = screened(
        framework, person=CHILD, consent_to_exploitation=True, actions=["recruitment"], purposes=["forced_labour"]
    )
    assert result.finding == "established"
    assert any("child's consent" in note for note in result.notes)


def test_harbouring_alone_is_an_action_and_no_border_is_needed(framework: Framework) -> None:
    result = screened(
        framework,
        person=ADULT,
        actions=["harbouring"],
        means=["coercion"],
        purposes=["servitude"],
        crossed_border=False,
    )
    assert result.finding == "established"
    assert {"FS36.I.B.no-movement", "FS36.I.B.no-border"} <= set(result.citations)


def test_smuggling_without_an_exploitative_purpose_is_smuggling_only(framework: Framework) -> None:
    result = screened(
        framework,
        person=ADULT,
        actions=["transportation"],
        means=[],
        purposes=[],
        smuggling={"facilitated_irregular_entry": True, "for_profit": True},
    )
    assert result.finding == "smuggling_only"
    assert "FS36.I.B.not-smuggling" in result.citations


def test_smuggling_with_an_unknown_purpose_asks_about_the_purpose(framework: Framework) -> None:
    result = screened(
        framework,
        person=ADULT,
        actions=["transportation"],
        means=["deception"],
        smuggling={"facilitated_irregular_entry": True, "for_profit": True},
    )
    assert result.finding == "insufficient_information"
    assert [fact.field for fact in result.missing_facts] == ["purposes"]


def test_a_smuggled_person_can_also_be_trafficked(framework: Framework) -> None:
    result = screened(
        framework, person=ADULT, smuggling={"facilitated_irregular_entry": True, "for_profit": True}, **FULL
    )
    assert result.finding == "established"


def test_related_practices_are_reported_without_the_action_element(framework: Framework) -> None:
    result = screened(framework, person=ADULT, actions=[], means=["debt_bondage"], purposes=["forced_marriage"])
    assert result.finding == "not_established"
    assert [item.practice for item in result.related_practices] == ["debt_bondage", "forced_marriage"]
    assert "RPG.P12" in result.citations


def test_related_practices_are_not_reported_when_the_action_is_met(framework: Framework) -> None:
    assert screened(framework, person=ADULT, **FULL).related_practices == ()


@pytest.mark.parametrize(
    ("strong", "medium", "weak", "positive"),
    [
        (2, 0, 0, True),
        (1, 1, 0, True),
        (1, 0, 1, True),
        (0, 3, 0, True),
        (0, 2, 1, True),
        (1, 0, 0, False),
        (0, 2, 0, False),
        (0, 1, 5, False),
        (0, 0, 9, False),
    ],
)
def test_the_dimension_combination_rule(strong: int, medium: int, weak: int, positive: bool) -> None:
    assert dimension_positive(strong, medium, weak) is positive


def test_indicator_sets_follow_age_and_purpose() -> None:
    assert indicator_sets(False, None) == ("AL",)
    assert indicator_sets(True, ("sexual_exploitation",)) == ("CS",)
    assert indicator_sets(False, ("sexual_exploitation", "forced_labour")) == ("AS", "AL")


def test_indicators_make_an_unknown_means_probable(framework: Framework) -> None:
    result = screened(
        framework,
        person=ADULT,
        actions=["recruitment"],
        purposes=["forced_labour"],
        indicators=["cdst_documents_taken", "cdst_violence_victim"],
    )
    assert result.finding == "presumed"
    assert result.element("means").probable
    assert result.element("means").indicated_by == ("D5",)


def test_indicators_never_override_a_recorded_absence(framework: Framework) -> None:
    result = screened(
        framework,
        person=ADULT,
        actions=["recruitment"],
        means=[],
        purposes=["forced_labour"],
        indicators=["cdst_documents_taken", "cdst_violence_victim"],
    )
    assert result.finding == "not_established"
    assert any("check the recorded facts" in note for note in result.notes)


def test_weak_indicators_alone_change_nothing(framework: Framework) -> None:
    result = screened(
        framework,
        person=ADULT,
        actions=["recruitment"],
        purposes=["forced_labour"],
        indicators=["vdst_past_difficulties"],
    )
    assert result.finding == "insufficient_information"


def test_an_unknown_indicator_is_refused_with_its_position(framework: Framework) -> None:
    with pytest.raises(InputError) as error:
        screened(framework, person=ADULT, indicators=["cdst_documents_taken", "cdst_documents_take"])
    assert error.value.path == "indicators"
    assert "'cdst_documents_take'" in str(error.value)
    assert "did you mean cdst_documents_taken" in str(error.value)


def test_the_age_of_majority_is_read_at_the_date(framework: Framework) -> None:
    situation = situation_from_data({"person": {"age": 15}, "actions": ["recruitment"], "purposes": ["slavery"]})
    with pytest.raises(ParameterNotDefined):
        screen(situation, dt.date(1980, 1, 1), framework)


def test_results_carry_the_framework_version_and_profile(framework: Framework) -> None:
    result = screened(framework, person=ADULT, **FULL)
    assert result.framework_version == framework.version
    assert result.profile == "international"
    assert result.to_json()["schema"] == "rightsfirst.screening-result/1"


def test_the_list_of_exploitative_purposes_is_open(framework: Framework) -> None:
    result = screened(
        framework, person=ADULT, actions=["recruitment"], means=["fraud"], purposes=["other_exploitation"]
    )
    assert result.finding == "established"
    assert "FS36.I.B.all-persons" in result.citations


def test_other_common_words_are_accepted_and_recorded_under_the_contract_names(framework: Framework) -> None:
    situation = situation_from_data(
        {"actions": ["sale", "harboring"], "means": ["force"], "purposes": ["forced_labor", "organ_removal"]}
    )
    assert situation.actions == ("harbouring", "transfer")
    assert situation.means == ("use_of_force",)
    assert situation.purposes == ("forced_labour", "removal_of_organs")
    assert screen(situation, AT, framework).finding == "established"


def test_related_practices_are_the_forced_labour_and_slavery_family(framework: Framework) -> None:
    result = screened(framework, person=ADULT, actions=[], means=["threat"], purposes=["forced_begging", "servitude"])
    assert [item.practice for item in result.related_practices] == ["servitude"]


def test_a_possible_child_keeps_what_the_signs_showed_for_an_adult(framework: Framework) -> None:
    """Adding an indication of minority must not make adult-set indicators stop counting."""
    facts = {
        "actions": ["recruitment"],
        "means": ["deception"],
        "indicators": ["expl_no_social_protection", "expl_low_no_pay", "expl_bad_living"],
    }
    assert screened(framework, **facts).finding == "presumed"
    assert screened(framework, person={"indications_of_minority": ["appearance"]}, **facts).finding == "presumed"


def test_a_presumed_child_with_a_means_meets_the_adult_definition(framework: Framework) -> None:
    result = screened(
        framework, person={"stated_age": 16}, actions=["recruitment"], means=["fraud"], purposes=["forced_labour"]
    )
    assert result.finding == "established"
    assert result.treated_as_child
    assert result.element("means").status == "met"
    assert "whatever the person's age" in result.explanation


def test_not_established_names_what_else_would_have_to_be_shown(framework: Framework) -> None:
    result = screened(framework, person=ADULT, actions=["recruitment"], means=[])
    assert result.finding == "not_established"
    assert "The exploitative purpose would also have to be shown." in result.explanation
