"""The journeys the issue names, in a real browser, each page checked with axe-core."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web import workflow
from rightsfirst.web.models import AuditEvent, Case, Measure
from tests.web.browser.conftest import DESKTOP, PHONE, Session
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE, IDENTITY, PASSWORD, unused_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Fictional names for the person the first responder registers.
NEW_PERSON = {"given_names": "Mirela Fictiva", "family_name": "Examplova"}

# The screening answers of journeys 1 and 7, by the question's path in the situation. Questions are
# answered by the values of their inputs, not by their labels, so the same answers work in any language.
DONT_KNOW = "dont_know"
CHILD_ANSWERS: dict[str, Any] = {
    "person.stated_age": 19,
    "person.indications_of_minority": ["appearance"],
    "person.age": DONT_KNOW,
    "person.age_range": DONT_KNOW,
    "actions": ["recruitment"],
    "purposes": ["sexual_exploitation"],
    "means": [DONT_KNOW],
    "crossed_border": "yes",
    "smuggling.facilitated_irregular_entry": DONT_KNOW,
    "smuggling.for_profit": DONT_KNOW,
    "person.non_national": "yes",
    "person.asylum_seeker": DONT_KNOW,
    "person.unaccompanied": "yes",
    "person.needs_interpreter": "yes",
    "indicators": ["none_of_these"],
}
# What journeys 1 and 7 must be asked, whatever else the engine finds worth asking.
MUST_ASK = ["person.stated_age", "person.indications_of_minority", "actions", "purposes"]

SHELTER_ON_TESTIMONY = {"service": "shelter", "conditional_on_testimony": "yes"}
OVERRIDE_REASON = "Fictional override: the only shelter place tonight; the condition is to be lifted tomorrow."


def _today() -> dt.date:
    return workflow.today()


def _choose(session: Session, facts: dict[str, str]) -> None:
    """Fill a measure form's facts: a select by its value, a yes/no by its radio's value."""
    for name, value in facts.items():
        field = session.page.locator(f'form [name="{name}"]').first
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            session.page.locator(f'form input[name="{name}"][value="{value}"]').check()


def _text(locator: Any) -> str:
    # French typography puts a no-break space before "?" and ":".
    return str(locator.inner_text()).replace("\xa0", " ").strip()


def _answer_screening(session: Session, answers: dict[str, Any], fits: bool = False) -> dict[str, str]:
    """Answer the guided screening one question at a time until the summary.

    Returns the heading of each question asked, by its path, in the order asked.
    """
    page = session.page
    asked: dict[str, str] = {}
    for _step in range(len(answers) + 1):
        hidden = page.locator('#screening-step input[name="question"]')
        if hidden.count() == 0:
            return asked
        path = hidden.get_attribute("value") or ""
        assert path not in asked, f"asked twice: {path} (after {list(asked)})"
        heading = page.locator("#screening-step h1")
        assert path in answers, f"unexpected question {path}: {_text(heading)}"
        # One question at a time: one heading, one answer.
        assert heading.count() == 1
        asked[path] = _text(heading)
        session.check(f"step-{len(asked):02d}-{path.replace('.', '-')}")
        if fits:
            session.assert_fits_width()
        step = page.locator("#screening-step form").first
        value = answers[path]
        if value == DONT_KNOW and step.locator('button[name="dont_know"]').count():
            step.locator('button[name="dont_know"]').click()
        else:
            if isinstance(value, int):
                step.locator("#id_answer").fill(str(value))
            else:
                for item in value if isinstance(value, list) else [value]:
                    step.locator(f'input[name="answer"][value="{item}"]').check()
            step.locator("button[type=submit]:not([name])").click()
        # With JavaScript, htmx swaps in the next step without a page load: wait for it to arrive.
        page.wait_for_function(
            """(old) => { const q = document.querySelector('#screening-step input[name="question"]');
                         return !q || q.value !== old; }""",
            arg=path,
        )
    raise AssertionError(f"the screening did not end after {list(asked)}")


def _register_and_screen(session: Session) -> tuple[Case, str, dict[str, str]]:
    """Register a person through the New case form and answer the screening up to its summary.

    Returns the case, the date the form offered as the referral date, and the questions asked.
    """
    page = session.page
    page.locator('header nav a[href="/cases/new/"]').click()
    session.check("new-case")
    page.locator("#id_given_names").fill(NEW_PERSON["given_names"])
    page.locator("#id_family_name").fill(NEW_PERSON["family_name"])
    referred = page.locator("#id_referred_on")
    offered = referred.input_value()
    if not offered:
        # An empty box is a defect, asserted at the end of the journey; the date is typed so the rest still runs.
        referred.fill(_today().isoformat())
    page.locator('main form button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/cases/RF-[^/]+/screening/$"))
    reference = page.url.rstrip("/").split("/")[-2]
    case = Case.objects.get(reference=reference)
    assert case.referred_on == _today()
    asked = _answer_screening(session, CHILD_ANSWERS, fits=True)
    # Age first: it decides which questions follow.
    assert list(asked)[:2] == MUST_ASK[:2], asked
    assert set(MUST_ASK) <= set(asked), asked
    # A child's agreement to being exploited never counts, so a child is not asked about it.
    assert "consent_to_exploitation" not in asked
    return case, offered, asked


def test_case_worker_sees_the_case_page_with_its_rights_panel(open_session: Any, users: Any, make_case: Any) -> None:
    case = make_case(ADULT_SITUATION)
    session = open_session()
    session.login("case_worker", PASSWORD)
    session.check("case-list")
    session.page.get_by_role("link", name=case.reference).click()
    heading = session.page.get_by_role("heading", name="Rights of the person")
    assert heading.is_visible()
    assert IDENTITY["family_name"] not in session.page.content()
    session.check("case-page")


def test_case_worker_records_a_step_from_the_rights_panel(open_session: Any, users: Any, make_case: Any) -> None:
    case = make_case(ADULT_SITUATION)
    session = open_session(viewport=PHONE)
    session.login("case_worker", PASSWORD)
    session.go(f"/cases/{case.reference}/")
    page = session.page
    panel = page.locator("#rights-panel")
    assert panel.locator("form").count() == 0
    panel.locator("#service-form-safe_shelter .record-step").click()
    # The form opens in place (no new page), with the first field ready to use.
    status = page.locator("#svc-safe_shelter-status")
    status.wait_for()
    assert page.url.endswith(f"/cases/{case.reference}/")
    assert status.evaluate("element => element === document.activeElement")
    assert panel.locator("form").count() == 1
    session.check("record-step-open")
    status.select_option("delivered")
    page.locator("#svc-safe_shelter-submit").click()
    page.locator("#record-message").wait_for()
    assert "recorded" in page.locator("#record-message").inner_text()
    assert page.locator("#svc-safe_shelter-status").count() == 0
    assert case.service_events.get().status == "delivered"
    item = panel.locator("#service-form-safe_shelter").locator("xpath=..")
    assert "status-delivered" in (item.get_attribute("class") or "")
    session.assert_fits_width()

    # Without JavaScript the link opens the case page with that form open, and the form posts back.
    plain = open_session(viewport=PHONE, javascript=False)
    plain.login("case_worker", PASSWORD)
    plain.go(f"/cases/{case.reference}/")
    plain.page.locator("#service-form-medical_and_psychological_care .record-step").click()
    plain.page.wait_for_url(re.compile(r"\?record=medical_and_psychological_care"))
    plain.page.locator("#svc-medical_and_psychological_care-status").select_option("offered")
    plain.page.locator("#svc-medical_and_psychological_care-submit").click()
    plain.page.wait_for_url(re.compile(rf"/cases/{case.reference}/$"))
    assert "recorded" in plain.page.locator(".messages").inner_text()
    assert case.service_events.filter(entitlement="medical_and_psychological_care", status="offered").exists()


def test_the_case_page_works_on_a_phone(open_session: Any, users: Any, make_case: Any) -> None:
    case = make_case(ADULT_SITUATION)
    session = open_session(viewport=PHONE)
    session.login("case_worker", PASSWORD)
    session.go(f"/cases/{case.reference}/")
    assert session.page.get_by_role("heading", name=re.compile(case.reference)).is_visible()
    session.assert_fits_width()
    session.check("case-page-phone")


def test_first_responder_registers_a_child_and_screens_on_a_phone(open_session: Any, users: Any) -> None:
    session = open_session(viewport=PHONE)
    session.login("first_responder", PASSWORD)
    session.check("case-list")
    case, offered, asked = _register_and_screen(session)
    page = session.page
    assert asked["person.stated_age"] == "How old does the person say they are?"

    assert page.get_by_role("heading", name="Check the answers").is_visible()
    assert page.locator("#screening-step .badge.child").inner_text() == "Treated as a child"
    session.check("summary")
    page.get_by_role("button", name="Finish and save").first.click()
    page.wait_for_url(re.compile(rf"/cases/{case.reference}/screenings/1/$"))
    assert page.get_by_role("heading", name="Finding", exact=True).is_visible()
    assert page.locator("#finding-heading + p .badge.child").inner_text() == "Treated as a child"
    assert page.locator(".messages").inner_text() == "Screening 1 saved."
    session.assert_fits_width()
    session.check("finding")

    page.get_by_role("link", name=f"Back to case {case.reference}").click()
    page.wait_for_url(re.compile(rf"/cases/{case.reference}/$"))
    panel = page.locator("#rights-panel")
    assert panel.get_by_text("A guardian", exact=True).is_visible()
    session.assert_fits_width()
    session.check("case-page")

    case.refresh_from_db()
    assert case.treated_as_child is True
    screening = case.screenings.get()
    assert screening.situation["person"]["stated_age"] == 19
    assert screening.situation["person"]["indications_of_minority"] == ["appearance"]
    assert "means" not in screening.situation
    # The names typed in are kept in the encrypted identity only, never in an address.
    for name in NEW_PERSON.values():
        assert name not in page.url
        assert name not in page.content()
    assert offered == _today().isoformat(), "the New case form should offer today as the referral date"


def test_coordinator_sees_a_childs_overdue_guardian_deadline(open_session: Any, users: Any, make_case: Any) -> None:
    case = make_case(CHILD_UNCERTAIN_AGE, referred_on=_today() - dt.timedelta(days=20))
    adult = make_case(ADULT_SITUATION)
    session = open_session()
    session.login("coordinator", PASSWORD)
    page = session.page
    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert page.get_by_role("alert").inner_text().startswith("1 child is still waiting for a guardian")
    overdue = page.locator('section[aria-labelledby="section-overdue"]')
    rows = overdue.locator("tbody tr")
    # The child's guardian comes first, before any adult's deadline.
    first = rows.first
    assert first.get_by_role("link").inner_text() == case.reference
    assert "A guardian" in first.inner_text()
    assert first.locator(".badge.child").inner_text() == "Child: guardian needed"
    assert int(first.locator(".badge.overdue").inner_text()) > 0
    # ... even though other rights have waited longer, and an adult's case has overdue rights too.
    days = [int(text) for text in overdue.locator("tbody .badge.overdue").all_inner_texts()]
    assert days[0] < max(days)
    assert any(adult.reference in text for text in rows.all_inner_texts()[1:])
    assert rows.locator(".badge.child").count() == 1
    session.check("dashboard")
    session.page.set_viewport_size(PHONE)
    session.assert_fits_width()
    session.check("dashboard-phone")


def test_case_worker_is_stopped_from_making_shelter_depend_on_testimony(
    open_session: Any, users: Any, make_case: Any
) -> None:
    case = make_case(ADULT_SITUATION)
    session = open_session(viewport=PHONE)
    session.login("case_worker", PASSWORD)
    session.go(f"/cases/{case.reference}/measures/new/support_offer/")
    page = session.page
    session.assert_fits_width()
    session.check("measure-form")
    _choose(session, SHELTER_ON_TESTIMONY)
    page.get_by_role("button", name="Check and save").click()
    page.wait_for_load_state()

    blocked = page.locator("#blocked")
    assert blocked.get_by_role("heading").inner_text() == "This measure breaks the law and was not saved"
    law = blocked.get_by_role("link", name="RPG.P8")
    assert law.get_attribute("href") == "/law/RPG.P8/"
    assert "Only a coordinator may record a measure despite a violation" in blocked.inner_text()
    assert page.locator('[name="override_justification"]').count() == 0
    assert page.get_by_role("button", name=re.compile("override", re.I)).count() == 0
    # The values stay in the form, so the case worker can change them and check again.
    assert page.locator('input[name="conditional_on_testimony"][value="yes"]').is_checked()
    session.assert_fits_width()
    session.check("blocked")
    assert not Measure.objects.filter(case=case).exists()

    law.click()
    page.wait_for_url(re.compile(r"/law/RPG\.P8/$"))
    assert "RPG.P8" in page.locator("h1").inner_text()
    session.check("law")


def test_coordinator_overrides_a_blocked_measure_and_finds_it_in_the_audit_log(
    open_session: Any, users: Any, make_case: Any
) -> None:
    case = make_case(ADULT_SITUATION)
    session = open_session()
    session.login("coordinator", PASSWORD)
    page = session.page
    session.go(f"/cases/{case.reference}/measures/new/support_offer/")
    _choose(session, SHELTER_ON_TESTIMONY)
    page.get_by_role("button", name="Check and save").click()
    page.wait_for_load_state()
    assert page.locator("#blocked").is_visible()
    override = page.locator('section[aria-labelledby="override-heading"]')
    session.check("blocked-with-override")

    # Too short a reason is refused with the message next to the field.
    override.get_by_label("Why must this measure go ahead despite the law?").fill("Because.")
    override.get_by_role("button", name="Record with an override").click()
    page.wait_for_load_state()
    assert "at least 20 characters" in page.locator("#id_override_justification_error").inner_text()
    assert not Measure.objects.filter(case=case).exists()
    session.check("override-too-short")

    override = page.locator('section[aria-labelledby="override-heading"]')
    override.get_by_label("Why must this measure go ahead despite the law?").fill(OVERRIDE_REASON)
    # The override is confirmed again with a one-time code from the coordinator's app.
    override.get_by_label("Confirm with a code from your authenticator app").fill(
        unused_code(TOTPDevice.objects.get(user__username="coordinator"))
    )
    override.get_by_role("button", name="Record with an override").click()
    page.wait_for_url(re.compile(rf"/cases/{case.reference}/measures/\d+/$"))
    assert "saved with an override" in page.locator(".messages").inner_text()
    session.check("measure-detail")
    measure = Measure.objects.get(case=case)
    assert measure.overridden and measure.outcome == Measure.Outcome.VIOLATION
    assert measure.override_justification == OVERRIDE_REASON
    # The audit log records the override; its justification stays sealed with the case (erasable).
    assert AuditEvent.objects.filter(action="measure.override", case_reference=case.reference).count() == 1

    page.locator('header nav a[href="/audit/"]').click()
    page.wait_for_url(re.compile(r"/audit/"))
    row = page.locator("#audit-rows tbody tr", has=page.locator("code", has_text="measure.override"))
    assert row.count() == 1
    assert OVERRIDE_REASON not in row.inner_text()
    assert case.reference in row.inner_text()
    session.check("audit-log")
    page.set_viewport_size(PHONE)
    session.assert_fits_width()
    session.check("audit-log-phone")
    page.set_viewport_size(DESKTOP)

    page.locator('header nav a[href="/dashboard/"]').click()
    page.wait_for_url(re.compile(r"/dashboard/$"))
    problems = page.locator('section[aria-labelledby="problems-heading"] tbody tr')
    assert problems.count() == 1
    assert case.reference in problems.inner_text()
    assert "Overridden" in problems.inner_text()
    assert OVERRIDE_REASON in problems.inner_text()
    session.check("dashboard")


def test_a_night_worker_of_another_agency_opens_a_case_in_an_emergency_on_a_phone(
    open_session: Any, users: Any, make_case: Any
) -> None:
    case = make_case(ADULT_SITUATION)
    session = open_session(viewport=PHONE)
    session.login("outsider", PASSWORD)
    page = session.page
    session.go("/emergency/")
    session.assert_fits_width()
    session.check("emergency-form-phone")
    page.get_by_label("Case reference").fill(case.reference)
    page.get_by_label("A child: who is the guardian or responsible adult").check()
    page.get_by_label("Explain what you need to know and why it cannot wait").fill(
        "A boy of about 8 is at the night clinic with her; who is his guardian?"
    )
    page.get_by_label("Confirm with a code from your authenticator app").fill(
        unused_code(TOTPDevice.objects.get(user__username="outsider"))
    )
    page.get_by_role("button", name="Open in an emergency").click()
    page.wait_for_url(re.compile(rf"/cases/{case.reference}/$"))
    assert "read-only, until" in page.locator(".emergency-banner").inner_text()
    assert page.get_by_role("link", name="Record a measure or decision").count() == 0
    session.assert_fits_width()
    session.check("case-page-emergency-phone")

    reviewer = open_session()
    reviewer.login("coordinator", PASSWORD)
    reviewer.page.get_by_role("link", name=re.compile("waits for review")).click()
    reviewer.page.wait_for_url(re.compile(r"/emergency/reviews/$"))
    reviewer.check("emergency-reviews")
    reviewer.page.get_by_role("link", name=case.reference).click()
    assert "A boy of about 8" in reviewer.page.locator("dl.facts").inner_text()
    reviewer.check("emergency-review")


def test_legal_adviser_records_a_compensation_claim_and_sees_the_totals(
    open_session: Any, users: Any, make_case: Any
) -> None:
    case = make_case(ADULT_SITUATION)
    session = open_session(viewport=PHONE)
    session.login("legal_adviser", PASSWORD)
    page = session.page
    session.go(f"/cases/{case.reference}/measures/new/compensation/")
    session.assert_fits_width()
    session.check("compensation-form")
    page.get_by_label("Kind of claim").select_option("compensation")
    page.get_by_label("Unpaid wages").fill("1200")
    page.get_by_label("Psychological harm").fill("800.50")
    page.get_by_label("Currency").fill("eur")
    _choose(
        session,
        {
            "information_given": "yes",
            "legal_assistance": "yes",
            "barred_by_immigration_status": "no",
            "requires_conviction": "no",
            "person_can_remain": "yes",
        },
    )
    page.get_by_role("button", name="Check and save").click()
    page.wait_for_url(re.compile(rf"/cases/{case.reference}/measures/\d+/$"))
    session.check("compensation-saved")
    measure = Measure.objects.get(case=case, measure_type="compensation")
    assert measure.facts["amount_claimed"] == 2000.5
    assert measure.details["heads_of_damage"] == {"unpaid_wages": "1200.00", "psychological_harm": "800.50"}

    session.go(f"/cases/{case.reference}/remedies/")
    totals = page.locator('section[aria-labelledby="totals-heading"] tbody tr')
    assert totals.count() == 1
    cells = [cell.strip() for cell in totals.locator("th, td").all_text_contents()]
    assert cells == ["EUR", "2000.50", "0.00", "0.00", "0.00"]
    assert "Unpaid wages" in page.locator("main").inner_text()
    session.assert_fits_width()
    session.check("remedies")


def test_monitor_sees_no_identity_and_no_case(open_session: Any, users: Any, make_case: Any) -> None:
    cases = [make_case(ADULT_SITUATION), make_case(CHILD_UNCERTAIN_AGE, referred_on=_today() - dt.timedelta(days=20))]
    secrets = [value for value in IDENTITY.values() if value] + [case.reference for case in cases]
    session = open_session()
    session.login("monitor", PASSWORD)
    page = session.page
    page.wait_for_url(re.compile(r"/monitoring/$"))
    nav = page.locator("header nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "/monitoring/" in nav and "/law/" in nav
    assert "/cases/" not in nav

    def leaks() -> list[str]:
        content = page.content()
        found = [secret for secret in secrets if secret in content]
        return found + re.findall(r"RF-[A-Z0-9]{4}-[A-Z0-9]{4}", content)

    for path in dict.fromkeys([*nav, "/monitoring/", "/monitoring/indicators/detained_presumed_victims/", "/law/"]):
        response = session.go(path)
        assert response.status == 200, path
        assert not leaks(), f"{path}: {leaks()}"
        session.check(path.strip("/").replace("/", "-") or "home")
    # Two people in all: every count is below the minimum and none is published, on the page or
    # in its chart; and the page reads without its script (the chart is drawn on the server).
    text = session.go("/monitoring/").text()
    assert "not published" in text
    assert page.locator("svg.chart").count() > 10
    widths = page.locator(".chart-bar").evaluate_all("bars => bars.map(bar => Number(bar.getAttribute('width')))")
    assert widths and not [width for width in widths if width > 0]  # only published zeros are drawn

    for path in ["/cases/", *(f"/cases/{case.reference}/" for case in cases), f"/cases/{cases[0].reference}/identity/"]:
        response = session.go(path)
        assert response.status in (403, 404), f"{path}: {response.status}"
        # The refusal page does not echo the reference back.
        assert not [secret for secret in secrets if secret in page.locator("main").inner_text()], path
    session.check("refused")


def test_first_responder_screens_in_french(open_session: Any, users: Any) -> None:
    session = open_session(viewport=PHONE)
    session.login("first_responder", PASSWORD)
    page = session.page
    page.locator("#language-select").select_option(label="Français")
    page.locator(".language-form button[type=submit]").click()
    page.wait_for_function("() => document.documentElement.lang === 'fr'")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("#language-select").input_value() == "fr"
    assert page.locator("header form[action='/logout/'] button").inner_text() == "Se déconnecter"
    session.check("case-list-fr")

    case, offered, asked = _register_and_screen(session)
    assert page.locator("html").get_attribute("lang") == "fr"
    assert asked["person.stated_age"] == "Quel âge la personne dit-elle avoir ?"
    assert _text(page.locator("#screening-step h1")) == "Vérifier les réponses"
    assert _text(page.locator("#screening-step .badge.child")) == "Considéré comme un enfant"
    session.check("summary-fr")
    page.locator("#screening-step form[action$='/screening/finish/'] button").click()
    page.wait_for_url(re.compile(rf"/cases/{case.reference}/screenings/1/$"))
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Conclusion", exact=True).is_visible()
    session.check("finding-fr")
    case.refresh_from_db()
    assert case.treated_as_child is True
    # In French the date box must still hold the date: a date input only takes an ISO date.
    assert offered == _today().isoformat(), f"the French New case form offered {offered!r} as the referral date"


def test_the_screening_works_with_the_keyboard_alone(open_session: Any, users: Any, make_case: Any) -> None:
    case = make_case()
    session = open_session(viewport=PHONE)
    session.login("case_worker", PASSWORD)
    page = session.page
    session.go(f"/cases/{case.reference}/screening/")

    def focused() -> str:
        return str(page.evaluate("() => document.activeElement.id || document.activeElement.tagName"))

    def tab_to(wanted: Any) -> None:
        # A bounded walk: a focus trap or a missing control fails instead of hanging.
        for _press in range(20):
            if wanted():
                return
            page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached the control; focus is on {focused()}")

    page.keyboard.press("Tab")
    assert _text(page.locator(":focus")) == "Skip to main content"
    page.keyboard.press("Enter")
    assert focused() == "main"
    tab_to(lambda: focused() == "id_answer")
    # A wrong answer is explained at the box, and the box says so to a screen reader.
    page.keyboard.type("nineteen")
    page.keyboard.press("Enter")
    page.locator("#error-summary").wait_for()
    assert "Enter the age as a number of years" in _text(page.locator("#error-summary"))
    answer = page.locator("#id_answer")
    assert answer.get_attribute("aria-invalid") == "true"
    assert answer.get_attribute("aria-describedby") == "id_answer_error"
    assert "Enter the age as a number of years" in _text(page.locator("#id_answer_error"))
    session.check("age-error")
    page.locator("#error-summary a").press("Enter")
    assert focused() == "id_answer"

    page.keyboard.press("Control+A")
    page.keyboard.type("19")
    page.keyboard.press("Enter")
    # The next question arrives without a page load; focus goes to its heading so it is read out.
    page.wait_for_function("() => document.activeElement.id === 'question-heading'")
    path = page.locator('#screening-step input[name="question"]').get_attribute("value")
    assert path == "person.indications_of_minority", path
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert page.locator("#screening-step input[name='answer']:checked").count() == 1
    tab_to(lambda: _text(page.locator(":focus")) == "Continue")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(old) => document.querySelector('#screening-step input[name=\"question\"]')?.value !== old", arg=path
    )
    session.check("after-keyboard")
    # The answers are in the draft: the summary lists them.
    session.go(f"/cases/{case.reference}/screening/?review=1")
    summary = _text(page.locator("dl.answers"))
    assert "Age the person gives\n19" in summary
    assert "Reasons to think the person may be a child\nLooks like a child" in summary


def test_the_screening_works_without_javascript(open_session: Any, users: Any, make_case: Any) -> None:
    case = make_case()
    session = open_session(viewport=PHONE, javascript=False)
    session.login("case_worker", PASSWORD)
    page = session.page
    session.go(f"/cases/{case.reference}/screening/")
    # Every answer is a full page load here, the way it works where JavaScript is off or fails.
    asked = _answer_screening(session, CHILD_ANSWERS)
    assert set(MUST_ASK) <= set(asked), asked
    assert _text(page.locator("h1")) == "Check the answers"
    page.get_by_role("button", name="Finish and save").click()
    page.wait_for_url(re.compile(rf"/cases/{case.reference}/screenings/1/$"))
    session.check("finding-no-js")
    case.refresh_from_db()
    assert case.treated_as_child is True
    assert case.screenings.get().situation["person"]["unaccompanied"] is True
