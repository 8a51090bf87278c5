"""The coordinator's deadlines and the audit log (the monitoring pages: test_monitoring_pages.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rightsfirst.web import audit, workflow
from rightsfirst.web.models import AuditEvent, Case, Deadline
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE, IDENTITY

SHELTER_ON_TESTIMONY = {"service": "shelter", "conditional_on_testimony": True}
JUSTIFICATION = "Court order 12/2026 pending appeal"


def days_ago(n: int) -> dt.date:
    return workflow.today() - dt.timedelta(days=n)


def html_of(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def other_agency_case(users: Any) -> Any:
    """A case held by an unrelated agency, which the shelter's coordinator must not see."""
    case = workflow.create_case(users["outsider"], dict(IDENTITY), days_ago(20), sex="male", nationality="YY")
    workflow.screen(users["outsider"], case, CHILD_UNCERTAIN_AGE)
    case.refresh_from_db()
    return case


# ---------------------------------------------------------------- deadlines


def test_coordinator_sees_an_overdue_guardian_deadline_for_a_child(make_case: Any, client_for: Any) -> None:
    case = make_case(CHILD_UNCERTAIN_AGE, referred_on=days_ago(20))
    guardian = Deadline.objects.get(case=case, entitlement="guardian")
    assert guardian.due < workflow.today()

    response = client_for("coordinator").get("/dashboard/")

    assert response.status_code == 200
    html = html_of(response)
    assert f'href="/cases/{case.reference}/"' in html
    assert "Child: guardian needed" in html
    assert "still waiting for a guardian" in html
    overdue = response.context["sections"][0]
    assert overdue["key"] == "overdue"
    first = overdue["rows"][0]
    # Children waiting for a guardian come before every other overdue right.
    assert first.entitlement == "guardian" and first.case.reference == case.reference
    assert first.days_overdue == (workflow.today() - guardian.due).days > 0
    assert f'<span class="badge overdue">{first.days_overdue}</span>' in html
    assert response.context["overdue_guardians"] == 1


def test_a_closed_case_leaves_the_deadlines_dashboard(make_case: Any, client_for: Any) -> None:
    case = make_case(CHILD_UNCERTAIN_AGE, referred_on=days_ago(20))
    assert client_for("coordinator").get("/dashboard/").context["overdue_guardians"] == 1
    Case.objects.filter(pk=case.pk).update(stage="closed")
    response = client_for("coordinator").get("/dashboard/")
    assert response.context["overdue_guardians"] == 0
    assert case.reference not in html_of(response)
    # The case page still says what was owed and not given.
    assert Deadline.objects.filter(case=case, entitlement="guardian").exists()


def test_a_recent_override_appears_in_the_last_30_days(make_case: Any, users: Any, client_for: Any) -> None:
    case = make_case(ADULT_SITUATION)
    workflow.record_measure(
        users["coordinator"],
        case,
        "support_offer",
        SHELTER_ON_TESTIMONY,
        workflow.today(),
        override_justification=JUSTIFICATION,
    )

    response = client_for("coordinator").get("/dashboard/")

    assert response.status_code == 200
    assert response.context["problem_total"] == 1
    (measure,) = response.context["problems"]
    assert measure.case_id == case.pk and measure.overridden and measure.outcome == "violation"
    html = html_of(response)
    assert JUSTIFICATION in html
    assert case.reference in html
    (by_type,) = response.context["measure_types"]
    assert by_type["measure_type"] == "support_offer"
    assert (by_type["total"], by_type["violations"], by_type["overrides"]) == (1, 1, 1)
    findings = {row["finding"]: row["n"] for row in response.context["findings"]}
    assert findings == {"established": 1}
    # No identity reaches the dashboard.
    assert IDENTITY["family_name"] not in html and IDENTITY["given_names"] not in html


def test_every_violation_and_override_has_a_full_list(make_case: Any, users: Any, client_for: Any) -> None:
    case = make_case(ADULT_SITUATION)
    workflow.record_measure(
        users["coordinator"],
        case,
        "support_offer",
        SHELTER_ON_TESTIMONY,
        workflow.today(),
        override_justification=JUSTIFICATION,
    )

    response = client_for("coordinator").get("/dashboard/problems/")

    assert response.status_code == 200
    assert [measure.case.reference for measure in response.context["rows"]] == [case.reference]
    html = html_of(response)
    assert JUSTIFICATION in html and "Support offer" in html
    assert '<td data-label="By">coordinator</td>' in html


@pytest.mark.parametrize("role", ["case_worker", "first_responder", "monitor", "administrator"])
def test_other_roles_may_not_open_the_dashboard(role: Any, client_for: Any) -> None:
    assert client_for(role).get("/dashboard/").status_code == 403
    assert client_for(role).get("/dashboard/overdue/").status_code == 403


def test_dashboard_needs_sign_in(client: Any, db: Any) -> None:
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_dashboard_lists_only_cases_the_coordinator_can_see(
    make_case: Any, other_agency_case: Any, client_for: Any
) -> None:
    own = make_case(CHILD_UNCERTAIN_AGE, referred_on=days_ago(20))
    assert Deadline.objects.filter(case=other_agency_case, entitlement="guardian", due__lt=workflow.today()).exists()

    html = html_of(client_for("coordinator").get("/dashboard/"))

    assert own.reference in html
    assert other_agency_case.reference not in html


def test_long_lists_are_capped_with_a_link_to_every_page(make_case: Any, client_for: Any) -> None:
    case = make_case(ADULT_SITUATION)
    Deadline.objects.bulk_create(
        Deadline(case=case, entitlement=f"extra_{n}", title=f"Extra right {n}", due=days_ago(n + 1), status="pending")
        for n in range(60)
    )
    expected = Deadline.objects.filter(case=case, due__lt=workflow.today()).exclude(status__in=workflow.SERVICE_DONE)
    total = expected.count()
    assert total > 50

    response = client_for("coordinator").get("/dashboard/")
    overdue = response.context["sections"][0]
    assert len(overdue["rows"]) == 50 and overdue["total"] == total and overdue["more"]
    assert 'href="/dashboard/overdue/"' in html_of(response)

    first_page = client_for("coordinator").get("/dashboard/overdue/")
    second_page = client_for("coordinator").get("/dashboard/overdue/?page=2")
    assert first_page.status_code == second_page.status_code == 200
    assert len(first_page.context["rows"]) == 50
    assert len(second_page.context["rows"]) == total - 50
    # The oldest comes first.
    assert first_page.context["rows"][0].entitlement == "extra_59"


def test_reflection_periods_ending_within_two_weeks_are_listed(make_case: Any, client_for: Any) -> None:
    case = make_case(ADULT_SITUATION)
    ends = workflow.today() + dt.timedelta(days=5)
    Deadline.objects.update_or_create(
        case=case,
        entitlement="recovery_and_reflection_period",
        defaults={"title": "Recovery and reflection period", "due": days_ago(25), "ends": ends, "status": "delivered"},
    )

    response = client_for("coordinator").get("/dashboard/")

    ending = next(section for section in response.context["sections"] if section["key"] == "reflection-ending")
    assert [(row.case.reference, row.days_left) for row in ending["rows"]] == [(case.reference, 5)]
    assert ends.isoformat() in html_of(response)


def test_unknown_dashboard_list_is_not_found(client_for: Any, db: Any) -> None:
    assert client_for("coordinator").get("/dashboard/nothing-here/").status_code == 404


def test_dashboard_queries_do_not_grow_with_the_number_of_cases(make_case: Any, users: Any, client_for: Any) -> None:
    client = client_for("coordinator")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/dashboard/").status_code == 200
        return len(captured)

    make_case(CHILD_UNCERTAIN_AGE, referred_on=days_ago(20))
    # The first page of a session also renews it (a write, at most once a minute): not counted.
    client.get("/dashboard/")
    with_one = queries()
    for _ in range(3):
        case = make_case(CHILD_UNCERTAIN_AGE, referred_on=days_ago(20))
        workflow.record_measure(
            users["coordinator"],
            case,
            "support_offer",
            SHELTER_ON_TESTIMONY,
            workflow.today(),
            override_justification="x",
        )
    assert queries() == with_one


# ---------------------------------------------------------------- monitors


def test_monitor_cannot_open_cases(make_case: Any, client_for: Any) -> None:
    case = make_case(ADULT_SITUATION)
    monitor = client_for("monitor")
    assert monitor.get(f"/cases/{case.reference}/").status_code == 404
    listing = monitor.get("/cases/")
    assert listing.status_code == 403 or case.reference not in html_of(listing)


# ---------------------------------------------------------------- audit log


@pytest.mark.parametrize("role", ["coordinator", "administrator"])
def test_audit_log_lists_case_creation_and_records_its_own_viewing(
    role: Any, make_case: Any, client_for: Any, users: Any
) -> None:
    case = make_case()

    response = client_for(role).get("/audit/")

    assert response.status_code == 200
    html = html_of(response)
    assert "<code>case.create</code>" in html
    assert case.reference in html
    viewed = AuditEvent.objects.get(action="audit.view")
    assert viewed.user == users[role]
    assert viewed.role == role


def test_audit_log_filters_by_action_and_case(make_case: Any, client_for: Any) -> None:
    case = make_case(ADULT_SITUATION)
    other = make_case()

    response = client_for("coordinator").get(f"/audit/?action=case.create&case={case.reference.lower()}")

    assert response.status_code == 200
    entries = list(response.context["page"])
    assert [(entry.action, entry.case_reference) for entry in entries] == [("case.create", case.reference)]
    assert other.reference not in html_of(response)
    viewed = AuditEvent.objects.get(action="audit.view")
    assert viewed.case_reference == case.reference
    assert "action=case.create" in viewed.target


def test_audit_log_is_paginated(make_case: Any, client_for: Any) -> None:
    make_case()
    for n in range(60):
        audit.record(None, "case.search", target=f"search {n}")
    administrator = client_for("administrator")

    first = administrator.get("/audit/?action=case.search")
    second = administrator.get("/audit/?action=case.search&page=2")

    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 10
    assert "action=case.search&amp;page=2" in html_of(first)


def test_a_coordinator_reads_only_entries_of_their_agency_and_cases(other_agency_case: Any, client_for: Any) -> None:
    coordinator = html_of(client_for("coordinator").get("/audit/"))
    administrator = html_of(client_for("administrator").get("/audit/"))

    assert other_agency_case.reference not in coordinator
    assert other_agency_case.reference in administrator


def test_audit_filter_by_htmx_returns_only_the_rows(make_case: Any, client_for: Any) -> None:
    case = make_case()

    response = client_for("coordinator").get(f"/audit/?case={case.reference}", HTTP_HX_REQUEST="true")

    html = html_of(response)
    assert response.status_code == 200
    assert "<html" not in html and "<code>case.create</code>" in html
    assert AuditEvent.objects.filter(action="audit.view", case_reference=case.reference).count() == 1


@pytest.mark.parametrize("role", ["case_worker", "monitor", "guardian"])
def test_audit_log_is_refused_to_other_roles_and_nothing_is_recorded(role: Any, client_for: Any) -> None:
    assert client_for(role).get("/audit/").status_code == 403
    assert not AuditEvent.objects.filter(action="audit.view").exists()
