"""Services for each right, consent records, referrals between agencies, and case dates (the pages)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.template import RequestContext, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from rightsfirst.web import adapter, workflow
from rightsfirst.web.models import AuditEvent, Consent, Deadline, Membership, Referral, ServiceEvent
from rightsfirst.web.roles import Role
from rightsfirst.web.views.records import applicable_entitlements
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE, IDENTITY, sign_in, unused_code

BID_FACTS = {"conducted": True, "child_views_heard": True, "multidisciplinary": True, "purpose": "care"}


def _statuses(case):
    return {
        item.id: item.status
        for item in adapter.assess_case(case, workflow.today()).entitlements.entitlements
        if item.applies
    }


def _step(client, case, entitlement="safe_shelter", status="offered", on=None, agency=None, headers=None, **extra):
    data = {
        "entitlement": entitlement,
        "status": status,
        "on": (on or workflow.today()).isoformat(),
        "agency": agency.pk if agency is not None else "",
        "note": "",
        **extra,
    }
    return client.post(reverse("service_record", args=[case.reference]), data, **(headers or {}))


def _panel_item(html, title):
    # The <li> of one right in the rights panel.
    found = re.search(r'<li class="right[^"]*">(?:(?!</li>).)*?' + re.escape(title) + r".*?</li>", html, re.S)
    assert found, f"{title} not in the rights panel"
    return found.group(0)


def _consent(user, case, **fields):
    values = {
        "agreed_to": "Share the case with legal aid for advice on compensation",
        "purpose": "referral",
        "information_language": "en",
        "given_by": "person",
        "given_on": workflow.today(),
        **fields,
    }
    return workflow.record_consent(user, case, **values)


@pytest.fixture
def receiving(agencies):
    """A legal adviser in the legal aid agency, which does not hold the case."""
    user = get_user_model().objects.create_user(username="legal_aid_adviser", password="x" * 16)
    Membership.objects.create(user=user, agency=agencies["legal"], role=Role.LEGAL_ADVISER)
    return sign_in(Client(), user)


# --- Services ---------------------------------------------------------------------------------


def test_offered_accepted_delivered_and_the_rights_panel_shows_delivered(make_case, client_for, agencies):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    for status in ("offered", "accepted", "delivered"):
        response = _step(client, case, status=status, agency=agencies["shelter"], return_to="services")
        assert response.status_code == 302
        assert response["Location"] == reverse("case_services", args=[case.reference])
    events = list(ServiceEvent.objects.filter(case=case).values_list("status", flat=True))
    assert events == ["offered", "accepted", "delivered"]
    assert Deadline.objects.get(case=case, entitlement="safe_shelter").status == "delivered"
    panel = client.get(reverse("rights_panel", args=[case.reference])).content.decode()
    item = _panel_item(panel, adapter.assess_case(case, workflow.today()).entitlements.get("safe_shelter").title)
    assert "status-delivered" in item and "Delivered" in item
    page = client.get(reverse("case_services", args=[case.reference])).content.decode()
    assert "Offered" in page and "Accepted" in page and "by Fictional Shelter" in page
    assert "recorded by case_worker" in page


def test_without_htmx_the_default_is_back_to_the_case_with_a_message(make_case, client_for, agencies):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    response = _step(client, case, status="offered", agency=agencies["shelter"])
    assert response.status_code == 302
    assert response["Location"] == reverse("case_detail", args=[case.reference])
    page = client.get(reverse("case_services", args=[case.reference])).content.decode()
    assert "Its status is now: Offered" in page


def test_with_htmx_the_answer_is_the_rights_panel_and_an_out_of_band_message(make_case, client_for, agencies):
    case = make_case(ADULT_SITUATION)
    response = _step(
        client_for("case_worker"),
        case,
        entitlement="medical_and_psychological_care",
        status="delivered",
        agency=agencies["shelter"],
        headers={"HTTP_HX_REQUEST": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="rights-panel"')
    assert 'hx-swap-oob="afterbegin:#main"' in html and "Its status is now: Delivered" in html
    assert "status-delivered" in _panel_item(html, "Medical and psychological care")
    assert ServiceEvent.objects.filter(case=case, entitlement="medical_and_psychological_care").count() == 1


def test_a_refusal_only_adds_an_event(make_case, client_for, agencies):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    _step(client, case, entitlement="legal_assistance_and_interpreter", status="accepted", agency=agencies["legal"])
    case.refresh_from_db()
    before, stage = _statuses(case), case.stage
    deadlines = {row.entitlement: (row.due, row.status) for row in Deadline.objects.filter(case=case)}
    last_audit = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    response = _step(client, case, status="refused", agency=agencies["shelter"], note="Prefers to stay with a friend")
    assert response.status_code == 302

    case.refresh_from_db()
    after = _statuses(case)
    assert after.pop("safe_shelter") == "refused"
    assert after == {key: value for key, value in before.items() if key != "safe_shelter"}
    assert after["legal_assistance_and_interpreter"] == "accepted"
    assert case.stage == stage
    now = {row.entitlement: (row.due, row.status) for row in Deadline.objects.filter(case=case)}
    assert now.pop("safe_shelter")[1] == "refused"
    assert now == {key: value for key, value in deadlines.items() if key != "safe_shelter"}
    assert ServiceEvent.objects.filter(case=case, entitlement="safe_shelter").count() == 1
    assert list(AuditEvent.objects.filter(id__gt=last_audit).values_list("action", flat=True)) == ["service.record"]


def test_an_unknown_entitlement_gets_a_field_error_naming_the_allowed_ones(make_case, client_for, agencies):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    response = _step(client, case, entitlement="shelter", status="offered", agency=agencies["shelter"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "This is not a right the person has in this case" in html
    assert "safe_shelter" in html and "medical_and_psychological_care" in html
    assert 'id="error-summary"' in html
    assert not ServiceEvent.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(action="service.record").exists()
    # A right the engine knows but that does not apply to this case is refused too.
    _step(client, case, entitlement="guardian", status="offered", agency=agencies["shelter"])
    assert not ServiceEvent.objects.filter(case=case).exists()
    htmx = _step(client, case, entitlement="shelter", agency=agencies["shelter"], headers={"HTTP_HX_REQUEST": "true"})
    assert htmx["HX-Reswap"] == "none" and "safe_shelter" in htmx.content.decode()
    assert not ServiceEvent.objects.filter(case=case).exists()


def test_a_date_in_the_future_is_refused(make_case, client_for, agencies):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    tomorrow = workflow.today() + dt.timedelta(days=1)
    response = _step(client, case, status="delivered", on=tomorrow, agency=agencies["shelter"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "This date is in the future." in html
    assert 'href="#svc-safe_shelter-on"' in html and 'id="svc-safe_shelter-on"' in html
    assert f'value="{tomorrow.isoformat()}"' in html  # what was typed is kept
    htmx = _step(client, case, on=tomorrow, agency=agencies["shelter"], headers={"HTTP_HX_REQUEST": "true"})
    assert htmx["HX-Retarget"] == "#service-form-safe_shelter"
    assert "This date is in the future." in htmx.content.decode()
    assert not ServiceEvent.objects.filter(case=case).exists()


def test_a_status_outside_the_list_is_refused(make_case, client_for, agencies):
    case = make_case(ADULT_SITUATION)
    response = _step(client_for("case_worker"), case, status="lost", agency=agencies["shelter"])
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ServiceEvent.objects.filter(case=case).exists()


def test_the_service_form_partial_works_inside_the_rights_panel(make_case, users):
    case = make_case(ADULT_SITUATION)
    template = Template('{% for item in entitlements %}{% include "web/records/service_form.html" %}{% endfor %}')
    request = RequestFactory().get("/")
    entitlements = applicable_entitlements(case, workflow.today())
    request.user = users["guardian"]
    html = template.render(RequestContext(request, {"case": case, "entitlements": entitlements}))
    assert html.count("<form") == len(entitlements)
    assert 'hx-target="#rights-panel"' in html and 'name="return_to" value="case"' in html
    assert "Recorded as done by Fictional Shelter" in html  # no agency list given: the user's own agency
    request.user = users["first_responder"]  # may not record services
    assert "<form" not in template.render(RequestContext(request, {"case": case, "entitlements": entitlements}))


def test_the_case_page_opens_one_rights_form_at_a_time(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    listed = [item.id for item in applicable_entitlements(case, workflow.today())]
    assert "safe_shelter" in listed and len(listed) > 5
    detail = reverse("case_detail", args=[case.reference])
    html = client.get(detail).content.decode()
    # No form yet: a link per right, which works without JavaScript (the case page with that
    # form open) and with it (htmx fetches the panel with the form open).
    shelter = adapter.assess_case(case, workflow.today()).entitlements.get("safe_shelter").title
    assert "<form" not in _panel_item(html, shelter)
    for entitlement in listed:
        assert f'class="record-step" href="{detail}?record={entitlement}#service-form-{entitlement}"' in html
        assert f'hx-get="{reverse("rights_panel", args=[case.reference])}?record={entitlement}"' in html
    opened = client.get(detail, {"record": "safe_shelter"}).content.decode()
    assert opened.count('name="entitlement"') == 1
    form = re.search(r'<div id="service-form-safe_shelter".*?</form>', opened, re.S)
    assert form and "<details open>" in form.group(0) and "autofocus" in form.group(0)
    panel = client.get(reverse("rights_panel", args=[case.reference]), {"record": "safe_shelter"})
    assert panel.content.decode().count('name="entitlement" value="safe_shelter"') == 1
    # A right that is not listed for the case (or not a right at all) opens nothing.
    for other in ("guardian", "<script>", ""):
        assert 'name="entitlement"' not in client.get(detail, {"record": other}).content.decode()
    # Who may not record a step gets neither the link nor the form.
    case.holding_agency = Membership.objects.get(user__username="first_responder").agency
    case.save()
    page = client_for("first_responder").get(detail, {"record": "safe_shelter"}).content.decode()
    assert "record-step" not in page and 'name="entitlement"' not in page


def test_a_right_that_cannot_be_given_up_cannot_be_recorded_as_refused(make_case, client_for, agencies):
    case = make_case(ADULT_SITUATION)
    response = _step(
        client_for("case_worker"), case, entitlement="privacy", status="refused", agency=agencies["shelter"]
    )
    assert response.status_code == 200
    assert "cannot be given up" in response.content.decode()
    assert not ServiceEvent.objects.filter(case=case).exists()


def test_the_services_page_lists_every_right_with_the_no_conditions_notice(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    html = client_for("legal_adviser").get(reverse("case_services", args=[case.reference])).content.decode()
    for item in adapter.assess_case(case, workflow.today()).entitlements.entitlements:
        assert (f'id="right-{item.id}"' in html) == item.applies
    assert "No help depends on cooperating with the authorities." in html
    for citation in ("RPG.P8", "RPG.G6.1"):
        assert reverse("framework_provision", args=[citation]) in html
    assert 'id="service-form-safe_shelter"' in html
    assert "hx-post" not in html  # the page has no rights panel to swap: plain forms
    assert "is-overdue" in html  # referred ten days ago, the immediate rights are overdue
    assert IDENTITY["family_name"] not in html


def test_a_first_responder_sees_services_but_may_not_record_them(make_case, client_for, users, agencies):
    case = make_case(ADULT_SITUATION)
    case.holding_agency = agencies["police"]
    case.save()
    client = client_for("first_responder")
    page = client.get(reverse("case_services", args=[case.reference]))
    assert page.status_code == 200 and 'id="service-form-' not in page.content.decode()
    assert _step(client, case, agency=agencies["police"]).status_code == 404
    assert not ServiceEvent.objects.exists()


# --- Consents and referrals -------------------------------------------------------------------


def test_recording_and_withdrawing_a_consent(make_case, client_for, agencies):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    response = client.post(
        reverse("consent_record", args=[case.reference]),
        {
            "agreed_to": "Share with legal aid",
            "purpose": "referral",
            "shared_with": agencies["legal"].pk,
            "information_language": "RO",
            "given_by": "person",
            "given_on": workflow.today().isoformat(),
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(case=case)
    assert (consent.information_language, consent.shared_with, consent.recorded_by.username) == (
        "ro",
        agencies["legal"],
        "case_worker",
    )
    html = client.get(reverse("case_consents", args=[case.reference])).content.decode()
    assert "Share with legal aid" in html and "Fictional Legal Aid" in html and "In force" in html
    assert "ends at once every referral" in html

    early = client.post(
        reverse("consent_withdraw", args=[case.reference, consent.pk]),
        {f"w{consent.pk}-on": (consent.given_on - dt.timedelta(days=1)).isoformat()},
    )
    assert early.status_code == 200 and "cannot be withdrawn before it was given" in early.content.decode()
    consent.refresh_from_db()
    assert consent.active

    done = client.post(
        reverse("consent_withdraw", args=[case.reference, consent.pk]),
        {f"w{consent.pk}-on": workflow.today().isoformat()},
    )
    assert done.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == workflow.today()
    assert AuditEvent.objects.filter(action="consent.record", case_reference=case.reference).count() == 1
    assert AuditEvent.objects.filter(action="consent.withdraw", case_reference=case.reference).count() == 1


def test_an_invalid_consent_is_not_saved(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    response = client_for("case_worker").post(
        reverse("consent_record", args=[case.reference]),
        {
            "agreed_to": "",
            "purpose": "referral",
            "information_language": "english please",
            "given_by": "person",
            "given_on": (workflow.today() + dt.timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-summary"' in html and "This date is in the future." in html
    assert "Use a language code" in html
    assert not Consent.objects.exists()


def test_for_a_child_consent_defaults_to_the_guardian(make_case, client_for):
    child = make_case(CHILD_UNCERTAIN_AGE)
    html = client_for("case_worker").get(reverse("case_consents", args=[child.reference])).content.decode()
    assert re.search(r'<input type="radio" name="given_by" value="guardian"[^>]*checked', html)
    assert "consent is given by the child's guardian" in html
    adult = make_case(ADULT_SITUATION)
    html = client_for("case_worker").get(reverse("case_consents", args=[adult.reference])).content.decode()
    assert re.search(r'<input type="radio" name="given_by" value="person"[^>]*checked', html)


def test_a_referral_without_consent_is_refused(make_case, client_for, users, agencies):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    page = client.get(reverse("case_refer", args=[case.reference])).content.decode()
    assert "none is in force on this case" in page
    assert reverse("case_consents", args=[case.reference]) in page
    response = client.post(
        reverse("case_refer", args=[case.reference]),
        {"to_agency": agencies["legal"].pk, "consent": "", "purpose": "legal advice"},
    )
    assert response.status_code == 200
    # A consent for another purpose, or a withdrawn one, cannot carry a referral either.
    support = _consent(users["case_worker"], case, purpose="support")
    withdrawn = _consent(users["case_worker"], case)
    workflow.withdraw_consent(users["case_worker"], case, withdrawn, workflow.today())
    for consent in (support, withdrawn):
        response = client.post(
            reverse("case_refer", args=[case.reference]),
            {"to_agency": agencies["legal"].pk, "consent": consent.pk, "purpose": "legal advice"},
        )
        assert response.status_code == 200
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(action="case.refer").exists()


def test_a_consent_naming_another_agency_cannot_carry_the_referral(make_case, client_for, users, agencies):
    case = make_case(ADULT_SITUATION)
    consent = _consent(users["case_worker"], case, shared_with=agencies["guardians"])
    response = client_for("case_worker").post(
        reverse("case_refer", args=[case.reference]),
        {"to_agency": agencies["legal"].pk, "consent": consent.pk, "purpose": "legal advice"},
    )
    assert response.status_code == 200
    assert "This consent names another agency (Fictional Guardianship Service)" in response.content.decode()
    assert not Referral.objects.exists()


def test_a_child_is_referred_only_after_a_best_interests_determination(make_case, client_for, users, agencies):
    case = make_case(CHILD_UNCERTAIN_AGE)
    assert case.treated_as_child
    consent = _consent(users["case_worker"], case, given_by="guardian")
    client = client_for("case_worker")
    url = reverse("case_refer", args=[case.reference])
    bid_url = reverse("measure_new", args=[case.reference, "best_interests_determination"])
    assert bid_url in client.get(url).content.decode()

    refused = client.post(
        url,
        {
            "to_agency": agencies["legal"].pk,
            "consent": consent.pk,
            "purpose": "legal help",
            "confirmation_code": current_code_of(users["case_worker"]),
        },
    )
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "The case was not referred" in html and "best-interests determination has been recorded" in html
    assert bid_url in html
    assert not Referral.objects.exists()

    measure = workflow.record_measure(
        users["guardian"], case, "best_interests_determination", BID_FACTS, workflow.today()
    )
    done = client.post(
        url,
        {
            "to_agency": agencies["legal"].pk,
            "consent": consent.pk,
            "purpose": "legal help",
            "confirmation_code": current_code_of(users["case_worker"]),
        },
    )
    assert done.status_code == 302
    referral = Referral.objects.get(case=case)
    assert (referral.to_agency, referral.from_agency, referral.best_interests) == (
        agencies["legal"],
        agencies["shelter"],
        measure,
    )
    entry = AuditEvent.objects.get(action="case.refer")
    assert entry.case_reference == case.reference and entry.target == "to Fictional Legal Aid"
    page = client.get(url).content.decode()
    assert "Current referrals" in page and "legal help" in page


def test_the_receiving_agency_sees_the_case_until_consent_is_withdrawn(
    make_case, client_for, users, agencies, receiving
):
    case = make_case(ADULT_SITUATION)
    detail = reverse("case_detail", args=[case.reference])
    assert receiving.get(detail).status_code == 404
    assert case.reference not in receiving.get(reverse("case_list")).content.decode()

    consent = _consent(users["case_worker"], case, shared_with=agencies["legal"])
    holder = client_for("case_worker")
    response = holder.post(
        reverse("case_refer", args=[case.reference]),
        {
            "to_agency": agencies["legal"].pk,
            "consent": consent.pk,
            "purpose": "advice on compensation",
            "confirmation_code": current_code_of(users["case_worker"]),
        },
    )
    assert response.status_code == 302
    assert receiving.get(detail).status_code == 200
    assert case.reference in receiving.get(reverse("case_list")).content.decode()
    assert receiving.get(reverse("case_services", args=[case.reference])).status_code == 200
    # The receiving agency records its own work on the case.
    assert (
        _step(
            receiving, case, entitlement="compensation_information", status="delivered", agency=agencies["legal"]
        ).status_code
        == 302
    )

    page = holder.get(reverse("case_consents", args=[case.reference])).content.decode()
    assert "Withdrawing it ends the referral to" in page
    withdrawn = holder.post(
        reverse("consent_withdraw", args=[case.reference, consent.pk]), {f"w{consent.pk}-on": workflow.today()}
    )
    assert withdrawn.status_code == 302
    assert Referral.objects.get(case=case).ended_at is not None
    assert receiving.get(detail).status_code == 404
    assert case.reference not in receiving.get(reverse("case_list")).content.decode()
    assert receiving.get(reverse("case_services", args=[case.reference])).status_code == 404
    assert "Ended referrals" in holder.get(reverse("case_refer", args=[case.reference])).content.decode()


# --- Case dates -------------------------------------------------------------------------------


def test_correcting_the_dates_recomputes_deadlines_and_is_audited(make_case, client_for):
    referred = workflow.today() - dt.timedelta(days=20)
    case = make_case(ADULT_SITUATION, referred_on=referred)
    assert not Deadline.objects.filter(
        case=case, entitlement="recovery_and_reflection_period", due__isnull=False
    ).exists()
    client = client_for("case_worker")
    url = reverse("case_dates", args=[case.reference])
    page = client.get(url).content.decode()
    assert "What each date sets" in page and "Save the dates" in page
    grounds = referred + dt.timedelta(days=5)
    response = client.post(
        url,
        {
            "referred_on": referred.isoformat(),
            "reasonable_grounds_on": grounds.isoformat(),
            "identified_on": "",
            "reflection_period_started_on": "",
            "reflection_period_days": "60",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.reasonable_grounds_on, case.reflection_period_days) == (grounds, 60)
    deadline = Deadline.objects.get(case=case, entitlement="recovery_and_reflection_period")
    assert deadline.ends == grounds + dt.timedelta(days=60)
    entry = AuditEvent.objects.get(action="case.dates")
    assert entry.fields == "reasonable_grounds_on,reflection_period_days"
    assert entry.case_reference == case.reference and entry.username == "case_worker"
    # The page now says what the reasonable-grounds date drives.
    html = client.get(url).content.decode()
    row = re.search(r"Reasonable grounds decided on</th>.*?</tr>", html, re.S).group(0)
    assert deadline.title in row

    unchanged = client.post(
        url,
        {
            "referred_on": referred.isoformat(),
            "reasonable_grounds_on": grounds.isoformat(),
            "reflection_period_days": "60",
        },
    )
    assert unchanged.status_code == 302
    assert AuditEvent.objects.filter(action="case.dates").count() == 1


def test_dates_out_of_order_or_in_the_future_are_refused(make_case, client_for):
    referred = workflow.today() - dt.timedelta(days=10)
    case = make_case(ADULT_SITUATION, referred_on=referred)
    client = client_for("coordinator")
    url = reverse("case_dates", args=[case.reference])
    response = client.post(
        url,
        {
            "referred_on": referred.isoformat(),
            "reasonable_grounds_on": (referred - dt.timedelta(days=1)).isoformat(),
            "identified_on": (referred - dt.timedelta(days=2)).isoformat(),
            "reflection_period_started_on": (workflow.today() + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("This cannot be before the date the person was referred.") >= 2
    assert "This date is in the future." in html
    future = client.post(url, {"referred_on": (workflow.today() + dt.timedelta(days=3)).isoformat()})
    assert "This date is in the future." in future.content.decode()
    case.refresh_from_db()
    assert (case.referred_on, case.reasonable_grounds_on, case.identified_on) == (referred, None, None)
    assert not AuditEvent.objects.filter(action="case.dates").exists()


def test_only_roles_allowed_to_change_dates_get_the_form(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    client = client_for("legal_adviser")
    url = reverse("case_dates", args=[case.reference])
    page = client.get(url)
    assert page.status_code == 200 and "Save the dates" not in page.content.decode()
    response = client.post(url, {"referred_on": workflow.today().isoformat()})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.referred_on != workflow.today()


# --- Who may open these pages -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "monitor", "administrator"])
def test_no_route_opens_for_those_without_the_case(make_case, client_for, users, agencies, who):
    case = make_case(ADULT_SITUATION)
    consent = _consent(users["case_worker"], case)
    ref = case.reference
    client = client_for(who)
    gets = ["case_services", "case_consents", "case_refer", "case_dates"]
    for name in gets:
        assert client.get(reverse(name, args=[ref])).status_code == 404, name
    posts = {
        reverse("service_record", args=[ref]): {"entitlement": "safe_shelter", "status": "offered", "on": "2020-01-01"},
        reverse("consent_record", args=[ref]): {"agreed_to": "x", "purpose": "support"},
        reverse("consent_withdraw", args=[ref, consent.pk]): {f"w{consent.pk}-on": workflow.today()},
        reverse("case_refer", args=[ref]): {"to_agency": agencies["other"].pk, "consent": consent.pk, "purpose": "x"},
        reverse("case_dates", args=[ref]): {"referred_on": "2020-01-01"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 404, url
    consent.refresh_from_db()
    assert consent.active
    assert not ServiceEvent.objects.exists() and not Referral.objects.exists()
    assert Consent.objects.count() == 1


def test_a_consent_of_another_case_cannot_be_withdrawn_through_this_one(make_case, client_for, users):
    mine, other = make_case(ADULT_SITUATION), make_case(ADULT_SITUATION)
    consent = _consent(users["case_worker"], other)
    response = client_for("case_worker").post(
        reverse("consent_withdraw", args=[mine.reference, consent.pk]), {f"w{consent.pk}-on": workflow.today()}
    )
    assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.active


def test_service_steps_are_audited_without_identity(make_case, client_for, agencies):
    case = make_case(ADULT_SITUATION)
    _step(client_for("coordinator"), case, status="offered", agency=agencies["shelter"])
    entry = AuditEvent.objects.get(action="service.record")
    assert (entry.case_reference, entry.target, entry.username) == (
        case.reference,
        "safe_shelter: offered",
        "coordinator",
    )
    for value in IDENTITY.values():
        if value:
            assert not AuditEvent.objects.filter(target__contains=value).exists()


def current_code_of(user: Any) -> str:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return unused_code(TOTPDevice.objects.get(user=user, confirmed=True))
