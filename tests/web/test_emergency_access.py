"""Emergency ("break-glass") access under the two-person rule (SEC-4, ASVS 2.3.5 / 7.5.3).

The `outsider` fixture user is a case worker of an NGO that holds no case: the duty worker of
another agency at night. The cases are held by the shelter, whose coordinator reviews.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web import access, approvals, emergency, erasure, two_factor, workflow
from rightsfirst.web import settings as app_settings
from rightsfirst.web.models import ApiToken, AuditEvent, EmergencyAccess, Membership
from rightsfirst.web.models.security import Approval, OversightAlert
from rightsfirst.web.roles import Role
from tests.web.conftest import ADULT_SITUATION, IDENTITY, enrol, sign_in, unused_code
from tests.web.test_two_factor import CSRF

EXPLANATION = "She is at the night clinic with a boy of about 8; we need to know who his guardian is"
ABSENT = "RF-ZZZZ-ZZZZ"


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.RIGHTSFIRST_EMERGENCY_ACCESS_MINUTES = 60
    settings.RIGHTSFIRST_EMERGENCY_ACCESS_AT_ONCE = 2
    settings.RIGHTSFIRST_EMERGENCY_ACCESS_PER_DAY = 3


@pytest.fixture
def codes_accepted(monkeypatch: Any) -> None:
    """Second-factor confirmations succeed for the code "ok" (one test checks the real codes)."""
    monkeypatch.setattr(two_factor, "confirm", lambda request, code: code == "ok")


def _open(user: Any, reference: str, reason: str = "child_guardian") -> emergency.Outcome:
    return emergency.open_case(user, reference, reason, EXPLANATION)


def _post(client: Client, reference: str, code: str = "ok") -> Any:
    data = {"reference": reference, "reason": "child_guardian", "explanation": EXPLANATION, "confirmation_code": code}
    return client.post(reverse("emergency_access"), data)


def _moved_clock(monkeypatch: Any, by: dt.timedelta) -> dt.datetime:
    later = timezone.now() + by
    monkeypatch.setattr(timezone, "now", lambda: later)
    return later


def _user(username: str, agency: Any, role: str) -> Any:
    user = get_user_model().objects.create_user(username=username, password="x" * 16)
    Membership.objects.create(user=user, agency=agency, role=role)
    enrol(user)
    return user


# --- Opening a case ---------------------------------------------------------------------------------


def test_a_worker_of_another_agency_opens_a_case_at_once_read_only(make_case, users, codes_accepted):
    case = make_case(ADULT_SITUATION)
    outsider = users["outsider"]
    client = sign_in(Client(), outsider)
    assert client.get(reverse("case_detail", args=[case.reference])).status_code == 404

    response = _post(client, case.reference)
    assert response.status_code == 302 and response["Location"] == reverse("case_detail", args=[case.reference])
    grant = EmergencyAccess.objects.get()
    assert (grant.user, grant.case, grant.reason) == (outsider, case, "child_guardian")
    assert grant.expires_at - grant.granted_at == dt.timedelta(minutes=60)
    assert grant.explanation == EXPLANATION and EXPLANATION.encode() not in bytes(grant.explanation_sealed)

    page = client.get(reverse("case_detail", args=[case.reference]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "read-only, until" in body and reverse("case_move", args=[case.reference]) not in body
    assert reverse("measure_choose", args=[case.reference]) not in body
    # Read-only: every act is refused, and nothing changes.
    stage = case.stage
    assert client.post(reverse("case_move", args=[case.reference]), {"stage": "closed"}).status_code == 403
    assert client.get(reverse("measure_choose", args=[case.reference])).status_code == 403
    with pytest.raises(PermissionDenied):
        access.case_for(outsider, case.reference, "service.record")
    case.refresh_from_db()
    assert case.stage == stage
    # Only by its full reference: it is in no list, search or API answer.
    listed = client.get(reverse("case_list"), {"q": case.reference}).content.decode()
    assert reverse("case_detail", args=[case.reference]) not in listed and "No cases match." in listed
    assert not access.visible_cases(outsider).filter(pk=case.pk).exists()
    token = ApiToken.issue(outsider, "integration")[1]
    api = Client().get(f"/api/cases/{case.reference}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 404


def test_every_view_under_the_access_is_audited_as_such(make_case, users):
    case = make_case(ADULT_SITUATION)
    outsider = users["outsider"]
    grant = _open(outsider, case.reference).grant
    assert grant is not None
    opened = AuditEvent.objects.get(action=emergency.OPENED)
    assert (opened.case_reference, opened.target, opened.reason) == (case.reference, grant.label, "child_guardian")
    assert EXPLANATION not in opened.reason, "the explanation is sealed on the record, never in the audit log"
    client = sign_in(Client(), outsider)
    for name in ("case_detail", "measure_list", "case_services"):
        assert client.get(reverse(name, args=[case.reference])).status_code == 200
    views = AuditEvent.objects.filter(action="emergency.view", target=grant.label)
    assert views.count() == 3 and set(views.values_list("case_reference", flat=True)) == {case.reference}
    assert list(emergency.views_under(grant)) == list(views.order_by("sequence"))


def test_oversight_is_alerted_the_moment_access_is_given(make_case, users, client_for):
    case = make_case(ADULT_SITUATION)
    grant = _open(users["outsider"], case.reference).grant
    assert grant is not None
    alert = OversightAlert.objects.get(kind=OversightAlert.Kind.EMERGENCY_ACCESS)
    assert alert.username == "outsider" and grant.label in alert.detail and case.reference in alert.detail
    assert alert.agency == "Unrelated NGO"
    assert "outsider" in client_for("oversight").get(reverse("oversight_alerts")).content.decode()
    assert client_for("outsider").get(reverse("oversight_alerts")).status_code == 403


def test_the_access_is_gone_once_its_time_is_over(make_case, users, monkeypatch):
    case = make_case(ADULT_SITUATION)
    outsider = users["outsider"]
    assert _open(outsider, case.reference).grant is not None
    _moved_clock(monkeypatch, dt.timedelta(minutes=59))
    assert access.case_for(outsider, case.reference) == case
    _moved_clock(monkeypatch, dt.timedelta(minutes=2))  # 61 minutes after it opened
    with pytest.raises(Http404):
        access.case_for(outsider, case.reference)
    assert access.identity_fields_for(outsider, case) == ()
    # The page answers as for a reference no case has (a fresh sign-in: the old session timed out too).
    client = sign_in(Client(), outsider)
    gone = client.get(reverse("case_detail", args=[case.reference]))
    absent = client.get(reverse("case_detail", args=[ABSENT]))
    assert gone.status_code == absent.status_code == 404
    assert CSRF.sub("", gone.content.decode()).replace(case.reference, ABSENT) == CSRF.sub("", absent.content.decode())


def test_the_length_of_the_access_is_a_setting(make_case, users, settings, monkeypatch):
    settings.RIGHTSFIRST_EMERGENCY_ACCESS_MINUTES = 15
    case = make_case(ADULT_SITUATION)
    grant = _open(users["outsider"], case.reference).grant
    assert grant is not None and grant.expires_at - grant.granted_at == dt.timedelta(minutes=15)
    _moved_clock(monkeypatch, dt.timedelta(minutes=16))
    with pytest.raises(Http404):
        access.case_for(users["outsider"], case.reference)


def test_the_settings_refuse_values_outside_their_bounds(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    name = "RIGHTSFIRST_EMERGENCY_ACCESS_MINUTES"
    monkeypatch.delenv(name, raising=False)
    assert app_settings.whole_number_from_environment(name, 60, 5, 720) == 60
    monkeypatch.setenv(name, "30")
    assert app_settings.whole_number_from_environment(name, 60, 5, 720) == 30
    for bad in ("0", "721", "an hour", "-5"):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ImproperlyConfigured, match=f"{name}=.*from 5 to 720"):
            app_settings.whole_number_from_environment(name, 60, 5, 720)


# --- What opens nothing, and looks the same whatever the reason -------------------------------------------


def test_a_restriction_naming_the_user_or_their_agency_wins(make_case, users, agencies):
    case = make_case(ADULT_SITUATION)
    outsider, worker = users["outsider"], users["case_worker"]
    workflow.restrict(worker, case, "Officials of this agency are said to know the recruiter", agency=agencies["other"])
    assert _open(outsider, case.reference) == emergency.Outcome()
    assert not EmergencyAccess.objects.exists()
    # Oversight (which the user cannot read) learns that someone kept from the case tried.
    refused = OversightAlert.objects.get(kind=OversightAlert.Kind.EMERGENCY_REFUSED)
    assert refused.username == "outsider" and case.reference in refused.detail
    with pytest.raises(Http404):
        access.case_for(outsider, case.reference)


def test_a_restriction_placed_while_the_access_runs_ends_it(make_case, users):
    case = make_case(ADULT_SITUATION)
    outsider = users["outsider"]
    assert _open(outsider, case.reference).grant is not None
    assert access.case_for(outsider, case.reference) == case
    workflow.restrict(users["case_worker"], case, "The person names this worker as a danger", person=outsider)
    with pytest.raises(Http404):
        access.case_for(outsider, case.reference)
    assert access.identity_fields_for(outsider, case) == ()


def test_unknown_restricted_and_erased_references_give_identical_answers(make_case, users, settings, codes_accepted):
    settings.RIGHTSFIRST_EMERGENCY_ACCESS_PER_DAY = 10
    worker, outsider = users["case_worker"], users["outsider"]
    restricted = make_case(ADULT_SITUATION)
    workflow.restrict(worker, restricted, "The person says staff of that NGO know her employer", person=outsider)
    erased = make_case(ADULT_SITUATION)
    erasure.erase(erased, worker, "test", "The person asked in writing to be erased")
    client = sign_in(Client(), outsider)

    def answer(reference: str) -> tuple[int, str]:
        response = _post(client, reference)
        return response.status_code, CSRF.sub("", response.content.decode()).replace(reference, "<reference>")

    absent = answer(ABSENT)
    assert absent[0] == 200 and "Nothing was opened" in absent[1]
    assert answer(restricted.reference) == absent
    assert answer(erased.reference) == absent
    assert not EmergencyAccess.objects.exists()
    # Audited and counted alike: one entry each, naming only what was typed.
    entries = AuditEvent.objects.filter(action=emergency.NOTHING_OPENED).order_by("sequence")
    assert [(e.case_reference, e.target, e.reason) for e in entries] == [
        ("", reference, "child_guardian") for reference in (ABSENT, restricted.reference, erased.reference)
    ]
    assert emergency.attempts_in_last_day(outsider) == 3


def test_only_a_whole_reference_is_looked_up(make_case, users, codes_accepted):
    case = make_case(ADULT_SITUATION)
    client = sign_in(Client(), users["outsider"])
    for partial in (case.reference[:7], case.reference[3:], "RF-%", ""):
        response = _post(client, partial)
        assert response.status_code == 200
        assert "Write the whole case reference" in response.content.decode() or not partial
    assert not AuditEvent.objects.filter(action__startswith="emergency.").exists()
    with pytest.raises(ValueError, match="full case reference"):
        _open(users["outsider"], case.reference[:7])
    # Lower case and spaces around it are the same reference.
    assert _open(users["outsider"], f"  {case.reference.lower()} ").grant is not None


def test_the_second_factor_confirms_each_emergency_access(make_case, users):
    case = make_case(ADULT_SITUATION)
    outsider = users["outsider"]
    client = sign_in(Client(), outsider)
    refused = _post(client, case.reference, code="000000")
    assert refused.status_code == 200 and "That code did not work" in refused.content.decode()
    assert not EmergencyAccess.objects.exists()
    assert AuditEvent.objects.filter(action="auth.confirmation_failed", user=outsider).count() == 1
    code = unused_code(TOTPDevice.objects.get(user=outsider, confirmed=True))
    assert _post(client, case.reference, code=code).status_code == 302
    assert EmergencyAccess.objects.get().case == case


def test_roles_without_case_work_cannot_use_it(make_case, users, client_for):
    case = make_case(ADULT_SITUATION)
    for name in ("monitor", "administrator", "oversight"):
        with pytest.raises(PermissionDenied):
            _open(users[name], case.reference)
        assert client_for(name).get(reverse("emergency_access")).status_code == 403
    assert client_for("outsider").get(reverse("emergency_access")).status_code == 200


def test_a_case_one_can_already_see_needs_no_emergency_access(make_case, users, codes_accepted):
    case = make_case(ADULT_SITUATION)
    assert _open(users["case_worker"], case.reference) == emergency.Outcome(already_visible=True)
    response = _post(sign_in(Client(), users["case_worker"]), case.reference)
    assert response.status_code == 302 and not EmergencyAccess.objects.exists()
    assert emergency.attempts_in_last_day(users["case_worker"]) == 0


# --- Identity ---------------------------------------------------------------------------------------


def test_identity_only_for_roles_that_see_identity_and_never_where_the_person_lives(make_case, users, agencies):
    case = make_case(ADULT_SITUATION)
    outsider = users["outsider"]
    _open(outsider, case.reference)
    assert set(access.identity_fields_for(outsider, case)) == {
        "given_names",
        "family_name",
        "other_names",
        "date_of_birth",
        "identity_documents",
    }
    shown = access.reveal_identity(outsider, case, "Confirming the boy's name with the clinic")
    assert shown["family_name"] == IDENTITY["family_name"] and "address" not in shown and "phone" not in shown
    viewed = AuditEvent.objects.get(action="identity.view")
    grant = EmergencyAccess.objects.get()
    assert viewed.target == grant.label and viewed.reason == "Confirming the boy's name with the clinic"
    # A coordinator of the referral mechanism may open the case record, never the identity.
    nrm = _user("nrm_coordinator", agencies["nrm"], Role.COORDINATOR)
    _open(nrm, case.reference)
    assert access.identity_fields_for(nrm, case) == ()
    client = sign_in(Client(), nrm)
    assert client.get(reverse("case_detail", args=[case.reference])).status_code == 200
    assert client.get(reverse("case_identity", args=[case.reference])).status_code == 403
    assert client.get(reverse("location_request", args=[case.reference])).status_code == 403


# --- Review by a second person ------------------------------------------------------------------------


def test_the_user_never_reviews_their_own_use_and_the_holding_agencys_coordinator_does(make_case, users, agencies):
    case = make_case(ADULT_SITUATION)
    nrm = _user("nrm_coordinator", agencies["nrm"], Role.COORDINATOR)
    grant = _open(nrm, case.reference).grant
    assert grant is not None
    assert not emergency.may_review(nrm, grant), "never one's own use"
    with pytest.raises(PermissionDenied):
        emergency.review(nrm, grant, False, "I would like to close this myself, thank you")
    client = sign_in(Client(), nrm)
    assert client.get(reverse("emergency_review", args=[case.reference, grant.pk])).status_code == 403
    assert list(emergency.pending_reviews(nrm)) == []
    # Another agency's coordinator may not review either; the holding agency's may.
    other_coordinator = _user("other_coordinator", agencies["other"], Role.COORDINATOR)
    assert not emergency.may_review(other_coordinator, grant)
    coordinator = users["coordinator"]
    assert emergency.may_review(coordinator, grant)
    assert list(emergency.pending_reviews(coordinator)) == [grant]
    dashboard = sign_in(Client(), coordinator).get(reverse("dashboard")).content.decode()
    assert "1 use of emergency access to your agency's cases waits for review" in dashboard
    page = sign_in(Client(), coordinator).get(reverse("emergency_review", args=[case.reference, grant.pk]))
    assert page.status_code == 200 and EXPLANATION in page.content.decode()


def test_a_coordinator_kept_from_the_case_does_not_review_it(make_case, users, agencies):
    case = make_case(ADULT_SITUATION)
    grant = _open(users["outsider"], case.reference).grant
    assert grant is not None
    coordinator = users["coordinator"]
    second = _user("second_coordinator", agencies["shelter"], Role.COORDINATOR)
    workflow.restrict(second, case, "The person names this coordinator as a danger to her", person=coordinator)
    assert not emergency.may_review(coordinator, grant) and list(emergency.pending_reviews(coordinator)) == []
    assert emergency.may_review(second, grant)


def test_a_use_is_listed_until_reviewed_and_confirmed_only_once_it_has_ended(make_case, users, monkeypatch):
    case = make_case(ADULT_SITUATION)
    grant = _open(users["outsider"], case.reference).grant
    assert grant is not None
    coordinator = users["coordinator"]
    with pytest.raises(emergency.ReviewRefused) as refused:
        emergency.review(coordinator, grant, True, "")
    assert refused.value.code == "running"
    _moved_clock(monkeypatch, dt.timedelta(days=40))
    assert list(emergency.pending_reviews(coordinator)) == [grant], "still waiting, however long ago it ended"
    done = emergency.review(coordinator, grant, True, "The clinic called us the next morning: it was real")
    assert done.review == EmergencyAccess.Review.JUSTIFIED and done.reviewed_by == coordinator
    assert done.review_note.startswith("The clinic") and b"clinic" not in bytes(done.review_note_sealed)
    assert list(emergency.pending_reviews(coordinator)) == [] and list(emergency.reviewed(coordinator)) == [done]
    entry = AuditEvent.objects.get(action=emergency.REVIEWED)
    assert (entry.target, entry.fields, entry.reason) == (grant.label, "justified", "")
    with pytest.raises(emergency.ReviewRefused):
        emergency.review(coordinator, grant, False, "Changing my mind about this one now")
    assert not OversightAlert.objects.filter(kind=OversightAlert.Kind.EMERGENCY_MISUSE).exists()


def test_flagging_misuse_ends_the_access_at_once_and_alerts_oversight(make_case, users):
    case = make_case(ADULT_SITUATION)
    outsider, coordinator = users["outsider"], users["coordinator"]
    grant = _open(outsider, case.reference).grant
    assert grant is not None
    client = sign_in(Client(), coordinator)
    url = reverse("emergency_review", args=[case.reference, grant.pk])
    code = unused_code(TOTPDevice.objects.get(user=coordinator, confirmed=True))
    too_short = client.post(url, {"decision": "misuse", "note": "no", "confirmation_code": code})
    assert too_short.status_code == 200 and "Say what was wrong" in too_short.content.decode()
    code = unused_code(TOTPDevice.objects.get(user=coordinator, confirmed=True))
    note = "No emergency: the worker's agency has no contact with this person"
    flagged = client.post(url, {"decision": "misuse", "note": note, "confirmation_code": code})
    assert flagged.status_code == 302
    grant.refresh_from_db()
    assert grant.review == EmergencyAccess.Review.MISUSE and grant.ended_at is not None and not grant.running
    with pytest.raises(Http404):
        access.case_for(outsider, case.reference)
    alert = OversightAlert.objects.get(kind=OversightAlert.Kind.EMERGENCY_MISUSE)
    assert alert.username == "outsider" and "coordinator" in alert.detail and case.reference in alert.detail
    assert note not in AuditEvent.objects.get(action=emergency.REVIEWED).reason


# --- Limits ---------------------------------------------------------------------------------------------


def test_beyond_the_limits_a_second_persons_approval_is_needed_first(make_case, users, agencies, codes_accepted):
    cases = [make_case(ADULT_SITUATION) for _ in range(4)]
    outsider = users["outsider"]
    assert _open(outsider, cases[0].reference).grant is not None
    assert _open(outsider, cases[1].reference).grant is not None
    # Two open at once: a third is stopped before any reference is looked up.
    assert _open(outsider, cases[2].reference) == emergency.Outcome(limit="at_once")
    assert _open(outsider, ABSENT) == emergency.Outcome(limit="at_once")
    assert EmergencyAccess.objects.count() == 2
    assert AuditEvent.objects.filter(action=emergency.OVER_LIMIT).count() == 2

    client = sign_in(Client(), outsider)
    page = _post(client, cases[2].reference)
    assert page.status_code == 200 and "You have reached your limit" in page.content.decode()
    asked = client.post(
        reverse("emergency_access"),
        {"ask": "1", "reference": cases[2].reference, "reason": "A second child arrived with the same group tonight"},
    )
    assert asked.status_code == 302
    approval = Approval.objects.get(kind=Approval.Kind.EMERGENCY_ACCESS)
    assert approval.target == cases[2].reference and approval.case is None
    assert not approvals.may_decide(outsider, approval), "nobody approves their own request"
    duty = _user("duty_coordinator", agencies["other"], Role.COORDINATOR)
    approvals.decide(duty, approval, True, "")
    # The approval is for that reference only, and works once.
    assert _open(outsider, cases[3].reference) == emergency.Outcome(limit="at_once")
    third = _open(outsider, cases[2].reference).grant
    assert third is not None and third.approval == approval
    approval.refresh_from_db()
    assert approval.used_at is not None
    assert _open(outsider, cases[2].reference) == emergency.Outcome(already_visible=False, limit="at_once")


def test_attempts_that_open_nothing_count_towards_the_daily_limit(make_case, users, monkeypatch):
    case = make_case(ADULT_SITUATION)
    outsider = users["outsider"]
    for reference in ("RF-ZZZZ-ZZZ1", "RF-ZZZZ-ZZZ2", "RF-ZZZZ-ZZZ3"):
        assert _open(outsider, reference) == emergency.Outcome()
    assert _open(outsider, case.reference) == emergency.Outcome(limit="per_day")
    assert not EmergencyAccess.objects.exists()
    _moved_clock(monkeypatch, dt.timedelta(hours=24, minutes=1))
    assert _open(outsider, case.reference).grant is not None


# --- Erasure --------------------------------------------------------------------------------------------


def test_erasing_a_case_blanks_the_explanations_and_ends_the_access(make_case, users):
    case = make_case(ADULT_SITUATION)
    outsider = users["outsider"]
    grant = _open(outsider, case.reference).grant
    assert grant is not None
    erasure.erase(case, users["case_worker"], "test", "The person asked in writing to be erased")
    grant.refresh_from_db()
    assert bytes(grant.explanation_sealed) == b"" and bytes(grant.review_note_sealed) == b""
    with pytest.raises(Http404):
        access.case_for(outsider, case.reference)


# --- The pages in French --------------------------------------------------------------------------------


def test_the_emergency_pages_are_in_french(make_case, users, settings, codes_accepted):
    case = make_case(ADULT_SITUATION)
    client = sign_in(Client(), users["outsider"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("emergency_access")).content.decode()
    assert "Accès d'urgence" in page and "Emergency access" not in page
    nothing = _post(client, ABSENT).content.decode()
    assert "Rien n'a été ouvert" in nothing
    _post(client, case.reference)
    opened = client.get(reverse("case_detail", args=[case.reference])).content.decode()
    assert "lecture seule" in opened
