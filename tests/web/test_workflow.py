"""The acts of case work: registration, screening, measures with review and override, referral."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from rightsfirst.web import workflow
from rightsfirst.web.models import AuditEvent, Deadline, Measure
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE, IDENTITY

SHELTER_ON_TESTIMONY = {"service": "shelter", "conditional_on_testimony": True}


def test_identity_is_encrypted_in_the_database(make_case):
    case = make_case(ADULT_SITUATION)
    with connection.cursor() as cursor:
        cursor.execute("SELECT family_name_sealed FROM casework_person")
        (stored,) = cursor.fetchone()
    assert stored and IDENTITY["family_name"].encode() not in bytes(stored)
    assert case.person.identity(case)["family_name"] == IDENTITY["family_name"]


def test_screening_stores_the_result_with_framework_version(make_case):
    case = make_case(ADULT_SITUATION)
    screening = case.screenings.get()
    assert screening.finding == "established"
    assert screening.framework_version
    assert screening.result["citations"]
    assert case.stage == "screening"
    assert Deadline.objects.filter(case=case).exists()


def test_a_child_whose_age_is_uncertain_is_treated_as_a_child_with_a_guardian_deadline(make_case):
    case = make_case(CHILD_UNCERTAIN_AGE)
    assert case.treated_as_child
    assert Deadline.objects.filter(case=case, entitlement="guardian").exists()


def test_violation_blocks_the_measure_and_nothing_is_saved(make_case, users):
    case = make_case(ADULT_SITUATION)
    with pytest.raises(workflow.MeasureBlocked) as blocked:
        workflow.record_measure(users["case_worker"], case, "support_offer", SHELTER_ON_TESTIMONY, workflow.today())
    assert blocked.value.review.outcome == "violation"
    assert any("RPG.P8" in finding.citations for finding in blocked.value.review.findings)
    assert not Measure.objects.filter(case=case).exists()


def test_only_a_coordinator_may_override(make_case, users):
    case = make_case(ADULT_SITUATION)
    with pytest.raises(PermissionDenied):
        workflow.record_measure(
            users["case_worker"],
            case,
            "support_offer",
            SHELTER_ON_TESTIMONY,
            workflow.today(),
            override_justification="I insist",
        )
    assert not Measure.objects.filter(case=case).exists()
    measure = workflow.record_measure(
        users["coordinator"],
        case,
        "support_offer",
        SHELTER_ON_TESTIMONY,
        workflow.today(),
        override_justification="Court order 12/2026 pending appeal",
    )
    assert measure.overridden and measure.outcome == "violation"
    entry = AuditEvent.objects.get(action="measure.override")
    # The justification is kept on the measure, sealed; the permanent audit log names the measure only.
    assert entry.reason == "" and entry.target == f"support_offer #{measure.pk}"
    assert entry.case_reference == case.reference
    assert Measure.objects.get(pk=measure.pk).override_justification == "Court order 12/2026 pending appeal"


def test_referral_needs_consent_and_for_a_child_a_best_interests_determination(make_case, users, agencies):
    case = make_case(CHILD_UNCERTAIN_AGE)
    consent = workflow.record_consent(
        users["case_worker"],
        case,
        agreed_to="Share the case with legal aid",
        purpose="referral",
        information_language="en",
        given_by="guardian",
        given_on=workflow.today(),
    )
    with pytest.raises(workflow.NotAllowed, match="best-interests"):
        workflow.refer(users["case_worker"], case, agencies["legal"], consent, "legal help")
    workflow.record_measure(
        users["guardian"],
        case,
        "best_interests_determination",
        {"conducted": True, "child_views_heard": True, "multidisciplinary": True, "purpose": "care"},
        workflow.today(),
    )
    referral = workflow.refer(users["case_worker"], case, agencies["legal"], consent, "legal help")
    workflow.withdraw_consent(users["case_worker"], case, consent, workflow.today())
    referral.refresh_from_db()
    assert referral.ended_at is not None


def test_identification_decision_sets_the_dates_the_rights_run_from(make_case, users):
    case = make_case(ADULT_SITUATION, referred_on=workflow.today() - dt.timedelta(days=3))
    workflow.record_measure(
        users["coordinator"], case, "identification_decision", {"decision": "presumed_victim"}, workflow.today()
    )
    case.refresh_from_db()
    assert case.reasonable_grounds_on == workflow.today()
    assert Deadline.objects.filter(case=case, entitlement="recovery_and_reflection_period").exists()


def test_audit_entries_cannot_be_changed_or_deleted(make_case):
    make_case(ADULT_SITUATION)
    entry = AuditEvent.objects.first()
    entry.reason = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(reason="x")


LAWFUL_AGE_ASSESSMENT = {
    "method": "multidisciplinary",
    "treated_as_child_pending": True,
    "consent": True,
    "invasive": False,
    "benefit_of_doubt": True,
    "justification": "Multidisciplinary assessment with the guardian present, after informed consent.",
}


@pytest.mark.parametrize(("assessed", "child"), [(19, False), (15, True)])
def test_an_age_assessment_decides_whether_the_person_is_treated_as_a_child(make_case, users, assessed, child):
    case = make_case(CHILD_UNCERTAIN_AGE)
    assert case.treated_as_child
    workflow.record_measure(
        users["guardian"], case, "age_assessment", {**LAWFUL_AGE_ASSESSMENT, "outcome_age": assessed}, workflow.today()
    )
    case.refresh_from_db()
    assert case.treated_as_child is child
    latest = case.screenings.order_by("-number").first()
    assert latest.number == 2 and latest.situation["person"]["age"] == assessed
    assert case.screenings.filter(number=1).exists()
