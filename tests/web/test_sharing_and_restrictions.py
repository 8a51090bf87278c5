"""Sharing under a consent that states what and until when; cases kept from named agencies or users."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web import access, workflow
from rightsfirst.web.models import AuditEvent, CaseRestriction, Membership, Referral
from rightsfirst.web.roles import Role
from tests.web.conftest import ADULT_SITUATION, IDENTITY, sign_in, unused_code
from tests.web.test_two_factor import CSRF


def code_for(username: str) -> str:
    return unused_code(TOTPDevice.objects.get(user__username=username, confirmed=True))


@pytest.fixture
def legal_aid(agencies: Any) -> Any:
    """A legal adviser in the legal aid agency, which does not hold the cases."""
    user = get_user_model().objects.create_user(username="legal_aid_adviser", password="x" * 16)
    Membership.objects.create(user=user, agency=agencies["legal"], role=Role.LEGAL_ADVISER)
    return user


def _consent(user: Any, case: Any, **fields: Any) -> Any:
    values = {
        "agreed_to": "Share the case with legal aid for advice on compensation",
        "purpose": "referral",
        "information_language": "en",
        "given_by": "person",
        "given_on": workflow.today(),
        **fields,
    }
    return workflow.record_consent(user, case, **values)


def _refer(case: Any, users: Any, agencies: Any, **consent_fields: Any) -> Referral:
    consent = _consent(users["case_worker"], case, **consent_fields)
    return workflow.refer(users["case_worker"], case, agencies["legal"], consent, "advice on compensation")


# --- What a consent shares --------------------------------------------------------------------


def test_a_referral_shares_only_the_parts_of_identity_the_consent_names(make_case, users, agencies, legal_aid):
    case = make_case(ADULT_SITUATION)
    _refer(case, users, agencies)
    assert access.case_for(legal_aid, case.reference) == case
    assert access.identity_fields_for(legal_aid, case) == (), "case record only: no identity"
    assert access.identity_fields_for(users["case_worker"], case) == access.IDENTITY_FIELDS

    _refer(case, users, agencies, shared_parts="contact")
    assert set(access.identity_fields_for(legal_aid, case)) == {"phone", "email", "address"}
    shown = access.reveal_identity(legal_aid, case, "Calling the person about the hearing")
    # Where the person lives needs a second person's approval on top (test_approvals_and_oversight.py).
    assert set(shown) == {"phone", "email"} and shown["phone"] == IDENTITY["phone"]
    assert AuditEvent.objects.get(action="identity.view").fields == "phone,email"


def test_the_identity_page_is_refused_when_the_consent_shares_no_identity(make_case, users, agencies, legal_aid):
    case = make_case(ADULT_SITUATION)
    _refer(case, users, agencies)
    client = sign_in(Client(), legal_aid)
    assert client.get(reverse("case_detail", args=[case.reference])).status_code == 200
    response = client.post(reverse("case_identity", args=[case.reference]), {"reason": "Just looking at it"})
    assert response.status_code == 403
    assert IDENTITY["family_name"] not in response.content.decode()
    assert not AuditEvent.objects.filter(action="identity.view").exists()


def test_sharing_stops_by_itself_when_the_consent_expires(make_case, users, agencies, legal_aid, monkeypatch):
    case = make_case(ADULT_SITUATION)
    until = workflow.today() + dt.timedelta(days=10)
    _refer(case, users, agencies, expires_on=until, shared_parts="identity")
    assert access.visible_cases(legal_aid).filter(pk=case.pk).exists()
    _held, referred = access.visible_case_parts(legal_aid)
    assert referred.filter(pk=case.pk).exists()

    later = until + dt.timedelta(days=1)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: later)
    assert not access.visible_cases(legal_aid).filter(pk=case.pk).exists()
    assert not access.visible_case_parts(legal_aid)[1].filter(pk=case.pk).exists()
    assert access.identity_fields_for(legal_aid, case) == ()
    with pytest.raises(Exception, match="not found"):
        access.case_for(legal_aid, case.reference)


def test_an_expired_consent_cannot_carry_a_new_referral(make_case, users, agencies):
    case = make_case(ADULT_SITUATION)
    consent = _consent(
        users["case_worker"],
        case,
        given_on=workflow.today() - dt.timedelta(days=30),
        expires_on=workflow.today() - dt.timedelta(days=1),
    )
    with pytest.raises(workflow.NotAllowed, match="expired"):
        workflow.refer(users["case_worker"], case, agencies["legal"], consent, "advice")


def test_the_consent_form_records_what_may_be_shared_and_until_when(make_case, client_for, users):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    data = {
        "agreed_to": "Legal aid may call me about my claim",
        "purpose": "referral",
        "information_language": "en",
        "given_by": "person",
        "given_on": workflow.today().isoformat(),
        "shared_parts": ["contact"],
        "expires_on": (workflow.today() + dt.timedelta(days=90)).isoformat(),
    }
    assert client.post(reverse("consent_record", args=[case.reference]), data).status_code == 302
    consent = case.consents.get()
    assert consent.parts == {"contact"} and consent.expires_on == workflow.today() + dt.timedelta(days=90)
    backwards = {**data, "expires_on": (workflow.today() - dt.timedelta(days=1)).isoformat()}
    response = client.post(reverse("consent_record", args=[case.reference]), backwards)
    assert response.status_code == 200 and "cannot be before" in response.content.decode()
    assert case.consents.count() == 1


def test_sharing_a_case_is_confirmed_with_a_one_time_code(make_case, client_for, users, agencies, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    case = make_case(ADULT_SITUATION)
    consent = _consent(users["case_worker"], case)
    client = client_for("case_worker")
    data = {"to_agency": agencies["legal"].pk, "consent": consent.pk, "purpose": "legal advice"}
    refused = client.post(reverse("case_refer", args=[case.reference]), {**data, "confirmation_code": "000"})
    assert refused.status_code == 200 and "That code did not work" in refused.content.decode()
    assert not Referral.objects.exists()
    done = client.post(
        reverse("case_refer", args=[case.reference]), {**data, "confirmation_code": code_for("case_worker")}
    )
    assert done.status_code == 302 and Referral.objects.count() == 1


# --- Restricted cases -------------------------------------------------------------------------


def test_a_case_kept_from_an_agency_disappears_for_it_whatever_the_role(make_case, users, agencies, legal_aid):
    case = make_case(ADULT_SITUATION)
    referral = _refer(case, users, agencies, shared_parts="identity,contact")
    workflow.restrict(
        users["case_worker"],
        case,
        "The person says a legal aid employee works for the recruiter",
        agency=agencies["legal"],
    )
    referral.refresh_from_db()
    assert referral.ended_at is not None, "the referral to the excluded agency ends"
    assert not access.visible_cases(legal_aid).filter(pk=case.pk).exists()
    # Even a fresh referral does not bring it back while the restriction stands.
    _refer(case, users, agencies)
    assert not access.visible_cases(legal_aid).filter(pk=case.pk).exists()
    assert not access.visible_case_parts(legal_aid)[1].filter(pk=case.pk).exists()
    client = sign_in(Client(), legal_aid)
    hidden = client.get(reverse("case_detail", args=[case.reference]))
    missing = client.get(reverse("case_detail", args=["RF-0000-0000"]))
    assert hidden.status_code == missing.status_code == 404
    # The same page, but for the address itself (echoed in the language switcher's return path).
    hidden_page = CSRF.sub("", hidden.content.decode()).replace(case.reference, "RF-0000-0000")
    assert hidden_page == CSRF.sub("", missing.content.decode())
    entry = AuditEvent.objects.get(action="case.restrict")
    assert entry.case_reference == case.reference and "legal aid employee" in entry.reason


def test_a_case_kept_from_a_named_user_of_the_holding_agency(make_case, users, client_for):
    case = make_case(ADULT_SITUATION)
    workflow.restrict(
        users["coordinator"],
        case,
        "The person named this colleague as a relative of the trafficker",
        person=users["guardian"],
    )
    assert not access.visible_cases(users["guardian"]).filter(pk=case.pk).exists()
    assert access.visible_cases(users["case_worker"]).filter(pk=case.pk).exists()
    assert client_for("guardian").get(reverse("case_detail", args=[case.reference])).status_code == 404
    listed = client_for("guardian").get(reverse("case_list")).content.decode()
    assert case.reference not in listed


def test_who_may_restrict_and_what_cannot_be_restricted(make_case, users, agencies, legal_aid):
    case = make_case(ADULT_SITUATION)
    reason = "Fictional: the person fears a named official in that agency"
    with pytest.raises(workflow.NotAllowed):
        workflow.restrict(users["case_worker"], case, reason, agency=agencies["shelter"])
    with pytest.raises(workflow.NotAllowed):
        workflow.restrict(users["case_worker"], case, reason, person=users["case_worker"])
    with pytest.raises(workflow.NotAllowed):
        workflow.restrict(users["case_worker"], case, reason)
    _refer(case, users, agencies)
    with pytest.raises(Exception):  # noqa: B017 - a legal adviser may not restrict (PermissionDenied)
        workflow.restrict(legal_aid, case, reason, agency=agencies["police"])
    assert not CaseRestriction.objects.exists()


def test_restricting_through_the_page_needs_a_reason_and_a_code_and_only_a_coordinator_lifts_it(
    make_case, client_for, users, agencies, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    case = make_case(ADULT_SITUATION)
    url = reverse("case_restrictions", args=[case.reference])
    worker = client_for("case_worker")
    assert worker.get(url).status_code == 200
    short = worker.post(
        url, {"agency": agencies["police"].pk, "reason": "fear", "confirmation_code": code_for("case_worker")}
    )
    assert short.status_code == 200 and not CaseRestriction.objects.exists()
    reason = "The person alleges that an officer of this police unit was paid by the recruiter"
    done = worker.post(
        url, {"agency": agencies["police"].pk, "reason": reason, "confirmation_code": code_for("case_worker")}
    )
    assert done.status_code == 302
    restriction = CaseRestriction.objects.get()
    assert worker.post(url, {"lift": restriction.pk, "reason": "Investigation closed"}).status_code == 403
    lifted = client_for("coordinator").post(url, {"lift": restriction.pk, "reason": "The allegation was withdrawn"})
    assert lifted.status_code == 302 and not CaseRestriction.objects.exists()
    assert AuditEvent.objects.filter(action="case.unrestrict").count() == 1
    # The first responder (police) could not see the case while it was restricted; now it never held it anyway.
    assert client_for("outsider").get(url).status_code == 404
