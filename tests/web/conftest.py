"""Fixtures for the case-management application: agencies, one user per role, and cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from rightsfirst.web import workflow
from rightsfirst.web.models import Agency, Case, Membership
from rightsfirst.web.roles import Role

PASSWORD = "correct horse battery staple"

# A fictional person whose names the tests look for wherever identity must not appear.
IDENTITY = {
    "given_names": "Zorana Fictia",
    "family_name": "Testovna",
    "other_names": "",
    "date_of_birth": "2011-04-05",
    "phone": "+000 555 0100",
    "email": "",
    "address": "Fictional Street 1",
    "identity_documents": "XX0000001",
}
ADULT_SITUATION = {
    "person": {"age": 30, "non_national": True},
    "actions": ["recruitment", "transportation"],
    "means": ["deception"],
    "purposes": ["forced_labour"],
}
CHILD_UNCERTAIN_AGE = {
    "person": {"stated_age": 19, "indications_of_minority": ["appearance"], "unaccompanied": True},
    "actions": ["recruitment"],
    "purposes": ["sexual_exploitation"],
}


@pytest.fixture(autouse=True)
def _isolated_keys(tmp_path: Any, settings: Any, monkeypatch: Any) -> None:
    # A fast hasher: the real one is slow by design, and every test creates its users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.RIGHTSFIRST_MASTER_KEY_FILE = tmp_path / "master.key"
    settings.RIGHTSFIRST_RETIRED_KEYS_DIR = tmp_path / "retired-keys"
    settings.RIGHTSFIRST_INDEX_KEY_FILE = tmp_path / "index.key"
    settings.RIGHTSFIRST_AUDIT_KEY_FILE = tmp_path / "audit.key"
    for name in (
        "RIGHTSFIRST_MASTER_KEY",
        "RIGHTSFIRST_RETIRED_MASTER_KEYS",
        "RIGHTSFIRST_INDEX_KEY",
        "RIGHTSFIRST_AUDIT_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    from rightsfirst.web import audit, blind_index, crypto

    crypto.key_ring.cache_clear()
    blind_index.root_key.cache_clear()
    audit.audit_key.cache_clear()


@pytest.fixture
def agencies(db: Any) -> dict[str, Agency]:
    return {
        "police": Agency.objects.create(name="Fictional City Police", kind="police"),
        "shelter": Agency.objects.create(name="Fictional Shelter", kind="shelter"),
        "legal": Agency.objects.create(name="Fictional Legal Aid", kind="legal_aid"),
        "guardians": Agency.objects.create(name="Fictional Guardianship Service", kind="guardianship"),
        "nrm": Agency.objects.create(name="Fictional Referral Mechanism", kind="referral_mechanism"),
        "monitor": Agency.objects.create(name="Fictional Rapporteur", kind="monitoring"),
        "other": Agency.objects.create(name="Unrelated NGO", kind="ngo"),
    }


ROLE_AGENCY = {
    Role.FIRST_RESPONDER: "police",
    Role.CASE_WORKER: "shelter",
    Role.LEGAL_ADVISER: "shelter",
    Role.GUARDIAN: "shelter",
    Role.COORDINATOR: "shelter",
    Role.MONITOR: "monitor",
    Role.ADMINISTRATOR: "nrm",
}


@pytest.fixture
def users(agencies: dict[str, Agency]) -> dict[str, Any]:
    """One user per role. All case roles except the first responder sit in the shelter, which holds the cases."""
    made = {}
    for role, agency_key in ROLE_AGENCY.items():
        user = get_user_model().objects.create_user(username=str(role), password=PASSWORD)
        Membership.objects.create(user=user, agency=agencies[agency_key], role=role)
        made[str(role)] = user
    outsider = get_user_model().objects.create_user(username="outsider", password=PASSWORD)
    Membership.objects.create(user=outsider, agency=agencies["other"], role=Role.CASE_WORKER)
    made["outsider"] = outsider
    return made


@pytest.fixture
def client_for(users: dict[str, Any]) -> Callable[[str], Client]:
    """A test client signed in as the user with this role (or "outsider")."""

    def make(name: str) -> Client:
        client = Client()
        client.force_login(users[name])
        return client

    return make


@pytest.fixture
def make_case(users: dict[str, Any]) -> Callable[..., Case]:
    """A case held by the shelter, screened with `situation` if one is given."""

    def make(situation: dict[str, Any] | None = None, referred_on: dt.date | None = None, **identity: Any) -> Case:
        user = users["case_worker"]
        case = workflow.create_case(
            user,
            {**IDENTITY, **identity},
            referred_on or workflow.today() - dt.timedelta(days=10),
            sex="female",
            nationality="XX",
        )
        if situation is not None:
            workflow.screen(user, case, situation)
        case.refresh_from_db()
        made: Case = case
        return made

    return make
