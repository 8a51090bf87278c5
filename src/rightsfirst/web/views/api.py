"""The REST API (django-ninja), with an OpenAPI schema at /api/openapi.json and docs at /api/docs.

Callers authenticate with `Authorization: Bearer <token>` (see the `issue_api_token` command);
a session cookie alone never authenticates an API call, so the API needs no CSRF token.
Every endpoint asks access.py exactly as the pages do: a role that may not do something at all
gets 403; a case that does not exist and a case the caller may not see both get the same 404.
Everything returned is pseudonymous: cases are named by their reference, never by the person.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import math
import re
import threading
import time
from pathlib import Path
from typing import Any

import ninja
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.template import engines
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Body, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from pydantic import BaseModel, ConfigDict, Field, field_validator

from rightsfirst import engine
from rightsfirst.engine.inputs import SITUATION_SPEC
from rightsfirst.engine.measures import MEASURE_SCHEMA_VERSION, MEASURE_SPECS
from rightsfirst.engine.results import FINDING_RANK
from rightsfirst.engine.schema import all_schemas
from rightsfirst.engine.spec import json_schema
from rightsfirst.framework.model import ParameterNotDefined
from rightsfirst.web import access, adapter, audit, workflow
from rightsfirst.web.lifecycle import Stage
from rightsfirst.web.limits import MAX_PERIOD, MAX_TEXT, date_problem
from rightsfirst.web.models import ApiToken, Case, Measure, Screening, ServiceEvent
from rightsfirst.web.roles import may_record_measure

logger = logging.getLogger(__name__)

# --- Authentication --------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`, checked against the stored hashes of live tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        """The token's user, or None (401) for an unknown, revoked or inactive one.

        A valid token whose user's role may not use the API at all is refused with 403.
        """
        record = ApiToken.find(token)
        if record is None:
            return None
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
        # The rest of the request (middleware included: no-store caching) acts as this user,
        # never as whoever a session cookie on the same request might belong to.
        request.user = record.user
        request.api_token_id = record.pk  # counted by TokenRateLimit
        access.require(record.user, "api.use")
        return record.user


class TokenRateLimit(BaseThrottle):
    """At most RIGHTSFIRST_API_RATE requests per token in each fixed window; then 429 with Retry-After.

    A counter per token and window, raised with the cache's atomic increment, so two requests of
    one token in two threads or processes sharing the cache cannot both take the last place (the
    library's sliding-window throttles read and rewrite a list and keep per-request state on an
    instance that every thread shares). The rate is read on every request, so settings apply at once.
    """

    def __init__(self) -> None:
        self._retry_after = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        """Count this request against its token's window; False once the window is full."""
        rate = settings.RIGHTSFIRST_API_RATE
        token_id = getattr(request, "api_token_id", None)
        if rate is None or token_id is None:
            return True
        allowed, period = rate
        now = time.time()
        window = int(now // period)
        key = f"rightsfirst:api-rate:{token_id}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            used = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=period + 1)
            used = 1
        self._retry_after.seconds = (window + 1) * period - now
        if used == allowed + 1:
            logger.warning("API token %s reached its limit of %s requests per %s s", token_id, allowed, period)
        return used <= allowed

    def wait(self) -> float | None:
        """Seconds until the token's window ends (sent as Retry-After)."""
        return getattr(self._retry_after, "seconds", None)


# --- Interactive documentation, served without any CDN --------------------------------------

# django-ninja ships Swagger UI in its package. It is not an installed app here, so its stock
# template would fall back to a CDN; these few files are served from the package instead, so that
# opening the docs neither needs a good connection nor tells a third party about the visit.
SWAGGER_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
DOCS_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}
DOCS_PAGE = """{% load i18n %}<!DOCTYPE html>
<html lang="{{ LANGUAGE_CODE|default:'en' }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="stylesheet" href="{{ assets.css }}">
<link rel="icon" href="{{ assets.icon }}" type="image/png">
</head>
<body data-csrf-token="" data-api-csrf="">
<noscript><p>{% blocktranslate with url=schema_url %}This page needs JavaScript. The API schema itself is at \
<a href="{{ url }}">{{ url }}</a>.{% endblocktranslate %}</p></noscript>
{{ swagger_settings|json_script:"swagger-settings" }}
<div id="swagger-ui"></div>
<script src="{{ assets.bundle }}"></script>
<script src="{{ assets.init }}"></script>
</body>
</html>
"""


class LocalSwagger(Swagger):
    """Swagger UI from the files bundled with django-ninja, never from a CDN."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        """The docs page, with Swagger UI's settings as JSON data (no inline script)."""
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}

        def asset(name: str) -> str:
            return reverse(f"{api.urls_namespace}:docs_asset", kwargs={"name": name})

        context = {
            "title": _("Rightsfirst API"),
            "schema_url": settings["url"],
            "swagger_settings": settings,
            "assets": {
                "css": asset("swagger-ui.css"),
                "icon": asset("favicon.png"),
                "bundle": asset("swagger-ui-bundle.js"),
                "init": asset("swagger-ui-init.js"),
            },
        }
        template = engines["django"].from_string(DOCS_PAGE)
        return HttpResponse(template.render(context, request))


# --- Request bodies --------------------------------------------------------------------------


class UnstorableValue(ValueError):
    """A JSON body holding a value the databases cannot store or give back as JSON."""

    def __init__(self, loc: list[str | int], msg: str) -> None:
        self.loc = loc
        self.msg = msg
        super().__init__(msg)


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON: PostgreSQL refuses them in jsonb and no client could read them back.
    raise UnstorableValue(["body"], _("%(value)s is not a number JSON allows.") % {"value": name})


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as infinity
        raise UnstorableValue(["body"], _("%(value)s is too large a number.") % {"value": text[:40]})
    return value


def _text_problem(value: str) -> str | None:
    if len(value) > MAX_TEXT:
        return _("this text is longer than the %(limit)s characters allowed.") % {"limit": MAX_TEXT}
    if not _storable_text(value):
        return _("this text holds a NUL character or invalid Unicode.")
    return None


def _storable_text(value: str) -> bool:
    # PostgreSQL text and jsonb cannot hold NUL characters; an unpaired surrogate is not UTF-8 at all.
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_storable(data: Any, loc: list[str | int]) -> None:
    """Refuse (UnstorableValue, naming where) text a database could not store, or longer than any field takes."""
    stack: list[tuple[Any, list[str | int]]] = [(data, loc)]
    while stack:  # a loop, not recursion: the nesting depth is the sender's choice
        value, where = stack.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                raise UnstorableValue(where, problem)
        elif isinstance(value, dict):
            for key, item in value.items():
                problem = _text_problem(key)
                if problem:
                    raise UnstorableValue(where, _("a field name is not allowed: %(problem)s") % {"problem": problem})
                stack.append((item, [*where, key]))
        elif isinstance(value, list):
            stack.extend((item, [*where, index]) for index, item in enumerate(value))


class StrictJSONParser(Parser):
    """JSON bodies as Python data, refusing what JSON does not allow and text a database cannot store."""

    def parse_body(self, request: HttpRequest) -> Any:
        """The parsed body; raises ValueError (answered 400 or 422) for anything else."""
        data = json.loads(request.body, parse_constant=_refuse_constant, parse_float=_finite_float)
        check_storable(data, ["body"])
        return data


api = NinjaAPI(
    title="Rightsfirst API",
    version="1",
    description=(
        "Pseudonymous access to cases: screening, entitlements, review of measures and services. "
        "Authenticate with `Authorization: Bearer <token>`. A case that does not exist and a case you may "
        "not see both answer 404. Each token may make a limited number of requests per minute (429 with "
        "Retry-After beyond it). Engine inputs follow the JSON Schemas in docs/schema (situation.v1.json, "
        "measure.v1.json); results follow the result schemas there."
    ),
    auth=TokenAuth(),
    throttle=[TokenRateLimit()],
    parser=StrictJSONParser(),
    # Swagger UI would otherwise send the schema's address to its public validator for a badge.
    docs=LocalSwagger(settings={"validatorUrl": None}),
    docs_url="/docs",
)


@api.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs_asset")
def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    """One of the Swagger UI files bundled with django-ninja (a fixed list: no path from the URL)."""
    if name not in DOCS_ASSETS:
        raise Http404("not found")
    response = FileResponse((SWAGGER_DIR / name).open("rb"), content_type=DOCS_ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- Errors ------------------------------------------------------------------------------------


def _error(request: HttpRequest, detail: Any, status: int, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    # One fixed body, so an unknown reference and a forbidden one cannot be told apart.
    return _error(request, _("Not found."), 404)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, _("Your role does not allow this."), 403)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # django-ninja answers a body its parser refused with a bare "Cannot parse request body";
    # the cause says what was wrong, and where.
    cause = exc.__cause__
    if isinstance(cause, UnstorableValue):
        return _error(request, [{"loc": cause.loc, "msg": cause.msg, "allowed": []}], 422)
    if exc.status_code == 400 and cause is not None:
        message = _("The request body is not valid JSON (%(problem)s).") % {"problem": _parse_problem(cause)}
        return _error(request, [{"loc": ["body"], "msg": message, "allowed": []}], 400)
    if exc.status_code == 429:
        message = _("This token has made as many requests as it may for now; wait as many seconds as Retry-After says.")
        return _error(request, message, 429)
    return _error(request, str(exc), exc.status_code)


def _parse_problem(cause: BaseException) -> str:
    if isinstance(cause, json.JSONDecodeError):
        # Python's own words for the problem (English), and where it is.
        return _("%(problem)s, line %(line)s column %(column)s") % {
            "problem": cause.msg,
            "line": cause.lineno,
            "column": cause.colno,
        }
    if isinstance(cause, UnicodeDecodeError):
        return _("not UTF-8 at byte %(byte)s") % {"byte": cause.start}
    if isinstance(cause, RecursionError):
        return _("nested too deeply")
    return type(cause).__name__


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = _("The request body is larger than the %(limit)s bytes allowed.") % {"limit": limit}
    return _error(request, [{"loc": ["body"], "msg": message, "allowed": []}], 413)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = _error(request, _("A valid API token is required (Authorization: Bearer <token>)."), 401)
    response["WWW-Authenticate"] = 'Bearer realm="rightsfirst"'
    return response


_PATH_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def input_error_loc(path: str) -> list[str | int]:
    """The engine's field path ("person.age", "actions[0]") as a location in the request body.

    The screening body is the situation itself, so the engine's leading "situation" is dropped.
    """
    parts: list[str | int] = []
    if path != "(top level)":
        for index, name in _PATH_PART.findall(path):
            parts.append(int(index) if index else name)
    if parts[:1] == ["situation"]:
        parts = parts[1:]
    return ["body", *parts]


def input_error_detail(exc: engine.InputError) -> list[dict[str, Any]]:
    """An engine InputError in the shape of the API's other validation errors."""
    return [{"loc": input_error_loc(exc.path), "msg": exc.problem, "allowed": list(exc.allowed)}]


@api.exception_handler(engine.InputError)
def _bad_input(request: HttpRequest, exc: engine.InputError) -> HttpResponse:
    return _error(request, input_error_detail(exc), 422)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Every body parameter is called `payload`; leaving that name out of the location makes
    # these errors point into the body just as the engine's own errors do.
    detail = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        if loc[:2] == ["body", "payload"]:
            loc = ["body", *loc[2:]]
        detail.append({**error, "loc": loc})
    return _error(request, detail, 422)


class Invalid(Exception):
    """A check the API makes itself, answered in the same shape as the engine's InputError."""

    def __init__(self, loc: list[str | int], msg: str, allowed: list[str] | None = None) -> None:
        self.loc = loc
        self.msg = msg
        self.allowed = allowed or []
        super().__init__(msg)


@api.exception_handler(Invalid)
def _invalid(request: HttpRequest, exc: Invalid) -> HttpResponse:
    return _error(request, [{"loc": exc.loc, "msg": exc.msg, "allowed": exc.allowed}], 422)


# --- Schemas -----------------------------------------------------------------------------------


class CaseOut(Schema):
    """A case, pseudonymous: its reference, never the person."""

    reference: str
    stage: str
    referred_on: dt.date
    reasonable_grounds_on: dt.date | None
    identified_on: dt.date | None
    reflection_period_started_on: dt.date | None
    reflection_period_days: int | None
    finding: str = Field(description="The latest screening's finding; empty until the case is screened.")
    treated_as_child: bool
    forms_of_exploitation: list[str]
    overdue_count: int
    next_due: dt.date | None
    holding_agency: str = Field(description="The name of the agency holding the case.")
    created_at: dt.datetime
    updated_at: dt.datetime


MAX_OFFSET = 1_000_000_000


class CaseFilters(Schema):
    limit: int = Field(25, ge=1, le=100, description="At most this many cases.")
    # Bounded: the databases take a 64-bit offset at most, and no list is anywhere near this long.
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Skip this many cases first.")
    stage: Stage | None = Field(None, description="Only cases in this stage.")
    finding: str | None = Field(
        None, description=f"Only cases whose latest screening found this: {', '.join(sorted(FINDING_RANK))}."
    )
    child: bool | None = Field(None, description="true: only children; false: only adults.")


class CasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseOut]


class ScreeningOut(Schema):
    number: int
    finding: str
    treated_as_child: bool
    framework_version: str
    profile: str
    assessed_on: dt.date
    created_at: dt.datetime
    situation: dict[str, Any] = Field(description="The facts screened (docs/schema/situation.v1.json).")
    result: dict[str, Any] = Field(description="The engine's result (docs/schema/screening-result.v1.json).")


def with_measure_facts(schema: dict[str, Any]) -> None:
    """Declare a measure body's facts: one branch per measure type, from the engine's measure schema.

    The model itself only reads type and date (the engine validates the facts, with field paths);
    the branches tell clients, and the schema-driven tests, which facts each type takes. The API's
    own fields are allowed in every branch, with the types the model gives them.
    """
    branches = copy.deepcopy(all_schemas()[f"measure.v{MEASURE_SCHEMA_VERSION}.json"]["oneOf"])
    for branch in branches:
        for name in schema["properties"]:
            if name != "type":
                branch["properties"][name] = {}
        for name in branch["properties"]:
            if name in PERIOD_FACTS:
                for choice in branch["properties"][name].get("anyOf", []):
                    if choice.get("type") == "number":
                        choice["maximum"] = MAX_PERIOD
    schema["oneOf"] = branches


def _period_facts() -> frozenset[str]:
    # Numbers of days or months: every number fact the engine leaves unbounded, except amounts of money.
    return frozenset(
        item.name
        for spec in MEASURE_SPECS.values()
        for item in spec.fields
        if item.kind == "number" and item.maximum is None and not item.name.startswith("amount_")
    )


PERIOD_FACTS = _period_facts()


def _date_within_bounds(value: dt.date | None) -> dt.date | None:
    problem = date_problem(value) if value is not None else None
    if problem:
        raise ValueError(problem)
    return value


class MeasureReviewIn(BaseModel):
    """A proposed measure: its type, date and facts (docs/schema/measure.v1.json), all at the top level."""

    # A plain pydantic model: ninja's Schema reads attributes and would drop the facts.
    model_config = ConfigDict(extra="allow", json_schema_extra=with_measure_facts)

    type: str = Field(description="The measure type, e.g. support_offer, detention, return.")
    date: dt.date | None = Field(None, description="When it was or is to be taken; today if left out.")

    _bounded = field_validator("date")(_date_within_bounds)


class MeasureIn(BaseModel):
    """A measure to record: type, date and facts at the top level, plus what the engine does not read."""

    model_config = ConfigDict(extra="allow", json_schema_extra=with_measure_facts)

    type: str = Field(description="The measure type, e.g. support_offer, detention, return.")
    date: dt.date = Field(description="When the measure was or is to be taken.")
    override_justification: str = Field(
        "",
        max_length=4000,
        description=(
            "Not accepted through the API (403): a coordinator overrides a violation in the application,"
            " confirming with a one-time code."
        ),
    )
    details: dict[str, Any] = Field(default_factory=dict, description="Further details the engine does not use.")

    _bounded = field_validator("date")(_date_within_bounds)


class MeasureOut(Schema):
    id: int
    type: str
    decided_on: dt.date
    facts: dict[str, Any]
    details: dict[str, Any]
    outcome: str
    overridden: bool
    override_justification: str
    framework_version: str
    agency: str
    recorded_at: dt.datetime
    review: dict[str, Any] = Field(description="The review when it was saved (docs/schema/review-result.v1.json).")


class ServiceIn(Schema):
    entitlement: str = Field(description="The id of one of the case's entitlements (see /entitlements).")
    status: ServiceEvent.Status
    date: dt.date
    note: str = Field("", max_length=4000)

    _bounded = field_validator("date")(_date_within_bounds)


class ServiceOut(Schema):
    id: int
    entitlement: str
    status: str
    date: dt.date
    agency: str
    note: str
    recorded_at: dt.datetime


class Problem(Schema):
    detail: Any


# --- Helpers -----------------------------------------------------------------------------------


def _user(request: HttpRequest) -> Any:
    return request.auth


def _case(request: HttpRequest, reference: str, action: str = "case.view") -> Case:
    """The case, if the caller's role allows `action` at all (else 403) and may act on this case (else 404)."""
    user = _user(request)
    access.require(user, action)
    # Emergency access is for a person at a screen, never for an integration's token.
    return access.case_for(user, reference.strip().upper(), action, emergency=False)


def _viewed(request: HttpRequest, case: Case, what: str) -> None:
    audit.record(_user(request), "api.case.view", case=case, target=what)


def case_out(case: Case) -> dict[str, Any]:
    """The pseudonymous view of a case. Built field by field so nothing about the person slips in."""
    return {
        "reference": case.reference,
        "stage": case.stage,
        "referred_on": case.referred_on,
        "reasonable_grounds_on": case.reasonable_grounds_on,
        "identified_on": case.identified_on,
        "reflection_period_started_on": case.reflection_period_started_on,
        "reflection_period_days": case.reflection_period_days,
        "finding": case.finding,
        "treated_as_child": case.treated_as_child,
        "forms_of_exploitation": [item for item in case.forms_of_exploitation.split(",") if item],
        "overdue_count": case.overdue_count,
        "next_due": case.next_due,
        "holding_agency": case.holding_agency.name,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }


def screening_out(screening: Screening) -> dict[str, Any]:
    """A stored screening with its result."""
    return {
        "number": screening.number,
        "finding": screening.finding,
        "treated_as_child": screening.treated_as_child,
        "framework_version": screening.framework_version,
        "profile": screening.profile,
        "assessed_on": screening.assessed_on,
        "created_at": screening.created_at,
        "situation": screening.situation,
        "result": screening.result,
    }


def measure_out(measure: Measure) -> dict[str, Any]:
    """A stored measure with the review it was saved under."""
    return {
        "id": measure.pk,
        "type": measure.measure_type,
        "decided_on": measure.decided_on,
        "facts": measure.engine_facts,
        "details": measure.all_details(),
        "outcome": measure.outcome,
        "overridden": measure.overridden,
        "override_justification": measure.override_justification,
        "framework_version": measure.framework_version,
        "agency": measure.agency.name,
        "recorded_at": measure.recorded_at,
        "review": measure.review,
    }


def service_out(event: ServiceEvent) -> dict[str, Any]:
    """One recorded step for an entitlement."""
    return {
        "id": event.pk,
        "entitlement": event.entitlement,
        "status": event.status,
        "date": event.on,
        "agency": event.agency.name,
        "note": event.note,
        "recorded_at": event.recorded_at,
    }


def no_rules_on(error: ParameterNotDefined) -> Invalid:
    """The engine holds no rules for the measure's date (it is before they begin): the caller's date is wrong."""
    return Invalid(
        ["body", "date"], _("The rules in force on this date are not known (%(problem)s).") % {"problem": error}
    )


def _parse_measure(measure_type: str, date: dt.date | None, facts: dict[str, Any]) -> engine.Measure:
    # Validated (and its type resolved from any alias) before any role check on the type,
    # so that "removal" is checked as the "return" it is.
    measure = engine.measure_from_data(adapter.measure_data(measure_type, date, facts))
    for name, value in facts.items():
        # The engine adds these to dates; beyond a century they would take its arithmetic off the calendar.
        if name in PERIOD_FACTS and isinstance(value, int | float) and value > MAX_PERIOD:
            raise Invalid(
                ["body", name], _("%(value)s is above the maximum %(limit)s") % {"value": value, "limit": MAX_PERIOD}
            )
    return measure


# --- Cases -------------------------------------------------------------------------------------


@api.get("/cases", response={200: CasePage, 401: Problem, 403: Problem, 422: Problem}, tags=["cases"])
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> Any:
    """The cases the caller may see (held by or referred to their agency), most recently changed first."""
    user = _user(request)
    access.require(user, "case.list")
    # A misspelt filter must not quietly widen the list to every case.
    unknown = sorted(set(request.GET) - set(CaseFilters.model_fields))
    if unknown:
        raise Invalid(["query", unknown[0]], _("not a parameter of this list"), sorted(CaseFilters.model_fields))
    cases = access.visible_cases(user).select_related("holding_agency")
    used: dict[str, str] = {}
    if filters.stage is not None:
        cases = cases.filter(stage=filters.stage.value)
        used["stage"] = filters.stage.value
    if filters.finding is not None:
        if filters.finding not in FINDING_RANK:
            raise Invalid(["query", "finding"], _("not a known finding"), sorted(FINDING_RANK))
        cases = cases.filter(finding=filters.finding)
        used["finding"] = filters.finding
    if filters.child is not None:
        cases = cases.filter(treated_as_child=filters.child)
        used["child"] = "true" if filters.child else "false"
    if used:
        # As on the case list page, a search is audited; the filters carry nothing about a person.
        audit.record(user, "api.case.search", target="&".join(f"{k}={v}" for k, v in used.items()))
    cases = cases.order_by("-updated_at", "-id")
    start, end = filters.offset, filters.offset + filters.limit
    return {
        "count": cases.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [case_out(case) for case in cases[start:end]],
    }


@api.get("/cases/{reference}", response={200: CaseOut, 401: Problem, 403: Problem, 404: Problem}, tags=["cases"])
def get_case(request: HttpRequest, reference: str) -> Any:
    """One case's summary: stage, dates, latest finding and the state of its deadlines."""
    case = _case(request, reference)
    _viewed(request, case, "case")
    return case_out(case)


# --- Screening ---------------------------------------------------------------------------------


@api.post(
    "/cases/{reference}/screenings",
    response={201: ScreeningOut, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 413: Problem, 422: Problem},
    tags=["screening"],
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": json_schema(SITUATION_SPEC)}}}},
)
def create_screening(request: HttpRequest, reference: str, payload: Body[dict[str, Any]]) -> Any:
    """Screen the facts (the engine's situation, docs/schema/situation.v1.json) and keep the result.

    A re-screening adds a new numbered screening; earlier ones are kept. Invalid facts answer 422
    naming the field and, where there is a fixed list, the values allowed.
    """
    case = _case(request, reference, "screening.edit")
    screening = workflow.screen(_user(request), case, payload)
    return Status(201, screening_out(screening))


@api.get(
    "/cases/{reference}/screenings",
    response={200: list[ScreeningOut], 401: Problem, 403: Problem, 404: Problem},
    tags=["screening"],
)
def list_screenings(request: HttpRequest, reference: str) -> Any:
    """Every screening of the case, latest first."""
    case = _case(request, reference)
    _viewed(request, case, "screenings")
    return [screening_out(item) for item in case.screenings.order_by("-number")]


# --- Entitlements ------------------------------------------------------------------------------


@api.get(
    "/cases/{reference}/entitlements",
    response={200: dict[str, Any], 401: Problem, 403: Problem, 404: Problem},
    tags=["entitlements"],
)
def get_entitlements(request: HttpRequest, reference: str) -> Any:
    """What the person is owed today, with basis, duty bearer, due dates and status.

    Follows docs/schema/entitlements-result.v1.json.
    """
    case = _case(request, reference)
    _viewed(request, case, "entitlements")
    return adapter.assess_case(case, workflow.today()).entitlements.to_json()


# --- Measures ----------------------------------------------------------------------------------


@api.post(
    "/cases/{reference}/measures/review",
    response={200: dict[str, Any], 400: Problem, 401: Problem, 403: Problem, 404: Problem, 413: Problem, 422: Problem},
    tags=["measures"],
)
def review_measure(request: HttpRequest, reference: str, payload: MeasureReviewIn) -> Any:
    """The engine's review of a proposed measure, in the context of the case. Saves nothing.

    Follows docs/schema/review-result.v1.json.
    """
    case = _case(request, reference)
    facts = dict(payload.model_extra or {})
    measure = _parse_measure(payload.type, payload.date, facts)
    try:
        review = workflow.review(case, measure.type, facts, payload.date)
    except ParameterNotDefined as error:
        raise no_rules_on(error) from None
    _viewed(request, case, f"review of {measure.type}")
    return review.to_json()


@api.post(
    "/cases/{reference}/measures",
    response={
        201: MeasureOut,
        400: Problem,
        401: Problem,
        403: Problem,
        404: Problem,
        409: dict[str, Any],
        413: Problem,
        422: dict[str, Any],
    },
    tags=["measures"],
)
def create_measure(request: HttpRequest, reference: str, payload: MeasureIn) -> Any:
    """Review the measure and record it only if the review allows it.

    409 with the review when the engine finds a violation (a coordinator may override it in the
    application, not through the API); 422 with the review when it asks for a written `justification`.
    """
    user = _user(request)
    case = _case(request, reference, "measure.record")
    facts = dict(payload.model_extra or {})
    measure = _parse_measure(payload.type, payload.date, facts)
    if not may_record_measure(access.role_of(user), measure.type):
        raise PermissionDenied
    override = payload.override_justification.strip()
    if override and not access.may(user, "measure.override"):
        raise PermissionDenied
    if override:
        # An override is confirmed by a person with a one-time code; a token alone (which a
        # script or a thief may hold) cannot record one.
        return Status(
            403,
            {
                "detail": _(
                    "Overrides are recorded in the application, confirmed with a code from the authenticator app."
                )
            },
        )
    try:
        saved = workflow.record_measure(
            user, case, measure.type, facts, payload.date, details=payload.details, override_justification=override
        )
    except workflow.MeasureBlocked as blocked:
        return Status(
            409,
            {
                "detail": _("The review found a violation, so the measure was not recorded."),
                "review": blocked.review.to_json(),
            },
        )
    except ParameterNotDefined as error:
        raise no_rules_on(error) from None
    except workflow.JustificationNeeded as needed:
        message = _("The review asks for a written justification before the measure can be recorded.")
        return Status(
            422,
            {
                "detail": [{"loc": ["body", "justification"], "msg": message, "missing": list(needed.review.missing)}],
                "missing": list(needed.review.missing),
                "review": needed.review.to_json(),
            },
        )
    return Status(201, measure_out(saved))


@api.get(
    "/cases/{reference}/measures",
    response={200: list[MeasureOut], 401: Problem, 403: Problem, 404: Problem},
    tags=["measures"],
)
def list_measures(request: HttpRequest, reference: str) -> Any:
    """The measures recorded on the case, latest first, each with the review it was saved under."""
    case = _case(request, reference)
    _viewed(request, case, "measures")
    return [measure_out(item) for item in case.measures.select_related("agency")]


# --- Services ----------------------------------------------------------------------------------


@api.get(
    "/cases/{reference}/services",
    response={200: list[ServiceOut], 401: Problem, 403: Problem, 404: Problem},
    tags=["services"],
)
def list_services(request: HttpRequest, reference: str) -> Any:
    """Every step recorded for the case's entitlements, oldest first; the latest per entitlement is its status."""
    case = _case(request, reference)
    _viewed(request, case, "services")
    return [service_out(item) for item in case.service_events.select_related("agency")]


@api.post(
    "/cases/{reference}/services",
    response={201: ServiceOut, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 413: Problem, 422: Problem},
    tags=["services"],
)
def create_service(request: HttpRequest, reference: str, payload: ServiceIn) -> Any:
    """Record a step (offered, accepted, refused, delivered ...) for one of the case's entitlements."""
    case = _case(request, reference, "service.record")
    if payload.date > workflow.today():
        raise Invalid(["body", "date"], _("this date is in the future"))
    listed = [item.id for item in adapter.assess_case(case, workflow.today()).entitlements.entitlements if item.applies]
    if payload.entitlement not in listed:
        raise Invalid(["body", "entitlement"], _("not one of this case's entitlements"), listed)
    event = workflow.record_service(
        _user(request), case, payload.entitlement, payload.status.value, payload.date, note=payload.note.strip()
    )
    return Status(201, service_out(event))
