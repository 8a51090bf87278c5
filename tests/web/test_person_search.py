"""Finding a person by name or document number through the blind index."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from rightsfirst.web import blind_index, workflow
from rightsfirst.web.models import AuditEvent, Case, Consent, SearchToken
from rightsfirst.web.models.people import Person
from rightsfirst.web.views import search as search_view

NUNEZ = {"given_names": "María José", "family_name": "Núñez", "identity_documents": "Passport XX A0123-4567"}
REFERENCE = re.compile(r"RF-[0-9A-Z]{4}-[0-9A-Z]{4}")
URL = "/people/search/"


def references(response) -> list[str]:
    """The case references a page shows, each once, in order."""
    return list(dict.fromkeys(REFERENCE.findall(response.content.decode())))


@pytest.fixture
def nunez(make_case) -> Case:
    return make_case(**NUNEZ)


# --- Normalisation -----------------------------------------------------------------------------


def test_names_are_folded_without_accents_case_punctuation_or_spaces():
    assert blind_index.fold("María José Núñez") == "mariajosenunez"
    assert blind_index.fold("  MARIA-JOSE  nunez. ") == "mariajosenunez"
    assert blind_index.fold("Đặng Thị Ngọc") == "dangthingoc"
    assert blind_index.fold("Søren Weiß") == "sorenweiss"
    assert blind_index.name_parts("Jean-Pierre O'Neil J.") == ["jean", "pierre", "neil"]


def test_document_numbers_are_upper_case_without_spaces_or_dashes_and_need_a_digit():
    found = blind_index.document_numbers("Passport XX A0123-4567; national id 99 88 77")
    assert "A01234567" in found and "PASSPORTXXA01234567" in found and "998877" in found
    assert "PASSPORT" not in found and "NATIONAL" not in found
    assert blind_index.document_numbers("no number here") == set()


@pytest.mark.parametrize(
    "term",
    ["maria jose nunez", "María José Núñez", "NUNEZ", "María", "jose", "Núñez María José", "maria-jose", "a0123 4567"],
)
def test_normalised_variants_find_the_person(nunez, client_for, term):
    response = client_for("case_worker").post(URL, {"term": term})
    assert response.status_code == 200
    assert references(response) == [nunez.reference]


@pytest.mark.parametrize("term", ["Maria Lopez", "Nunes", "A0123456", "josé núñez garcía"])
def test_other_names_and_numbers_do_not(nunez, client_for, term):
    response = client_for("case_worker").post(URL, {"term": term})
    assert response.status_code == 200 and references(response) == []
    assert "No case you can see matches." in response.content.decode()


# --- The index ---------------------------------------------------------------------------------


def test_tokens_are_keyed_not_plain_hashes_and_each_index_has_its_own_key(nunez):
    identity = nunez.person.identity(nunez)
    stored = sorted(SearchToken.objects.filter(case=nunez).values_list("index", "token"))
    assert stored == sorted(blind_index.tokens_for(identity))
    assert ("name_part", blind_index.token("name_part", "nunez")) in stored
    # Not an unkeyed hash of the value, and not the same keyed hash in two indexes or under another key.
    assert blind_index.digest("name_part", "nunez") != hashlib.sha256(b"nunez").digest()
    assert blind_index.digest("name_part", "nunez") != blind_index.digest("name", "nunez")
    assert blind_index.digest("name_part", "nunez") != blind_index.digest("name_part", "nunez", bytes(32))
    values = [f"value{number}" for number in range(20)]
    bits = blind_index.TOKEN_BITS
    plain = [int.from_bytes(hashlib.sha256(v.encode()).digest()[:4], "big") >> (32 - bits) for v in values]
    assert [blind_index.token("name", v) for v in values] != plain
    assert all(0 <= token < 2**bits for _index, token in stored)


def test_only_names_and_document_numbers_are_indexed(make_case):
    one = make_case(date_of_birth="1990-01-01", phone="+000 555 0199", email="someone@example.org", address="A")
    two = make_case(date_of_birth="2004-12-31", phone="+000 555 0288", email="other@example.org", address="B")

    def tokens(case: Case) -> list[tuple[str, int]]:
        return sorted(SearchToken.objects.filter(case=case).values_list("index", "token"))

    # Same names and documents, different birth dates, phones, e-mails and addresses: the same tokens.
    assert tokens(one) == tokens(two)
    assert {index for index, _token in tokens(one)} == {"name", "name_part", "document"}


def test_token_collisions_are_filtered_out_by_decrypting(make_case, client_for, monkeypatch):
    # With 1-bit tokens every name collides with about half the others: only decryption tells them apart.
    monkeypatch.setattr(blind_index, "TOKEN_BITS", 1)
    cases = [make_case(family_name=name, given_names="Fictional") for name in ("Arden", "Brook", "Calder", "Dunmore")]
    client = client_for("case_worker")
    for case, name in zip(cases, ("Arden", "Brook", "Calder", "Dunmore"), strict=True):
        assert references(client.post(URL, {"term": name})) == [case.reference]


def test_changing_the_identity_changes_what_finds_the_person(nunez, users, client_for):
    workflow.update_identity(users["case_worker"], nunez, {**NUNEZ, "family_name": "Ortega"}, "name corrected")
    client = client_for("case_worker")
    assert references(client.post(URL, {"term": "Nunez"})) == []
    assert references(client.post(URL, {"term": "maria ortega"})) == [nunez.reference]


# --- The page ----------------------------------------------------------------------------------


def test_the_term_is_only_accepted_in_a_post(nunez, client_for):
    client = client_for("case_worker")
    assert client.get(URL).status_code == 200
    response = client.get(URL, {"term": "Nunez"})
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert nunez.reference not in response.content.decode()
    assert not AuditEvent.objects.filter(action="person.search").exists()
    # The page answers without the term: it is neither echoed in the form nor in the results.
    body = client.post(URL, {"term": "Núñez"}).content.decode()
    assert "Núñez" not in body and "Nunez" not in body and nunez.reference in body


def test_roles_that_may_not_see_identity_may_not_search(client_for):
    for name in ("coordinator", "monitor", "administrator"):
        client = client_for(name)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"term": "Nunez"}).status_code == 403
    for name in ("first_responder", "case_worker", "legal_adviser", "guardian"):
        assert client_for(name).get(URL).status_code == 200


def test_each_search_is_audited_once_without_the_term(nunez, client_for):
    client = client_for("case_worker")
    client.post(URL, {"term": "María José Núñez"})
    client.post(URL, {"term": "Somebody Else"})
    entries = list(AuditEvent.objects.filter(action="person.search").order_by("sequence"))
    assert [entry.target for entry in entries] == ["results: 1", "results: 0"]
    assert {entry.username for entry in entries} == {"case_worker"}
    for entry in AuditEvent.objects.all():
        logged = " ".join([entry.target, entry.fields, entry.reason, entry.case_reference]).lower()
        assert "nunez" not in logged and "núñez" not in logged and "somebody" not in logged


def test_a_case_the_user_may_not_see_looks_exactly_like_a_miss(nunez, users, agencies, client_for, monkeypatch):
    opened: list[str] = []
    original = Person.identity

    def spy(self, case, fields=()):
        opened.append(case.reference)
        return original(self, case, fields)

    monkeypatch.setattr(Person, "identity", spy)
    outsider = client_for("outsider")
    hit = outsider.post(URL, {"term": "Núñez"})
    miss = outsider.post(URL, {"term": "Zzyzxnotaname"})
    assert references(hit) == references(miss) == []
    # Equal byte for byte, but for the per-response CSRF tokens.
    scrub = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert scrub.sub("", hit.content.decode()) == scrub.sub("", miss.content.decode())
    assert opened == []  # the hidden case was not even decrypted
    assert [e.target for e in AuditEvent.objects.filter(action="person.search")] == ["results: 0", "results: 0"]
    # Referred to the outsider's agency under a consent that shares the case record but not the
    # identity, the case is seen but its person's name does not lead to it.
    consent = workflow.record_consent(
        users["case_worker"],
        nunez,
        agreed_to="Sharing with the other agency",
        purpose="referral",
        information_language="en",
        given_on=workflow.today(),
        shared_parts="contact",
    )
    workflow.refer(users["case_worker"], nunez, agencies["other"], consent, "Support")
    assert references(outsider.post(URL, {"term": "Núñez"})) == []
    # Once a consent shares the identity with that agency, the same search finds it.
    Consent.objects.filter(pk=consent.pk).update(shared_parts="contact,identity")
    assert references(outsider.post(URL, {"term": "Núñez"})) == [nunez.reference]


def test_searches_are_rate_limited_per_user(nunez, client_for, monkeypatch):
    monkeypatch.setattr(search_view, "SEARCH_LIMIT", 3)
    client = client_for("case_worker")
    for _ in range(3):
        assert client.post(URL, {"term": "Nunez"}).status_code == 200
    refused = client.post(URL, {"term": "Nunez"})
    assert refused.status_code == 429
    body = refused.content.decode()
    assert "Too many searches" in body and "3 times in 10 minutes" in body and nunez.reference not in body
    assert AuditEvent.objects.filter(action="person.search").count() == 3
    assert AuditEvent.objects.filter(action="person.search.refused").count() == 1
    # Another user is not held back, and the first may search again once the window has passed.
    assert client_for("legal_adviser").post(URL, {"term": "Nunez"}).status_code == 200
    later = timezone.now() + dt.timedelta(minutes=11)
    monkeypatch.setattr(search_view.timezone, "now", lambda: later)
    assert references(client.post(URL, {"term": "Nunez"})) == [nunez.reference]


def test_a_term_that_cannot_find_anything_is_refused_with_a_reason(client_for):
    response = client_for("case_worker").post(URL, {"term": " - "})
    assert response.status_code == 200
    assert "Enter at least two letters of a name" in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="person.search").exists()


def test_many_matches_are_cut_at_the_limit_and_say_so(make_case, client_for, monkeypatch):
    monkeypatch.setattr(search_view, "RESULT_LIMIT", 2)
    for _ in range(3):
        make_case(family_name="Samename")
    response = client_for("case_worker").post(URL, {"term": "samename"})
    assert len(references(response)) == 2
    assert "More than 2 cases match" in response.content.decode()
    assert AuditEvent.objects.get(action="person.search").target == "results: 2+"


def test_the_case_list_links_to_the_search_for_roles_that_may_use_it(client_for):
    assert reverse("person_search") in client_for("case_worker").get(reverse("case_list")).content.decode()
    assert reverse("person_search") not in client_for("coordinator").get(reverse("case_list")).content.decode()


def test_a_search_checks_a_bounded_number_of_candidates_and_says_when_it_stopped(make_case, client_for, monkeypatch):
    monkeypatch.setattr(blind_index, "MAX_CANDIDATES", 2)
    for _ in range(3):
        make_case(family_name="Commonname")
    response = client_for("case_worker").post(URL, {"term": "commonname"})
    assert len(references(response)) == 2
    assert "The search stopped after checking 2 possible matches" in response.content.decode()
    assert AuditEvent.objects.get(action="person.search").target == "results: 2+"
