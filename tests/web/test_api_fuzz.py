"""Fuzzing the REST API from its own OpenAPI schema (schemathesis), as every role in turn.

Requests are generated from /api/openapi.json, both valid (positive) and invalid (negative), and
sent in-process to the WSGI application with each user's bearer token. Case references in paths
are drawn from real cases (held by the shelter, held by the police, shared with the police by a
referral, shared and then withdrawn) as well as generated ones, so that the checks reach real
records and not only the 404 branch.

Every response must: never be a server error; carry a status code the schema documents, with a
body that matches the schema; never show a case to a user whose agency neither holds it nor has
a live referral for it (checked against the fixture's own list, not against access.py); never
contain the person's identity.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rightsfirst.web import adapter, approvals, audit, workflow
from rightsfirst.web.models import Agency, ApiToken, Approval, Case
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE, IDENTITY

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CHECKS_WITHOUT_NEGATION = [check for check in CHECKS if check is not negative_data_rejection]
USERS = (
    "first_responder",
    "case_worker",
    "legal_adviser",
    "guardian",
    "coordinator",
    "monitor",
    "administrator",
    "outsider",
)
SHELTER_ROLES = ("case_worker", "legal_adviser", "guardian", "coordinator")
UNKNOWN_REFERENCE = "RF-0000-0000"
OPERATIONS = 10
# Requests per user, operation and mode (valid or invalid data): 8 x 10 x 2 x 3 = 480 in the
# default run, 8 x 10 x 2 x 15 = 2,400 in the slow one.
FAST_EXAMPLES = 3
FULL_EXAMPLES = 15


@dataclass
class World:
    """The cases the fuzzer aims at, and which user may see which (worked out by hand from the set-up)."""

    references: dict[str, str]
    visible: dict[str, frozenset[str]]
    tokens: dict[str, str]
    entitlements: tuple[str, ...]
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


@pytest.fixture
def world(users: dict[str, Any], agencies: dict[str, Agency], make_case: Callable[..., Case]) -> World:
    worker = users["case_worker"]
    today = workflow.today()
    adult = make_case(ADULT_SITUATION)
    child = make_case(CHILD_UNCERTAIN_AGE)
    unscreened = make_case()
    police = workflow.create_case(users["first_responder"], dict(IDENTITY), today - dt.timedelta(days=3))
    workflow.screen(users["first_responder"], police, ADULT_SITUATION)
    shared = make_case(ADULT_SITUATION)
    withdrawn = make_case(ADULT_SITUATION)
    for case in (shared, withdrawn):
        consent = workflow.record_consent(
            worker,
            case,
            agreed_to="Sharing with the police for protection (fictional).",
            purpose="referral",
            shared_with=agencies["police"],
            information_language="en",
            given_by="person",
            given_on=today,
        )
        # Sharing with the police is approved by a coordinator first (the two-person rule).
        asked = approvals.request(
            worker,
            str(Approval.Kind.SHARE_WITH_AUTHORITY),
            "Fictional: the person asked for police protection",
            case=case,
            target=str(agencies["police"].pk),
        )
        approvals.decide(users["coordinator"], asked, True, "")
        workflow.refer(worker, case, agencies["police"], consent, "Protection (fictional)")
    consent = withdrawn.consents.get()
    workflow.withdraw_consent(worker, withdrawn, consent, today)
    references = {
        "adult": adult.reference,
        "child": child.reference,
        "unscreened": unscreened.reference,
        "police": police.reference,
        "shared": shared.reference,
        "withdrawn": withdrawn.reference,
    }
    shelter = frozenset(references[key] for key in ("adult", "child", "unscreened", "shared", "withdrawn"))
    visible: dict[str, frozenset[str]] = {name: frozenset() for name in USERS}
    for name in SHELTER_ROLES:
        visible[name] = shelter
    visible["first_responder"] = frozenset({references["police"], references["shared"]})
    entitlements = tuple(
        item.id for item in adapter.assess_case(adult, today).entitlements.entitlements if item.applies
    )
    tokens = {name: ApiToken.issue(user, f"{name} fuzzing")[1] for name, user in users.items()}
    return World(references=references, visible=visible, tokens=tokens, entitlements=entitlements)


@pytest.fixture
def app() -> Iterator[WSGIHandler]:
    """The WSGI application, with Django's per-request connection closing switched off.

    Django's own test client does the same: closing the connection at the end of a request would
    end the transaction each test runs in.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _reference_variants(references: list[str]) -> list[str]:
    # The API accepts a reference in any case and with spaces around it: the same case each time.
    variants = []
    for reference in references:
        variants += [reference, reference.lower(), f" {reference} "]
    return variants


def _adjust(case: Any, data: st.DataObject, world: World) -> None:
    """Aim a generated request at real records most of the time."""
    if "reference" in (case.path_parameters or {}) and data.draw(st.integers(0, 3)):
        known = _reference_variants([*world.references.values(), UNKNOWN_REFERENCE])
        case.path_parameters["reference"] = data.draw(st.sampled_from(known))
    if isinstance(case.body, dict) and case.operation.path.endswith("/services") and data.draw(st.booleans()):
        case.body["entitlement"] = data.draw(st.sampled_from(world.entitlements))


def _negation_reaches_the_server(case: Any) -> bool:
    """Whether an invalid request still carries something invalid once sent.

    Two of schemathesis's negations never reach the server: a mangled Authorization header,
    since each request carries the user's real token instead, and a query parameter made an
    empty list (or null), which is sent as no parameter at all (an allowed request). Asking the API to
    refuse those would test the fuzzer, not the API.
    """
    phase = getattr(case.meta, "phase", None) if case.meta is not None else None
    mutations = getattr(getattr(phase, "data", None), "mutations", None)
    if not case.meta or not case.meta.generation.mode.is_negative or not mutations:
        return True
    for mutation in mutations:
        location = getattr(mutation.parameter_location, "name", "")
        if location == "HEADER" and mutation.parameter == "Authorization":
            continue
        if location == "QUERY" and (case.query or {}).get(mutation.parameter, None) in ([], None):
            continue
        return True
    return False


def _own_checks(world: World, user: str, case: Any, response: Any) -> None:
    status = response.status_code
    reference = str((case.path_parameters or {}).get("reference", "")).strip().upper()
    body = response.text if hasattr(response, "text") else response.content.decode("utf-8", "replace")
    if reference and 200 <= status < 300:
        assert reference in world.visible[user], f"{user} got {status} on {reference}, a case their agency cannot see"
    if case.operation.path == "/api/cases" and status == 200:
        listed = {item["reference"] for item in json.loads(body)["items"]}
        assert listed <= world.visible[user], f"{user} was listed cases their agency cannot see: {listed}"
    for value in IDENTITY.values():
        if value:
            assert value not in body, f"identity in the answer to {case.operation.label}"


def _fuzz(world: World, user: str, strategy: Any, examples: int, derandomize: bool) -> None:
    headers = {"Authorization": f"Bearer {world.tokens[user]}"}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        case = data.draw(strategy)
        _adjust(case, data, world)
        # A savepoint per request: on PostgreSQL a failed statement would otherwise abort the
        # test's transaction and every request after it would fail for that reason alone.
        with transaction.atomic():
            response = case.call(headers=headers)
        world.requests += 1
        world.statuses[response.status_code] = world.statuses.get(response.status_code, 0) + 1
        checks = CHECKS if _negation_reaches_the_server(case) else CHECKS_WITHOUT_NEGATION
        case.validate_response(response, checks=checks, headers=headers)
        _own_checks(world, user, case, response)

    one()


def run_fuzz(app: WSGIHandler, world: World, examples: int, derandomize: bool) -> int:
    """Fuzz every operation as every user, valid and invalid requests alike; the number of requests sent."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == OPERATIONS
    for user in USERS:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(world, user, operation.as_strategy(generation_mode=mode), examples, derandomize)
    # Nothing a request did, refused or not, broke the audit log's chain.
    assert audit.verify() == []
    return world.requests


def _report(world: World, sent: int) -> None:
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(world.statuses.items()))
    print(f"\napi fuzz: {sent} requests as {len(USERS)} users ({statuses})")


def test_the_api_holds_up_to_generated_requests_from_every_role(app: WSGIHandler, world: World) -> None:
    """A few hundred requests, the same ones every run (a regression check for the default run)."""
    sent = run_fuzz(app, world, examples=FAST_EXAMPLES, derandomize=True)
    _report(world, sent)
    assert sent >= 400
    # The requests reached real records, not only the not-found and refusal branches.
    assert world.statuses.get(200, 0) and world.statuses.get(201, 0)
    assert world.statuses.get(404, 0) and world.statuses.get(422, 0)


@pytest.mark.slow
def test_the_api_holds_up_to_thousands_of_generated_requests(app: WSGIHandler, world: World) -> None:
    """Over 2,000 requests, new ones every run (hypothesis prints the seed to replay a failure)."""
    sent = run_fuzz(app, world, examples=FULL_EXAMPLES, derandomize=False)
    _report(world, sent)
    assert sent >= 2000
    assert world.statuses.get(200, 0) >= 100 and world.statuses.get(201, 0)
