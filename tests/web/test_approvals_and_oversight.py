"""The two-person rule for dangerous acts (SEC-4), the case-list export, and oversight alerts (SEC-27)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web import approvals, audit, workflow
from rightsfirst.web.models import AuditEvent, Membership, Referral
from rightsfirst.web.models.security import Approval, OversightAlert
from rightsfirst.web.roles import Role
from rightsfirst.web.views.approvals import neutralise
from tests.web.conftest import ADULT_SITUATION, IDENTITY, enrol, sign_in, unused_code

REASON = "The person asked for the police to investigate the recruiter"


def code_for(user: Any) -> str:
    return unused_code(TOTPDevice.objects.get(user=user, confirmed=True))


@pytest.fixture
def second_coordinator(agencies: Any) -> Any:
    user = get_user_model().objects.create_user(username="second_coordinator", password="x" * 16)
    Membership.objects.create(user=user, agency=agencies["shelter"], role=Role.COORDINATOR)
    enrol(user)
    return user


@pytest.fixture(autouse=True)
def _no_throttle(settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def _police_consent(users: Any, case: Any) -> Any:
    return workflow.record_consent(
        users["case_worker"],
        case,
        agreed_to="The police may see the case to investigate the recruiter",
        purpose="referral",
        information_language="en",
        given_by="person",
        given_on=workflow.today(),
    )


def test_sharing_with_the_police_needs_a_second_persons_approval(make_case, users, agencies):
    case = make_case(ADULT_SITUATION)
    consent = _police_consent(users, case)
    worker, coordinator = users["case_worker"], users["coordinator"]
    with pytest.raises(approvals.ApprovalNeeded):
        workflow.refer(worker, case, agencies["police"], consent, "investigation")
    asked = approvals.request(
        worker, str(Approval.Kind.SHARE_WITH_AUTHORITY), REASON, case=case, target=str(agencies["police"].pk)
    )
    assert not approvals.may_decide(worker, asked), "nobody approves their own request"
    with pytest.raises(PermissionDenied):
        approvals.decide(worker, asked, True, "")
    assert approvals.pending_for(coordinator) == [asked]
    approvals.decide(coordinator, asked, True, "Consent checked with the person")
    # The approval is for exactly this case and agency, and works once.
    with pytest.raises(approvals.ApprovalNeeded):
        approvals.use(worker, str(Approval.Kind.SHARE_WITH_AUTHORITY), case=case, target="another agency")
    referral = workflow.refer(worker, case, agencies["police"], consent, "investigation")
    assert referral.to_agency == agencies["police"]
    assert Approval.objects.get().used_at is not None
    Referral.objects.all().update(ended_at=timezone.now())
    with pytest.raises(approvals.ApprovalNeeded):
        workflow.refer(worker, case, agencies["police"], consent, "investigation")
    # Oversight hears of every approval.
    alert = OversightAlert.objects.get(kind=OversightAlert.Kind.APPROVAL)
    assert "case_worker" in alert.detail and "coordinator" in alert.detail
    actions = list(AuditEvent.objects.filter(action__startswith="approval.").values_list("action", flat=True))
    assert sorted(actions) == ["approval.approve", "approval.request"]


def test_an_approval_expires(make_case, users, agencies):
    case = make_case(ADULT_SITUATION)
    consent = _police_consent(users, case)
    asked = approvals.request(
        users["case_worker"],
        str(Approval.Kind.SHARE_WITH_AUTHORITY),
        REASON,
        case=case,
        target=str(agencies["police"].pk),
    )
    approvals.decide(users["coordinator"], asked, True, "")
    Approval.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(approvals.ApprovalNeeded):
        workflow.refer(users["case_worker"], case, agencies["police"], consent, "investigation")


def test_sharing_with_an_ngo_needs_no_approval(make_case, users, agencies):
    case = make_case(ADULT_SITUATION)
    consent = _police_consent(users, case)
    assert workflow.refer(users["case_worker"], case, agencies["legal"], consent, "advice").pk


def test_the_refer_page_offers_to_ask_for_approval(make_case, users, agencies, client_for):
    case = make_case(ADULT_SITUATION)
    consent = _police_consent(users, case)
    client = client_for("case_worker")
    data = {
        "to_agency": agencies["police"].pk,
        "consent": consent.pk,
        "purpose": "investigation",
        "confirmation_code": code_for(users["case_worker"]),
    }
    page = client.post(reverse("case_refer", args=[case.reference]), data).content.decode()
    assert "needs a coordinator's approval first" in page
    ask_url = reverse("share_request", args=[case.reference])
    assert f"{ask_url}?to_agency={agencies['police'].pk}" in page
    assert client.post(ask_url, {"to_agency": agencies["police"].pk, "reason": REASON}).status_code == 302
    assert Approval.objects.get().decision == Approval.Decision.PENDING
    # An NGO is not an authority: no approval to ask for.
    assert client.post(ask_url, {"to_agency": agencies["legal"].pk, "reason": REASON}).status_code == 403


def test_deciding_through_the_page_needs_a_one_time_code_and_a_reason_to_refuse(make_case, users, agencies, client_for):
    case = make_case(ADULT_SITUATION)
    asked = approvals.request(
        users["case_worker"],
        str(Approval.Kind.SHARE_WITH_AUTHORITY),
        REASON,
        case=case,
        target=str(agencies["police"].pk),
    )
    url = reverse("approval_decide", args=[asked.pk])
    assert client_for("case_worker").get(url).status_code == 403
    coordinator = client_for("coordinator")
    assert (
        coordinator.post(
            url, {"decision": "refuse", "reason": "", "confirmation_code": code_for(users["coordinator"])}
        ).status_code
        == 200
    )
    assert coordinator.post(url, {"decision": "approve", "confirmation_code": "1"}).status_code == 200
    asked.refresh_from_db()
    assert asked.decision == Approval.Decision.PENDING
    done = coordinator.post(
        url,
        {
            "decision": "refuse",
            "reason": "No consent for the police",
            "confirmation_code": code_for(users["coordinator"]),
        },
    )
    assert done.status_code == 302
    asked.refresh_from_db()
    assert asked.decision == Approval.Decision.REFUSED and asked.decision_reason == "No consent for the police"


def test_where_the_person_lives_is_shown_once_per_approval(make_case, users, client_for):
    from rightsfirst.web import access

    case = make_case(ADULT_SITUATION)
    worker = users["case_worker"]
    first = access.reveal_identity(worker, case, "Preparing a support plan")
    assert "address" not in first and first["family_name"] == IDENTITY["family_name"]
    page = client_for("case_worker").post(reverse("case_identity", args=[case.reference]), {"reason": "Support plan"})
    assert IDENTITY["address"] not in page.content.decode()
    assert reverse("location_request", args=[case.reference]) in page.content.decode()
    asked = client_for("case_worker").post(
        reverse("location_request", args=[case.reference]), {"reason": "Home visit with the guardian tomorrow"}
    )
    assert asked.status_code == 302
    approvals.decide(users["coordinator"], Approval.objects.get(kind=Approval.Kind.REVEAL_LOCATION), True, "")
    shown = access.reveal_identity(worker, case, "Home visit")
    assert shown["address"] == IDENTITY["address"]
    assert "address" in AuditEvent.objects.filter(action="identity.view").order_by("sequence").last().fields
    assert "address" not in access.reveal_identity(worker, case, "Again"), "one view per approval"


# --- Export of the case list ------------------------------------------------------------------


def test_exporting_the_case_list_needs_another_coordinator_and_gives_one_download(
    make_case, users, client_for, second_coordinator
):
    case = make_case(ADULT_SITUATION)
    client = client_for("coordinator")
    url = reverse("case_export")
    assert client_for("case_worker").get(url).status_code == 403
    assert client.post(url, {"download": "1", "confirmation_code": code_for(users["coordinator"])}).status_code == 403
    assert (
        client.post(url, {"ask": "1", "reason": "Quarterly check of overdue rights with the ministry"}).status_code
        == 302
    )
    asked = Approval.objects.get(kind=Approval.Kind.BULK_EXPORT)
    assert not approvals.may_decide(users["coordinator"], asked)
    approvals.decide(second_coordinator, asked, True, "")
    response = client.post(url, {"download": "1", "confirmation_code": code_for(users["coordinator"])})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "reference" and [row[0] for row in rows[1:]] == [case.reference]
    body = response.content.decode()
    assert IDENTITY["family_name"] not in body and IDENTITY["given_names"] not in body
    assert AuditEvent.objects.get(action="export.cases").target == "1 cases"
    again = client.post(url, {"download": "1", "confirmation_code": code_for(users["coordinator"])})
    assert again.status_code == 403, "one download per approval"


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+cmd", "-1+1", "@SUM(A1)", "\tx", "\rx"])
def test_exported_cells_are_never_formulas(value):
    assert neutralise(value) == "'" + value
    assert neutralise("RF-ABCD-1234") == "RF-ABCD-1234" and neutralise(None) == ""


# --- Role grants ------------------------------------------------------------------------------


def test_a_role_is_granted_only_when_a_second_administrator_approves(agencies, users, client_for):
    other_admin = get_user_model().objects.create_user(username="second_admin", password="x" * 16)
    Membership.objects.create(user=other_admin, agency=agencies["nrm"], role=Role.ADMINISTRATOR)
    enrol(other_admin)
    newcomer = get_user_model().objects.create_user(username="newcomer", password="x" * 16)
    Membership.objects.create(user=newcomer, agency=agencies["shelter"], role=Role.FIRST_RESPONDER)
    admin = client_for("administrator")
    asked = admin.post(
        reverse("role_grant_request"),
        {
            "username": "newcomer",
            "agency": agencies["shelter"].pk,
            "role": "case_worker",
            "reason": "Moved to casework after training",
        },
    )
    assert asked.status_code == 302
    approval = Approval.objects.get(kind=Approval.Kind.ROLE_GRANT)
    assert admin.get(reverse("approval_decide", args=[approval.pk])).status_code == 403
    newcomer.membership.refresh_from_db()
    assert newcomer.membership.role == Role.FIRST_RESPONDER
    decided = sign_in(Client(), other_admin).post(
        reverse("approval_decide", args=[approval.pk]),
        {"decision": "approve", "confirmation_code": code_for(other_admin)},
    )
    assert decided.status_code == 302
    newcomer.membership.refresh_from_db()
    assert newcomer.membership.role == Role.CASE_WORKER
    assert AuditEvent.objects.filter(action="role.grant", target__startswith="newcomer").count() == 1


# --- Oversight alerts -------------------------------------------------------------------------


def test_opening_a_case_is_audited_once(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    client_for("case_worker").get(reverse("case_detail", args=[case.reference]))
    assert AuditEvent.objects.filter(action="case.view", case_reference=case.reference).count() == 1


def test_many_cases_opened_in_ten_minutes_alert_oversight_not_the_user(make_case, users, client_for, settings):
    settings.RIGHTSFIRST_ALERT_MASS_VIEWS = 12
    cases = [make_case(ADULT_SITUATION) for _ in range(6)]
    worker = client_for("case_worker")
    for _ in range(2):
        for case in cases:
            worker.get(reverse("case_detail", args=[case.reference]))
    alerts = OversightAlert.objects.filter(kind=OversightAlert.Kind.MASS_VIEWS)
    assert alerts.count() == 1 and alerts.get().username == "case_worker"
    worker.get(reverse("case_detail", args=[cases[0].reference]))
    assert alerts.count() == 1, "one alert per window, not one per view"
    page = client_for("oversight").get(reverse("oversight_alerts"))
    assert page.status_code == 200 and "case_worker" in page.content.decode()
    assert worker.get(reverse("oversight_alerts")).status_code == 403
    assert client_for("coordinator").get(reverse("oversight_alerts")).status_code == 403
    reviewed = client_for("oversight").post(
        reverse("oversight_alerts"), {"alert": alerts.get().pk, "note": "Checked: a case review meeting"}
    )
    assert reviewed.status_code == 302 and alerts.get().reviewed_at is not None


def test_fewer_views_raise_no_alert(make_case, client_for, settings):
    settings.RIGHTSFIRST_ALERT_MASS_VIEWS = 12
    case = make_case(ADULT_SITUATION)
    for _ in range(11):
        client_for("case_worker").get(reverse("case_detail", args=[case.reference]))
    assert not OversightAlert.objects.exists()


@pytest.mark.parametrize(
    ("hour", "weekday_offset", "alerted"), [(23, 0, True), (3, 0, True), (10, 0, False), (10, 5, True)]
)
def test_identity_opened_outside_working_hours_alerts(make_case, users, monkeypatch, hour, weekday_offset, alerted):
    case = make_case(ADULT_SITUATION)
    monday = dt.datetime(2026, 11, 23, hour, 15, tzinfo=dt.UTC)
    moment = monday + dt.timedelta(days=weekday_offset)
    monkeypatch.setattr(audit.timezone, "now", lambda: moment)
    from rightsfirst.web import access

    access.reveal_identity(users["case_worker"], case, "Checking the address for a home visit")
    assert OversightAlert.objects.filter(kind=OversightAlert.Kind.OFF_HOURS).exists() is alerted


def test_repeated_searches_that_find_no_case_of_ones_own_alert(users):
    for _ in range(2):
        audit.record(users["case_worker"], "person.search", fields="visible=0")
    assert not OversightAlert.objects.exists()
    audit.record(users["case_worker"], "person.search", fields="visible=1")
    audit.record(users["case_worker"], "person.search", fields="visible=0")
    alert = OversightAlert.objects.get(kind=OversightAlert.Kind.SEARCH_WITHOUT_CASE)
    assert alert.username == "case_worker" and alert.detail.startswith("3 searches")
