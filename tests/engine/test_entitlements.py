"""Entitlements: what is owed, by whom and by when, never conditional on cooperation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from rightsfirst.engine import EntitlementsResult, case_from_data, entitlements, person_from_data
from rightsfirst.engine.dates import add_months, add_working_days
from rightsfirst.framework.loader import load_framework
from rightsfirst.framework.model import Framework
from tests.conftest import AT, EXAMPLES


def owed(framework: Framework, person: dict[str, Any], case: dict[str, Any], at: dt.date = AT) -> EntitlementsResult:
    return entitlements(person_from_data(person), case_from_data(case), at, framework)


FOREIGN_ADULT = {"age": 30, "non_national": True}
PRESUMED = {"referred_on": "2026-02-16", "reasonable_grounds_on": "2026-02-18"}


def test_a_presumed_victim_from_abroad_gets_shelter_care_and_a_reflection_period(framework: Framework) -> None:
    result = owed(framework, FOREIGN_ADULT, PRESUMED)
    assert result.victim_status == "presumed"
    for entitlement_id in (
        "safe_shelter",
        "medical_and_psychological_care",
        "legal_assistance_and_interpreter",
        "compensation_information",
        "consular_access_information",
        "asylum_and_non_refoulement",
    ):
        assert result.get(entitlement_id).applies, entitlement_id
    reflection = result.get("recovery_and_reflection_period")
    assert (reflection.starts, reflection.ends) == (dt.date(2026, 2, 18), dt.date(2026, 3, 20))
    residence = result.get("initial_temporary_residence")
    assert residence.ends == dt.date(2026, 8, 18)
    assert result.get("safe_shelter").due == dt.date(2026, 2, 18)


def test_the_identification_decision_is_due_five_working_days_after_referral(framework: Framework) -> None:
    # Referred on a Friday: five working days later is the next Friday.
    result = owed(framework, FOREIGN_ADULT, {"referred_on": "2026-02-13"})
    decision = result.get("identification_decision")
    assert decision.due == dt.date(2026, 2, 20)
    assert decision.overdue
    assert result.victim_status == "possible"


def test_a_decision_made_marks_identification_delivered(framework: Framework) -> None:
    decision = owed(framework, FOREIGN_ADULT, PRESUMED).get("identification_decision")
    assert decision.status == "delivered"
    assert not decision.overdue


def test_no_consular_contact_is_pushed_on_an_asylum_seeker(framework: Framework) -> None:
    result = owed(framework, {**FOREIGN_ADULT, "asylum_seeker": True}, PRESUMED)
    consular = result.get("consular_access_information")
    assert not consular.applies
    assert "asylum" in consular.reason
    assert result.get("asylum_and_non_refoulement").applies


def test_a_person_in_their_own_country_gets_no_migration_entitlements(framework: Framework) -> None:
    result = owed(framework, {"age": 30, "non_national": False}, PRESUMED)
    for entitlement_id in (
        "recovery_and_reflection_period",
        "initial_temporary_residence",
        "asylum_and_non_refoulement",
    ):
        assert not result.get(entitlement_id).applies
    assert result.get("safe_shelter").applies


def test_a_child_gets_a_guardian_on_time_and_it_can_be_overdue(framework: Framework) -> None:
    result = owed(framework, {"age": 14, "unaccompanied": True}, {"referred_on": "2026-02-23"})
    assert result.treated_as_child
    guardian = result.get("guardian")
    assert guardian.due == dt.date(2026, 2, 26)
    assert guardian.overdue
    for entitlement_id in ("best_interests_determination", "family_tracing", "child_views_heard", "care_for_children"):
        assert result.get(entitlement_id).applies


def test_a_recorded_service_updates_the_status(framework: Framework) -> None:
    case = {
        "referred_on": "2026-02-23",
        "services": [{"entitlement": "guardian", "status": "delivered", "date": "2026-02-24"}],
    }
    guardian = owed(framework, {"age": 14}, case).get("guardian")
    assert guardian.status == "delivered"
    assert not guardian.overdue


def test_family_tracing_is_for_children_without_their_family(framework: Framework) -> None:
    result = owed(framework, {"age": 14, "unaccompanied": False}, {"referred_on": "2026-02-23"})
    assert not result.get("family_tracing").applies


def test_a_person_presumed_to_be_a_child_is_treated_as_one(framework: Framework) -> None:
    result = owed(framework, {"stated_age": 17}, {"referred_on": "2026-02-23"})
    assert result.get("treatment_as_child").applies
    assert result.get("guardian").applies


def test_adults_get_no_child_entitlements(framework: Framework) -> None:
    result = owed(framework, FOREIGN_ADULT, PRESUMED)
    assert "guardian" not in {item.id for item in result.entitlements}


def test_pending_proceedings_bring_residence_participation_and_protection(framework: Framework) -> None:
    case = {**PRESUMED, "proceedings": [{"kind": "criminal", "role": "witness", "started_on": "2026-02-20"}]}
    result = owed(framework, FOREIGN_ADULT, case)
    for entitlement_id in (
        "residence_during_proceedings",
        "participation_in_proceedings",
        "witness_protection",
        "notification_of_suspect_release",
    ):
        assert result.get(entitlement_id).applies, entitlement_id
    assert result.get("residence_during_proceedings").ends_when


def test_civil_proceedings_do_not_bring_release_notification(framework: Framework) -> None:
    case = {**PRESUMED, "proceedings": [{"kind": "civil", "role": "complainant"}]}
    result = owed(framework, FOREIGN_ADULT, case)
    assert result.get("residence_during_proceedings").applies
    assert not result.get("notification_of_suspect_release").applies


def test_concluded_proceedings_no_longer_count(framework: Framework) -> None:
    case = {**PRESUMED, "proceedings": [{"kind": "criminal", "started_on": "2025-01-01", "ended_on": "2026-01-01"}]}
    assert not owed(framework, FOREIGN_ADULT, case).get("residence_during_proceedings").applies


def test_without_reasonable_grounds_support_waits_but_information_does_not(framework: Framework) -> None:
    result = owed(framework, FOREIGN_ADULT, {"victim_status": "not_established", "referred_on": "2026-02-16"})
    assert not result.get("safe_shelter").applies
    assert "screen again" in result.get("safe_shelter").reason
    assert result.get("information_on_rights").applies
    assert result.get("privacy").applies


def test_nothing_is_conditional_on_cooperation(framework: Framework) -> None:
    result = owed(framework, {"age": 15, "non_national": True}, PRESUMED)
    assert all(item.conditional_on_cooperation is False for item in result.entitlements)
    assert any("cooperating" in note for note in result.notes)
    assert {"RPG.P8", "RPG.G6.2"} <= set(result.citations)


def test_every_basis_exists(framework: Framework) -> None:
    result = owed(framework, {"age": 15, "non_national": True}, PRESUMED)
    for item in result.entitlements:
        assert item.basis
        assert all(provision_id in framework.provisions for provision_id in item.basis)


def test_a_country_profile_changes_the_recovery_period_over_time() -> None:
    framework = load_framework(str(EXAMPLES / "profiles" / "example-country.yaml"))
    before = owed(framework, FOREIGN_ADULT, {"reasonable_grounds_on": "2023-01-02"}, dt.date(2023, 1, 3))
    after = owed(framework, FOREIGN_ADULT, {"reasonable_grounds_on": "2023-02-01"}, dt.date(2023, 2, 2))
    assert before.get("recovery_and_reflection_period").ends == dt.date(2023, 2, 16)  # 45 days
    assert after.get("recovery_and_reflection_period").ends == dt.date(2023, 3, 3)  # 30 days
    assert before.profile == "example-country"


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (dt.date(2026, 2, 13), 5, dt.date(2026, 2, 20)),  # Friday + 5 = Friday
        (dt.date(2026, 2, 16), 3, dt.date(2026, 2, 19)),  # Monday + 3 = Thursday
        (dt.date(2026, 2, 19), 3, dt.date(2026, 2, 24)),  # Thursday + 3 = Tuesday
        (dt.date(2026, 2, 14), 5, dt.date(2026, 2, 20)),  # Saturday + 5 = Friday
        (dt.date(2026, 2, 16), 0, dt.date(2026, 2, 16)),
    ],
)
def test_working_days(start: dt.date, days: int, expected: dt.date) -> None:
    assert add_working_days(start, days) == expected


def test_months_are_clamped_to_short_months() -> None:
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 2, 18), 6) == dt.date(2026, 8, 18)


def test_measures_recorded_in_the_case_deliver_what_they_provide(framework: Framework) -> None:
    from rightsfirst.engine import assess, measure_from_data

    guardian = measure_from_data({"type": "guardian_appointment", "appointed": True, "date": "2026-02-24"})
    later = measure_from_data({"type": "guardian_appointment", "appointed": True, "date": "2026-03-20"})
    case = case_from_data({"referred_on": "2026-02-23"})
    child = person_from_data({"age": 14})
    done = assess(AT, None, child, case, [guardian], framework).entitlements.get("guardian")
    assert (done.status, done.overdue) == ("delivered", False)
    planned = assess(AT, None, child, case, [later], framework).entitlements.get("guardian")
    assert (planned.status, planned.overdue) == ("pending", True)


def test_an_unknown_entitlement_in_the_case_record_is_refused(framework: Framework) -> None:
    from rightsfirst.engine import InputError

    with pytest.raises(InputError) as error:
        owed(framework, FOREIGN_ADULT, {"services": [{"entitlement": "shelter", "status": "offered"}]})
    assert error.value.path == "case.services[0].entitlement"
    assert "safe_shelter" in error.value.allowed


def test_a_child_who_may_be_a_victim_is_owed_what_a_presumed_victim_is(framework: Framework) -> None:
    result = owed(framework, {"age": 14, "non_national": True}, {"referred_on": "2026-02-23"})
    assert result.victim_status == "presumed"
    assert result.get("safe_shelter").applies
    assert result.get("recovery_and_reflection_period").applies
