"""Measures and decisions through the web: the engine's review before saving, overrides, and the
proceedings, remedies, return and child pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst import engine
from rightsfirst.engine.measures import MEASURE_TYPES
from rightsfirst.web import adapter, measure_forms, workflow
from rightsfirst.web.models import AuditEvent, Deadline, Measure
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE, IDENTITY, unused_code

BLOCKED = "This measure breaks the law and was not saved"
SHELTER_ON_TESTIMONY = {"service": "shelter", "conditional_on_testimony": "yes"}
GOOD_REASONS = "Court order 12/2026 requires it pending the appeal hearing."


def post_measure(client: Any, case: Any, measure_type: str, data: dict[str, Any], action: str = "save", **extra: Any):
    url = reverse("measure_new", args=[case.reference, measure_type])
    payload = {"decided_on": workflow.today().isoformat(), "action": action, **data}
    return client.post(url, payload, **extra)


def shelter_offer(users: dict[str, Any], case: Any) -> Measure:
    facts = {"service": "shelter"}
    return workflow.record_measure(users["case_worker"], case, "support_offer", facts, workflow.today())


def text_of(response: Any) -> str:
    return response.content.decode()


@pytest.mark.parametrize("measure_type", MEASURE_TYPES)
def test_a_form_exists_for_every_measure_type_and_its_page_renders(measure_type, make_case, client_for):
    form_class = measure_forms.measure_form_class(measure_type)
    spec_names = {item.name for item in engine.measures.MEASURE_SPECS[measure_type].fields} - {"date"}
    assert spec_names <= set(form_class.base_fields)
    assert "decided_on" in form_class.base_fields
    case = make_case(ADULT_SITUATION)
    response = client_for("coordinator").get(reverse("measure_new", args=[case.reference, measure_type]))
    assert response.status_code == 200
    content = text_of(response)
    assert 'name="decided_on"' in content and 'name="justification"' in content
    assert measure_forms.type_label(measure_type) in response.content.decode().replace("&#x27;", "'")


def test_a_yes_no_question_offers_i_dont_know_and_a_choice_offers_not_known():
    form = measure_forms.measure_form_class("support_offer")()
    html = str(form["conditional_on_testimony"]) + str(form["service"])
    assert "I don't know" in unescape(html) and 'value="unknown"' in html
    assert '<option value="" selected>Not known</option>' in html
    assert "Legal assistance" in html  # plain label, not legal_assistance


def test_i_dont_know_answers_are_left_out_of_the_facts(make_case, client_for):
    form = measure_forms.measure_form_class("support_offer")(
        {
            "decided_on": "2026-03-01",
            "service": "shelter",
            "conditional_on_cooperation": "no",
            "conditional_on_testimony": "unknown",
            "mandatory": "unknown",
        }
    )
    assert form.is_valid(), form.errors
    assert form.facts() == {"service": "shelter", "conditional_on_cooperation": False}

    case = make_case(ADULT_SITUATION)
    response = post_measure(
        client_for("case_worker"), case, "support_offer", {"service": "shelter", "can_leave": "unknown"}
    )
    assert response.status_code == 302
    assert Measure.objects.get(case=case).facts == {"service": "shelter"}


def test_a_case_worker_cannot_save_shelter_conditional_on_testimony(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    response = post_measure(client_for("case_worker"), case, "support_offer", SHELTER_ON_TESTIMONY)
    assert response.status_code == 200
    content = text_of(response)
    assert BLOCKED in content
    assert "RPG.P8" in content
    assert f'href="{reverse("framework_provision", args=["RPG.P8"])}"' in content
    assert "protection and care must be given whether or not the person cooperates" in content
    assert not Measure.objects.filter(case=case).exists()
    # Only a coordinator may override: the case worker is not even offered the form.
    assert 'name="override_justification"' not in content
    assert "Only a coordinator may record a measure despite a violation" in content


def test_a_case_worker_posting_an_override_is_refused(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    response = post_measure(
        client_for("case_worker"),
        case,
        "support_offer",
        {**SHELTER_ON_TESTIMONY, "override_justification": GOOD_REASONS},
        action="override",
    )
    assert response.status_code == 403
    assert not Measure.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(action="measure.override").exists()


def test_a_coordinator_records_an_override_with_a_justification_and_it_is_audited(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    client = client_for("coordinator")
    blocked = post_measure(client, case, "support_offer", SHELTER_ON_TESTIMONY)
    assert BLOCKED in text_of(blocked)
    assert 'name="override_justification"' in text_of(blocked)
    assert "audit log" in text_of(blocked) and "counted" in text_of(blocked)
    # The override form carries the reviewed values as hidden fields with their own ids.
    assert 'type="hidden" name="service" value="shelter" id="reviewed_service"' in text_of(blocked)

    wrong_code = post_measure(
        client,
        case,
        "support_offer",
        {**SHELTER_ON_TESTIMONY, "override_justification": GOOD_REASONS, "confirmation_code": "12"},
        action="override",
    )
    # Without the one-time code nothing is saved, and what was written is kept on the page.
    assert wrong_code.status_code == 200 and not Measure.objects.filter(case=case).exists()
    assert "That code did not work" in text_of(wrong_code) and GOOD_REASONS in text_of(wrong_code)
    assert AuditEvent.objects.filter(action="auth.confirmation_failed", username="coordinator").count() == 1
    TOTPDevice.objects.filter(user__username="coordinator").update(throttling_failure_count=0)

    response = post_measure(
        client,
        case,
        "support_offer",
        {**SHELTER_ON_TESTIMONY, "override_justification": GOOD_REASONS, "confirmation_code": code_for("coordinator")},
        action="override",
    )
    measure = Measure.objects.get(case=case)
    assert response.status_code == 302
    assert response["Location"] == reverse("measure_detail", args=[case.reference, measure.pk])
    assert measure.overridden and measure.outcome == "violation"
    assert measure.override_justification == GOOD_REASONS
    entry = AuditEvent.objects.get(action="measure.override")
    assert entry.target == f"support_offer #{measure.pk}" and entry.case_reference == case.reference
    assert GOOD_REASONS not in entry.reason  # kept on the measure, sealed, not in the permanent log
    assert "support_offer.conditional_on_cooperation" in entry.fields

    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "Overridden" in text_of(detail) and GOOD_REASONS in text_of(detail)
    assert "RPG.P8" in text_of(detail)


@pytest.mark.parametrize(
    ("reasons", "error"),
    [
        ("", "Write the justification for the override."),
        ("   ", "Write the justification for the override."),
        ("too short", "Write at least 20 characters"),
        ("      padded short      ", "Write at least 20 characters"),
    ],
)
def test_a_blank_or_short_override_justification_is_refused(reasons, error, make_case, client_for):
    case = make_case(ADULT_SITUATION)
    response = post_measure(
        client_for("coordinator"),
        case,
        "support_offer",
        {**SHELTER_ON_TESTIMONY, "override_justification": reasons, "confirmation_code": code_for("coordinator")},
        action="override",
    )
    assert response.status_code == 200
    content = text_of(response)
    assert BLOCKED in content
    assert f'<p class="field-error" id="id_override_justification_error">{error}' in content
    assert not Measure.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(action="measure.override").exists()


DETENTION = {"basis": "individual", "reason": "public_order", "necessity": "yes", "legality": "yes"}


def test_a_measure_needing_a_justification_asks_for_it_then_saves(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    facts = {"basis": "individual", "reason": "public_order", "necessity": True, "legality": True}
    expected = workflow.review(case, "detention", facts, workflow.today())
    assert expected.outcome == "requires_justification"
    missing = {name for finding in expected.findings for name in finding.missing}
    assert "right_to_challenge" in missing

    client = client_for("case_worker")
    response = post_measure(client, case, "detention", DETENTION)
    assert response.status_code == 200
    content = text_of(response)
    assert "A written justification is needed before this can be saved" in content
    assert measure_forms.field_label("detention", "right_to_challenge") in content
    assert "Write the justification the review asks for before saving." in content
    # What was entered is kept.
    assert '<option value="public_order" selected>' in content
    assert 'value="yes" id="id_necessity_0" checked' in content
    assert not Measure.objects.filter(case=case).exists()

    response = post_measure(client, case, "detention", {**DETENTION, "justification": "Specific, credible threat."})
    assert response.status_code == 302
    measure = Measure.objects.get(case=case)
    assert measure.outcome == "requires_justification" and not measure.overridden
    assert measure.engine_facts["justification"] == "Specific, credible threat."
    assert "justification" not in measure.facts  # sealed with the details, never in the clear column


def test_reviewing_saves_nothing_and_answers_htmx_with_the_panel_alone(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    page = post_measure(client, case, "support_offer", SHELTER_ON_TESTIMONY, action="review")
    assert page.status_code == 200
    assert "<html" in text_of(page) and "Breaks the law" in text_of(page) and "RPG.P8" in text_of(page)
    assert "Nothing has been saved yet." in text_of(page)

    partial = post_measure(client, case, "support_offer", SHELTER_ON_TESTIMONY, action="review", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in text_of(partial)
    assert 'id="review-panel"' in text_of(partial) and "RPG.P8" in text_of(partial)

    fine = post_measure(client, case, "support_offer", {"service": "shelter"}, action="review")
    assert "No problem found" in text_of(fine)
    assert not Measure.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(action="measure.record").exists()


def test_invalid_input_shows_field_errors_and_saves_nothing(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    response = post_measure(client_for("case_worker"), case, "detention", {"duration_days": "-3", "decided_on": ""})
    assert response.status_code == 200
    content = text_of(response)
    assert "Please correct the following" in content
    assert content.count('class="field-error"') >= 2
    assert not Measure.objects.filter(case=case).exists()


def test_an_engine_input_error_lands_on_the_field_it_names(monkeypatch):
    def refuse(data: Any, path: str = "") -> Any:
        raise engine.InputError("amount_paid", "is not acceptable here")

    monkeypatch.setattr(measure_forms.engine, "measure_from_data", refuse)
    form = measure_forms.measure_form_class("compensation")({"decided_on": "2026-03-01", "amount_paid": "10"})
    assert not form.is_valid()
    assert "is not acceptable here" in form.errors["amount_paid"][0]


def test_a_legal_adviser_records_a_compensation_claim_shown_on_the_remedies_page(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    client = client_for("legal_adviser")
    response = post_measure(
        client,
        case,
        "compensation",
        {
            "information_given": "yes",
            "legal_assistance": "yes",
            "person_can_remain": "yes",
            "claim_kind": "compensation",
            "damage_unpaid_wages": "2400",
            "damage_psychological_harm": "1000.50",
            "damage_costs": "99.50",
            "currency": "eur",
            "amount_awarded": "3000",
            "amount_paid": "1200",
            "paid_by": "confiscated_assets",
        },
    )
    assert response.status_code == 302, text_of(response)
    measure = Measure.objects.get(case=case)
    assert measure.outcome == "ok"
    assert measure.facts["amount_claimed"] == 3500
    assert measure.facts["paid_from_confiscated_assets"] is True
    assert measure.details["heads_of_damage"] == {
        "unpaid_wages": "2400.00",
        "psychological_harm": "1000.50",
        "costs": "99.50",
    }
    assert measure.details["currency"] == "EUR" and measure.details["paid_by"] == "confiscated_assets"

    page = client.get(reverse("case_remedies", args=[case.reference]))
    assert page.status_code == 200
    content = text_of(page)
    for amount in ("3500.00", "3000.00", "1200.00"):
        assert amount in content
    assert "EUR" in content and "Unpaid wages" in content and "Psychological harm" in content
    assert "Confiscated assets" in content


def test_remedy_totals_add_up_per_currency(make_case, users):
    case = make_case(ADULT_SITUATION)
    for facts, details in (
        ({"amount_claimed": 100, "amount_awarded": 80, "amount_paid": 50}, {"currency": "EUR"}),
        ({"amount_claimed": 10.5, "amount_paid": 10.5, "paid_from_confiscated_assets": True}, {"currency": "EUR"}),
        ({"amount_claimed": 7}, {}),
    ):
        full = {"information_given": True, "legal_assistance": True, "person_can_remain": True, **facts}
        workflow.record_measure(users["legal_adviser"], case, "compensation", full, workflow.today(), details)
    from rightsfirst.web.views.measures import remedy_totals

    totals = {row["currency"]: row for row in remedy_totals(list(case.measures.all()))}
    assert totals["EUR"]["claimed"] == Decimal("110.5") and totals["EUR"]["paid"] == Decimal("60.5")
    assert totals["EUR"]["awarded"] == Decimal("80") and totals["EUR"]["confiscated"] == Decimal("10.5")
    assert totals[""]["claimed"] == Decimal("7")


PROCEEDING = {
    "proceeding": "criminal",
    "role": "witness",
    "interpreter": "yes",
    "legal_representation": "yes",
    "informed_of_progress": "yes",
    "views_presented": "yes",
}
FORCED_RETURN = {"voluntary": False, "risk_assessment": True, "serious_risk": False, "reintegration_support": True}


def test_proceedings_dates_reach_the_engine_so_a_return_during_them_is_flagged(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    started = workflow.today() - dt.timedelta(days=5)
    assert "return.proceedings_pending" not in {
        f.rule for f in workflow.review(case, "return", FORCED_RETURN, workflow.today()).findings
    }
    client = client_for("legal_adviser")
    response = post_measure(client, case, "legal_proceedings", {**PROCEEDING, "started_on": started.isoformat()})
    assert response.status_code == 302, text_of(response)
    measure = Measure.objects.get(case=case)
    assert measure.details["started_on"] == started.isoformat()
    assert adapter.case_data(case)["proceedings"] == [
        {"kind": "criminal", "role": "witness", "started_on": started.isoformat()}
    ]

    review = workflow.review(case, "return", FORCED_RETURN, workflow.today())
    assert review.outcome == "violation"
    assert "return.proceedings_pending" in {f.rule for f in review.findings if f.outcome == "violation"}
    page = post_measure(
        client, case, "return", {"voluntary": "no", "risk_assessment": "yes", "serious_risk": "no"}, action="review"
    )
    assert "without their informed agreement" in text_of(page)

    proceedings = client.get(reverse("case_proceedings", args=[case.reference]))
    assert proceedings.status_code == 200 and "Pending" in text_of(proceedings) and "Witness" in text_of(proceedings)
    return_page = client.get(reverse("case_return", args=[case.reference]))
    assert "Proceedings involving the person are pending" in text_of(return_page)


def test_proceedings_that_have_ended_no_longer_hold_back_a_return(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    started, ended = workflow.today() - dt.timedelta(days=60), workflow.today() - dt.timedelta(days=2)
    response = post_measure(
        client_for("legal_adviser"),
        case,
        "legal_proceedings",
        {**PROCEEDING, "started_on": started.isoformat(), "ended_on": ended.isoformat()},
    )
    assert response.status_code == 302
    rules = {f.rule for f in workflow.review(case, "return", FORCED_RETURN, workflow.today()).findings}
    assert "return.proceedings_pending" not in rules


def test_an_end_before_the_start_is_refused(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    response = post_measure(
        client_for("legal_adviser"),
        case,
        "legal_proceedings",
        {**PROCEEDING, "started_on": "2026-03-10", "ended_on": "2026-03-01"},
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in text_of(response)
    assert not Measure.objects.filter(case=case).exists()


def test_the_child_page_shows_the_guardian_due_date_and_child_measures(make_case, client_for, agencies):
    case = make_case(CHILD_UNCERTAIN_AGE)
    deadline = Deadline.objects.get(case=case, entitlement="guardian")
    client = client_for("guardian")
    url = reverse("case_children", args=[case.reference])
    before = text_of(client.get(url))
    assert "Treated as a child" in before
    assert deadline.due is not None and deadline.due.isoformat() in before
    # Referred ten days ago: a guardian was due within days and none is recorded yet.
    assert deadline.due < workflow.today() and "Overdue" in before

    response = post_measure(
        client,
        case,
        "guardian_appointment",
        {
            "appointed": "yes",
            "independent": "yes",
            "guardian_agency": agencies["guardians"].pk,
            "justification": "No guardian was free until the service hired more staff.",
        },
    )
    assert response.status_code == 302, text_of(response)
    measure = Measure.objects.get(case=case)
    assert measure.all_details() == {
        "guardian_agency": agencies["guardians"].name,
        "guardian_agency_id": agencies["guardians"].pk,
    }
    after = text_of(client.get(url))
    assert agencies["guardians"].name in after and "Guardian appointment" in after
    assert "Delivered" in after and "Overdue" not in after


def test_the_choice_of_measures_follows_the_role(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    url = reverse("measure_choose", args=[case.reference])
    worker = text_of(client_for("case_worker").get(url))
    coordinator = text_of(client_for("coordinator").get(url))
    decision = reverse("measure_new", args=[case.reference, "identification_decision"])
    assert decision not in worker and decision in coordinator
    assert "Decisions on status" in worker and "Return and durable solution" in worker
    assert client_for("case_worker").get(decision).status_code == 403
    assert not Measure.objects.exists()


def test_an_unknown_measure_type_is_not_found(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    response = client_for("coordinator").get(reverse("measure_new", args=[case.reference, "banishment"]))
    assert response.status_code == 404


def test_the_list_shows_outcomes_and_filters_by_group(make_case, users, client_for):
    case = make_case(ADULT_SITUATION)
    shelter_offer(users, case)
    workflow.record_measure(
        users["coordinator"],
        case,
        "support_offer",
        {"service": "shelter", "conditional_on_testimony": True},
        workflow.today(),
        override_justification=GOOD_REASONS,
    )
    client = client_for("case_worker")
    url = reverse("measure_list", args=[case.reference])
    content = text_of(client.get(url))
    assert content.count("Offer of support or a service") == 2
    assert "Overridden" in content and "No problem found" in content
    filtered = text_of(client.get(url, {"group": "children"}))
    assert "Offer of support or a service" not in filtered and "No measures recorded." in filtered


@pytest.mark.parametrize("who", ["outsider", "monitor"])
def test_people_outside_the_case_get_not_found_everywhere(who, make_case, users, client_for):
    case = make_case(ADULT_SITUATION)
    measure = shelter_offer(users, case)
    client = client_for(who)
    ref = case.reference
    urls = [
        reverse("measure_list", args=[ref]),
        reverse("measure_choose", args=[ref]),
        reverse("measure_new", args=[ref, "support_offer"]),
        reverse("measure_detail", args=[ref, measure.pk]),
        reverse("case_proceedings", args=[ref]),
        reverse("case_remedies", args=[ref]),
        reverse("case_return", args=[ref]),
        reverse("case_children", args=[ref]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    response = post_measure(client, case, "support_offer", {"service": "shelter"})
    assert response.status_code == 404
    assert Measure.objects.filter(case=case).count() == 1


def test_a_measure_of_another_case_is_not_found_through_this_one(make_case, users, client_for):
    first, second = make_case(ADULT_SITUATION), make_case(ADULT_SITUATION)
    measure = shelter_offer(users, first)
    response = client_for("case_worker").get(reverse("measure_detail", args=[second.reference, measure.pk]))
    assert response.status_code == 404


def test_no_identity_on_any_measure_page(make_case, users, client_for):
    case = make_case(CHILD_UNCERTAIN_AGE)
    measure = shelter_offer(users, case)
    client = client_for("case_worker")
    for url in (
        reverse("measure_list", args=[case.reference]),
        reverse("measure_detail", args=[case.reference, measure.pk]),
        reverse("case_children", args=[case.reference]),
        reverse("measure_new", args=[case.reference, "family_tracing"]),
    ):
        content = text_of(client.get(url))
        assert IDENTITY["family_name"] not in content and IDENTITY["given_names"] not in content


def code_for(username: str) -> str:
    """The current code of the user's authenticator app (the tests' fictional key)."""
    return unused_code(TOTPDevice.objects.get(user__username=username, confirmed=True))
