"""Fixtures for the case-management application: agencies, one user per role, and cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management.commands import flush
from django.db import connections, transaction
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web import workflow
from rightsfirst.web.models import Agency, Case, Membership
from rightsfirst.web.roles import Role

PASSWORD = "correct horse battery staple"
# The test users' authenticator key (fictional; hex, as django-otp stores it).
TOTP_KEY = "3132333435363738393031323334353637383930"


def enrol(user: Any) -> TOTPDevice:
    """Give the user a confirmed authenticator app with the fictional test key."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", key=TOTP_KEY, confirmed=True)


def current_code(device: TOTPDevice, offset: int = 0) -> str:
    """The code the user's authenticator app shows now (offset in 30-second steps)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def unused_code(device: TOTPDevice) -> str:
    """A code the device will accept now: not one it has already accepted (each code works once),
    so a user can sign in twice within the same 30 seconds, as an app's next code allows."""
    import time

    from django_otp.oath import hotp

    device.refresh_from_db()
    now = int((time.time() - device.t0) // device.step) + device.drift
    step = max(now, device.last_t + 1)
    assert step <= now + device.tolerance, "no unused code left in this time window"
    return f"{hotp(device.bin_key, step, digits=device.digits):06d}"


def sign_in(client: Client, user: Any) -> Client:
    """Sign the client in with both factors (as if password and code had been given)."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrol(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


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


@contextmanager
def audit_guard_lifted(connection: Any) -> Iterator[None]:
    """Inside an open transaction: the database lets audit rows be changed until the block ends.

    What a database owner with a shell could do (drop or disable the append-only triggers of
    migration 0006); the tests use it to tamper with the chain and to empty the database
    between transactional tests. The triggers are back when the block ends; if it raises, the
    transaction's rollback brings them back.
    """
    assert connection.in_atomic_block, "lift the audit guard only inside a transaction"
    triggers: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'casework_auditevent'")
            triggers = [row[0] for row in cursor.fetchall()]
            assert triggers, "the append-only triggers are missing"
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'casework_auditevent'")
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
        else:
            # ALTER TABLE waits for no deferred foreign-key check: run the pending ones now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE casework_auditevent DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for sql in triggers:
                cursor.execute(sql)
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE casework_auditevent ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_guard() -> Iterator[None]:
    # Transactional tests (the browser tests) empty every table afterwards with `flush`, which
    # the append-only audit table refuses; around that flush only, the guard is lifted.
    original = flush.Command.handle

    def handle(self: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        with transaction.atomic(using=connection.alias), audit_guard_lifted(connection):
            original(self, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush.Command, "handle", handle)
        yield


@pytest.fixture(autouse=True)
def _isolated_keys(tmp_path: Any, settings: Any, monkeypatch: Any) -> None:
    # A fast hasher: the real one is slow by design, and every test creates its users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The API's per-token limit would stop the fuzzing and matrix runs; its own tests set it.
    settings.RIGHTSFIRST_API_RATE = None
    cache.clear()  # token ids repeat from test to test: no count carries over
    # Each test has its own database: no extraction or release may carry over from another.
    from rightsfirst.web import publication

    publication.clear_cache()
    settings.RIGHTSFIRST_MASTER_KEY_FILE = tmp_path / "master.key"
    settings.RIGHTSFIRST_RETIRED_KEYS_DIR = tmp_path / "retired-keys"
    settings.RIGHTSFIRST_INDEX_KEY_FILE = tmp_path / "index.key"
    settings.RIGHTSFIRST_AUDIT_KEY_FILE = tmp_path / "audit.key"
    settings.RIGHTSFIRST_ANCHOR_KEY_FILE = tmp_path / "anchor.key"
    for name in (
        "RIGHTSFIRST_MASTER_KEY",
        "RIGHTSFIRST_RETIRED_MASTER_KEYS",
        "RIGHTSFIRST_INDEX_KEY",
        "RIGHTSFIRST_AUDIT_KEY",
        "RIGHTSFIRST_ANCHOR_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    from rightsfirst.web import audit, blind_index, crypto

    crypto.key_ring.cache_clear()
    blind_index.root_key.cache_clear()
    audit.audit_key.cache_clear()
    audit.anchor_key.cache_clear()


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
        "ombudsperson": Agency.objects.create(name="Fictional Ombudsperson", kind="monitoring"),
    }


ROLE_AGENCY = {
    Role.FIRST_RESPONDER: "police",
    Role.CASE_WORKER: "shelter",
    Role.LEGAL_ADVISER: "shelter",
    Role.GUARDIAN: "shelter",
    Role.COORDINATOR: "shelter",
    Role.MONITOR: "monitor",
    Role.ADMINISTRATOR: "nrm",
    Role.OVERSIGHT: "ombudsperson",
}


@pytest.fixture
def users(agencies: dict[str, Agency]) -> dict[str, Any]:
    """One user per role. All case roles except the first responder sit in the shelter, which holds the cases."""
    made = {}
    for role, agency_key in ROLE_AGENCY.items():
        user = get_user_model().objects.create_user(username=str(role), password=PASSWORD)
        Membership.objects.create(user=user, agency=agencies[agency_key], role=role)
        enrol(user)
        made[str(role)] = user
    outsider = get_user_model().objects.create_user(username="outsider", password=PASSWORD)
    Membership.objects.create(user=outsider, agency=agencies["other"], role=Role.CASE_WORKER)
    enrol(outsider)
    made["outsider"] = outsider
    return made


@pytest.fixture
def client_for(users: dict[str, Any]) -> Callable[[str], Client]:
    """A test client signed in as the user with this role (or "outsider")."""

    def make(name: str) -> Client:
        return sign_in(Client(), users[name])

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
