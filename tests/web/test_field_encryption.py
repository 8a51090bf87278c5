"""Identity and narrative fields sealed under the case's data key: what the database holds, what fails."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from rightsfirst.web import crypto, workflow
from rightsfirst.web.models import Case, Consent, Measure, Person, Referral, ServiceEvent, StageChange
from rightsfirst.web.models.records import split_details
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE, IDENTITY

SHELTER_ON_TESTIMONY = {"service": "shelter", "conditional_on_testimony": True}
# Fictional narrative, each with a word found nowhere else, looked for in the raw tables.
STAGE_NOTE = "Moved after the call from Brackenvale"
SERVICE_NOTE = "Interpreter from Lowthorpe arranged"
AGREED = "Share the case with Fenwyck legal aid"
PURPOSE = "Representation at the Quarnley hearing"
JUSTIFICATION = "Court order from the Ostermere tribunal, pending appeal"
PLAN = "Screens and a separate waiting room at the Tillingham court"
# The engine's own free-text fact, asked for where a review needs reasons.
REASONS = "The guardian from Wexcombe was found only after the hearing"
NARRATIVE = ("Brackenvale", "Lowthorpe", "Fenwyck", "Quarnley", "Ostermere", "Tillingham", "Wexcombe")


def raw_values() -> list[tuple[str, str, Any]]:
    """Every value of every column of every table, as the database returns it: (table, column, value)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                found += [(table, column, value) for column, value in zip(columns, row, strict=True)]
    return found


def planted_in_tables(needles: tuple[str, ...]) -> list[str]:
    """Where any needle appears in clear in any table (text, bytes or JSON)."""
    hits = []
    for table, column, value in raw_values():
        if isinstance(value, bytes | memoryview):
            text = bytes(value).decode("utf-8", "replace")
        elif isinstance(value, str):
            text = value
        else:
            text = json.dumps(value, default=str, ensure_ascii=False)
        hits += [f"{needle} in {table}.{column}" for needle in needles if needle.lower() in text.lower()]
    return hits


def narrative_case(make_case: Any, users: dict[str, Any], agencies: dict[str, Any]) -> Case:
    """A case with one of each narrative field filled in, through the workflow."""
    case = make_case(CHILD_UNCERTAIN_AGE)
    worker, coordinator = users["case_worker"], users["coordinator"]
    workflow.move(coordinator, case, "presumed_victim", STAGE_NOTE)
    workflow.record_service(worker, case, "safe_shelter", "offered", workflow.today(), note=SERVICE_NOTE)
    consent = workflow.record_consent(
        worker,
        case,
        agreed_to=AGREED,
        purpose="referral",
        information_language="en",
        given_by="guardian",
        given_on=workflow.today(),
    )
    workflow.record_measure(
        users["guardian"],
        case,
        "best_interests_determination",
        {
            "conducted": True,
            "child_views_heard": True,
            "multidisciplinary": True,
            "purpose": "care",
            "justification": REASONS,
        },
        workflow.today(),
        details={"notes": "Spoke with the child in the presence of the guardian"},
    )
    workflow.refer(worker, case, agencies["legal"], consent, PURPOSE)
    workflow.record_measure(
        coordinator,
        case,
        "support_offer",
        SHELTER_ON_TESTIMONY,
        workflow.today(),
        override_justification=JUSTIFICATION,
    )
    workflow.record_measure(
        users["legal_adviser"],
        case,
        "legal_proceedings",
        {
            "proceeding": "criminal",
            "role": "witness",
            "interpreter": True,
            "legal_representation": True,
            "informed_of_progress": True,
            "views_presented": True,
        },
        workflow.today(),
        details={"started_on": workflow.today().isoformat(), "protection_measures": PLAN},
    )
    case.refresh_from_db()
    return case


# --- What the database holds -------------------------------------------------------------------


def test_no_table_holds_a_planted_name_or_narrative_in_clear(make_case, users, agencies):
    case = narrative_case(make_case, users, agencies)
    assert Person.objects.get().identity(case)["family_name"] == IDENTITY["family_name"]
    planted = (IDENTITY["given_names"], IDENTITY["family_name"], IDENTITY["identity_documents"], *NARRATIVE)
    assert planted_in_tables(planted) == []
    # The scan does find what is stored in clear, so its silence above means something.
    assert planted_in_tables((case.reference,))


def test_each_identity_field_is_its_own_ciphertext_under_the_cases_key(make_case):
    case = make_case()
    person = case.person
    sealed = {name: bytes(getattr(person, f"{name}_sealed")) for name in ("given_names", "family_name", "phone")}
    assert len(set(sealed.values())) == 3
    for value in sealed.values():
        assert value[0] == crypto.VERSION
        assert value[1:9] == crypto.data_key_id(case.data_key())
    assert bytes(person.email_sealed) == b""  # empty stays empty
    assert person.identity(case, ["family_name"]) == {"family_name": IDENTITY["family_name"]}
    assert case.master_key_id == crypto.master_key_id() and IDENTITY["family_name"].encode() not in bytes(
        case.wrapped_data_key
    )


def test_narrative_fields_are_sealed_and_read_back_decrypted(make_case, users, agencies):
    case = narrative_case(make_case, users, agencies)
    stage = StageChange.objects.get(case=case, to_stage="presumed_victim")
    assert stage.note == STAGE_NOTE and STAGE_NOTE.encode() not in bytes(stage.note_sealed)
    assert ServiceEvent.objects.get(case=case, entitlement="safe_shelter").note == SERVICE_NOTE
    assert Consent.objects.get(case=case).agreed_to == AGREED
    assert Referral.objects.get(case=case).purpose == PURPOSE
    override = Measure.objects.get(case=case, measure_type="support_offer")
    assert override.override_justification == JUSTIFICATION
    proceeding = Measure.objects.get(case=case, measure_type="legal_proceedings")
    # Coded details stay in clear for the application's own use (the engine reads the date); the rest is sealed.
    assert proceeding.details == {"started_on": workflow.today().isoformat()}
    assert proceeding.narrative_details == {"protection_measures": PLAN}
    assert proceeding.all_details()["protection_measures"] == PLAN
    determination = Measure.objects.get(case=case, measure_type="best_interests_determination")
    assert "justification" not in determination.facts
    assert determination.engine_facts["justification"] == REASONS


def test_only_coded_details_stay_in_clear():
    clear, sealed = split_details(
        {
            "started_on": "2026-01-02",
            "currency": "EUR",
            "heads_of_damage": {"unpaid_wages": "1200.00"},
            "guardian_agency_id": 4,
            "notes": "free text",
            "currency_note": "EUR",
            "paid_by": "the trafficker's uncle",
            "destination_country": "RO",
        }
    )
    assert clear == {
        "started_on": "2026-01-02",
        "currency": "EUR",
        "heads_of_damage": {"unpaid_wages": "1200.00"},
        "guardian_agency_id": 4,
        "destination_country": "RO",
    }
    # Free text, an unknown key, and free text under a coded key are all sealed.
    assert sealed == {"notes": "free text", "currency_note": "EUR", "paid_by": "the trafficker's uncle"}


def test_a_new_row_with_only_empty_narrative_is_written_once(make_case, users):
    case = make_case()
    event = ServiceEvent(
        case=case, entitlement="shelter", status="offered", on=workflow.today(), agency=case.holding_agency, note=""
    )
    event.recorded_by = users["case_worker"]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        event.save()
    # One write (the erased-case guard only reads the case first).
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert len(writes) == 1, writes
    assert bytes(ServiceEvent.objects.get(pk=event.pk).note_sealed) == b""


# --- What fails --------------------------------------------------------------------------------


def _raw_update(model: Any, pk: Any, **values: Any) -> None:
    model.objects.filter(pk=pk).update(**values)


def test_a_ciphertext_moved_to_another_case_row_or_field_does_not_decrypt(make_case, users):
    first = make_case(family_name="Firstcase")
    second = make_case(family_name="Secondcase")
    stolen = bytes(first.person.family_name_sealed)
    # Into another case's person: sealed under another case's data key.
    _raw_update(Person, second.person.pk, family_name_sealed=stolen)
    second = Case.objects.select_related("person").get(pk=second.pk)
    with pytest.raises(crypto.DecryptionError, match="another data key"):
        second.person.identity(second, ["family_name"])
    # Into another field of the same person: the field is part of the associated data.
    _raw_update(Person, first.person.pk, given_names_sealed=stolen)
    first = Case.objects.select_related("person").get(pk=first.pk)
    with pytest.raises(crypto.DecryptionError):
        first.person.identity(first, ["given_names"])
    assert first.person.identity(first, ["family_name"]) == {"family_name": "Firstcase"}
    # Into another row of the same table in the same case (same data key): the row is bound too.
    worker = users["case_worker"]
    one = workflow.record_service(worker, first, "safe_shelter", "offered", workflow.today(), note="first note")
    two = workflow.record_service(worker, first, "safe_shelter", "accepted", workflow.today(), note="second note")
    _raw_update(ServiceEvent, two.pk, note_sealed=bytes(ServiceEvent.objects.get(pk=one.pk).note_sealed))
    with pytest.raises(crypto.DecryptionError):
        _ = ServiceEvent.objects.select_related("case").get(pk=two.pk).note


def test_every_part_of_the_associated_data_is_checked():
    key = crypto.new_data_key()
    sealed = crypto.seal_text(key, "casework_serviceevent", "note", "7", "a fictional note")
    assert crypto.open_text(key, "casework_serviceevent", "note", "7", sealed) == "a fictional note"
    for table, field, row in (
        ("casework_stagechange", "note", "7"),
        ("casework_serviceevent", "other", "7"),
        ("casework_serviceevent", "note", "8"),
    ):
        with pytest.raises(crypto.DecryptionError):
            crypto.open_text(key, table, field, row, sealed)
    with pytest.raises(crypto.DecryptionError, match="another data key"):
        crypto.open_text(crypto.new_data_key(), "casework_serviceevent", "note", "7", sealed)


@pytest.mark.parametrize("position", [0, 1, 9, 21, -1])
def test_a_flipped_byte_anywhere_does_not_decrypt(make_case, position):
    case = make_case()
    stored = bytearray(case.person.family_name_sealed)
    stored[position] ^= 0x01  # version, data key id, nonce, ciphertext, tag
    _raw_update(Person, case.person.pk, family_name_sealed=bytes(stored))
    case = Case.objects.select_related("person").get(pk=case.pk)
    with pytest.raises(crypto.DecryptionError):
        case.person.identity(case, ["family_name"])


def test_a_wrapped_data_key_moved_to_another_case_does_not_unwrap(make_case):
    first, second = make_case(), make_case()
    Case.objects.filter(pk=second.pk).update(wrapped_data_key=bytes(first.wrapped_data_key))
    second = Case.objects.get(pk=second.pk)
    with pytest.raises(crypto.DecryptionError):
        second.data_key()


def test_a_case_under_a_master_key_no_longer_in_the_ring_says_which_key_is_missing(make_case, settings, tmp_path):
    case = make_case()
    settings.RIGHTSFIRST_MASTER_KEY_FILE = tmp_path / "another.key"
    crypto.key_ring.cache_clear()
    case = Case.objects.select_related("person").get(pk=case.pk)
    with pytest.raises(crypto.MissingKeyError, match=case.master_key_id):
        case.person.identity(case)


# --- Pages -------------------------------------------------------------------------------------


def test_pages_show_narrative_decrypted_to_those_who_may_see_the_case(make_case, users, agencies, client_for):
    case = narrative_case(make_case, users, agencies)
    worker = client_for("case_worker")
    ref = case.reference
    assert STAGE_NOTE in worker.get(reverse("case_detail", args=[ref])).content.decode()
    assert SERVICE_NOTE in worker.get(reverse("case_services", args=[ref])).content.decode()
    assert AGREED in worker.get(reverse("case_consents", args=[ref])).content.decode()
    assert PURPOSE in worker.get(reverse("case_refer", args=[ref])).content.decode()
    override = Measure.objects.get(case=case, measure_type="support_offer")
    assert JUSTIFICATION in worker.get(reverse("measure_detail", args=[ref, override.pk])).content.decode()
    proceeding = Measure.objects.get(case=case, measure_type="legal_proceedings")
    assert PLAN in worker.get(reverse("measure_detail", args=[ref, proceeding.pk])).content.decode()
    assert JUSTIFICATION in client_for("coordinator").get(reverse("dashboard")).content.decode()


def test_monitors_and_other_agencies_never_see_narrative(make_case, users, agencies, client_for):
    case = narrative_case(make_case, users, agencies)
    for name in ("monitor", "outsider"):
        client = client_for(name)
        for url in (reverse("case_detail", args=[case.reference]), reverse("case_services", args=[case.reference])):
            assert client.get(url).status_code == 404
    statistics = client_for("monitor").get(reverse("monitoring"))
    assert statistics.status_code == 200
    body = statistics.content.decode()
    assert not [word for word in NARRATIVE if word in body]


class _Counter:
    """Counts decryptions of values, by table."""

    def __init__(self, monkeypatch: Any) -> None:
        self.tables: list[str] = []
        original = crypto.open_text

        def counting(data_key: bytes, table: str, field: str, row: str, stored: Any) -> str:
            self.tables.append(table)
            return original(data_key, table, field, row, stored)

        monkeypatch.setattr(crypto, "open_text", counting)


def test_the_case_list_decrypts_nothing_and_the_case_page_only_what_it_shows(
    make_case, users, agencies, client_for, monkeypatch
):
    case = narrative_case(make_case, users, agencies)
    for _ in range(3):
        make_case(ADULT_SITUATION)
    counter = _Counter(monkeypatch)
    client = client_for("case_worker")
    assert client.get(reverse("case_list")).status_code == 200
    assert counter.tables == []
    assert client.get(reverse("case_detail", args=[case.reference])).status_code == 200
    # The case page shows the stage changes' notes (one written, the others empty) and no identity.
    assert counter.tables == ["casework_stagechange"]


# --- The conversion of existing rows (migration 0003) ------------------------------------------


def _legacy_person(apps: Any, identity: dict[str, str]) -> Any:
    # The layout before 0003: the whole identity as one JSON blob under the person's own data key.
    import secrets
    import uuid

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ring = crypto.key_ring()
    pid = uuid.uuid4()
    data_key = secrets.token_bytes(32)
    nonce = secrets.token_bytes(12)
    wrapped = nonce + AESGCM(ring.active).encrypt(nonce, data_key, f"data-key|{pid}|{ring.active_id}".encode())
    nonce = secrets.token_bytes(12)
    blob = nonce + AESGCM(data_key).encrypt(
        nonce, json.dumps(identity).encode(), f"person|identity|{pid}|{ring.active_id}".encode()
    )
    return apps.get_model("casework", "Person").objects.create(
        id=pid, identity_ciphertext=blob, wrapped_data_key=wrapped, key_id=ring.active_id
    )


@pytest.mark.django_db(transaction=True)
def test_migration_converts_existing_rows_and_goes_back(settings):
    from django.db.migrations.executor import MigrationExecutor

    before = [("casework", "0007_retention_erasure")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("casework")
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    agency = apps.get_model("casework", "Agency").objects.create(name="Fictional Shelter", kind="shelter")
    other = apps.get_model("casework", "Agency").objects.create(name="Fictional Legal Aid", kind="legal_aid")
    user = apps.get_model("auth", "User").objects.create(username="worker", password="!")
    identity = {**IDENTITY, "family_name": "Núñez", "given_names": "María José"}
    person = _legacy_person(apps, identity)
    case = apps.get_model("casework", "Case").objects.create(
        reference="RF-TEST-0001", person=person, holding_agency=agency, created_by=user, referred_on=dt.date(2026, 1, 5)
    )
    apps.get_model("casework", "StageChange").objects.create(
        case=case, from_stage="referred", to_stage="screening", changed_by=user, note=STAGE_NOTE
    )
    consent = apps.get_model("casework", "Consent").objects.create(
        case=case,
        agreed_to=AGREED,
        purpose="referral",
        information_language="en",
        given_on=dt.date(2026, 1, 6),
        recorded_by=user,
    )
    apps.get_model("casework", "Referral").objects.create(
        case=case, from_agency=agency, to_agency=other, consent=consent, purpose=PURPOSE, referred_by=user
    )
    apps.get_model("casework", "Measure").objects.create(
        case=case,
        measure_type="return",
        decided_on=dt.date(2026, 1, 7),
        facts={"justification": REASONS},
        outcome="violation",
        review={},
        framework_version="x",
        agency=agency,
        recorded_by=user,
        overridden=True,
        override_justification=JUSTIFICATION,
        details={"reintegration_plan": PLAN, "destination_country": "XX"},
    )

    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    from rightsfirst.web import blind_index

    converted = Case.objects.select_related("person").get(reference="RF-TEST-0001")
    assert converted.person.identity(converted) == identity
    assert StageChange.objects.get(case=converted).note == STAGE_NOTE
    assert Consent.objects.get(case=converted).agreed_to == AGREED
    assert Referral.objects.get(case=converted).purpose == PURPOSE
    measure = Measure.objects.get(case=converted)
    assert measure.override_justification == JUSTIFICATION
    assert measure.details == {"destination_country": "XX"}
    assert measure.narrative_details == {"reintegration_plan": PLAN, "justification": REASONS}
    assert measure.facts == {} and measure.engine_facts == {"justification": REASONS}
    assert blind_index.search(Case.objects.all(), "maria jose nunez").cases == [converted]
    planted = ("Núñez", "Brackenvale", "Fenwyck", "Quarnley", "Ostermere", "Tillingham", "Wexcombe")
    assert planted_in_tables(planted) == []

    # Running the conversion again changes nothing (a converted case keeps its key and values).
    from importlib import import_module

    from django.apps import apps as live_apps

    step = import_module("rightsfirst.web.migrations.0008_field_encryption")
    wrapped = bytes(converted.wrapped_data_key)
    step.seal_existing(live_apps, None)
    assert bytes(Case.objects.get(pk=converted.pk).wrapped_data_key) == wrapped

    # And back: the earlier layout, decryptable as before.
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    old = apps.get_model("casework", "Person").objects.get()
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    pid, key_id = str(old.pk), old.key_id
    wrapped = bytes(old.wrapped_data_key)
    data_key = AESGCM(crypto.key_ring().key(key_id)).decrypt(
        wrapped[:12], wrapped[12:], f"data-key|{pid}|{key_id}".encode()
    )
    blob = bytes(old.identity_ciphertext)
    restored = json.loads(AESGCM(data_key).decrypt(blob[:12], blob[12:], f"person|identity|{pid}|{key_id}".encode()))
    assert restored == identity
    assert apps.get_model("casework", "StageChange").objects.get().note == STAGE_NOTE
    assert apps.get_model("casework", "Referral").objects.get().purpose == PURPOSE
    old_measure = apps.get_model("casework", "Measure").objects.get()
    assert old_measure.override_justification == JUSTIFICATION
    assert old_measure.details == {"reintegration_plan": PLAN, "destination_country": "XX"}
    assert old_measure.facts == {"justification": REASONS}
    MigrationExecutor(connection).migrate(latest)
