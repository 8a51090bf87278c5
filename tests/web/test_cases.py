"""Case pages: list, registration, case page with rights panel, identity, stage moves, rights sheet."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from rightsfirst.engine.entitlement_rules.declarations import ALL_ENTITLEMENT_IDS
from rightsfirst.web import workflow
from rightsfirst.web.models import AuditEvent, Case
from rightsfirst.web.rights_sheet import PLAIN_WORDS
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE, IDENTITY


def without_csrf(content: bytes) -> str:
    """The page without its per-response CSRF tokens (masked differently on every render)."""
    return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', r"\1", content.decode())


def test_case_list_shows_only_the_agencys_cases(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    assert case.reference in client_for("case_worker").get("/cases/").content.decode()
    assert case.reference not in client_for("outsider").get("/cases/").content.decode()


@pytest.mark.parametrize("role", ["outsider", "monitor", "administrator"])
def test_a_case_that_is_not_yours_looks_like_one_that_does_not_exist(make_case, client_for, role):
    case = make_case(ADULT_SITUATION)
    client = client_for(role)
    forbidden = client.get(f"/cases/{case.reference}/")
    missing = client.get("/cases/RF-0000-0000/")
    assert forbidden.status_code == missing.status_code == 404
    # The same page but for the address typed (echoed in the language form's return path).
    assert without_csrf(forbidden.content).replace(case.reference, "REF") == without_csrf(missing.content).replace(
        "RF-0000-0000", "REF"
    )


def test_case_page_shows_the_rights_panel_without_identity(make_case, client_for):
    case = make_case(CHILD_UNCERTAIN_AGE, referred_on=workflow.today() - dt.timedelta(days=20))
    page = client_for("case_worker").get(f"/cases/{case.reference}/").content.decode()
    assert "Rights of the person" in page
    assert "A guardian" in page and "Overdue" in page
    for value in (IDENTITY["given_names"], IDENTITY["family_name"], IDENTITY["identity_documents"]):
        assert value not in page


def test_identity_needs_a_reason_and_every_view_is_audited(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    empty = client.post(f"/cases/{case.reference}/identity/", {"reason": ""})
    assert IDENTITY["family_name"] not in empty.content.decode()
    assert not AuditEvent.objects.filter(action="identity.view").exists()
    shown = client.post(f"/cases/{case.reference}/identity/", {"reason": "Arranging a medical appointment"})
    assert IDENTITY["family_name"] in shown.content.decode()
    entry = AuditEvent.objects.get(action="identity.view")
    assert entry.username == "case_worker" and entry.reason == "Arranging a medical appointment"
    assert entry.case_reference == case.reference
    assert IDENTITY["family_name"] not in f"{entry.target} {entry.fields} {entry.reason}"


def test_a_coordinator_never_sees_identity(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    client = client_for("coordinator")
    assert client.get(f"/cases/{case.reference}/").status_code == 200
    assert client.post(f"/cases/{case.reference}/identity/", {"reason": "curious"}).status_code == 403
    assert not AuditEvent.objects.filter(action="identity.view").exists()


def test_registration_validates_and_saves_nothing_on_error(client_for, users):
    client = client_for("first_responder")
    future = (workflow.today() + dt.timedelta(days=3)).isoformat()
    response = client.post(
        "/cases/new/",
        {
            "given_names": "Ana (fictional)",
            "sex": "female",
            "nationality": "123",
            "preferred_language": "en",
            "referred_on": future,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Use a two-letter country code" in page and "This date is in the future." in page
    assert 'class="error-summary"' in page
    assert not Case.objects.exists()


def test_registration_encrypts_identity_and_opens_screening(client_for, users):
    client = client_for("first_responder")
    response = client.post(
        "/cases/new/",
        {
            "given_names": "Ana (fictional)",
            "family_name": "Example",
            "sex": "female",
            "nationality": "md",
            "preferred_language": "ro",
            "referred_on": workflow.today().isoformat(),
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and case.reference in response["Location"]
    assert "Ana" not in response["Location"]
    assert case.person.nationality == "MD"
    assert case.person.identity(case)["family_name"] == "Example"


def test_stage_moves_follow_the_role_table(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    assert case.stage == "screening"
    worker = client_for("case_worker")
    assert worker.post(f"/cases/{case.reference}/stage/", {"stage": "closed"}).status_code == 403
    assert worker.post(f"/cases/{case.reference}/stage/", {"stage": "presumed_victim"}).status_code == 302
    case.refresh_from_db()
    assert case.stage == "presumed_victim"
    assert case.stage_changes.filter(to_stage="presumed_victim").exists()


def test_every_entitlement_has_words_for_the_person():
    assert set(PLAIN_WORDS) == set(ALL_ENTITLEMENT_IDS)


def test_rights_sheet_lists_the_persons_rights_in_plain_words(make_case, client_for):
    case = make_case(CHILD_UNCERTAIN_AGE)
    page = client_for("guardian").get(f"/cases/{case.reference}/your-rights/").content.decode()
    assert "Your rights" in page
    assert "A guardian" in page
    assert "You do not have to help the police to get this help." in page
    assert IDENTITY["family_name"] not in page


def test_agencies_and_users_are_added_by_command(db, monkeypatch):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from rightsfirst.web.models import Membership

    call_command("add_agency", "Fictional Harbour Shelter", kind="shelter")
    monkeypatch.setenv("RIGHTSFIRST_NEW_PASSWORD", "short")
    with pytest.raises(CommandError, match="password refused"):
        call_command("add_user", "amina", agency="Fictional Harbour Shelter", role="case_worker")
    monkeypatch.setenv("RIGHTSFIRST_NEW_PASSWORD", "a long fictional passphrase 2026")
    with pytest.raises(CommandError, match="no agency named"):
        call_command("add_user", "amina", agency="Nowhere", role="case_worker")
    call_command("add_user", "amina", agency="Fictional Harbour Shelter", role="case_worker")
    membership = Membership.objects.get(user__username="amina")
    assert membership.role == "case_worker" and membership.agency.name == "Fictional Harbour Shelter"
    assert AuditEvent.objects.filter(action="user.create").exists()


def test_the_rights_panel_puts_what_is_overdue_first_and_what_is_done_last():
    from types import SimpleNamespace

    from rightsfirst.web.rights_sheet import in_panel_order

    def right(name, status="pending", due=None, overdue=False):
        return SimpleNamespace(name=name, status=status, due=due, overdue=overdue)

    day = dt.date(2026, 3, 1)
    items = [
        right("done", "delivered", day),
        right("open-later", due=day + dt.timedelta(days=9)),
        right("overdue", due=day, overdue=True),
        right("open-no-date"),
        right("open-sooner", due=day + dt.timedelta(days=2)),
    ]
    assert [item.name for item in in_panel_order(items)] == [
        "overdue",
        "open-sooner",
        "open-later",
        "open-no-date",
        "done",
    ]


def test_search_by_full_or_partial_reference(make_case, client_for):
    first, second = make_case(ADULT_SITUATION), make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    full = client.get("/cases/", {"q": first.reference.lower()}).content.decode()
    assert first.reference in full and second.reference not in full
    partial = client.get("/cases/", {"q": first.reference[:7]}).content.decode()
    assert first.reference in partial
    assert AuditEvent.objects.filter(action="case.search").count() == 2


def test_engine_text_on_a_french_page_is_marked_as_english(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    client.cookies["django_language"] = "fr"
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert 'lang="fr"' in page
    assert '<span lang="en">Information on rights and procedures</span>' in page
    english = client_for("case_worker").get(f"/cases/{case.reference}/").content.decode()
    assert '<span lang="en">' not in english


def test_the_list_merges_its_parts_newest_first_and_stops_at_its_limit(make_case, client_for, monkeypatch):
    from rightsfirst.web.views import cases as case_views

    made = [make_case(ADULT_SITUATION) for _ in range(5)]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    # Updated on days 0, 4, 1, 3, 2: newest first is made[1], made[3], made[4], made[2], made[0].
    for case, day in zip(made, (0, 4, 1, 3, 2), strict=True):
        Case.objects.filter(pk=case.pk).update(updated_at=start + dt.timedelta(days=day))
    newest_first = [made[i].reference for i in (1, 3, 4, 2, 0)]
    # Two disjoint parts, as the held and the referred cases are.
    first_part = Case.objects.filter(pk__in=[made[0].pk, made[1].pk, made[2].pk])
    second_part = Case.objects.filter(pk__in=[made[3].pk, made[4].pk])
    pages = case_views._CasePages(first_part, second_part)
    assert [case.reference for case in pages[0:5]] == newest_first
    assert [case.reference for case in pages[1:3]] == newest_first[1:3]
    assert pages.count() == 5 and not pages.more

    monkeypatch.setattr(case_views, "LISTED_AT_MOST", 3)
    monkeypatch.setattr(case_views, "PAGE_SIZE", 2)
    capped = case_views._CasePages(first_part, second_part)
    assert capped.count() == 3 and capped.more
    assert [case.reference for case in capped[2:4]] == newest_first[2:3]
    page = client_for("case_worker").get("/cases/", {"page": 2}).content.decode()
    assert "More cases match than the list shows" in page and "Page 2 of 2" in page
    assert newest_first[2] in page and newest_first[3] not in page
