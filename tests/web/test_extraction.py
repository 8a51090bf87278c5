"""The monitoring records extracted from the case database: coded facts only, nothing that names anyone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from rightsfirst.monitoring.ages import age_band_of_situation
from rightsfirst.web import erasure, workflow
from rightsfirst.web.extraction import extract, forms_of
from rightsfirst.web.models import Case
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE, IDENTITY

pytestmark = pytest.mark.django_db


def _column(table: Any, name: str) -> list[Any]:
    return table.column(name).to_pylist()


def test_a_case_becomes_one_row_of_coded_facts(make_case: Any, users: dict[str, Any]) -> None:
    referred = workflow.today() - dt.timedelta(days=20)
    case = make_case(ADULT_SITUATION, referred_on=referred)
    coordinator = users["coordinator"]
    decided = workflow.today() - dt.timedelta(days=5)
    workflow.record_measure(coordinator, case, "identification_decision", {"decision": "identified"}, decided)

    records = extract()

    assert records.cases.num_rows == 1
    row = records.cases.to_pylist()[0]
    assert row["referred_on"] == referred
    assert row["agency"] == "Fictional Shelter"
    assert row["age_band"] == "30--38"
    assert row["child"] is False
    assert row["sex"] == "female"
    assert row["nationality"] == "XX"
    assert row["forms"] == ["forced_labour"]
    assert row["identified_on"] == decided
    assert row["not_identified_on"] is None
    measure = records.measures.to_pylist()[0]
    assert measure["case_key"] == row["case_key"]
    assert measure["measure_type"] == "identification_decision"
    assert measure["fact_decision"] == "identified"
    assert measure["fact_mandatory"] is None  # a fact of another measure type


def test_no_sealed_value_and_no_reference_reaches_the_records(make_case: Any, users: dict[str, Any]) -> None:
    case = make_case(ADULT_SITUATION)
    workflow.record_measure(
        users["case_worker"],
        case,
        "support_offer",
        {"service": "shelter", "conditional_on_cooperation": False, "justification": "Zorana asked for it"},
        workflow.today(),
        details={"notes": "Testovna met at the station"},
    )
    records = extract()
    text = " ".join(
        str(value) for table in (records.cases, records.measures, records.services) for value in table.to_pylist()
    )
    for secret in (IDENTITY["given_names"], IDENTITY["family_name"], "Zorana", "Testovna", case.reference):
        assert secret not in text


def test_a_measure_that_violates_keeps_its_rules_and_override(make_case: Any, users: dict[str, Any]) -> None:
    case = make_case(ADULT_SITUATION)
    facts = {"service": "shelter", "conditional_on_testimony": True, "can_leave": True}
    with pytest.raises(workflow.MeasureBlocked):
        workflow.record_measure(users["case_worker"], case, "support_offer", facts, workflow.today())
    workflow.record_measure(
        users["coordinator"],
        case,
        "support_offer",
        facts,
        workflow.today(),
        override_justification="Fictional override for a test of the statistics.",
    )
    measure = extract().measures.to_pylist()[0]
    assert measure["outcome"] == "violation"
    assert measure["overridden"] is True
    assert measure["violated_rules"]
    assert measure["fact_conditional_on_testimony"] is True


def test_a_negative_decision_and_a_refused_service(make_case: Any, users: dict[str, Any]) -> None:
    case = make_case(ADULT_SITUATION)
    on = workflow.today() - dt.timedelta(days=2)
    workflow.record_measure(
        users["coordinator"],
        case,
        "identification_decision",
        {
            "decision": "not_identified",
            "reason_if_negative": "insufficient_evidence",
            "justification": "Fictional reasons recorded for a test of the statistics.",
        },
        on,
    )
    workflow.record_service(users["case_worker"], case, "safe_shelter", "refused", on)
    records = extract()
    assert _column(records.cases, "not_identified_on") == [on]
    services = records.services.to_pylist()
    assert [(row["entitlement"], row["status"], row["on"]) for row in services] == [("safe_shelter", "refused", on)]


def test_only_the_cases_in_scope_are_read(make_case: Any) -> None:
    first = make_case(ADULT_SITUATION)
    make_case(ADULT_SITUATION)
    records = extract(Case.objects.filter(pk=first.pk))
    assert records.cases.num_rows == 1


def test_an_erased_case_still_counts_with_its_age_band(make_case: Any, users: dict[str, Any]) -> None:
    case = make_case(ADULT_SITUATION)
    erasure.erase(case, users["coordinator"], how="test", reason="Fictional erasure for a test")
    row = extract().cases.to_pylist()[0]
    assert row["age_band"] == "30--38"
    assert row["referred_on"] == case.referred_on


@pytest.mark.parametrize(
    ("person", "child", "band"),
    [
        ({"age": 15}, True, "9--17"),
        ({"stated_age": 25}, False, "24--26"),
        # Says 19 but treated as a child: the stated age is not used, and no range is known.
        (CHILD_UNCERTAIN_AGE["person"], True, None),
        ({"stated_age": 19, "age_range": [15, 19]}, True, "9--17"),
        ({"stated_age": 19, "age_range": [5, 19]}, True, None),
        ({"age_range": [25, 35]}, False, None),
        ({"age_range": [31, 35]}, False, "30--38"),
        ({"age": 17.9}, True, "9--17"),
        ({}, False, None),
    ],
)
def test_the_age_band_follows_the_best_knowledge(person: dict[str, Any], child: bool, band: str | None) -> None:
    assert age_band_of_situation({"person": person}, child) == band


def test_forms_resolve_aliases_and_drop_unknown_words() -> None:
    assert forms_of("begging,forced_labour,made_up") == ["forced_labour", "forced_begging"]
    assert forms_of("") == []
