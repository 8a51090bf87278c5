"""The authorization matrix: every route x every principal x every kind of case (SEC-1, SEC-2, SEC-19).

The routes come from the URL configuration and the API's OpenAPI schema; what each may do comes
from rightsfirst.web.route_policy. A route nobody declared fails, and so does a declaration whose
route is gone.

Every declared route (and HTTP method) is then called as each role, as an anonymous visitor and
as a signed-in account without a role, on each kind of case:

- own: held by the user's agency;
- other: held by another agency, never shared with the user's;
- restricted-agency: held by another agency, shared with the user's agency, then kept from it
  (the referral is left standing, so that the restriction alone must hide the case);
- restricted-user: held by the user's agency but kept from the user by name;
- withdrawn: shared with the user's agency under a consent that was then withdrawn;
- expired: shared under a consent whose end date has passed (the referral itself never ended);
- live: shared with the user's agency under a consent that stands (and shares the identity);
- live-record-only: the same, under a consent that shares the case record but no identity;
- absent: a well-formed reference no case has;
- foreign-object: the user's own case, with the id of another case's measure or consent;
- emergency: held by another agency, never shared, opened to each principal whose role allows it
  through emergency access that is still running: looking at it is allowed, every act refused;
- emergency-ended: the same, with emergency access that has run out: as a case never opened.

Every case also had emergency access used on it by someone of a third agency, so that the review
of that use (a case route naming an object of the case) is checked on every kind of case.

What counts as which answer:

- allowed (the role may, the case is visible, the narrower rule agrees): the route serves the
  request: 200, 201, 204, 400, 409 or 422 (an empty POST may be invalid input), or a redirect
  that is neither to the sign-in page nor to another case;
- not allowed by role (or by the narrower rule, on a case the user may see): 403 or 404, never
  2xx or a redirect;
- anonymous: a redirect to the sign-in page (pages) or 401 (API);
- case not visible (emergency access opens a case only to its user, only on case routes and not
  through the API): for everyone, the answer (status, redirect and body, once CSRF tokens and the
  echoed path are taken out) is the same as for the reference no case has; and for a role that
  may use the route, that answer is 404 (never 403, which would tell that the case exists);
- a list filtered by a reference shows a visible case (its answer differs from the absent one's)
  and answers for a hidden case exactly as for the absent one.

Each request runs in a savepoint that is rolled back, and the client's cookies are put back
afterwards, so that no request changes what the next one sees.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, clear_url_caches, get_resolver, reverse
from django.utils import timezone

from rightsfirst.web import approvals, emergency, erasure, route_policy, workflow
from rightsfirst.web.models import Agency, ApiToken, Case, CaseRestriction, EmergencyAccess, Membership, Referral
from rightsfirst.web.models.security import Approval, OversightAlert
from rightsfirst.web.roles import Role, allowed, may_record_measure
from rightsfirst.web.route_policy import ANY_ROLE, NO_ONE, PUBLIC, SIGNED_IN, Narrower, Touches
from rightsfirst.web.views.api import api
from tests.web.conftest import ADULT_SITUATION, IDENTITY, enrol, sign_in

ABSENT_REFERENCE = "RF-ZZZZ-ZZZZ"
ABSENT_PK = 987_654_321
# Path parameters that are not objects of a case: one valid value each (measure types: one any
# recording role may record, and one that only some roles may).
SAMPLES: dict[str, tuple[str, ...]] = {
    "measure_type": ("support_offer", "identification_decision"),
    "which": ("overdue",),
    "provision_id": ("TIP.3a",),
    "indicator_id": ("detained_presumed_victims",),
    "name": ("swagger-ui.css",),
}
# What an allowed request may answer (an empty POST may well be invalid input).
SERVED = frozenset({200, 201, 204, 302, 303, 400, 409, 422})
API_SERVED = frozenset({200, 201, 409, 422})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CASE_IN_PATH = re.compile(r"^/(?:api/)?cases/([^/]+)/")
CSRF_VALUES = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")|("X-CSRFToken": ")[^"]*(")')

# The smallest matrix this module may check; if it checks fewer, something was dropped silently.
MINIMUM_PAGE_REQUESTS = 3000
MINIMUM_API_REQUESTS = 700


# --- Part 1: every route is declared, and every declaration names a route --------------------------------


def url_names(patterns: list[Any] | None = None, namespace: str = "", prefix: str = "") -> Iterator[tuple[str, str]]:
    """(name, route) of every URL pattern, namespaces included, walking includes recursively."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_names(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = pattern.name or f"<unnamed {route}>"
            yield (f"{namespace}:{name}" if namespace else name), route


@functools.cache
def route_patterns() -> dict[str, str]:
    """Each URL pattern's route by name (the matrix looks it up for every request)."""
    return dict(url_names())


def schema_operations() -> set[tuple[str, str]]:
    """(method, path) of every operation in the API's OpenAPI schema."""
    paths = api.get_openapi_schema()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def test_the_declarations_are_well_formed() -> None:
    assert route_policy.problems() == []


def test_every_url_pattern_is_declared_and_every_declaration_exists() -> None:
    found = {name for name, _ in url_names()}
    declared = {route.name for route in route_policy.PAGES} | {operation.name for operation in route_policy.API}
    assert sorted(found - declared) == [], "routes without a declaration in route_policy.py"
    assert sorted(declared - found) == [], "declarations in route_policy.py whose route no longer exists"


def test_every_api_operation_is_declared_and_every_declaration_exists() -> None:
    found = schema_operations()
    declared = {(operation.method, operation.path) for operation in route_policy.API}
    assert sorted(found - declared) == [], "API operations without a declaration in route_policy.API"
    assert sorted(declared - found) == [], "declared API operations that the schema no longer has"
    by_name = {operation.name: operation for operation in route_policy.API}
    for name, route in url_names():
        if name in by_name:
            # The declaration's path is the URL pattern's (ninja writes {reference}, Django <reference>).
            assert by_name[name].path == "/" + route.replace("<", "{").replace(">", "}"), name


def test_the_declaration_check_fails_for_a_route_nobody_declared(monkeypatch: Any) -> None:
    """The coverage test above is not vacuous: an undeclared pattern shows up in its difference."""
    from django.urls import path

    from rightsfirst.web import urls

    extra = path("cases/<str:reference>/undeclared/", lambda request, reference: None, name="undeclared_probe")
    monkeypatch.setattr(urls, "urlpatterns", [*urls.urlpatterns, extra])
    clear_url_caches()
    try:
        found = {name for name, _ in url_names()}
    finally:
        monkeypatch.undo()
        clear_url_caches()
    declared = {route.name for route in route_policy.PAGES} | {operation.name for operation in route_policy.API}
    assert found - declared == {"undeclared_probe"}


@pytest.fixture(autouse=True)
def _quiet(caplog: Any) -> None:
    # Thousands of refusals are the point here; Django logs each one as a warning.
    caplog.set_level(logging.ERROR, logger="django.request")


# --- The world: two agencies, one principal per role, a case of every kind -----------------------------


@dataclass
class Principal:
    name: str
    role: str | None
    signed_in: bool
    client: Client
    user: Any = None
    token: str | None = None


@dataclass
class Situation:
    name: str
    reference: str
    visible: bool
    # Kept from the user or the user's agency (what the DECIDER rule looks at, approvals being
    # outside case visibility).
    restricted: bool = False
    referred: bool = False
    shares_identity: bool = False
    # The consent shares the "contact" part, where the person lives.
    shares_location: bool = False
    # Opened to each principal whose role allows it through emergency access (running or not).
    emergency: bool = False
    emergency_running: bool = False
    case: Case | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    principals: list[Principal]
    situations: list[Situation]
    authority: Agency
    alert_pk: int
    session_only: Principal
    today: dt.date


REASON = "The person says officials of that agency know the recruiter"


def _consent(staff: Any, case: Case, **fields: Any) -> Any:
    values = {
        "agreed_to": "Share the case with the coordinating agency for support",
        "purpose": "referral",
        "information_language": "en",
        "given_by": "person",
        "given_on": workflow.today(),
        "shared_parts": "identity,contact",
        **fields,
    }
    return workflow.record_consent(staff, case, **values)


def _case(staff: Any, surname: str) -> Case:
    case = workflow.create_case(
        staff, {**IDENTITY, "family_name": surname}, workflow.today() - dt.timedelta(days=10), sex="female"
    )
    workflow.screen(staff, case, ADULT_SITUATION)
    workflow.record_measure(staff, case, "support_offer", {"service": "shelter"}, workflow.today())
    # The person's request to be erased, waiting for a decision; recorded by someone other than
    # the principals, so that only the holding agency decides whether one of them may decide it.
    erasure.record_request(staff, case, workflow.today(), "in_person")
    case.refresh_from_db()
    return case


def _user(username: str, agency: Agency | None, role: str | None) -> Any:
    user = get_user_model().objects.create_user(username=username, password="matrix password 1")
    if agency is not None and role is not None:
        Membership.objects.create(user=user, agency=agency, role=role)
    enrol(user)
    return user


def _objects(case: Case, approval: Approval | None) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "pk:measure_detail": case.measures.get().pk,
        "pk:consent_withdraw": case.consents.order_by("pk").first().pk,  # type: ignore[union-attr]
        "pk:approval_decide": approval.pk if approval is not None else ABSENT_PK,
        "pk:erasure_decide": case.erasure_requests.get().pk,
        # The use of emergency access on the case by someone of a third agency (see world()).
        "pk:emergency_review": EmergencyAccess.objects.filter(case=case, user__username=NIGHT_WORKER).get().pk,
    }


NIGHT_WORKER = "matrix-night-worker"
EXPLANATION = "A person with this reference is at the night clinic and needs a guardian"


@pytest.fixture
def world(db: Any, settings: Any) -> World:
    """Agency B (where every principal works; a national referral mechanism, the agency kind that
    may decide other agencies' approvals) and agency A, which holds the cases shared with B."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    # Many emergency accesses are set up at once here; the limits have their own tests.
    settings.RIGHTSFIRST_EMERGENCY_ACCESS_AT_ONCE = 100
    settings.RIGHTSFIRST_EMERGENCY_ACCESS_PER_DAY = 100
    holder = Agency.objects.create(name="Matrix Holding NGO", kind="ngo")
    mine = Agency.objects.create(name="Matrix Referral Mechanism", kind="referral_mechanism")
    authority = Agency.objects.create(name="Matrix City Police", kind="police")
    night_shelter = Agency.objects.create(name="Matrix Night Shelter", kind="shelter")
    staff_a = _user("matrix-staff-a", holder, Role.CASE_WORKER)
    staff_b = _user("matrix-staff-b", mine, Role.CASE_WORKER)
    night_worker = _user(NIGHT_WORKER, night_shelter, Role.CASE_WORKER)

    principals = [Principal("anonymous", None, False, Client())]
    for role in Role:
        user = _user(f"matrix-{role}", mine, role)
        principals.append(Principal(str(role), str(role), True, sign_in(Client(), user), user))
    nobody = _user("matrix-no-role", None, None)
    principals.append(Principal("no-role", None, True, sign_in(Client(), nobody), nobody))
    for principal in principals:
        if principal.user is not None:
            principal.token = ApiToken.issue(principal.user, "matrix")[1]
    worker = next(principal for principal in principals if principal.role == Role.CASE_WORKER)
    session_only = Principal("session-without-token", Role.CASE_WORKER, True, worker.client)

    def ask(staff: Any, case: Case) -> Approval:
        return approvals.request(staff, "share_with_authority", REASON, case=case, target=str(authority.pk))

    def shared(surname: str, parts: str = "identity,contact") -> tuple[Case, Any]:
        case = _case(staff_a, surname)
        consent = _consent(staff_a, case, shared_with=mine, shared_parts=parts)
        workflow.refer(staff_a, case, mine, consent, "support and protection")
        return case, consent

    own = _case(staff_b, "Own")
    _consent(staff_b, own)
    own_approval = ask(staff_b, own)

    other = _case(staff_a, "Other")
    _consent(staff_a, other)
    other_approval = ask(staff_a, other)

    restricted_agency, _ = shared("Restricted")
    workflow.restrict(staff_a, restricted_agency, REASON, agency=mine)
    # Restricting ends the referral; it is put back so that the restriction alone must hide the case.
    Referral.objects.filter(case=restricted_agency, to_agency=mine).update(ended_at=None)
    restricted_agency_approval = ask(staff_a, restricted_agency)

    restricted_user = _case(staff_b, "Named")
    _consent(staff_b, restricted_user)
    for principal in principals:
        if principal.user is not None:
            workflow.restrict(staff_b, restricted_user, REASON, person=principal.user)
    restricted_user_approval = ask(staff_b, restricted_user)

    withdrawn, withdrawn_consent = shared("Withdrawn")
    workflow.withdraw_consent(staff_a, withdrawn, withdrawn_consent, workflow.today())
    withdrawn_approval = ask(staff_a, withdrawn)

    expired, expired_consent = shared("Expired")
    type(expired_consent).objects.filter(pk=expired_consent.pk).update(
        expires_on=workflow.today() - dt.timedelta(days=1)
    )
    expired_approval = ask(staff_a, expired)

    live, _ = shared("Live")
    live_approval = ask(staff_a, live)

    record_only, _ = shared("RecordOnly", parts="")
    record_only_approval = ask(staff_a, record_only)

    opened = _case(staff_a, "Emergency")
    _consent(staff_a, opened)
    opened_approval = ask(staff_a, opened)
    ended = _case(staff_a, "EmergencyEnded")
    _consent(staff_a, ended)
    ended_approval = ask(staff_a, ended)
    for principal in principals:
        if allowed(principal.role, "emergency.access"):
            for case in (opened, ended):
                assert emergency.open_case(principal.user, case.reference, "medical_needs", EXPLANATION).grant
    EmergencyAccess.objects.filter(case=ended).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    # Someone of a third agency used emergency access on every case, for the review route.
    for case in (own, other, restricted_agency, restricted_user, withdrawn, expired, live, record_only, opened, ended):
        assert emergency.open_case(night_worker, case.reference, "child_guardian", EXPLANATION).grant

    assert not Case.objects.filter(reference=ABSENT_REFERENCE).exists()
    assert Referral.objects.filter(case=restricted_agency, ended_at__isnull=True).exists()
    assert CaseRestriction.objects.filter(case=restricted_agency, agency=mine).exists()
    assert Referral.objects.filter(case=expired, ended_at__isnull=True).exists()

    situations = [
        Situation("absent", ABSENT_REFERENCE, False, kwargs={**_objects(own, None), "reference": ABSENT_REFERENCE}),
        Situation("own", own.reference, True, case=own, kwargs=_objects(own, own_approval)),
        Situation("other", other.reference, False, case=other, kwargs=_objects(other, other_approval)),
        Situation(
            "restricted-agency",
            restricted_agency.reference,
            False,
            restricted=True,
            referred=True,
            shares_identity=True,
            shares_location=True,
            case=restricted_agency,
            kwargs=_objects(restricted_agency, restricted_agency_approval),
        ),
        Situation(
            "restricted-user",
            restricted_user.reference,
            False,
            restricted=True,
            case=restricted_user,
            kwargs=_objects(restricted_user, restricted_user_approval),
        ),
        Situation(
            "withdrawn",
            withdrawn.reference,
            False,
            referred=True,
            case=withdrawn,
            kwargs=_objects(withdrawn, withdrawn_approval),
        ),
        Situation(
            "expired",
            expired.reference,
            False,
            referred=True,
            shares_identity=True,
            shares_location=True,
            case=expired,
            kwargs=_objects(expired, expired_approval),
        ),
        Situation(
            "live",
            live.reference,
            True,
            referred=True,
            shares_identity=True,
            shares_location=True,
            case=live,
            kwargs=_objects(live, live_approval),
        ),
        Situation(
            "live-record-only",
            record_only.reference,
            True,
            referred=True,
            shares_identity=False,
            case=record_only,
            kwargs=_objects(record_only, record_only_approval),
        ),
        Situation(
            "emergency",
            opened.reference,
            False,
            emergency=True,
            emergency_running=True,
            case=opened,
            kwargs=_objects(opened, opened_approval),
        ),
        Situation(
            "emergency-ended",
            ended.reference,
            False,
            emergency=True,
            case=ended,
            kwargs=_objects(ended, ended_approval),
        ),
        # The user's own case, with another case's objects: never reachable through one's own case.
        Situation(
            "foreign-object",
            own.reference,
            False,
            case=own,
            kwargs={**_objects(other, None), "reference": own.reference},
        ),
    ]
    alert = OversightAlert.objects.create(
        kind=OversightAlert.Kind.MASS_VIEWS, username=staff_a.username, agency=holder.name, detail="fictional"
    )
    return World(principals, situations, authority, alert.pk, session_only, workflow.today())


# --- Calling a route without changing anything --------------------------------------------------------


def call(client: Client, method: str, url: str, data: Any = None, **extra: Any) -> Any:
    """One request whose database writes are rolled back and whose cookies are put back afterwards."""
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(url, **extra)
            elif method == "POST":
                response = client.post(url, data if data is not None else {}, **extra)
            else:
                response = client.generic(method, url, **extra)
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return response


def normalised(response: Any, full_path: str, reference: str) -> tuple[int, str, str]:
    """Status, redirect and body with what may rightly differ taken out: CSRF tokens (new on each
    page), the requested path the page echoes, and the reference itself."""
    body = CSRF_VALUES.sub(r"\1\2\3\4", response.content.decode("utf-8", "replace"))
    location = response.get("Location", "")
    for text in sorted({full_path, escape(full_path), full_path.replace("&", "&amp;")}, key=len, reverse=True):
        body, location = body.replace(text, "<path>"), location.replace(text, "<path>")
    body, location = body.replace(reference, "<reference>"), location.replace(reference, "<reference>")
    return response.status_code, location, body


@dataclass
class Tally:
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    routes: set[str] = field(default_factory=set)
    variants: set[str] = field(default_factory=set)
    principals: set[str] = field(default_factory=set)
    situations: set[str] = field(default_factory=set)

    def fail(self, where: str, problem: str, response: Any) -> None:
        location = response.get("Location", "")
        self.failures.append(f"{where}: {problem} (got {response.status_code}{' -> ' + location if location else ''})")

    def summary(self, what: str) -> str:
        return (
            f"authorization matrix, {what}: {len(self.routes)} routes ({len(self.variants)} with their methods and"
            f" parameter variants) x {len(self.principals)} principals x up to {len(self.situations)} situations"
            f" = {self.requests} requests checked, {len(self.failures)} failures"
        )


# --- What each principal should get --------------------------------------------------------------------

ALLOWED, DENIED, LOGIN, HIDDEN, NOT_FOUND = "allowed", "denied", "sign-in", "hidden", "not found"


def narrower_allows(rule: Narrower, principal: Principal, situation: Situation | None, variant: dict[str, str]) -> bool:
    """The finer rule, decided from what the test set up (never by asking access.py)."""
    if rule is Narrower.HOLDER:
        return situation is not None and not situation.referred and not situation.emergency
    if rule is Narrower.MEASURE_TYPE:
        return may_record_measure(principal.role, variant["measure_type"])
    if rule is Narrower.SHARED_IDENTITY:
        return situation is not None and (not situation.referred or situation.shares_identity)
    if rule is Narrower.SHARED_LOCATION:
        # Emergency access never shows where the person lives.
        return (
            situation is not None and not situation.emergency and (not situation.referred or situation.shares_location)
        )
    if rule is Narrower.DECIDER:
        # Every principal works in the national referral mechanism and none asked for anything.
        return situation is not None and situation.case is not None and not situation.restricted
    raise AssertionError(f"no test for the narrower rule {rule}")


# Case actions emergency access allows: looking at the case record, and (for a role that sees
# identity at all) the identity page; nothing else.
EMERGENCY_ACTIONS = frozenset({"case.view", "identity.view"})


def sees(situation: Situation, principal: Principal, touches: Touches, route_name: str = "") -> bool:
    """Whether the case is the principal's to look up on a route that touches it this way."""
    if situation.visible:
        return True
    if not situation.emergency or not allowed(principal.role, "emergency.access"):
        return False
    if touches == Touches.CASE:
        return situation.emergency_running
    # The audit log lists the principal's own entries about the case (they opened it, so they know
    # it exists); no list shows a case opened in an emergency.
    return touches == Touches.CASE_FILTER and route_name == "audit_log"


def expected(
    who: str,
    touches: Touches,
    principal: Principal,
    situation: Situation | None,
    narrower: Narrower | None,
    variant: dict[str, str],
    all_cases_for: frozenset[str] = frozenset(),
    route_name: str = "",
) -> str:
    if who == PUBLIC:
        return ALLOWED
    if who == NO_ONE:
        return NOT_FOUND
    if not principal.signed_in:
        return LOGIN
    if who == SIGNED_IN:
        return ALLOWED
    if who == ANY_ROLE:
        return ALLOWED if principal.role is not None else DENIED
    if not allowed(principal.role, who):
        return DENIED
    if touches in (Touches.CASE, Touches.CASE_FILTER) and principal.role not in all_cases_for:
        assert situation is not None
        if not sees(situation, principal, touches, route_name):
            return HIDDEN
        if situation.emergency and touches == Touches.CASE and who not in EMERGENCY_ACTIONS:
            return DENIED
    if touches == Touches.APPROVAL and situation is not None and situation.case is None:
        return NOT_FOUND
    if narrower is not None and not narrower_allows(narrower, principal, situation, variant):
        return DENIED
    return ALLOWED


def check_page(
    tally: Tally,
    where: str,
    outcome: str,
    response: Any,
    route: route_policy.Route,
    method: str,
    situation: Situation | None,
) -> None:
    status, location = response.status_code, response.get("Location", "")
    to_sign_in = status in REDIRECTS and urlparse(location).path == reverse("login")
    on_case = situation is not None and route.touches == Touches.CASE
    if outcome == ALLOWED:
        if status not in SERVED:
            tally.fail(where, "should be served", response)
        elif to_sign_in and PUBLIC not in route.methods.values():
            tally.fail(where, "sent a signed-in user to sign in", response)
        elif on_case and method == "GET" and status != 200:
            tally.fail(where, "should show the case's page (200)", response)
        elif on_case and status in REDIRECTS:
            moved = CASE_IN_PATH.match(urlparse(location).path)
            if moved is None or moved.group(1) != situation.reference:  # type: ignore[union-attr]
                tally.fail(where, "should stay on the same case", response)
    elif outcome == DENIED:
        if status not in (403, 404):
            tally.fail(where, "should be refused (403 or 404)", response)
    elif outcome == LOGIN:
        if not to_sign_in:
            tally.fail(where, "should send an anonymous visitor to sign in", response)
    elif outcome == HIDDEN and route.touches == Touches.CASE_FILTER:
        # A list answers as it does for a reference no case has (compared by the caller).
        if status not in SERVED:
            tally.fail(where, "should be served", response)
    elif outcome in (HIDDEN, NOT_FOUND) and status != 404:
        tally.fail(where, "should be 404", response)


def route_variants(route: route_policy.Route) -> list[dict[str, str]]:
    """Every combination of the sample values of the route's non-object path parameters."""
    pattern = route_patterns()[route.name]
    names = [name for name in re.findall(r"<(?:\w+:)?(\w+)>", pattern) if name in SAMPLES]
    variants: list[dict[str, str]] = [{}]
    for name in names:
        variants = [{**variant, name: value} for variant in variants for value in SAMPLES[name]]
    return variants


def page_url(route: route_policy.Route, situation: Situation | None, variant: dict[str, str], world: World) -> str:
    pattern = route_patterns()[route.name]
    kwargs: dict[str, Any] = dict(variant)
    for name in re.findall(r"<(?:\w+:)?(\w+)>", pattern):
        if name in kwargs:
            continue
        assert situation is not None, f"{route.name}: no value for <{name}>"
        if name == "reference":
            kwargs[name] = situation.kwargs["reference"]
        elif name == "number":
            kwargs[name] = 1
        else:
            kwargs[name] = situation.kwargs[f"{name}:{route.name}"]
    url = reverse(route.name, kwargs=kwargs)
    query: dict[str, Any] = {}
    if route.touches == Touches.CASE_FILTER:
        assert situation is not None
        query[route.case_parameter] = situation.reference
    if route.name == "share_request":
        query["to_agency"] = world.authority.pk
    return f"{url}?{urlencode(query)}" if query else url


def page_situations(route: route_policy.Route, world: World) -> list[Situation | None]:
    if route.touches == Touches.NONE:
        return [None]
    pattern = route_patterns()[route.name]
    # Another case's object through one's own case: only where the path names such an object.
    with_object = "<int:pk>" in pattern and route.touches == Touches.CASE
    return [s for s in world.situations if s.name != "foreign-object" or with_object]


def post_data(route: route_policy.Route, world: World) -> dict[str, Any]:
    # The alerts page reviews the alert it is given; without one there is nothing to look at.
    return {"alert": world.alert_pk} if route.name == "oversight_alerts" else {}


def run_pages(world: World, routes: tuple[route_policy.Route, ...] = route_policy.PAGES) -> Tally:
    """Every page route x method x variant x principal x situation."""
    tally = Tally()
    for route in routes:
        for method, who in route.methods.items():
            for variant in route_variants(route):
                label = f"{route.name} {method}" + "".join(f" {k}={v}" for k, v in variant.items())
                tally.routes.add(route.name)
                tally.variants.add(label)
                for principal in world.principals:
                    tally.principals.add(principal.name)
                    absent: tuple[int, str, str] | None = None
                    for situation in page_situations(route, world):
                        url = page_url(route, situation, variant, world)
                        where = f"{label} as {principal.name}" + (f" on {situation.name}" if situation else "")
                        try:
                            response = call(principal.client, method, url, post_data(route, world))
                        except Exception as error:  # a crash is one more failure to report
                            tally.failures.append(f"{where}: raised {error!r}")
                            continue
                        tally.requests += 1
                        if situation is not None:
                            tally.situations.add(situation.name)
                        outcome = expected(
                            who,
                            route.touches,
                            principal,
                            situation,
                            route.narrower.get(method),
                            variant,
                            route.all_cases_for,
                            route.name,
                        )
                        check_page(tally, where, outcome, response, route, method, situation)
                        if situation is None or route.touches == Touches.APPROVAL:
                            continue
                        seen = normalised(response, url, situation.reference)
                        if situation.name == "absent":
                            absent = seen
                        elif (
                            not sees(situation, principal, route.touches, route.name)
                            and principal.role not in route.all_cases_for
                        ):
                            if seen != absent:
                                tally.fail(where, "answers differently from a case that does not exist", response)
                        elif route.touches == Touches.CASE_FILTER and outcome == ALLOWED and seen == absent:
                            tally.fail(where, "a visible case is not found by its reference", response)
    return tally


def test_every_page_answers_every_principal_on_every_kind_of_case(world: World) -> None:
    started = time.monotonic()
    tally = run_pages(world)
    # GET on a route that only takes POST: 405 for anyone signed in, whatever the case.
    own = next(s for s in world.situations if s.name == "own")
    for route in route_policy.PAGES:
        if "GET" in route.methods:
            continue
        for principal in world.principals:
            url = page_url(route, own if route.touches != Touches.NONE else None, route_variants(route)[0], world)
            response = call(principal.client, "GET", url)
            tally.requests += 1
            if principal.signed_in and response.status_code != 405:
                tally.fail(f"{route.name} GET as {principal.name}", "a POST-only route should answer 405", response)
    print(f"\n{tally.summary('pages')} ({time.monotonic() - started:.1f} s)")
    assert tally.failures == [], "\n".join(tally.failures[:100])
    assert tally.requests >= MINIMUM_PAGE_REQUESTS, tally.summary("pages")
    assert {situation.name for situation in world.situations} == tally.situations


# --- The API -------------------------------------------------------------------------------------------


def api_bodies(operation: route_policy.Operation, today: dt.date) -> list[dict[str, Any] | None]:
    """A valid body for each POST (so that the case lookup, not input validation, decides)."""
    if operation.method != "POST":
        return [None]
    name = operation.name.split(":")[-1]
    if name == "create_screening":
        return [ADULT_SITUATION]
    if name == "review_measure":
        return [{"type": "support_offer", "service": "shelter"}]
    if name == "create_measure":
        return [
            {"type": "support_offer", "date": today.isoformat(), "service": "shelter"},
            {"type": "identification_decision", "date": today.isoformat(), "decision": "presumed_victim"},
        ]
    if name == "create_service":
        return [{"entitlement": "safe_shelter", "status": "offered", "date": today.isoformat()}]
    raise AssertionError(f"no test body for {operation.name}")


def api_call(principal: Principal, method: str, url: str, body: dict[str, Any] | None, token: bool = True) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {principal.token}"} if token and principal.token else {}
    # A client of its own: the token, never a session cookie, is what the API trusts.
    client = principal.client if not token else Client()
    if body is None:
        return call(client, method, url, **headers)
    return call(client, method, url, json.dumps(body), content_type="application/json", **headers)


def api_expected(
    operation: route_policy.Operation, principal: Principal, situation: Situation | None, body: Any
) -> str:
    if principal.token is None:
        return LOGIN
    if not allowed(principal.role, "api.use") or not allowed(principal.role, operation.action):
        return DENIED
    if operation.touches == Touches.CASE:
        assert situation is not None
        if not situation.visible:
            return HIDDEN
    if operation.narrower is Narrower.MEASURE_TYPE and not may_record_measure(principal.role, body["type"]):
        return DENIED
    return ALLOWED


def check_api(tally: Tally, where: str, outcome: str, method: str, response: Any) -> None:
    status = response.status_code
    wanted = {ALLOWED: API_SERVED, DENIED: {403}, LOGIN: {401}, HIDDEN: {404}}[outcome]
    if outcome == ALLOWED and method == "GET":
        wanted = {200}
    if status not in wanted:
        tally.fail(where, f"expected {outcome} ({', '.join(str(s) for s in sorted(wanted))})", response)


def test_every_api_operation_answers_every_principal_on_every_kind_of_case(world: World) -> None:
    started = time.monotonic()
    tally = Tally()
    principals = [*world.principals, world.session_only]
    for operation in route_policy.API:
        for body in api_bodies(operation, world.today):
            label = f"{operation.method} {operation.path}" + (
                f" type={body['type']}" if body and "type" in body else ""
            )
            tally.routes.add(operation.name)
            tally.variants.add(label)
            for principal in principals:
                tally.principals.add(principal.name)
                absent: tuple[int, str, str] | None = None
                cases = [s for s in world.situations if s.name != "foreign-object"]
                for situation in cases if operation.touches == Touches.CASE else [None]:
                    url = operation.path.replace("{reference}", situation.reference if situation else "")
                    where = f"{label} as {principal.name}" + (f" on {situation.name}" if situation else "")
                    with_token = principal is not world.session_only
                    try:
                        response = api_call(principal, operation.method, url, body, token=with_token)
                    except Exception as error:  # a crash is one more failure to report
                        tally.failures.append(f"{where}: raised {error!r}")
                        continue
                    tally.requests += 1
                    if situation is not None:
                        tally.situations.add(situation.name)
                    effective = principal if with_token else Principal(principal.name, None, False, principal.client)
                    outcome = api_expected(operation, effective, situation, body)
                    check_api(tally, where, outcome, operation.method, response)
                    if situation is None:
                        continue
                    seen = normalised(response, url, situation.reference)
                    if situation.name == "absent":
                        absent = seen
                    elif not situation.visible and seen != absent:
                        tally.fail(where, "answers differently from a case that does not exist", response)
    # Methods no operation uses answer 405 on every API path.
    worker = next(p for p in world.principals if p.role == Role.CASE_WORKER)
    own = next(s for s in world.situations if s.name == "own")
    paths: dict[str, set[str]] = {}
    for operation in route_policy.API:
        paths.setdefault(operation.path, set()).add(operation.method)
    for path, used in paths.items():
        url = path.replace("{reference}", own.reference)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - used):
            response = api_call(worker, method, url, None)
            tally.requests += 1
            if response.status_code != 405:
                tally.fail(f"{method} {path}", "a method no operation uses should answer 405", response)
    print(f"\n{tally.summary('API')} ({time.monotonic() - started:.1f} s)")
    assert tally.failures == [], "\n".join(tally.failures[:100])
    assert tally.requests >= MINIMUM_API_REQUESTS, tally.summary("API")


# --- The matrix can fail ---------------------------------------------------------------------------------


def test_the_matrix_notices_a_view_that_ignores_restrictions(world: World, monkeypatch: Any) -> None:
    """Break access.case_for so that it ignores restrictions: the matrix must report the cases shown."""
    from rightsfirst.web import access
    from rightsfirst.web.models import Case as CaseModel

    original = access.case_for

    def leaky(user: Any, reference: str, action: str = "case.view") -> Case:
        if CaseRestriction.objects.filter(case__reference=reference).exists() and access.may(user, action):
            return CaseModel.objects.select_related("person", "holding_agency").get(reference=reference)
        return original(user, reference, action)

    monkeypatch.setattr(access, "case_for", leaky)
    detail = next(route for route in route_policy.PAGES if route.name == "case_detail")
    tally = run_pages(world, (detail,))
    leaked = {line.split(" on ")[1].split(":")[0] for line in tally.failures}
    assert leaked == {"restricted-agency", "restricted-user"}, tally.failures


def test_the_matrix_notices_a_route_that_answers_403_for_a_hidden_case(world: World, monkeypatch: Any) -> None:
    """A view that says "not allowed" rather than "not found" for a case the user may not see gives
    the case's existence away; the matrix must say so."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from rightsfirst.web import access

    original = access.case_for

    def telling(user: Any, reference: str, action: str = "case.view") -> Case:
        try:
            return original(user, reference, action)
        except Http404:
            if Case.objects.filter(reference=reference).exists():
                raise PermissionDenied from None
            raise

    monkeypatch.setattr(access, "case_for", telling)
    detail = next(route for route in route_policy.PAGES if route.name == "rights_panel")
    tally = run_pages(world, (detail,))
    assert tally.failures, "a 403 for an existing hidden case went unnoticed"
    assert all("answers differently" in line or "should be 404" in line for line in tally.failures)


def test_the_matrix_notices_emergency_access_that_allows_acts_or_outlives_its_time(
    world: World, monkeypatch: Any
) -> None:
    """Break emergency access twice: once so that it lets its user act on the case (not only look),
    once so that it never runs out. The matrix must report each, on the emergency situations only."""
    from django.db.models import QuerySet

    from rightsfirst.web import access

    routes = tuple(route for route in route_policy.PAGES if route.name in ("case_detail", "case_move"))
    original = access._through_emergency_access
    monkeypatch.setattr(
        access, "_through_emergency_access", lambda user, reference, action: original(user, reference, "case.view")
    )
    acting = run_pages(world, routes)
    assert acting.failures and all("case_move POST" in line and " on emergency:" in line for line in acting.failures)
    monkeypatch.undo()

    def forever(user: Any) -> QuerySet[EmergencyAccess]:
        return EmergencyAccess.objects.filter(user=user.pk, ended_at__isnull=True)

    monkeypatch.setattr(access, "running_emergency_access", forever)
    lasting = run_pages(world, routes)
    assert lasting.failures and all(" on emergency-ended:" in line for line in lasting.failures)


# --- What the matrix found, one test each --------------------------------------------------------------


def _principal(world: World, name: str) -> Principal:
    return next(principal for principal in world.principals if principal.name == name)


def _situation(world: World, name: str) -> Situation:
    return next(situation for situation in world.situations if situation.name == name)


def test_the_audit_log_does_not_tell_a_coordinator_whether_a_case_exists(world: World) -> None:
    """Filtering the audit log by a reference used to link the reader's own audit entry to any case
    of that reference, and the entry was listed at once: a hidden case showed one row more than a
    reference no case has. Colleagues' work on a case kept from the reader was listed too."""
    coordinator = _principal(world, "coordinator")

    def listing(reference: str) -> tuple[int, str, str]:
        url = f"{reverse('audit_log')}?{urlencode({'case': reference})}"
        return normalised(call(coordinator.client, "GET", url), url, reference)

    absent = listing(ABSENT_REFERENCE)
    for name in ("other", "restricted-agency", "restricted-user", "withdrawn", "expired"):
        assert listing(_situation(world, name).reference) == absent, name
    assert listing(_situation(world, "own").reference) != absent, "a visible case's entries are listed"


def test_an_approval_about_a_case_kept_from_someone_is_not_theirs_to_see_or_decide(world: World) -> None:
    """A decider in the national referral mechanism may decide other agencies' requests, but not
    about a case kept from them or their agency: they used to see its reference and the reason."""
    coordinator = _principal(world, "coordinator")
    pending = {approval.pk for approval in approvals.pending_for(coordinator.user)}
    for name in ("restricted-agency", "restricted-user"):
        pk = _situation(world, name).kwargs["pk:approval_decide"]
        assert call(coordinator.client, "GET", reverse("approval_decide", args=[pk])).status_code == 403, name
        assert pk not in pending, name
    for name in ("own", "other", "live"):
        pk = _situation(world, name).kwargs["pk:approval_decide"]
        assert call(coordinator.client, "GET", reverse("approval_decide", args=[pk])).status_code == 200, name
        assert pk in pending, name


def test_moving_a_case_to_a_stage_that_does_not_exist_is_bad_input_not_a_refusal(world: World) -> None:
    """An unknown stage used to answer 403, as if the role were refused; 403 is for moves the role
    may not make."""
    own = _situation(world, "own")
    worker = _principal(world, "case_worker")
    url = reverse("case_move", args=[own.reference])
    before = Case.objects.get(reference=own.reference).stage
    assert call(worker.client, "POST", url, {"stage": "nowhere"}).status_code == 400
    assert call(worker.client, "POST", url, {}).status_code == 400
    assert call(worker.client, "POST", url, {"stage": "closed"}).status_code == 403
    assert Case.objects.get(reference=own.reference).stage == before


def test_a_coordinator_of_an_agency_a_case_was_referred_to_is_refused_an_erasure_decision(world: World) -> None:
    """Only the holding agency decides a request to be erased. A coordinator of an agency the case
    was referred to used to be sent back to the erasure page with a message, as if the request
    could not be decided for some passing reason; it is a refusal (403), as for every other act kept
    to the holding agency, and nothing changes."""
    coordinator = _principal(world, "coordinator")
    for name in ("live", "live-record-only"):
        situation = _situation(world, name)
        pk = situation.kwargs["pk:erasure_decide"]
        url = reverse("erasure_decide", args=[situation.reference, pk])
        response = call(coordinator.client, "POST", url, {"decision": "grant"})
        assert response.status_code == 403, name
        assert Case.objects.get(reference=situation.reference).erased_at is None, name
    own = _situation(world, "own")
    url = reverse("erasure_decide", args=[own.reference, own.kwargs["pk:erasure_decide"]])
    # In the holding agency the same request is decided (an empty refusal is shown again with its errors).
    assert call(coordinator.client, "POST", url, {"decision": "refuse"}).status_code == 200


def test_find_a_person_searches_only_cases_whose_identity_the_user_may_see(world: World) -> None:
    """A search by name used to look through every case the user may see, also those referred under
    a consent that shares no identity: the name then led to the case, which the consent had not
    allowed. Every case of the world has the same given names."""
    worker = _principal(world, "case_worker")
    response = call(worker.client, "POST", reverse("person_search"), {"term": IDENTITY["given_names"]})
    assert response.status_code == 200
    page = response.content.decode()
    for situation in world.situations:
        if situation.name in ("absent", "foreign-object"):
            continue
        expected = situation.visible and (not situation.referred or situation.shares_identity)
        assert (situation.reference in page) is expected, situation.name
