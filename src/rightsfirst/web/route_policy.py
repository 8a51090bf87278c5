"""Who may use each route of the application, and what kind of object it touches.

Every URL pattern (by name) and every API operation is declared here once. The authorization
matrix (tests/web/test_authorization_matrix.py) walks the URL configuration and the API's
OpenAPI schema: a route that is not declared here, or a declaration whose route is gone, fails
it; then it calls every declared route as every role, as an anonymous visitor and as an account
without a role, on cases of every kind (the user's agency's own, another agency's, restricted,
shared under a consent since withdrawn or expired, shared under a live consent), and checks the
answers against these declarations. The table lives here, beside roles.py, rather than in the
test, so that who may reach a page is reviewed with the code that serves it, and a new view
cannot be added without a line here.

Who may use a route is an action of `roles.PERMISSIONS` (so the one table of what each role may
do stays the only one), or one of:

- PUBLIC: anyone, signed in or not (signing in and out, the language switch, the API's docs);
- SIGNED_IN: anyone signed in, with or without a role (their own account);
- ANY_ROLE: anyone signed in with a role;
- NO_ONE: answers "not found" to everyone (a route that exists only so that others can be named).

Routes that touch a case also need the case to be visible to the user (access.visible_cases),
or, for looking only (the "case.view" action), opened to them through their running emergency
access (access.case_for); a case the user may not see answers exactly as a case that does not
exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from rightsfirst.web.roles import PERMISSIONS, Role

PUBLIC = "public"
SIGNED_IN = "signed-in"
ANY_ROLE = "any-role"
NO_ONE = "no-one"
SPECIAL = frozenset({PUBLIC, SIGNED_IN, ANY_ROLE, NO_ONE})


class Touches(StrEnum):
    """What a route reads or changes, beyond the user's own session."""

    NONE = "none"
    # The path names a case by its reference (and perhaps an object of that case).
    CASE = "case"
    # A query parameter names a case: a list filtered by reference must not show whether a
    # case the user may not see exists.
    CASE_FILTER = "case-filter"
    # The path names an approval, which may name a case.
    APPROVAL = "approval"


class Narrower(StrEnum):
    """A finer rule a view applies after the action's role check (and, on a case, after finding
    that the user may see it)."""

    # Only the agency that holds the case (not one it was referred to).
    HOLDER = "holder"
    # roles.MEASURE_ROLES: some measure types belong to some roles only.
    MEASURE_TYPE = "measure-type"
    # On a case referred to the user's agency, only if the consent shares some of the identity.
    SHARED_IDENTITY = "shared-identity"
    # On a case referred to the user's agency, only if the consent shares where the person lives
    # (the "contact" part, which holds the address).
    SHARED_LOCATION = "shared-location"
    # approvals.may_decide: not one's own request; the requester's agency or the national
    # referral mechanism; never for a case kept from the user or their agency.
    DECIDER = "decider"


@dataclass(frozen=True)
class Route:
    """One URL pattern: who may use it with each HTTP method, and what it touches."""

    name: str
    methods: Mapping[str, str]
    touches: Touches = Touches.NONE
    narrower: Mapping[str, Narrower] = field(default_factory=dict)
    # Touches.CASE_FILTER: the query parameter that names the case.
    case_parameter: str = ""
    # Roles for which every case counts as one they may look up on this route (the audit log
    # of the whole system is for administrators and oversight).
    all_cases_for: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Operation:
    """One API operation. Every one also needs the "api.use" action and a valid token."""

    name: str
    method: str
    path: str
    action: str
    touches: Touches = Touches.NONE
    narrower: Narrower | None = None


def _route(name: str, touches: Touches = Touches.NONE, **methods: str) -> Route:
    return Route(name, {method.upper(): who for method, who in methods.items()}, touches)


CASE = Touches.CASE

PAGES: tuple[Route, ...] = (
    # Signing in and out, the language switch.
    _route("login", get=PUBLIC, post=PUBLIC),
    _route("logout", post=PUBLIC),
    _route("set_language", get=PUBLIC, post=PUBLIC),
    _route("two_factor_verify", get=SIGNED_IN, post=SIGNED_IN),
    _route("two_factor_setup", get=SIGNED_IN, post=SIGNED_IN),
    _route("account", get=SIGNED_IN, post=SIGNED_IN),
    _route("password_change", get=SIGNED_IN, post=SIGNED_IN),
    # Security keys: one's own only (another user's key answers "not found"). Adding the first key
    # at sign-in and the key ceremonies are reached before the second factor is complete; each
    # ceremony is refused unless this session began it (security_keys.py).
    _route("security_key_setup", get=SIGNED_IN, post=SIGNED_IN),
    _route("security_key_assert_begin", post=SIGNED_IN),
    _route("security_key_assert_finish", post=SIGNED_IN),
    _route("security_key_register_begin", post=SIGNED_IN),
    _route("security_key_register_finish", post=SIGNED_IN),
    _route("security_key_add", get=SIGNED_IN, post=SIGNED_IN),
    _route("security_key_remove", get=SIGNED_IN, post=SIGNED_IN),
    _route("home", get=ANY_ROLE),
    # Cases.
    Route("case_list", {"GET": "case.list"}, Touches.CASE_FILTER, case_parameter="q"),
    _route("case_create", get="case.create", post="case.create"),
    _route("case_detail", CASE, get="case.view"),
    _route("rights_panel", CASE, get="case.view"),
    Route(
        "case_identity",
        {"GET": "identity.view", "POST": "identity.view"},
        CASE,
        narrower={"GET": Narrower.SHARED_IDENTITY, "POST": Narrower.SHARED_IDENTITY},
    ),
    Route("case_restrictions", {"GET": "case.view", "POST": "case.restrict"}, CASE, narrower={"POST": Narrower.HOLDER}),
    _route("case_move", CASE, post="case.transition"),
    _route("rights_sheet", CASE, get="case.view"),
    # Retention: legal hold (a form on the case page), the person's requests to be erased, and
    # their decision (a coordinator of the holding agency other than the recorder).
    _route("case_hold", CASE, post="case.hold"),
    Route("case_erasure", {"GET": "case.view", "POST": "erasure.request"}, CASE),
    Route("erasure_decide", {"POST": "erasure.decide"}, CASE, narrower={"POST": Narrower.HOLDER}),
    # Find a person by name or document number (the term only in a POST body).
    _route("person_search", get="person.search", post="person.search"),
    # Screening.
    _route("screening_start", CASE, get="screening.edit", post="screening.edit"),
    _route("screening_answer", CASE, post="screening.edit"),
    _route("screening_finish", CASE, post="screening.edit"),
    _route("screening_history", CASE, get="case.view"),
    _route("screening_detail", CASE, get="case.view"),
    # Measures.
    _route("measure_list", CASE, get="case.view"),
    _route("measure_choose", CASE, get="measure.record"),
    Route(
        "measure_new",
        {"GET": "measure.record", "POST": "measure.record"},
        CASE,
        narrower={"GET": Narrower.MEASURE_TYPE, "POST": Narrower.MEASURE_TYPE},
    ),
    _route("measure_detail", CASE, get="case.view"),
    _route("case_proceedings", CASE, get="case.view"),
    _route("case_remedies", CASE, get="case.view"),
    _route("case_return", CASE, get="case.view"),
    _route("case_children", CASE, get="case.view"),
    # Services, consents, referrals, dates.
    _route("case_services", CASE, get="case.view"),
    _route("service_record", CASE, post="service.record"),
    _route("case_consents", CASE, get="case.view"),
    _route("consent_record", CASE, post="consent.record"),
    _route("consent_withdraw", CASE, post="consent.record"),
    _route("case_refer", CASE, get="case.view", post="case.refer"),
    _route("case_dates", CASE, get="case.view", post="case.dates"),
    # Approvals (two-person rule), export, oversight.
    _route("approval_list", get="approval.request"),
    Route(
        "approval_decide",
        {"GET": "approval.decide", "POST": "approval.decide"},
        Touches.APPROVAL,
        narrower={"GET": Narrower.DECIDER, "POST": Narrower.DECIDER},
    ),
    _route("role_grant_request", get="role.grant", post="role.grant"),
    _route("share_request", CASE, get="case.refer", post="case.refer"),
    Route(
        "location_request",
        {"GET": "identity.view", "POST": "identity.view"},
        CASE,
        narrower={"GET": Narrower.SHARED_LOCATION, "POST": Narrower.SHARED_LOCATION},
    ),
    _route("case_export", get="export.cases", post="export.cases"),
    # Emergency access: asked by full reference in a POST body (the page names no case); each use
    # reviewed by a coordinator of the agency holding the case, never its user.
    _route("emergency_access", get="emergency.access", post="emergency.access"),
    _route("emergency_reviews", get="emergency.review"),
    Route(
        "emergency_review",
        {"GET": "emergency.review", "POST": "emergency.review"},
        CASE,
        narrower={"GET": Narrower.HOLDER, "POST": Narrower.HOLDER},
    ),
    _route("oversight_alerts", get="oversight.alerts", post="oversight.alerts"),
    # Coordination and oversight.
    _route("dashboard", get="dashboard.deadlines"),
    _route("dashboard_list", get="dashboard.deadlines"),
    # Monitoring: protected statistics of the cases in the user's scope (no case, no identity).
    _route("monitoring", get="statistics.view"),
    _route("monitoring_indicator", get="statistics.view"),
    _route("monitoring_download_csv", get="statistics.view"),
    _route("monitoring_download_json", get="statistics.view"),
    Route(
        "audit_log",
        {"GET": "audit.view"},
        Touches.CASE_FILTER,
        case_parameter="case",
        all_cases_for=frozenset({Role.ADMINISTRATOR, Role.OVERSIGHT}),
    ),
    # The law.
    _route("framework_index", get="framework.view"),
    _route("framework_provision", get="framework.view"),
    # The API's own pages: its schema and documentation (no personal data), and the root that
    # django-ninja adds only to name the others.
    _route("api-1:openapi-json", get=PUBLIC),
    _route("api-1:openapi-view", get=PUBLIC),
    _route("api-1:docs_asset", get=PUBLIC),
    _route("api-1:api-root", get=NO_ONE),
)

API: tuple[Operation, ...] = (
    Operation("api-1:list_cases", "GET", "/api/cases", "case.list"),
    Operation("api-1:get_case", "GET", "/api/cases/{reference}", "case.view", CASE),
    Operation("api-1:create_screening", "POST", "/api/cases/{reference}/screenings", "screening.edit", CASE),
    Operation("api-1:list_screenings", "GET", "/api/cases/{reference}/screenings", "case.view", CASE),
    Operation("api-1:get_entitlements", "GET", "/api/cases/{reference}/entitlements", "case.view", CASE),
    Operation("api-1:review_measure", "POST", "/api/cases/{reference}/measures/review", "case.view", CASE),
    Operation(
        "api-1:create_measure",
        "POST",
        "/api/cases/{reference}/measures",
        "measure.record",
        CASE,
        Narrower.MEASURE_TYPE,
    ),
    Operation("api-1:list_measures", "GET", "/api/cases/{reference}/measures", "case.view", CASE),
    Operation("api-1:list_services", "GET", "/api/cases/{reference}/services", "case.view", CASE),
    Operation("api-1:create_service", "POST", "/api/cases/{reference}/services", "service.record", CASE),
)


def problems() -> list[str]:
    """Mistakes in the declarations themselves: unknown actions, methods or duplicate names."""
    found: list[str] = []
    names = [route.name for route in PAGES] + [operation.name for operation in API]
    found += [f"{name}: declared twice" for name in sorted({n for n in names if names.count(n) > 1})]
    for route in PAGES:
        if not route.methods:
            found.append(f"{route.name}: no method declared")
        for method, who in route.methods.items():
            if method not in ("GET", "POST"):
                found.append(f"{route.name}: method {method} (GET or POST expected)")
            if who not in SPECIAL and who not in PERMISSIONS:
                found.append(f"{route.name} {method}: {who!r} is neither an action in roles.PERMISSIONS nor special")
        for method in route.narrower:
            if method not in route.methods:
                found.append(f"{route.name}: a narrower rule for {method}, which is not declared")
        if (route.touches == Touches.CASE_FILTER) != bool(route.case_parameter):
            found.append(f"{route.name}: a case_parameter goes with Touches.CASE_FILTER, and only with it")
    for operation in API:
        if operation.action not in PERMISSIONS:
            found.append(f"{operation.name}: {operation.action!r} is not an action in roles.PERMISSIONS")
    return found
