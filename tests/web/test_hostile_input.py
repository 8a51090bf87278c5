"""Hostile input in every form and every API body field.

Each field gets what an attacker, a broken client or a slip of the keyboard would send: SQL and
script fragments, attribute-breaking markup, path traversal, spreadsheet formulas, a megabyte of
text, NUL characters, invalid Unicode, malformed JSON, wrong types, huge and negative numbers,
and dates such as 0000-00-00 and 9999-99-99.

What must hold:
- free text is stored exactly as typed and shown escaped, never as markup;
- anything else is refused with the error on the field it came in (the form shown again, or a
  4xx naming the field in the API), with no row added to any table and the record it aimed at
  unchanged;
- nothing answers with a server error.

No page exports to a spreadsheet yet, so formula text is only checked to be kept verbatim and
shown as text; an export would have to neutralise it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import markupsafe
import pytest
from django import forms
from django.apps import apps
from django.template.defaultfilters import linebreaksbr
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rightsfirst.engine.measures import MEASURE_TYPES
from rightsfirst.web import approvals, measure_forms, workflow
from rightsfirst.web import screening_questions as questions
from rightsfirst.web.limits import BoundedDateField
from rightsfirst.web.models import (
    Agency,
    ApiToken,
    AuditEvent,
    Case,
    Consent,
    Measure,
    Referral,
    ServiceEvent,
    StageChange,
)
from rightsfirst.web.models.security import Approval
from tests.web.conftest import ADULT_SITUATION, IDENTITY, unused_code

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
SQL = "Robert'); DROP TABLE casework_case;--"
HOSTILE_TEXT = {
    "sql": SQL,
    "sql_or": "x' OR '1'='1' --",
    "script": SCRIPT,
    "attribute": ATTRIBUTE,
    "traversal": "../../etc/passwd",
    "hyperlink": '=HYPERLINK("http://x.invalid","a")',
    "command": "+cmd|' /C calc'!A0",
    "arithmetic": "-1+1",
    "function": "@SUM(1+1)",
}
ONE_MB = "x" * 1_000_000
NUL = "before\x00after"
BAD_DATES = (
    "0000-00-00",
    "9999-99-99",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "-1",
    "=HYPERLINK(1)",
    SCRIPT,
)
TODAY = workflow.today


def rows() -> dict[str, int]:
    """How many rows every table of the application holds."""
    return {model.__name__: model.objects.count() for model in apps.get_app_config("casework").get_models()}


def assert_shown_escaped(html: str, value: str) -> None:
    """The value is on the page, escaped; if it holds markup, never as markup."""
    # Pages escape ' as &#x27; (Django), form widgets as &#39; (Jinja2): both are escaped.
    assert escape(value) in html or markupsafe.escape(value) in html, f"{value!r} is not on the page (escaped)"
    if "<" in value or '"' in value:
        assert value not in html, f"{value!r} is on the page unescaped"


def assert_refused(response: Any, field: str, before: dict[str, int], form_name: str = "form") -> None:
    """The form is shown again with an error on `field`, and nothing was stored anywhere."""
    assert response.status_code in (200, 400), response.status_code
    form = response.context[form_name]
    assert field in form.errors, f"no error on {field}: {form.errors}"
    assert rows() == before
    # Whatever was sent is never echoed back as markup.
    page = response.content.decode()
    assert SCRIPT not in page and ATTRIBUTE not in page


def refuses_each(
    send: Callable[[str, Any], Any], cases: list[tuple[str, Any]], form_name: str = "form", status: int | None = None
) -> None:
    """Send each (field, value) in turn; each must be refused on that field with nothing stored.

    One test walks a whole form's cases (rather than a test per case) to keep the suite quick;
    a failure names the field and the value.
    """
    for field, value in cases:
        before = rows()
        response = send(field, value)
        try:
            if status is not None:
                assert response.status_code == status, response.status_code
            assert_refused(response, field, before, form_name)
        except AssertionError as error:
            raise AssertionError(f"{field} = {_short(value)}: {error}") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 80 else f"{text[:60]}... ({len(text)} characters)"


@pytest.fixture
def case(make_case: Callable[..., Case]) -> Case:
    return make_case(ADULT_SITUATION)


# --- Registration ----------------------------------------------------------------------------

IDENTITY_TEXT = ("given_names", "family_name", "other_names", "date_of_birth", "phone", "email", "address")


def registration(**changes: Any) -> dict[str, Any]:
    data = {
        **IDENTITY,
        "sex": "female",
        "nationality": "XX",
        "preferred_language": "en",
        "referred_on": TODAY().isoformat(),
    }
    return {**data, **changes}


def test_registration_keeps_hostile_text_verbatim_and_shows_it_escaped(client_for: Callable[[str], Client]) -> None:
    client, coordinator = client_for("case_worker"), client_for("coordinator")
    for value in HOSTILE_TEXT.values():
        response = client.post(reverse("case_create"), registration(**dict.fromkeys(IDENTITY_TEXT, value)))
        assert response.status_code == 302
        case = Case.objects.latest("pk")
        identity = case.person.identity(case)
        assert {name: identity[name] for name in IDENTITY_TEXT} == dict.fromkeys(IDENTITY_TEXT, value)
        # The reason for looking is free text too, and it is shown in the audit log.
        shown = client.post(reverse("case_identity", args=[case.reference]), {"reason": value})
        assert shown.status_code == 200
        assert_shown_escaped(shown.content.decode(), value)
        assert AuditEvent.objects.filter(action="identity.view").latest("sequence").reason == value
        assert_shown_escaped(coordinator.get(reverse("audit_log")).content.decode(), value)


def test_registration_refuses_bad_values_naming_the_field(client_for: Callable[[str], Client]) -> None:
    client = client_for("case_worker")
    cases = [
        ("given_names", ONE_MB),
        ("address", ONE_MB),
        ("identity_documents", "9" * 301),
        ("family_name", NUL),
        ("phone", NUL),
        ("nationality", "../../etc/passwd"),
        ("nationality", SCRIPT),
        ("sex", SQL),
        ("preferred_language", ATTRIBUTE),
        *(("referred_on", value) for value in BAD_DATES),
    ]
    refuses_each(lambda field, value: client.post(reverse("case_create"), registration(**{field: value})), cases)


def test_a_referral_date_typed_as_year_one_is_refused_not_saved_to_break_later_pages(
    case: Case, client_for: Callable[[str], Client]
) -> None:
    # Saved before, it made the case's dates page fail for good (the page steps dates back a week).
    client = client_for("case_worker")
    before = rows()
    response = client.post(reverse("case_dates", args=[case.reference]), {"referred_on": "0001-01-02"})
    assert_refused(response, "referred_on", before)
    assert "1900-01-01" in response.context["form"].errors["referred_on"][0]
    assert client.get(reverse("case_dates", args=[case.reference])).status_code == 200


# --- Identity view ---------------------------------------------------------------------------


def test_a_bad_reason_for_viewing_identity_shows_nothing_and_logs_nothing(
    case: Case, client_for: Callable[[str], Client]
) -> None:
    client = client_for("case_worker")
    url = reverse("case_identity", args=[case.reference])
    pages: list[str] = []

    def send(field: str, value: str) -> Any:
        response = client.post(url, {field: value})
        pages.append(response.content.decode())
        return response

    refuses_each(send, [("reason", value) for value in (ONE_MB, NUL, "", "x" * 301)])
    assert not any(IDENTITY["family_name"] in page for page in pages)


# --- Stage moves -----------------------------------------------------------------------------


def test_a_hostile_stage_note_is_kept_and_shown_escaped(case: Case, client_for: Callable[[str], Client]) -> None:
    client = client_for("case_worker")
    note = f"{SCRIPT} {ATTRIBUTE}"
    response = client.post(reverse("case_move", args=[case.reference]), {"stage": "presumed_victim", "note": note})
    assert response.status_code == 302
    assert StageChange.objects.get(case=case, to_stage="presumed_victim").note == note
    assert_shown_escaped(client.get(reverse("case_detail", args=[case.reference])).content.decode(), note)


def test_a_bad_stage_move_is_refused_with_400_naming_the_field(case: Case, client_for: Callable[[str], Client]) -> None:
    client = client_for("case_worker")
    url = reverse("case_move", args=[case.reference])
    cases = [("stage", SCRIPT), ("stage", SQL), ("stage", ""), ("note", ONE_MB), ("note", NUL), ("note", "x" * 301)]
    refuses_each(
        lambda field, value: client.post(url, {"stage": "presumed_victim", "note": "", field: value}),
        cases,
        form_name="move_form",
        status=400,
    )
    case.refresh_from_db()
    assert case.stage == "screening"


# --- Screening answers -----------------------------------------------------------------------

NUMBER_ANSWERS = ("-1", "131", "1e308", "nan", "inf", "-inf", "9" * 30, SCRIPT, SQL, ONE_MB, NUL)


SCREENING_ANSWERS = [
    *(("person.age", {"answer": value}, "answer") for value in NUMBER_ANSWERS),
    ("person.age_range", {"low": "5", "high": SCRIPT}, "high"),
    ("person.age_range", {"low": "-3", "high": "10"}, "low"),
    ("person.age_range", {"low": "40", "high": "10"}, "low"),
    ("actions", {"answer": [SCRIPT]}, "answer"),
    ("actions", {"answer": ["recruitment", questions.NONE_OF_THESE]}, "answer"),
    ("indicators", {"answer": ["../../etc/passwd"]}, "answer"),
    ("crossed_border", {"answer": SQL}, "answer"),
    ("crossed_border", {"answer": ONE_MB}, "answer"),
]


SCREENING_ANSWERS = [
    *(("person.age", {"answer": value}, "answer") for value in NUMBER_ANSWERS),
    ("person.age_range", {"low": "5", "high": SCRIPT}, "high"),
    ("person.age_range", {"low": "-3", "high": "10"}, "low"),
    ("person.age_range", {"low": "40", "high": "10"}, "low"),
    ("actions", {"answer": [SCRIPT]}, "answer"),
    ("actions", {"answer": ["recruitment", questions.NONE_OF_THESE]}, "answer"),
    ("indicators", {"answer": ["../../etc/passwd"]}, "answer"),
    ("crossed_border", {"answer": SQL}, "answer"),
    ("crossed_border", {"answer": ONE_MB}, "answer"),
]


def test_a_bad_screening_answer_is_refused_and_the_draft_is_unchanged(
    make_case: Callable[..., Case], client_for: Callable[[str], Client]
) -> None:
    case = make_case()
    client = client_for("case_worker")
    assert client.get(reverse("screening_start", args=[case.reference])).status_code == 200
    draft = client.session.get(f"screening-draft:{case.reference}")
    for path, data, field in SCREENING_ANSWERS:
        before = rows()
        response = client.post(reverse("screening_answer", args=[case.reference]), {"question": path, **data})
        try:
            assert response.status_code == 400
            assert_refused(response, field, before)
        except AssertionError as error:
            raise AssertionError(f"{path} {_short(data)}: {error}") from None
    assert client.session.get(f"screening-draft:{case.reference}") == draft


def test_an_unknown_screening_question_is_refused(
    make_case: Callable[..., Case], client_for: Callable[[str], Client]
) -> None:
    case = make_case()
    client = client_for("case_worker")
    before = rows()
    for value in (SCRIPT, SQL, "../../etc/passwd", ONE_MB, NUL):
        answered = client.post(reverse("screening_answer", args=[case.reference]), {"question": value, "answer": "yes"})
        asked = client.get(reverse("screening_start", args=[case.reference]), {"question": value})
        for response in (answered, asked):
            assert response.status_code == 400, _short(value)
            assert SCRIPT not in response.content.decode()
    assert rows() == before


# --- Measures --------------------------------------------------------------------------------


def _text_fields(form_class: type[forms.Form]) -> list[str]:
    # Free text: plain CharFields (coded values such as currency or country are RegexFields).
    return [
        name
        for name, field in form_class.base_fields.items()
        if type(field) is forms.CharField and name != "override_justification"
    ]


def test_every_measure_form_keeps_hostile_text_verbatim_and_shows_it_escaped(
    case: Case, client_for: Callable[[str], Client]
) -> None:
    client = client_for("coordinator")
    for measure_type in MEASURE_TYPES:
        _record_hostile_measure(client, case, measure_type)


def _record_hostile_measure(client: Client, case: Case, measure_type: str) -> None:
    url = reverse("measure_new", args=[case.reference, measure_type])
    names = _text_fields(measure_forms.measure_form_class(measure_type))
    texts = {name: (SCRIPT, ATTRIBUTE)[index % 2] for index, name in enumerate(names)}
    data = {"decided_on": TODAY().isoformat(), "action": "save", **texts}
    response = client.post(url, data)
    if response.status_code != 302:
        # The review found a violation: the coordinator records it with written reasons, hostile too.
        assert 'name="override_justification"' in response.content.decode(), measure_type
        reasons = f"{ATTRIBUTE} and {SCRIPT} as the written reasons"
        code = unused_code(TOTPDevice.objects.get(user__username="coordinator"))
        response = client.post(
            url, {**data, "action": "override", "override_justification": reasons, "confirmation_code": code}
        )
        texts["override_justification"] = reasons
    assert response.status_code == 302, measure_type
    measure = Measure.objects.filter(case=case, measure_type=measure_type).latest("pk")
    stored = {**measure.engine_facts, **measure.all_details(), "override_justification": measure.override_justification}
    for name, value in texts.items():
        assert stored[name] in (value, [value]), (measure_type, name)
    page = client.get(reverse("measure_detail", args=[case.reference, measure.pk])).content.decode()
    for value in texts.values():
        assert_shown_escaped(page, value)


BAD_BY_FIELD: dict[str, dict[type[forms.Field], Any]] = {
    "injection": {
        BoundedDateField: "0000-00-00",
        forms.TypedChoiceField: SQL,
        forms.ChoiceField: SQL,
        forms.MultipleChoiceField: [SCRIPT],
        forms.IntegerField: "1 OR 1=1",
        forms.DecimalField: "NaN",
        forms.RegexField: "../../etc/passwd",
        forms.ModelChoiceField: "1 OR 1=1",
        forms.CharField: NUL,
    },
    "overflow": {
        BoundedDateField: "9999-12-31",
        forms.TypedChoiceField: "x" * 10_000,
        forms.ChoiceField: "x" * 10_000,
        forms.MultipleChoiceField: ["x" * 10_000],
        forms.IntegerField: "9" * 30,
        forms.DecimalField: "1e999",
        forms.RegexField: "ABCD",
        forms.ModelChoiceField: "9" * 30,
        forms.CharField: "x" * 4001,
    },
}


def _bad_value(kind: str, field: forms.Field) -> Any:
    for field_class, value in BAD_BY_FIELD[kind].items():
        if type(field) is field_class:
            return value
    raise AssertionError(f"no bad value for a {type(field).__name__}")


def test_every_measure_form_refuses_a_bad_value_in_every_field(case: Case, client_for: Callable[[str], Client]) -> None:
    client = client_for("coordinator")
    for kind in BAD_BY_FIELD:
        for measure_type in MEASURE_TYPES:
            form_class = measure_forms.measure_form_class(measure_type)
            data = {name: _bad_value(kind, field) for name, field in form_class.base_fields.items()}
            if kind == "overflow":
                data["justification"] = ONE_MB
            before = rows()
            response = client.post(
                reverse("measure_new", args=[case.reference, measure_type]), {**data, "action": "save"}
            )
            missing = set(form_class.base_fields) - set(response.context["form"].errors)
            assert not missing, f"{measure_type} ({kind}): no error on {missing}"
            assert_refused(response, "decided_on", before)


def test_a_measure_dated_before_the_rules_begin_is_refused_on_its_date(
    case: Case, client_for: Callable[[str], Client]
) -> None:
    # A date within the bounds but before the engine's rules begin was a server error.
    client = client_for("case_worker")
    before = rows()
    url = reverse("measure_new", args=[case.reference, "support_offer"])
    for action in ("review", "save"):
        response = client.post(url, {"decided_on": "1985-06-01", "service": "medical_care", "action": action})
        assert_refused(response, "decided_on", before)
        assert "not known" in response.context["form"].errors["decided_on"][0]


# --- Services --------------------------------------------------------------------------------


def _service(**changes: Any) -> dict[str, Any]:
    data = {"entitlement": "information_on_rights", "status": "offered", "on": TODAY().isoformat(), "note": ""}
    return {**data, **changes}


def test_a_hostile_service_note_is_kept_and_shown_escaped(
    case: Case, client_for: Callable[[str], Client], agencies: dict[str, Agency]
) -> None:
    client = client_for("case_worker")
    for value in HOSTILE_TEXT.values():
        data = _service(note=value, agency=agencies["shelter"].pk)
        assert client.post(reverse("service_record", args=[case.reference]), data).status_code == 302
        assert ServiceEvent.objects.filter(case=case).latest("pk").note == value
    page = client.get(reverse("case_services", args=[case.reference])).content.decode()
    for value in HOSTILE_TEXT.values():
        assert_shown_escaped(page, value)


def test_a_bad_service_step_is_refused_naming_the_field(
    case: Case, client_for: Callable[[str], Client], agencies: dict[str, Agency]
) -> None:
    client = client_for("case_worker")
    url = reverse("service_record", args=[case.reference])
    cases = [
        ("entitlement", SCRIPT),
        ("entitlement", ONE_MB),
        ("status", SQL),
        ("agency", "1 OR 1=1"),
        ("agency", "-1"),
        ("note", ONE_MB),
        ("note", NUL),
        ("return_to", "../../etc/passwd"),
        *(("on", value) for value in BAD_DATES),
    ]
    refuses_each(
        lambda field, value: client.post(url, {**_service(agency=agencies["shelter"].pk), field: value}),
        cases,
        form_name="failed",
    )


def test_a_refused_service_step_sent_by_htmx_echoes_the_note_escaped(
    case: Case, client_for: Callable[[str], Client], agencies: dict[str, Agency]
) -> None:
    client = client_for("case_worker")
    before = rows()
    data = _service(agency=agencies["shelter"].pk, on="9999-99-99", note=ATTRIBUTE)
    response = client.post(reverse("service_record", args=[case.reference]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert_shown_escaped(response.content.decode(), ATTRIBUTE)
    assert rows() == before


# --- Consents and referrals ------------------------------------------------------------------


def _consent(**changes: Any) -> dict[str, Any]:
    data = {
        "agreed_to": "Sharing with legal aid (fictional)",
        "purpose": "referral",
        "shared_with": "",
        "information_language": "en",
        "given_by": "person",
        "given_on": TODAY().isoformat(),
    }
    return {**data, **changes}


def test_hostile_consent_and_referral_text_is_kept_and_shown_escaped_to_both_agencies(
    make_case: Callable[..., Case],
    client_for: Callable[[str], Client],
    agencies: dict[str, Agency],
    users: dict[str, Any],
) -> None:
    client, police = client_for("case_worker"), client_for("first_responder")
    for value in HOSTILE_TEXT.values():
        case = make_case(ADULT_SITUATION)
        consented = client.post(reverse("consent_record", args=[case.reference]), _consent(agreed_to=value))
        assert consented.status_code == 302
        consent = Consent.objects.get(case=case)
        assert consent.agreed_to == value
        assert_shown_escaped(client.get(reverse("case_consents", args=[case.reference])).content.decode(), value)
        # The referral form names the consent by what was agreed.
        assert_shown_escaped(client.get(reverse("case_refer", args=[case.reference])).content.decode(), value)
        # Sharing with the police needs a coordinator's approval and a one-time code (tested in
        # test_approvals_and_oversight.py); here they are given so the hostile text reaches storage.
        asked = approvals.request(
            users["case_worker"],
            str(Approval.Kind.SHARE_WITH_AUTHORITY),
            "Fictional: the person asked for police protection",
            case=case,
            target=str(agencies["police"].pk),
        )
        approvals.decide(users["coordinator"], asked, True, "")
        device = TOTPDevice.objects.get(user=users["case_worker"])
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # a fresh code for each round of the loop
        data = {
            "to_agency": agencies["police"].pk,
            "consent": consent.pk,
            "purpose": value,
            "confirmation_code": unused_code(device),
        }
        assert client.post(reverse("case_refer", args=[case.reference]), data).status_code == 302
        assert Referral.objects.get(case=case).purpose == value
        for reader in (client, police):
            assert_shown_escaped(reader.get(reverse("case_refer", args=[case.reference])).content.decode(), value)


def test_a_bad_consent_is_refused_naming_the_field(case: Case, client_for: Callable[[str], Client]) -> None:
    client = client_for("case_worker")
    url = reverse("consent_record", args=[case.reference])
    cases = [
        ("agreed_to", ONE_MB),
        ("agreed_to", NUL),
        ("agreed_to", ""),
        ("purpose", SCRIPT),
        ("shared_with", "1 OR 1=1"),
        ("information_language", "../../etc/passwd"),
        ("information_language", ATTRIBUTE),
        ("given_by", SQL),
        *(("given_on", value) for value in BAD_DATES),
    ]
    refuses_each(lambda field, value: client.post(url, _consent(**{field: value})), cases)


def test_invalid_utf8_in_a_raw_form_body_is_stored_replaced_never_as_a_surrogate(
    case: Case, client_for: Callable[[str], Client]
) -> None:
    # An encoded unpaired surrogate (ED A0 80) and a byte that is never UTF-8 (FF), percent-encoded and raw.
    client = client_for("case_worker")
    body = b"agreed_to=a%ED%A0%80b%FFc\xff&purpose=support&information_language=en&given_by=person"
    body += f"&given_on={TODAY().isoformat()}".encode()
    url = reverse("consent_record", args=[case.reference])
    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    stored = Consent.objects.get(case=case).agreed_to
    assert "\ufffd" in stored and stored.startswith("a")
    stored.encode("utf-8")  # would raise on a surrogate: what is stored is valid text
    assert client.get(reverse("case_consents", args=[case.reference])).status_code == 200


def test_a_bad_withdrawal_date_is_refused(
    case: Case, users: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    consent = workflow.record_consent(
        users["case_worker"],
        case,
        agreed_to="Support (fictional)",
        purpose="support",
        information_language="en",
        given_by="person",
        given_on=TODAY() - dt.timedelta(days=3),
    )
    client = client_for("case_worker")
    url = reverse("consent_withdraw", args=[case.reference, consent.pk])
    for value in BAD_DATES:
        before = rows()
        response = client.post(url, {f"w{consent.pk}-on": value})
        assert response.status_code == 200
        withdraw_form = next(row["withdraw_form"] for row in response.context["rows"] if row["consent"] == consent)
        assert "on" in withdraw_form.errors, value
        assert rows() == before
    consent.refresh_from_db()
    assert consent.withdrawn_on is None


def test_a_bad_referral_is_refused_naming_the_field(
    case: Case, users: dict[str, Any], agencies: dict[str, Agency], client_for: Callable[[str], Client]
) -> None:
    consent = workflow.record_consent(
        users["case_worker"],
        case,
        agreed_to="Sharing with the police (fictional)",
        purpose="referral",
        information_language="en",
        given_by="person",
        given_on=TODAY(),
    )
    client = client_for("case_worker")
    data = {"to_agency": agencies["police"].pk, "consent": consent.pk, "purpose": "Protection"}
    cases = [
        ("purpose", ONE_MB),
        ("purpose", NUL),
        ("purpose", "x" * 301),
        ("to_agency", SCRIPT),
        ("to_agency", "1 OR 1=1"),
        ("consent", "1 OR 1=1"),
        ("consent", "99999999999999999999"),
    ]
    url = reverse("case_refer", args=[case.reference])
    refuses_each(lambda field, value: client.post(url, {**data, field: value}), cases)


# --- Case dates ------------------------------------------------------------------------------


def test_bad_case_dates_are_refused_and_the_case_is_unchanged(case: Case, client_for: Callable[[str], Client]) -> None:
    client = client_for("case_worker")
    referred = case.referred_on.isoformat()
    cases = [
        *(("referred_on", value) for value in BAD_DATES),
        *(("identified_on", value) for value in ("0000-00-00", "9999-99-99", "1899-12-31", SCRIPT)),
        ("reasonable_grounds_on", "9999-12-31"),
        ("reflection_period_started_on", "0001-01-01"),
        *(("reflection_period_days", value) for value in ("-1", "0", "3651", "9" * 30, "1e3", "NaN", SQL)),
    ]
    url = reverse("case_dates", args=[case.reference])
    refuses_each(lambda field, value: client.post(url, {"referred_on": referred, field: value}), cases)
    assert Case.objects.filter(pk=case.pk, updated_at=case.updated_at, referred_on=case.referred_on).exists()


# --- Signing in ------------------------------------------------------------------------------


def test_a_hostile_user_name_is_logged_as_tried_and_shown_escaped(
    users: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    response = Client().post(reverse("login"), {"username": ATTRIBUTE, "password": "not the password"})
    assert response.status_code == 200
    assert AuditEvent.objects.get(action="auth.sign_in_failed").target == ATTRIBUTE
    # A failed sign-in belongs to no agency: the administrator's audit log shows it.
    assert_shown_escaped(client_for("administrator").get(reverse("audit_log")).content.decode(), ATTRIBUTE)


def test_a_hostile_sign_in_is_refused_without_a_session(users: dict[str, Any]) -> None:
    for username, password in [(ONE_MB, "x"), (NUL, "x"), (SQL, ONE_MB), ("case_worker", NUL), ("", "")]:
        client = Client()
        response = client.post(reverse("login"), {"username": username, "password": password})
        assert response.status_code == 200
        assert response.context["form"].errors, _short(username)
        assert "_auth_user_id" not in client.session
        assert SCRIPT not in response.content.decode()


# --- Searches and filters --------------------------------------------------------------------


SEARCHES = [
    ("case_worker", "/cases/", {"q": SCRIPT}),
    ("case_worker", "/cases/", {"q": "<b>RF", "stage": SQL, "child": ATTRIBUTE, "page": SCRIPT}),
    ("case_worker", "/cases/", {"q": "x" * 10_000}),
    ("coordinator", "/audit/", {"case": SCRIPT, "action": SQL, "page": "-1"}),
    ("coordinator", "/dashboard/overdue/", {"page": ATTRIBUTE}),
    ("monitor", "/monitoring/", {"year": SCRIPT, "part": SQL, "by": ATTRIBUTE}),
    ("monitor", "/monitoring/indicators/persons_referred/", {"year": "9999", "by": SCRIPT}),
    ("administrator", "/law/", {"q": SCRIPT}),
    ("administrator", "/law/", {"q": "x" * 20_000}),
    ("case_worker", "/cases/{ref}/measures/", {"group": SCRIPT}),
    ("case_worker", "/cases/{ref}/your-rights/", {"lang": ATTRIBUTE}),
    ("case_worker", "/cases/{ref}/screening/", {"question": SCRIPT}),
]


def test_hostile_search_and_filter_values_are_never_echoed_as_markup(
    case: Case, client_for: Callable[[str], Client]
) -> None:
    for role, url, params in SEARCHES:
        response = client_for(role).get(url.format(ref=case.reference), params)
        assert response.status_code in (200, 400), (url, params)
        page = response.content.decode()
        assert SCRIPT not in page and ATTRIBUTE not in page, (url, params)
        for value in params.values():
            if value in page:  # echoed back (a search box keeps what was typed): only as text
                assert "<" not in value and '"' not in value, (url, params)


# --- API body fields -------------------------------------------------------------------------


@pytest.fixture
def api(users: dict[str, Any]) -> Callable[..., Any]:
    """POST to the API as the coordinator: a dict is sent as JSON, bytes as they are."""
    token = ApiToken.issue(users["coordinator"], "hostile input")[1]
    client = Client()

    def post(path: str, body: Any) -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body)
        return client.post(
            f"/api{path}", data, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
        )

    return post


def test_api_free_text_is_kept_verbatim_and_shown_escaped_on_the_pages(
    case: Case, api: Callable[..., Any], client_for: Callable[[str], Client]
) -> None:
    ref, today = case.reference, TODAY().isoformat()
    notes = list(HOSTILE_TEXT.values())
    for note in notes:
        body = {"entitlement": "information_on_rights", "status": "offered", "date": today, "note": note}
        assert api(f"/cases/{ref}/services", body).status_code == 201
    assert sorted(event.note for event in ServiceEvent.objects.filter(case=case)) == sorted(notes)
    measure = {
        "type": "support_offer",
        "service": "shelter",
        "conditional_on_testimony": False,
        "date": today,
        "justification": ATTRIBUTE,
        "details": {"notes": SCRIPT, ATTRIBUTE: SQL},
    }
    response = api(f"/cases/{ref}/measures", measure)
    assert response.status_code == 201
    saved = Measure.objects.get(pk=response.json()["id"])
    assert saved.engine_facts["justification"] == ATTRIBUTE and saved.all_details() == measure["details"]
    situation = {**ADULT_SITUATION, "person": {"stated_age": 16, "indications_of_minority": [SCRIPT, ATTRIBUTE]}}
    response = api(f"/cases/{ref}/screenings", situation)
    assert response.status_code == 201
    client = client_for("case_worker")
    services = client.get(reverse("case_services", args=[ref])).content.decode()
    for note in notes:
        assert_shown_escaped(services, note)
    detail = client.get(reverse("measure_detail", args=[ref, saved.pk])).content.decode()
    for value in (ATTRIBUTE, SCRIPT, SQL):
        assert_shown_escaped(detail, value)
    screening = client.get(reverse("screening_detail", args=[ref, response.json()["number"]])).content.decode()
    for value in (SCRIPT, ATTRIBUTE):
        assert_shown_escaped(screening, value)


SERVICE_BODY = {"entitlement": "information_on_rights", "status": "offered", "date": "2026-01-01", "note": ""}
MEASURE_BODY = {"type": "support_offer", "date": "2026-01-01"}


API_CASES: list[tuple[str, Any, int, list[Any]]] = [
    ("/services", b'{"entitlement": ', 400, ["body"]),
    ("/services", b"\xff\xfe{}", 400, ["body"]),
    ("/services", b'{"note": "\xc3\x28"}', 400, ["body"]),
    ("/services", b"[" * 100_000, 400, ["body"]),
    ("/services", b"", 422, ["body"]),
    ("/services", b"null", 422, ["body", "entitlement"]),
    ("/services", b'"just a string"', 422, ["body"]),
    ("/services", {**SERVICE_BODY, "note": "\ud800"}, 422, ["body", "note"]),
    ("/services", {**SERVICE_BODY, "note": NUL}, 422, ["body", "note"]),
    ("/services", {**SERVICE_BODY, "note": ONE_MB}, 422, ["body", "note"]),
    ("/services", {**SERVICE_BODY, "note": 5}, 422, ["body", "note"]),
    ("/services", {**SERVICE_BODY, "date": True}, 422, ["body", "date"]),
    ("/services", {**SERVICE_BODY, "entitlement": None}, 422, ["body", "entitlement"]),
    ("/services", {**SERVICE_BODY, "entitlement": SCRIPT}, 422, ["body", "entitlement"]),
    ("/services", {**SERVICE_BODY, "status": SQL}, 422, ["body", "status"]),
    *(("/services", {**SERVICE_BODY, "date": value}, 422, ["body", "date"]) for value in BAD_DATES),
    ("/measures", {**MEASURE_BODY, "date": "0000-00-00"}, 422, ["body", "date"]),
    ("/measures", {**MEASURE_BODY, "date": "9999-99-99"}, 422, ["body", "date"]),
    ("/measures", {**MEASURE_BODY, "type": "../../etc/passwd"}, 422, ["body", "type"]),
    ("/measures", {**MEASURE_BODY, "type": "detention", "duration_days": -5}, 422, ["body", "duration_days"]),
    ("/measures", {**MEASURE_BODY, "type": "detention", "duration_days": 10**40}, 422, ["body", "duration_days"]),
    ("/measures", {**MEASURE_BODY, "type": "age_assessment", "outcome_age": 1e308}, 422, ["body", "outcome_age"]),
    ("/measures", {**MEASURE_BODY, "override_justification": ONE_MB}, 422, ["body", "override_justification"]),
    ("/measures", {**MEASURE_BODY, "details": [SCRIPT]}, 422, ["body", "details"]),
    ("/measures", {**MEASURE_BODY, "justification": {"$gt": ""}}, 422, ["body", "justification"]),
    ("/screenings", {"person": {"age": "30; DROP TABLE casework_case"}}, 422, ["body", "person", "age"]),
    ("/screenings", {"person": {"age": 10**400}}, 422, ["body", "person", "age"]),
    ("/screenings", b'{"person": {"age": 1' + b"0" * 5000 + b"}}", 400, ["body"]),
    ("/screenings", {"actions": ["../../etc/passwd"]}, 422, ["body", "actions", 0]),
    ("/screenings", {"indicators": [SCRIPT]}, 422, ["body", "indicators"]),
]


def test_every_api_body_field_refuses_hostile_values_naming_where(case: Case, api: Callable[..., Any]) -> None:
    # A dict goes out as JSON with every non-ASCII character escaped, so an unpaired surrogate arrives as "\\ud800".
    for path, body, status, loc in API_CASES:
        before = rows()
        response = api(f"/cases/{case.reference}{path}", body)
        label = f"{path} {_short(body)}"
        assert response.status_code == status, (label, response.content[:500])
        detail = response.json()["detail"]
        assert detail[0]["loc"][: len(loc)] == loc, (label, detail)
        assert rows() == before, label


# --- Size limits -----------------------------------------------------------------------------


def test_a_form_larger_than_the_upload_limit_is_refused_with_413(client_for: Callable[[str], Client]) -> None:
    # Over Django's 2.5 MB limit: refused before any form sees it, with a page that says why.
    client = client_for("case_worker")
    before = rows()
    response = client.post(reverse("case_create"), registration(address="x" * 3_000_000))
    assert response.status_code == 413
    assert "larger than this application accepts" in response.content.decode()
    assert rows() == before


def test_an_api_body_larger_than_the_upload_limit_is_refused_with_413(case: Case, api: Callable[..., Any]) -> None:
    before = rows()
    response = api(f"/cases/{case.reference}/services", {**SERVICE_BODY, "note": "x" * 3_000_000})
    assert response.status_code == 413
    assert "bytes allowed" in response.json()["detail"][0]["msg"]
    assert rows() == before


# --- Any text at all -------------------------------------------------------------------------

FUNCTION_FIXTURE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUNCTION_FIXTURE
@given(text=st.text(min_size=1, max_size=300))
def test_any_text_in_a_consent_is_kept_or_refused_and_always_shown_escaped(
    text: str, case: Case, client_for: Callable[[str], Client]
) -> None:
    client = client_for("case_worker")
    before = rows()
    response = client.post(reverse("consent_record", args=[case.reference]), _consent(agreed_to=text))
    if "\x00" in text or not text.strip():
        assert_refused(response, "agreed_to", before)
        return
    assert response.status_code == 302
    consent = Consent.objects.filter(case=case).order_by("-pk").first()
    assert consent is not None and consent.agreed_to == text.strip()
    page = client.get(reverse("case_consents", args=[case.reference])).content.decode()
    shown = str(linebreaksbr(consent.agreed_to, autoescape=True))
    assert shown in page
    # Whatever was typed, nothing of it reads as markup: only the line breaks the page adds.
    assert not any(mark in shown.replace("<br>", "") for mark in "<>\"'")


@FUNCTION_FIXTURE
@given(text=st.text(min_size=1, max_size=300))
def test_any_text_in_an_api_note_is_kept_or_refused_and_always_shown_escaped(
    text: str, case: Case, api: Callable[..., Any], client_for: Callable[[str], Client]
) -> None:
    before = rows()
    response = api(f"/cases/{case.reference}/services", {**SERVICE_BODY, "date": TODAY().isoformat(), "note": text})
    if "\x00" in text:
        assert response.status_code == 422 and rows() == before
        return
    assert response.status_code == 201
    event = ServiceEvent.objects.get(pk=response.json()["id"])
    assert event.note == text.strip()
    if event.note:
        page = client_for("case_worker").get(reverse("case_services", args=[case.reference])).content.decode()
        assert escape(event.note) in page
