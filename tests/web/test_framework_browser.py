"""The framework browser: provisions by source, search, and each provision with what cites it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from rightsfirst.web import adapter
from rightsfirst.web.roles import Role
from rightsfirst.web.views.framework_browser import citing_index
from tests.web.conftest import sign_in


def html_of(response: Any) -> str:
    return str(response.content.decode())


@pytest.mark.parametrize("role", [str(role) for role in Role])
def test_every_role_sees_the_index_with_tip_3a(role: Any, client_for: Any) -> None:
    response = client_for(role).get("/law/")

    assert response.status_code == 200
    html = html_of(response)
    assert 'href="/law/TIP.3a/"' in html
    assert response.context["found"] == len(adapter.framework().provisions)


def test_index_groups_by_source_in_reading_order(client_for: Any) -> None:
    response = client_for("case_worker").get("/law/")

    assert [group["code"] for group in response.context["groups"]] == ["TIP", "RPG", "HRS", "FS36"]
    rpg = [provision.id for provision in response.context["groups"][1]["provisions"]]
    # Principles before guidelines, and guideline paragraphs in number order.
    assert rpg.index("RPG.P17") < rpg.index("RPG.G1") < rpg.index("RPG.G2") < rpg.index("RPG.G11")
    assert rpg.index("RPG.G8.9") < rpg.index("RPG.G8.10")


def test_provision_page_shows_summary_citation_related_and_citing_rules(client_for: Any) -> None:
    provision = adapter.framework().provisions["RPG.G8.1"]

    response = client_for("guardian").get("/law/RPG.G8.1/")

    assert response.status_code == 200
    html = html_of(response)
    assert escape(provision.summary) in html
    assert escape(provision.title) in html
    assert provision.paragraph in html
    assert "Recommended Principles and Guidelines on Human Rights and Human Trafficking" in html
    for related in provision.related:
        assert f'href="/law/{related}/"' in html
    # The screening element and the review rule that rest on it.
    assert "Child no means" in html
    assert "child needs no means" in html
    assert response.context["screening"] and response.context["reviews"]


def test_provision_cited_by_an_entitlement_names_the_entitlement(client_for: Any) -> None:
    response = client_for("case_worker").get("/law/FS36.III.C.child-guardian/")

    assert response.status_code == 200
    titles = [item.label for item in response.context["entitlements"]]
    assert "A guardian" in titles
    assert "<strong>A guardian</strong>" in html_of(response)


def test_ids_with_dots_and_hyphens_resolve(client_for: Any) -> None:
    assert reverse("framework_provision", args=["FS36.I.B.no-border"]) == "/law/FS36.I.B.no-border/"
    response = client_for("monitor").get("/law/FS36.I.B.no-border/")
    assert response.status_code == 200
    assert "No international border crossing is required" in html_of(response)


def test_provisions_that_point_here_are_listed(client_for: Any) -> None:
    response = client_for("case_worker").get("/law/TIP.3a/")

    pointing = [item.id for item in response.context["referred_by"]]
    assert "FS36.I.B.no-border" in pointing
    assert 'href="/law/FS36.I.B.no-border/"' in html_of(response)


@pytest.mark.parametrize("url", ["/law/NOPE/", "/law/RPG.G99/", "/law/TIP.3a.extra/"])
def test_unknown_provision_is_not_found(url: Any, client_for: Any) -> None:
    response = client_for("case_worker").get(url)
    assert response.status_code == 404
    assert "Not found" in html_of(response)


def test_search_finds_a_provision_by_a_word_in_its_summary(client_for: Any) -> None:
    framework = adapter.framework()
    target = framework.provisions["HRS.DEF.trafficking"]
    assert "reproductive" in target.summary and "reproductive" not in target.title.lower()

    response = client_for("case_worker").get("/law/", {"q": "Reproductive"})

    assert response.status_code == 200
    found = [provision.id for group in response.context["groups"] for provision in group["provisions"]]
    assert "HRS.DEF.trafficking" in found
    assert "TIP.3a" not in found
    assert all("reproductive" in framework.provisions[item].summary.lower() for item in found)
    assert 'href="/law/HRS.DEF.trafficking/"' in html_of(response)


def test_search_by_id_and_by_several_words(client_for: Any) -> None:
    by_id = client_for("case_worker").get("/law/", {"q": "rpg.g8.1"})
    ids = [provision.id for group in by_id.context["groups"] for provision in group["provisions"]]
    assert "RPG.G8.1" in ids and "TIP.3a" not in ids

    nothing = client_for("case_worker").get("/law/", {"q": "reproductive zzzunknownword"})
    assert nothing.context["found"] == 0
    assert "No provision matches" in html_of(nothing)


def test_htmx_search_returns_only_the_results(client_for: Any) -> None:
    response = client_for("case_worker").get("/law/", {"q": "guardian"}, HTTP_HX_REQUEST="true")

    html = html_of(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert 'href="/law/FS36.III.C.child-guardian/"' in html


def test_the_law_needs_a_membership(db: Any, client: Any) -> None:
    assert client.get("/law/").status_code == 302
    stranger = get_user_model().objects.create_user(username="no-membership", password="irrelevant password 1")
    signed_in = sign_in(Client(), stranger)
    assert signed_in.get("/law/").status_code == 403
    assert signed_in.get("/law/TIP.3a/").status_code == 403


def test_every_cited_provision_exists_and_has_a_page(client_for: Any) -> None:
    framework = adapter.framework()
    index = citing_index()
    assert index and set(index) <= set(framework.provisions)
    assert client_for("case_worker").get(f"/law/{next(iter(index))}/").status_code == 200
