"""The journeys the issue names, in a real browser, each page checked with axe-core."""

from __future__ import annotations

import re

import pytest

from tests.web.browser.conftest import PHONE
from tests.web.conftest import ADULT_SITUATION, IDENTITY, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_case_worker_sees_the_case_page_with_its_rights_panel(open_session, users, make_case):
    case = make_case(ADULT_SITUATION)
    session = open_session()
    session.login("case_worker", PASSWORD)
    session.check("case-list")
    session.page.get_by_role("link", name=case.reference).click()
    heading = session.page.get_by_role("heading", name="Rights of the person")
    assert heading.is_visible()
    assert IDENTITY["family_name"] not in session.page.content()
    session.check("case-page")


def test_the_case_page_works_on_a_phone(open_session, users, make_case):
    case = make_case(ADULT_SITUATION)
    session = open_session(viewport=PHONE)
    session.login("case_worker", PASSWORD)
    session.go(f"/cases/{case.reference}/")
    assert session.page.get_by_role("heading", name=re.compile(case.reference)).is_visible()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    width = session.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    session.check("case-page-phone")
