"""Retention, legal hold and erasure: what is destroyed, what is kept, and who may decide."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rightsfirst.monitoring.ages import age_band
from rightsfirst.web import access, adapter, audit, crypto, erasure, retention, workflow
from rightsfirst.web.extraction import extract
from rightsfirst.web.models import (
    AuditEvent,
    Case,
    Consent,
    Deadline,
    ErasureRequest,
    Measure,
    Membership,
    Person,
    Referral,
    Screening,
    ServiceEvent,
    StageChange,
)
from rightsfirst.web.settings import retention_from_environment
from tests.web.conftest import ADULT_SITUATION, IDENTITY, enrol, sign_in

# Fictional free text planted in every narrative field, looked for after erasure.
NOTE = "Fictional narrative 7731"
PROCEEDING = {
    "proceeding": "criminal",
    "role": "witness",
    "interpreter": True,
    "legal_representation": True,
    "informed_of_progress": True,
    "views_presented": True,
}
REFUSAL = "The criminal trial against the exploiters is still running and the court needs the file."


def today() -> dt.date:
    return timezone.localdate()


def years_ago(years: int, days: int = 0) -> dt.date:
    return retention.add_years(today(), -years) - dt.timedelta(days=days)


def close(users: dict[str, Any], case: Case, on: dt.date, beyond_screening: bool = True) -> Case:
    """Close the case (through presumed victim and support, unless closed at screening), dated `on`."""
    coordinator = users["coordinator"]
    if beyond_screening:
        for stage in ("presumed_victim", "support", "durable_solution"):
            workflow.move(coordinator, case, stage, note=f"{NOTE} moving to {stage}")
    workflow.move(coordinator, case, "closed", note=f"{NOTE} closing")
    # The clock starts at the move to "closed": put that move in the past.
    closed_at = timezone.make_aware(dt.datetime.combine(on, dt.time(12)))
    StageChange.objects.filter(case=case, to_stage="closed").update(changed_at=closed_at)
    case.refresh_from_db()
    return case


def narrate(users: dict[str, Any], agencies: dict[str, Any], case: Case) -> None:
    """Write free text into every narrative field a case has."""
    worker, coordinator = users["case_worker"], users["coordinator"]
    at = today()
    entitlement = next(item.id for item in adapter.assess_case(case, at).entitlements.entitlements if item.applies)
    workflow.record_service(worker, case, entitlement, "delivered", at, note=f"{NOTE} service")
    consent = workflow.record_consent(
        worker,
        case,
        agreed_to=f"{NOTE} consent",
        purpose="referral",
        shared_with=agencies["legal"],
        information_language="en",
        given_by="person",
        given_on=at,
    )
    workflow.refer(worker, case, agencies["legal"], consent, f"{NOTE} referral")
    workflow.record_measure(
        coordinator,
        case,
        "support_offer",
        {"service": "shelter", "conditional_on_testimony": True},
        at,
        override_justification=f"{NOTE} override justification",
    )
    ended = at - dt.timedelta(days=3)
    workflow.record_measure(
        users["legal_adviser"],
        case,
        "legal_proceedings",
        {**PROCEEDING, "justification": f"{NOTE} justification"},
        at - dt.timedelta(days=90),
        details={
            "started_on": (at - dt.timedelta(days=90)).isoformat(),
            "ended_on": ended.isoformat(),
            "protection_measures": f"{NOTE} protection",
        },
    )
    erasure.record_request(worker, case, at, "in_person", note=f"{NOTE} request")


def rows_holding(text: str) -> list[str]:
    """Every table (but the audit log) with a row whose stored values contain `text`."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table == "casework_auditevent":
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # table names come from the database itself
            if any(text in repr(row) for row in cursor.fetchall()):
                found.append(table)
    return found


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def story_case(make_case: Any, users: dict[str, Any], agencies: dict[str, Any]) -> Case:
    """An adult's case with free text everywhere, closed seven years ago."""
    situation = {
        **ADULT_SITUATION,
        "description": f"{NOTE} situation",
        "person": {**ADULT_SITUATION["person"], "indications_of_minority": ["appearance", f"{NOTE} indication"]},
    }
    case = make_case(situation)
    narrate(users, agencies, case)
    return close(users, case, years_ago(7))


# --- The schedule -------------------------------------------------------------------------------


def test_past_retention_the_key_identity_and_free_text_are_destroyed_and_the_facts_kept(
    story_case: Case, users: dict[str, Any], client_for: Any, monkeypatch: Any
) -> None:
    case = story_case
    assert case.person.identity(case)["family_name"] == IDENTITY["family_name"]
    # The checks below can fail: the note is there now, in clear in the facts planted straight into
    # the screening (no form asks for free text there) and sealed in the narrative fields.
    assert rows_holding(NOTE)
    sealed_notes = StageChange.objects.filter(case=case).exclude(note_sealed=b"")
    assert all(NOTE in change.note for change in sealed_notes) and sealed_notes.count() >= 4
    measures_before = sorted(Measure.objects.filter(case=case).values_list("measure_type", "outcome", "decided_on"))
    services_before = list(ServiceEvent.objects.filter(case=case).values_list("entitlement", "status", "on"))
    stages_before = list(StageChange.objects.filter(case=case).values_list("to_stage", "changed_at"))

    output = run("apply_retention")

    case.refresh_from_db()
    person = Person.objects.get(pk=case.person_id)
    assert case.erased_at is not None
    assert "erased: 1" in output
    # The key is gone with the ciphertext: nothing, anywhere, can decrypt the identity again.
    assert bytes(case.wrapped_data_key) == b"" and bytes(person.family_name_sealed) == b""
    with pytest.raises(crypto.DecryptionError):
        person.identity(case)
    assert rows_holding(NOTE) == []
    assert not StageChange.objects.filter(case=case).exclude(note_sealed=b"").exists()
    assert rows_holding(IDENTITY["family_name"]) == []
    measure = Measure.objects.get(case=case, measure_type="legal_proceedings")
    assert "justification" not in measure.facts and "protection_measures" not in measure.details
    assert measure.details["started_on"] and measure.facts["proceeding"] == "criminal"
    # The anonymised facts statistics need are all still there.
    assert (person.sex, person.nationality) == ("female", "XX")
    assert case.age_band == "30--38"
    assert (case.stage, case.finding, case.forms_of_exploitation) == ("closed", "established", "forced_labour")
    screening = Screening.objects.get(case=case)
    assert screening.situation["purposes"] == ["forced_labour"] and screening.situation["means"] == ["deception"]
    assert screening.situation["person"] == {"non_national": True, "indications_of_minority": ["appearance"]}
    assert sorted(Measure.objects.filter(case=case).values_list("measure_type", "outcome", "decided_on")) == (
        measures_before
    )
    assert list(ServiceEvent.objects.filter(case=case).values_list("entitlement", "status", "on")) == services_before
    assert list(StageChange.objects.filter(case=case).values_list("to_stage", "changed_at")) == stages_before
    assert not Deadline.objects.filter(case=case).exists()
    request = ErasureRequest.objects.get(case=case)
    assert request.status == "granted" and request.note == ""
    # One audit entry, and the chain still verifies.
    entry = AuditEvent.objects.get(action="case.erase")
    assert entry.case_reference == case.reference and entry.target.startswith("retention: closed")
    assert audit.verify() == []
    # Statistics still count the case, with its anonymised facts.
    (row,) = extract().cases.to_pylist()
    assert (row["stage"], row["sex"], row["age_band"]) == ("closed", "female", "30--38")


def test_a_second_run_finds_nothing_more_to_do(story_case: Case) -> None:
    run("apply_retention")
    second = run("apply_retention")
    assert "closed cases past their retention period: 0" in second
    assert AuditEvent.objects.filter(action="case.erase").count() == 1


def test_before_the_period_ends_the_case_is_untouched(make_case: Any, users: dict[str, Any]) -> None:
    case = close(users, make_case(ADULT_SITUATION), years_ago(6, days=-1))  # the anniversary is tomorrow
    wrapped = bytes(case.wrapped_data_key)
    output = run("apply_retention")
    case.refresh_from_db()
    assert case.erased_at is None and bytes(case.wrapped_data_key) == wrapped
    assert "closed cases still within their period: 1" in output
    # On the anniversary itself it is due.
    assert retention.review(today()).due == []
    assert [due.reference for due in retention.review(today() + dt.timedelta(days=1)).due] == [case.reference]


def test_a_case_closed_at_screening_has_the_shorter_period(make_case: Any, users: dict[str, Any]) -> None:
    screened_only = close(users, make_case(ADULT_SITUATION), years_ago(3), beyond_screening=False)
    supported = close(users, make_case(ADULT_SITUATION), years_ago(3))
    run("apply_retention")
    screened_only.refresh_from_db()
    supported.refresh_from_db()
    assert screened_only.erased_at is not None  # 2 years
    assert supported.erased_at is None  # 6 years


def test_a_reopened_case_is_not_erased_and_a_new_closure_restarts_the_clock(
    make_case: Any, users: dict[str, Any]
) -> None:
    case = close(users, make_case(ADULT_SITUATION), years_ago(8))
    workflow.move(users["coordinator"], case, "support")
    assert retention.review(today()).due == []
    workflow.move(users["coordinator"], case, "durable_solution")
    workflow.move(users["coordinator"], case, "closed")  # closed again today
    run("apply_retention")
    case.refresh_from_db()
    assert case.erased_at is None


def test_a_closed_case_without_a_recorded_closure_is_kept_and_reported(make_case: Any) -> None:
    case = make_case(ADULT_SITUATION)
    Case.objects.filter(pk=case.pk).update(stage="closed")  # as bulk-loaded data may be
    output = run("apply_retention")
    case.refresh_from_db()
    assert case.erased_at is None
    assert "closed cases with no recorded closure (kept: the clock cannot start): 1" in output


def test_a_manual_legal_hold_keeps_the_case_untouched(make_case: Any, users: dict[str, Any]) -> None:
    case = close(users, make_case(ADULT_SITUATION), years_ago(9))
    erasure.set_hold(users["legal_adviser"], case, "Prosecutor asked us to keep the file")
    note = StageChange.objects.get(case=case, to_stage="closed").note
    output = run("apply_retention", "--verbosity", "2")
    case.refresh_from_db()
    assert case.erased_at is None and case.person.identity(case)["given_names"] == IDENTITY["given_names"]
    assert StageChange.objects.get(case=case, to_stage="closed").note == note
    assert "kept on legal hold or pending proceedings: 1" in output
    assert f"{case.reference}: kept: legal hold set on" in output
    assert not AuditEvent.objects.filter(action="case.erase").exists()
    # Lifted, the schedule applies again.
    erasure.lift_hold(users["coordinator"], case, "The prosecutor closed the file")
    run("apply_retention")
    case.refresh_from_db()
    assert case.erased_at is not None


def test_pending_proceedings_keep_the_case_until_they_end(make_case: Any, users: dict[str, Any]) -> None:
    case = close(users, make_case(ADULT_SITUATION), years_ago(9))
    started = years_ago(10)
    measure = Measure.objects.create(
        case=case,
        measure_type="legal_proceedings",
        decided_on=started,
        facts=PROCEEDING,
        details={"started_on": started.isoformat()},
        outcome="ok",
        review={},
        framework_version="test",
        agency=case.holding_agency,
        recorded_by=users["legal_adviser"],
    )
    assert [item.kind for item in erasure.hold_reasons(case, today())] == ["proceedings"]
    run("apply_retention")
    case.refresh_from_db()
    assert case.erased_at is None
    measure.details = {"started_on": started.isoformat(), "ended_on": years_ago(1).isoformat()}
    measure.save()
    run("apply_retention")
    case.refresh_from_db()
    assert case.erased_at is not None


def test_the_dry_run_changes_nothing(story_case: Case, users: dict[str, Any]) -> None:
    old = timezone.now() - dt.timedelta(days=60)
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=old)
    attempt = AccessAttempt.objects.create(
        username="someone", ip_address="127.0.0.1", user_agent="t", failures_since_start=1, get_data="", post_data=""
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=old)
    holding = rows_holding(NOTE)
    audit_count = AuditEvent.objects.count()
    wrapped = bytes(story_case.wrapped_data_key)

    output = run("apply_retention", "--dry-run", "--verbosity", "2")

    story_case.refresh_from_db()
    assert "erased (would be): 1" in output and f"{story_case.reference}: would be erased" in output
    assert "expired sessions would be deleted: 1" in output and "failed sign-in records would be deleted: 1" in output
    assert story_case.erased_at is None and bytes(story_case.wrapped_data_key) == wrapped
    assert rows_holding(NOTE) == holding and holding
    assert AuditEvent.objects.count() == audit_count
    assert Session.objects.filter(session_key="x" * 32).exists() and AccessAttempt.objects.exists()

    erase_dry = run("erase_case", story_case.reference, "--reason", "Checking before the real run", "--dry-run")
    assert "would be erased" in erase_dry
    story_case.refresh_from_db()
    assert story_case.erased_at is None and AuditEvent.objects.count() == audit_count


def test_expired_sessions_and_old_sign_in_failures_are_deleted(db: Any) -> None:
    now = timezone.now()
    Session.objects.create(session_key="e" * 32, session_data="", expire_date=now - dt.timedelta(minutes=1))
    Session.objects.create(session_key="l" * 32, session_data="", expire_date=now + dt.timedelta(minutes=30))
    for name, age in (("old", 31), ("recent", 1)):
        for model in (AccessAttempt, AccessFailureLog):
            extra = {"failures_since_start": 1, "get_data": "", "post_data": ""} if model is AccessAttempt else {}
            row = model.objects.create(username=name, ip_address="127.0.0.1", user_agent="t", **extra)
            model.objects.filter(pk=row.pk).update(attempt_time=now - dt.timedelta(days=age))
    output = run("apply_retention")
    assert list(Session.objects.values_list("session_key", flat=True)) == ["l" * 32]
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"recent"}
    assert set(AccessFailureLog.objects.values_list("username", flat=True)) == {"recent"}
    assert "expired sessions were deleted: 1" in output and "failed sign-in records were deleted: 2" in output


def test_a_later_today_is_refused_unless_it_is_a_dry_run(make_case: Any, users: dict[str, Any]) -> None:
    case = close(users, make_case(ADULT_SITUATION), years_ago(1))
    later = retention.add_years(today(), 6).isoformat()
    with pytest.raises(CommandError, match="after today"):
        run("apply_retention", "--today", later)
    assert "erased (would be): 1" in run("apply_retention", "--dry-run", "--today", later)
    case.refresh_from_db()
    assert case.erased_at is None
    with pytest.raises(CommandError, match="expected a date as YYYY-MM-DD"):
        run("apply_retention", "--today", "31/12/2030")


def test_periods_come_from_the_environment_and_bad_values_are_named(monkeypatch: Any) -> None:
    monkeypatch.setenv("RIGHTSFIRST_RETENTION_CLOSED_CASE_YEARS", "10")
    assert retention_from_environment()["closed_case_years"] == 10
    assert retention_from_environment()["sign_in_failure_days"] == 30
    for bad in ("ten", "0", "-3", "2.5"):
        monkeypatch.setenv("RIGHTSFIRST_RETENTION_CLOSED_CASE_YEARS", bad)
        with pytest.raises(ImproperlyConfigured, match=r"RIGHTSFIRST_RETENTION_CLOSED_CASE_YEARS.*at least 1"):
            retention_from_environment()


def test_a_bad_period_stops_the_command_with_its_name_and_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "RIGHTSFIRST_DATA_DIR": str(tmp_path), "RIGHTSFIRST_RETENTION_SIGN_IN_FAILURE_DAYS": "0"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "rightsfirst.cli", "manage", "apply_retention", "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "configuration error: RIGHTSFIRST_RETENTION_SIGN_IN_FAILURE_DAYS='0'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_changed_period_changes_what_is_due(make_case: Any, users: dict[str, Any], settings: Any) -> None:
    case = close(users, make_case(ADULT_SITUATION), years_ago(7))
    settings.RIGHTSFIRST_RETENTION = {**settings.RIGHTSFIRST_RETENTION, "closed_case_years": 10}
    assert retention.review(today()).due == []
    settings.RIGHTSFIRST_RETENTION = {**settings.RIGHTSFIRST_RETENTION, "closed_case_years": 7}
    assert [due.reference for due in retention.review(today()).due] == [case.reference]


def test_age_bands_are_the_statistics_bands() -> None:
    # One concept, one name: what an erased case keeps is the band the statistics publish.
    assert [age_band(age) for age in (0, 8.9, 9, 17, 17.5, 18, 29, 30, 47, 48, 90)] == [
        "0--8",
        "0--8",
        "9--17",
        "9--17",
        "9--17",
        "18--20",
        "27--29",
        "30--38",
        "39--47",
        "48+",
        "48+",
    ]
    assert erasure.band_of_situation({"person": {"stated_age": 16}}) == "9--17"
    assert erasure.band_of_situation({"person": {"age_range": [10, 16]}}) == "9--17"
    assert erasure.band_of_situation({"person": {"age_range": [16, 19]}}) == ""
    # Presumed a child while the age is uncertain: the range below 18 places her.
    assert erasure.band_of_situation({"person": {"stated_age": 19, "age_range": [16, 19]}}, True) == "9--17"
    assert erasure.band_of_situation({}) == ""


# --- erase_case -------------------------------------------------------------------------------


def test_erase_case_erases_an_open_case_on_request(make_case: Any) -> None:
    case = make_case(ADULT_SITUATION)
    output = run("erase_case", case.reference.lower(), "--reason", "The person asked us in writing")
    case.refresh_from_db()
    assert case.erased_at is not None and "erased" in output
    entry = AuditEvent.objects.get(action="case.erase")
    assert entry.target == "on request (command line)" and entry.reason == "The person asked us in writing"
    again = run("erase_case", case.reference, "--reason", "The person asked us in writing")
    assert "already erased" in again and AuditEvent.objects.filter(action="case.erase").count() == 1


def test_erase_case_refuses_a_case_on_hold_and_says_why(make_case: Any, users: dict[str, Any]) -> None:
    case = make_case(ADULT_SITUATION)
    erasure.set_hold(users["coordinator"], case, "Court order to keep the records")
    with pytest.raises(CommandError, match=r"not erased: legal hold set on .* by coordinator"):
        run("erase_case", case.reference, "--reason", "The person asked us in writing")
    case.refresh_from_db()
    assert case.erased_at is None and case.person.identity(case)["family_name"] == IDENTITY["family_name"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["RF-0000-0000", "--reason", "The person asked us in writing"], "no case with the reference"),
        (["{ref}", "--reason", "asked"], "at least 10 characters"),
    ],
)
def test_erase_case_bad_input_is_named(make_case: Any, arguments: list[str], message: str) -> None:
    case = make_case(ADULT_SITUATION)
    with pytest.raises(CommandError, match=message):
        run("erase_case", *[item.replace("{ref}", case.reference) for item in arguments])
    case.refresh_from_db()
    assert case.erased_at is None


# --- Legal hold on the case page --------------------------------------------------------------


def test_a_legal_adviser_places_a_hold_and_a_coordinator_lifts_it_both_audited(make_case: Any, client_for: Any) -> None:
    case = make_case(ADULT_SITUATION)
    url = reverse("case_hold", args=[case.reference])
    page = client_for("legal_adviser").get(reverse("case_detail", args=[case.reference]))
    assert "Place on legal hold" in page.content.decode()

    client_for("legal_adviser").post(url, {"hold": "set", "reason": "Trial expected next year"})
    case.refresh_from_db()
    assert case.legal_hold and case.legal_hold_by.username == "legal_adviser"
    assert AuditEvent.objects.get(action="case.hold").reason == "Trial expected next year"
    shown = client_for("case_worker").get(reverse("case_detail", args=[case.reference])).content.decode()
    assert "On legal hold" in shown and "Trial expected next year" in shown
    assert "Lift the legal hold" not in shown  # a case worker may not change it

    client_for("coordinator").post(url, {"hold": "lift", "reason": "short"})  # too short: nothing changes
    case.refresh_from_db()
    assert case.legal_hold
    client_for("coordinator").post(url, {"hold": "lift", "reason": "The trial ended in March"})
    case.refresh_from_db()
    assert not case.legal_hold and case.legal_hold_reason == ""
    assert AuditEvent.objects.get(action="case.hold_lift").reason == "The trial ended in March"


def test_a_case_worker_cannot_set_a_hold(make_case: Any, client_for: Any) -> None:
    case = make_case(ADULT_SITUATION)
    response = client_for("case_worker").post(
        reverse("case_hold", args=[case.reference]), {"hold": "set", "reason": "I would like to keep it"}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert not case.legal_hold


# --- The person's request -------------------------------------------------------------------


@pytest.fixture
def second_coordinator(users: dict[str, Any]) -> Client:
    """Another coordinator of the shelter, which holds the cases."""
    user = get_user_model().objects.create_user(username="coordinator_two", password="x" * 20)
    Membership.objects.create(user=user, agency=users["coordinator"].membership.agency, role="coordinator")
    enrol(user)
    return sign_in(Client(), user)


def record(client: Client, case: Case, **extra: str) -> Any:
    data = {"requested_on": today().isoformat(), "channel": "in_person", "note": "Asked at the weekly visit", **extra}
    return client.post(reverse("case_erasure", args=[case.reference]), data)


def decide(client: Client, case: Case, request: ErasureRequest, **data: str) -> Any:
    payload = {f"r{request.pk}-{key}" if key in ("ground", "reason") else key: value for key, value in data.items()}
    return client.post(reverse("erasure_decide", args=[case.reference, request.pk]), payload)


def test_a_request_is_recorded_and_audited_without_its_note(make_case: Any, client_for: Any) -> None:
    case = make_case(ADULT_SITUATION)
    response = record(client_for("case_worker"), case)
    assert response.status_code == 302
    request = ErasureRequest.objects.get(case=case)
    assert (request.status, request.channel, request.note) == ("pending", "in_person", "Asked at the weekly visit")
    entry = AuditEvent.objects.get(action="erasure.request")
    assert "Asked at the weekly visit" not in f"{entry.target} {entry.reason}"
    # A second request waits until the first is decided.
    record(client_for("case_worker"), case)
    assert ErasureRequest.objects.filter(case=case).count() == 1
    page = client_for("case_worker").get(reverse("case_erasure", args=[case.reference])).content.decode()
    assert "Asked at the weekly visit" in page and "new-request-heading" not in page


def test_a_request_dated_in_the_future_is_refused(make_case: Any, client_for: Any) -> None:
    case = make_case(ADULT_SITUATION)
    response = record(client_for("case_worker"), case, requested_on=(today() + dt.timedelta(days=1)).isoformat())
    assert response.status_code == 200 and "This date is in the future." in response.content.decode()
    assert not ErasureRequest.objects.exists()


def test_the_recorder_cannot_decide_and_neither_can_a_case_worker(
    make_case: Any, client_for: Any, second_coordinator: Client
) -> None:
    case = make_case(ADULT_SITUATION)
    coordinator = client_for("coordinator")
    record(coordinator, case)
    request = ErasureRequest.objects.get(case=case)
    response = decide(coordinator, case, request, decision="grant")
    assert response.status_code == 302
    assert "another coordinator must decide" in coordinator.get(response["Location"]).content.decode()
    assert decide(client_for("case_worker"), case, request, decision="grant").status_code == 404
    request.refresh_from_db()
    case.refresh_from_db()
    assert request.status == "pending" and case.erased_at is None
    page = second_coordinator.get(reverse("case_erasure", args=[case.reference])).content.decode()
    assert "Grant: erase now" in page


def test_a_coordinator_of_another_agency_may_not_decide(
    make_case: Any, users: dict[str, Any], agencies: dict[str, Any]
) -> None:
    case = make_case(ADULT_SITUATION)
    request = erasure.record_request(users["case_worker"], case, today(), "phone")
    elsewhere = get_user_model().objects.create_user(username="police_coordinator", password="x" * 20)
    Membership.objects.create(user=elsewhere, agency=agencies["police"], role="coordinator")
    assert not erasure.may_decide(elsewhere, request)
    assert erasure.may_decide(users["coordinator"], request)
    with pytest.raises(PermissionDenied):
        erasure.grant_request(elsewhere, request)


def test_a_refusal_needs_a_lawful_ground_and_a_written_reason(
    make_case: Any, client_for: Any, second_coordinator: Client
) -> None:
    case = make_case(ADULT_SITUATION)
    record(client_for("case_worker"), case)
    request = ErasureRequest.objects.get(case=case)
    no_reason = decide(second_coordinator, case, request, decision="refuse", ground="proceedings", reason="")
    assert no_reason.status_code == 200 and "This field is required" in no_reason.content.decode()
    short = decide(second_coordinator, case, request, decision="refuse", ground="proceedings", reason="court")
    assert "at least 20 characters" in short.content.decode()
    no_ground = decide(second_coordinator, case, request, decision="refuse", reason=REFUSAL)
    assert no_ground.status_code == 200
    invented = decide(second_coordinator, case, request, decision="refuse", ground="we_want_it", reason=REFUSAL)
    assert "Select a valid choice" in invented.content.decode()
    request.refresh_from_db()
    assert request.status == "pending" and not AuditEvent.objects.filter(action="erasure.refuse").exists()

    decide(second_coordinator, case, request, decision="refuse", ground="proceedings", reason=REFUSAL)
    request.refresh_from_db()
    case.refresh_from_db()
    assert (request.status, request.refusal_ground, request.refusal_reason) == ("refused", "proceedings", REFUSAL)
    assert request.decided_by.username == "coordinator_two" and case.erased_at is None
    entry = AuditEvent.objects.get(action="erasure.refuse")
    assert entry.target.endswith("proceedings") and entry.reason == REFUSAL
    # Once decided, a new request can be recorded.
    record(client_for("case_worker"), case)
    assert ErasureRequest.objects.filter(case=case, status="pending").count() == 1


def test_granting_erases_at_once(make_case: Any, client_for: Any, second_coordinator: Client) -> None:
    case = make_case(ADULT_SITUATION)
    record(client_for("case_worker"), case)
    request = ErasureRequest.objects.get(case=case)
    response = decide(second_coordinator, case, request, decision="grant")
    assert response.status_code == 302 and response["Location"] == reverse("case_detail", args=[case.reference])
    request.refresh_from_db()
    case.refresh_from_db()
    assert request.status == "granted" and request.decided_by.username == "coordinator_two"
    assert case.erased_at is not None and request.note == ""
    with pytest.raises(crypto.DecryptionError):
        Person.objects.get(pk=case.person_id).identity(case)
    entry = AuditEvent.objects.get(action="case.erase")
    assert entry.username == "coordinator_two" and entry.target == f"request #{request.pk} of {today()} granted"


def test_on_hold_a_grant_changes_nothing_and_the_page_explains(
    make_case: Any, users: dict[str, Any], client_for: Any, second_coordinator: Client
) -> None:
    case = make_case(ADULT_SITUATION)
    erasure.set_hold(users["legal_adviser"], case, "Trial of the exploiters is running")
    record(client_for("case_worker"), case)
    request = ErasureRequest.objects.get(case=case)
    page = second_coordinator.get(reverse("case_erasure", args=[case.reference])).content.decode()
    assert "on legal hold" in page and "Grant: erase now" not in page and "Refuse" in page
    response = decide(second_coordinator, case, request, decision="grant")
    assert response.status_code == 200
    assert "cannot be granted while the case is on legal hold" in response.content.decode()
    request.refresh_from_db()
    case.refresh_from_db()
    assert request.status == "pending" and case.erased_at is None
    assert not AuditEvent.objects.filter(action="case.erase").exists()


# --- An erased case -------------------------------------------------------------------------


def test_an_erased_case_page_says_so_and_offers_no_identity(
    make_case: Any, users: dict[str, Any], client_for: Any
) -> None:
    case = make_case(ADULT_SITUATION)
    erased = erasure.erase(case, users["coordinator"], "test", "The person asked for it")
    client = client_for("case_worker")
    page = client.get(reverse("case_detail", args=[case.reference])).content.decode()
    assert f"were erased on {erased.erased_at:%Y-%m-%d}" in page
    assert reverse("case_identity", args=[case.reference]) not in page
    views_before = AuditEvent.objects.filter(action="identity.view").count()
    response = client.post(reverse("case_identity", args=[case.reference]), {"reason": "Need to call the person"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="identity.view").count() == views_before
    with pytest.raises(PermissionDenied):
        access.reveal_identity(users["case_worker"], Case.objects.get(pk=case.pk), "Need to call the person")
    # Nothing more can be recorded on it.
    refused = client.post(reverse("consent_record", args=[case.reference]), {})
    assert refused.status_code == 403
    assert not Consent.objects.filter(case=case).exists() and not Referral.objects.filter(case=case).exists()


# --- The bytes leave the SQLite file ----------------------------------------------------------

FILE_SCRIPT = textwrap.dedent(
    """
    import datetime as dt, json, os, shutil, sys
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone
    from rightsfirst.web import workflow
    from rightsfirst.web.models import Agency, Membership, Person, StageChange

    NOTE = sys.argv[1]
    agency = Agency.objects.create(name="Fictional Shelter", kind="shelter")
    worker = get_user_model().objects.create_user(username="worker", password="a long fictional passphrase")
    Membership.objects.create(user=worker, agency=agency, role="case_worker")
    coordinator = get_user_model().objects.create_user(username="coord", password="a long fictional passphrase")
    Membership.objects.create(user=coordinator, agency=agency, role="coordinator")
    case = workflow.create_case(worker, {"given_names": "Fictional", "family_name": "Person"}, dt.date(2015, 1, 5))
    workflow.screen(worker, case, {"person": {"age": 30}, "actions": ["recruitment"], "means": ["deception"],
                                   "purposes": ["forced_labour"]})
    for stage in ("presumed_victim", "support", "durable_solution", "closed"):
        workflow.move(coordinator, case, stage, note=NOTE)
    StageChange.objects.filter(case=case, to_stage="closed").update(
        changed_at=timezone.now() - dt.timedelta(days=365 * 8))
    person = Person.objects.get(pk=case.person_id)
    case.refresh_from_db()
    note = StageChange.objects.filter(case=case, to_stage="closed").get()
    needles = {"ciphertext": bytes(person.family_name_sealed).hex(),
               "wrapped key": bytes(case.wrapped_data_key).hex(),
               "sealed note": bytes(note.note_sealed).hex()}
    def copy_files(to):
        # Copied while the connection is open, as on a running server: closing the last
        # connection would checkpoint and delete the write-ahead log by itself.
        data_dir = os.environ["RIGHTSFIRST_DATA_DIR"]
        os.makedirs(to)
        for name in os.listdir(data_dir):
            if name.startswith("rightsfirst.sqlite3"):
                shutil.copy(os.path.join(data_dir, name), to)
    copy_files(os.path.join(os.environ["SCAN_OUT"], "before"))
    call_command("apply_retention")
    copy_files(os.path.join(os.environ["SCAN_OUT"], "after"))
    connection.close()
    with open(os.path.join(os.environ["SCAN_OUT"], "needles.json"), "w") as out:
        json.dump(needles, out)
    """
)


def test_after_the_purge_the_erased_bytes_are_gone_from_the_sqlite_files(tmp_path: Path) -> None:
    data_dir, scan = tmp_path / "data", tmp_path / "scan"
    scan.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rightsfirst.web.settings",
        "RIGHTSFIRST_DATA_DIR": str(data_dir),
        "SCAN_OUT": str(scan),
    }
    for name in ("DATABASE_URL", "RIGHTSFIRST_MASTER_KEY", "RIGHTSFIRST_AUDIT_KEY"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", FILE_SCRIPT, NOTE], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "erased: 1" in result.stdout and "checkpoint: done" in result.stdout
    needles = {name: bytes.fromhex(value) for name, value in json.loads((scan / "needles.json").read_text()).items()}
    # The note is stored sealed, never in clear (test_field_encryption.py); its sealed bytes are the needle.
    assert NOTE.encode() not in b"".join(path.read_bytes() for path in (scan / "before").iterdir())
    before = b"".join(path.read_bytes() for path in (scan / "before").iterdir())
    after_files = sorted((scan / "after").iterdir())
    assert {path.name for path in after_files} >= {"rightsfirst.sqlite3", "rightsfirst.sqlite3-wal"}
    after = b"".join(path.read_bytes() for path in after_files)
    for name, needle in needles.items():
        assert needle in before, f"the {name} was not in the files before the purge: the scan proves nothing"
        assert needle not in after, f"the {name} is still in {[path.name for path in after_files]}"
    assert (scan / "after" / "rightsfirst.sqlite3-wal").stat().st_size == 0


def test_every_page_of_an_erased_case_works_and_shows_no_identity_or_notes(story_case: Case, client_for: Any) -> None:
    run("apply_retention")
    reference = story_case.reference
    measure = Measure.objects.filter(case=story_case).first()
    assert measure is not None
    pages = [
        reverse(name, args=[reference])
        for name in (
            "case_detail",
            "case_services",
            "case_consents",
            "case_refer",
            "case_dates",
            "case_erasure",
            "measure_list",
            "case_proceedings",
            "case_remedies",
            "case_return",
            "screening_history",
            "rights_sheet",
        )
    ]
    pages += [reverse("screening_detail", args=[reference, 1]), reverse("measure_detail", args=[reference, measure.pk])]
    client = client_for("case_worker")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert NOTE not in text and IDENTITY["family_name"] not in text, url
    # The screening questions would change the case: an erased one is not worked on.
    assert client.get(reverse("screening_start", args=[reference])).status_code == 403


# --- Acts that read the case before it was erased or held -----------------------------------


def test_a_copy_loaded_before_a_hold_does_not_undo_it_when_saved(make_case: Any, users: dict[str, Any]) -> None:
    case = make_case(ADULT_SITUATION)
    stale = Case.objects.get(pk=case.pk)
    erasure.set_hold(users["legal_adviser"], case, "Trial expected next year")
    workflow.record_service(users["case_worker"], stale, "safe_shelter", "offered", today())  # saves `stale`
    case.refresh_from_db()
    assert case.legal_hold and case.legal_hold_reason == "Trial expected next year"


def test_nothing_is_written_to_an_erased_case_by_an_act_that_read_it_before(
    make_case: Any, users: dict[str, Any]
) -> None:
    case = make_case(ADULT_SITUATION)
    stale_case = Case.objects.select_related("person").get(pk=case.pk)
    stale_person = stale_case.person
    erasure.erase(case, None, "test", "The person asked for it")
    services = ServiceEvent.objects.count()

    with pytest.raises(erasure.CaseErased):
        workflow.record_service(users["case_worker"], stale_case, "safe_shelter", "offered", today(), note=NOTE)
    assert ServiceEvent.objects.count() == services
    # The copy still holds the old wrapped key: saving it would bring the identity back.
    stale_person.set_identity(stale_case, IDENTITY)
    with pytest.raises(erasure.CaseErased):
        stale_person.save()
    stored = Person.objects.get(pk=case.person_id)
    case.refresh_from_db()
    assert bytes(case.wrapped_data_key) == b"" and bytes(stored.family_name_sealed) == b""
    with pytest.raises(erasure.CaseErased):
        stale_case.save()
    assert Case.objects.get(pk=case.pk).erased_at is not None


def test_only_the_holding_agency_lifts_a_hold(make_case: Any, users: dict[str, Any], agencies: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from rightsfirst.web.models import Membership
    from rightsfirst.web.roles import Role
    from tests.web.conftest import sign_in

    case = make_case(ADULT_SITUATION)
    consent = workflow.record_consent(
        users["case_worker"],
        case,
        agreed_to="Legal aid for the claim (fictional)",
        purpose="referral",
        information_language="en",
        given_by="person",
        given_on=today(),
    )
    workflow.refer(users["case_worker"], case, agencies["legal"], consent, "compensation claim")
    adviser = get_user_model().objects.create_user(username="legal_aid_adviser", password="x" * 16)
    Membership.objects.create(user=adviser, agency=agencies["legal"], role=Role.LEGAL_ADVISER)
    outside = sign_in(Client(), adviser)
    url = reverse("case_hold", args=[case.reference])
    # Placing a hold from the agency the case was referred to is allowed (it keeps records) ...
    assert outside.post(url, {"hold": "set", "reason": "Proceedings expected in spring"}).status_code == 302
    case.refresh_from_db()
    assert case.legal_hold
    # ... lifting it, which lets the schedule erase the case, is not.
    assert outside.post(url, {"hold": "lift", "reason": "No longer needed by us"}).status_code == 403
    case.refresh_from_db()
    assert case.legal_hold


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", (120, 60)), ("30/second", (30, 1)), ("5000/day", (5000, 86400)), ("0", None)],
)
def test_the_api_rate_is_read_from_the_environment(monkeypatch, raw, expected):
    from rightsfirst.web.settings import api_rate_from_environment

    monkeypatch.setenv("RIGHTSFIRST_API_RATE", raw)
    assert api_rate_from_environment() == expected


@pytest.mark.parametrize("raw", ["many", "-5/minute", "10/fortnight", "10", "0/minute"])
def test_a_bad_api_rate_stops_the_application_saying_what_is_allowed(monkeypatch, raw):
    from django.core.exceptions import ImproperlyConfigured

    from rightsfirst.web.settings import api_rate_from_environment

    monkeypatch.setenv("RIGHTSFIRST_API_RATE", raw)
    with pytest.raises(ImproperlyConfigured, match="120/minute"):
        api_rate_from_environment()
