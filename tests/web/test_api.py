"""The REST API: token authentication, the same permission checks as the pages, pseudonymous answers."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rightsfirst.web import workflow
from rightsfirst.web.models import ApiToken, AuditEvent, Case, Measure, Screening, ServiceEvent
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE, IDENTITY

SHELTER_ON_TESTIMONY = {"type": "support_offer", "service": "shelter", "conditional_on_testimony": True}
UNKNOWN_REFERENCE = "RF-0000-0000"


@pytest.fixture
def tokens(users: dict[str, Any]) -> dict[str, str]:
    """One live API token per user."""
    return {name: ApiToken.issue(user, f"{name} test token")[1] for name, user in users.items()}


class Api:
    """A test client that sends a Bearer token and JSON bodies."""

    def __init__(self, token: str | None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api{path}", params, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(f"/api{path}", json.dumps(body), content_type="application/json", headers=self.headers)

    def post_raw(self, path: str, body: bytes) -> Any:
        """POST these exact bytes as a JSON body (for bodies json.dumps would never write)."""
        return self.client.post(f"/api{path}", body, content_type="application/json", headers=self.headers)


@pytest.fixture
def api_for(tokens: dict[str, str]) -> Callable[[str], Api]:
    return lambda name: Api(tokens[name])


@pytest.fixture
def case(make_case: Callable[..., Case]) -> Case:
    return make_case(ADULT_SITUATION)


def assert_pseudonymous(response: Any, case: Any) -> None:
    """Nothing of the person's identity, nor their record's id, anywhere in the answer."""
    body = response.content.decode()
    for value in IDENTITY.values():
        if value:
            assert value not in body
    assert str(case.person.pk) not in body
    assert str(case.person.pk).replace("-", "") not in body


# --- Authentication ----------------------------------------------------------------------------


def test_calls_without_a_valid_token_are_refused_with_401(
    case: Case, users: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    revoked, revoked_token = ApiToken.issue(users["case_worker"], "old")
    revoked.revoked_at = timezone.now()
    revoked.save()
    for api in (Api(None), Api("rf_not-a-real-token"), Api(revoked_token)):
        response = api.get("/cases")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert api.get(f"/cases/{case.reference}").status_code == 401
    # A signed-in browser session is not enough: the API only accepts tokens.
    session = client_for("case_worker")
    assert session.get("/api/cases").status_code == 401
    assert session.get(f"/api/cases/{case.reference}").status_code == 401


def test_a_token_of_an_inactive_user_is_refused(users: dict[str, Any], tokens: dict[str, str]) -> None:
    users["case_worker"].is_active = False
    users["case_worker"].save()
    assert Api(tokens["case_worker"]).get("/cases").status_code == 401


def test_a_valid_token_is_marked_as_used(
    users: dict[str, Any], tokens: dict[str, str], api_for: Callable[[str], Api]
) -> None:
    record = ApiToken.objects.get(user=users["case_worker"])
    assert record.last_used_at is None
    assert api_for("case_worker").get("/cases").status_code == 200
    record.refresh_from_db()
    assert record.last_used_at is not None


def test_each_token_has_its_own_request_limit_and_is_told_when_to_retry(
    settings: Any, users: dict[str, Any], tokens: dict[str, str], api_for: Callable[[str], Api]
) -> None:
    settings.RIGHTSFIRST_API_RATE = (3, 60)
    worker = api_for("case_worker")
    assert [worker.get("/cases").status_code for _ in range(3)] == [200, 200, 200]
    refused = worker.get("/cases")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Retry-After" in refused.json()["detail"]
    # Another token, even of the same user, counts on its own.
    _, second = ApiToken.issue(users["case_worker"], "second integration")
    assert Api(second).get("/cases").status_code == 200
    assert api_for("legal_adviser").get("/cases").status_code == 200
    # An unknown token is refused as unauthenticated before it is counted.
    assert Api("not-a-token").get("/cases").status_code == 401


def test_the_request_limit_counts_concurrent_requests_exactly(settings: Any, tokens: dict[str, str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from django.test import RequestFactory

    from rightsfirst.web.views.api import TokenRateLimit

    settings.RIGHTSFIRST_API_RATE = (25, 3600)
    limit = TokenRateLimit()
    request = RequestFactory().get("/api/cases")
    request.api_token_id = 4242  # type: ignore[attr-defined]
    with ThreadPoolExecutor(8) as pool:
        allowed = list(pool.map(lambda _: limit.allow_request(request), range(200)))
    assert allowed.count(True) == 25


def test_token_calls_need_no_csrf_token(case: Case, tokens: dict[str, str]) -> None:
    api = Api(tokens["case_worker"], Client(enforce_csrf_checks=True))
    response = api.post(f"/cases/{case.reference}/screenings", ADULT_SITUATION)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"


def test_a_monitor_token_may_not_use_the_case_endpoints(case: Case, api_for: Callable[[str], Api]) -> None:
    monitor = api_for("monitor")
    assert monitor.get("/cases").status_code == 403
    for path in ("", "/screenings", "/entitlements", "/measures", "/services"):
        assert monitor.get(f"/cases/{case.reference}{path}").status_code in (403, 404)
    assert monitor.post(f"/cases/{case.reference}/screenings", ADULT_SITUATION).status_code in (403, 404)
    assert monitor.post(
        f"/cases/{case.reference}/measures", {**SHELTER_ON_TESTIMONY, "date": workflow.today().isoformat()}
    ).status_code in (
        403,
        404,
    )
    assert Screening.objects.filter(case=case).count() == 1
    assert not Measure.objects.exists()


# --- Cases -------------------------------------------------------------------------------------


def test_the_case_list_holds_only_the_cases_the_caller_may_see(
    make_case: Callable[..., Case], api_for: Callable[[str], Api]
) -> None:
    adult = make_case(ADULT_SITUATION)
    child = make_case(CHILD_UNCERTAIN_AGE)
    listed = api_for("case_worker").get("/cases").json()
    assert listed["count"] == 2
    assert {item["reference"] for item in listed["items"]} == {adult.reference, child.reference}
    assert api_for("outsider").get("/cases").json() == {"count": 0, "limit": 25, "offset": 0, "items": []}
    # The first responder works in the police, which holds none of the shelter's cases.
    assert api_for("first_responder").get("/cases").json()["count"] == 0


def test_the_case_list_filters_and_pages(make_case: Callable[..., Case], api_for: Callable[[str], Api]) -> None:
    adult = make_case(ADULT_SITUATION)
    child = make_case(CHILD_UNCERTAIN_AGE)
    unscreened = make_case()
    api = api_for("case_worker")
    assert [item["reference"] for item in api.get("/cases", child="true").json()["items"]] == [child.reference]
    assert {item["reference"] for item in api.get("/cases", child="false").json()["items"]} == {
        adult.reference,
        unscreened.reference,
    }
    assert [item["reference"] for item in api.get("/cases", stage="referred").json()["items"]] == [unscreened.reference]
    assert [item["reference"] for item in api.get("/cases", finding="established").json()["items"]] == [adult.reference]
    first = api.get("/cases", limit=2).json()
    rest = api.get("/cases", limit=2, offset=2).json()
    assert first["count"] == rest["count"] == 3
    assert len(first["items"]) == 2 and len(rest["items"]) == 1
    assert {item["reference"] for item in first["items"] + rest["items"]} == {
        adult.reference,
        child.reference,
        unscreened.reference,
    }
    assert AuditEvent.objects.filter(action="api.case.search", target="child=true").exists()


def test_bad_case_list_filters_answer_422_naming_the_parameter(
    make_case: Callable[..., Case], api_for: Callable[[str], Api]
) -> None:
    api = api_for("case_worker")
    response = api.get("/cases", finding="guilty")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "finding"]
    assert "established" in error["allowed"]
    assert api.get("/cases", stage="nowhere").status_code == 422
    assert api.get("/cases", limit=0).status_code == 422
    assert api.get("/cases", limit=1000).status_code == 422


def test_a_case_answers_with_its_pseudonymous_summary_and_the_view_is_audited(
    case: Case, api_for: Callable[[str], Api]
) -> None:
    response = api_for("case_worker").get(f"/cases/{case.reference}")
    assert response.status_code == 200
    data = response.json()
    assert data["reference"] == case.reference
    assert data["stage"] == "screening"
    assert data["finding"] == "established"
    assert data["treated_as_child"] is False
    assert data["forms_of_exploitation"] == ["forced_labour"]
    assert data["holding_agency"] == "Fictional Shelter"
    assert data["next_due"] == (case.next_due.isoformat() if case.next_due else None)
    assert "person" not in data
    assert_pseudonymous(response, case)
    entry = AuditEvent.objects.get(action="api.case.view")
    assert entry.case_reference == case.reference
    assert entry.username == "case_worker"


def test_unknown_and_forbidden_references_answer_the_same_not_found(case: Case, api_for: Callable[[str], Api]) -> None:
    unknown = api_for("case_worker").get(f"/cases/{UNKNOWN_REFERENCE}")
    forbidden = api_for("outsider").get(f"/cases/{case.reference}")
    assert unknown.status_code == forbidden.status_code == 404
    assert unknown.content == forbidden.content
    for path in ("/screenings", "/entitlements", "/measures", "/services"):
        unknown = api_for("case_worker").get(f"/cases/{UNKNOWN_REFERENCE}{path}")
        forbidden = api_for("outsider").get(f"/cases/{case.reference}{path}")
        assert unknown.status_code == forbidden.status_code == 404
        assert unknown.content == forbidden.content
    unknown = api_for("case_worker").post(f"/cases/{UNKNOWN_REFERENCE}/screenings", ADULT_SITUATION)
    forbidden = api_for("outsider").post(f"/cases/{case.reference}/screenings", ADULT_SITUATION)
    assert unknown.status_code == forbidden.status_code == 404
    assert unknown.content == forbidden.content
    assert Screening.objects.filter(case=case).count() == 1
    assert not AuditEvent.objects.filter(action="api.case.view").exists()


def test_no_answer_carries_the_persons_identity(case: Case, api_for: Callable[[str], Api]) -> None:
    api = api_for("coordinator")
    answers = [api.get("/cases"), api.get(f"/cases/{case.reference}")]
    answers.append(api.post(f"/cases/{case.reference}/screenings", ADULT_SITUATION))
    answers.append(api.post(f"/cases/{case.reference}/measures/review", {**SHELTER_ON_TESTIMONY}))
    answers.append(
        api.post(f"/cases/{case.reference}/measures", {**SHELTER_ON_TESTIMONY, "date": workflow.today().isoformat()})
    )
    answers.append(
        api.post(
            f"/cases/{case.reference}/measures",
            {"type": "support_offer", "service": "medical_care", "date": workflow.today().isoformat()},
        )
    )
    answers.append(
        api.post(
            f"/cases/{case.reference}/services",
            {"entitlement": "information_on_rights", "status": "offered", "date": workflow.today().isoformat()},
        )
    )
    for path in ("/screenings", "/entitlements", "/measures", "/services"):
        answers.append(api.get(f"/cases/{case.reference}{path}"))
    assert [answer.status_code for answer in answers] == [200, 200, 201, 200, 409, 201, 201, 200, 200, 200, 200]
    for answer in answers:
        assert_pseudonymous(answer, case)


# --- Screening ---------------------------------------------------------------------------------


def test_a_screening_is_stored_with_its_result_and_history_is_kept(
    make_case: Callable[..., Case], api_for: Callable[[str], Api]
) -> None:
    case = make_case()
    api = api_for("case_worker")
    response = api.post(f"/cases/{case.reference}/screenings", CHILD_UNCERTAIN_AGE)
    assert response.status_code == 201
    data = response.json()
    assert data["number"] == 1
    assert data["framework_version"]
    assert data["treated_as_child"] is True
    assert data["result"]["citations"]
    stored = Screening.objects.get(case=case)
    assert stored.situation == CHILD_UNCERTAIN_AGE
    assert stored.framework_version == data["framework_version"]
    assert api.post(f"/cases/{case.reference}/screenings", ADULT_SITUATION).json()["number"] == 2
    history = api.get(f"/cases/{case.reference}/screenings").json()
    assert [item["number"] for item in history] == [2, 1]
    assert history[0]["finding"] == "established"
    assert AuditEvent.objects.filter(action="screening.record", case_reference=case.reference).count() == 2


def test_bad_screening_facts_answer_422_naming_the_field_and_nothing_is_saved(
    make_case: Callable[..., Case], api_for: Callable[[str], Api]
) -> None:
    case = make_case()
    api = api_for("case_worker")
    response = api.post(f"/cases/{case.reference}/screenings", {**ADULT_SITUATION, "person": {"age": "abc"}})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "person", "age"]
    assert "number" in error["msg"]

    response = api.post(f"/cases/{case.reference}/screenings", {**ADULT_SITUATION, "actions": ["walking"]})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "actions", 0]
    assert "recruitment" in error["allowed"]

    response = api.post(f"/cases/{case.reference}/screenings", {**ADULT_SITUATION, "favourite_colour": "blue"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "favourite_colour"]

    assert api.post(f"/cases/{case.reference}/screenings", ["not", "a", "mapping"]).status_code == 422
    assert not Screening.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.stage == "referred"


def test_a_role_that_may_not_screen_gets_403(case: Case, api_for: Callable[[str], Api]) -> None:
    response = api_for("legal_adviser").post(f"/cases/{case.reference}/screenings", ADULT_SITUATION)
    assert response.status_code == 403
    assert Screening.objects.filter(case=case).count() == 1


# --- Entitlements and measures -----------------------------------------------------------------


def test_entitlements_follow_the_engine(case: Case, api_for: Callable[[str], Api]) -> None:
    response = api_for("legal_adviser").get(f"/cases/{case.reference}/entitlements")
    assert response.status_code == 200
    data = response.json()
    assert data["schema"].startswith("rightsfirst.entitlements-result/")
    assert any(item["applies"] for item in data["entitlements"])
    assert all(item["conditional_on_cooperation"] is False for item in data["entitlements"])


def test_the_review_endpoint_saves_nothing(case: Case, api_for: Callable[[str], Api]) -> None:
    before = AuditEvent.objects.exclude(action="api.case.view").count()
    response = api_for("case_worker").post(f"/cases/{case.reference}/measures/review", SHELTER_ON_TESTIMONY)
    assert response.status_code == 200
    data = response.json()
    assert data["outcome"] == "violation"
    assert any("RPG.P8" in finding["citations"] for finding in data["findings"])
    assert not Measure.objects.exists()
    assert AuditEvent.objects.exclude(action="api.case.view").count() == before


def test_a_bad_measure_answers_422_with_the_allowed_values(case: Case, api_for: Callable[[str], Api]) -> None:
    api = api_for("case_worker")
    response = api.post(f"/cases/{case.reference}/measures/review", {"type": "banishment"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "type"]
    assert "support_offer" in error["allowed"]
    response = api.post(
        f"/cases/{case.reference}/measures", {"type": "support_offer", "date": "2026-01-01", "service": "pizza"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "service"]
    # The date is required to record a measure, and must be a date.
    response = api.post(f"/cases/{case.reference}/measures", {"type": "support_offer"})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "date"]]
    assert (
        api.post(f"/cases/{case.reference}/measures", {"type": "support_offer", "date": "yesterday"}).status_code == 422
    )
    assert not Measure.objects.exists()


def test_shelter_conditional_on_testimony_is_blocked_with_409(case: Case, api_for: Callable[[str], Api]) -> None:
    response = api_for("case_worker").post(
        f"/cases/{case.reference}/measures", {**SHELTER_ON_TESTIMONY, "date": workflow.today().isoformat()}
    )
    assert response.status_code == 409
    assert "RPG.P8" in response.content.decode()
    assert response.json()["review"]["outcome"] == "violation"
    assert not Measure.objects.exists()
    assert not AuditEvent.objects.filter(action="measure.record").exists()


def test_overrides_are_not_accepted_through_the_api(case: Case, api_for: Callable[[str], Api]) -> None:
    # A token cannot give the one-time code an override needs; coordinators override in the application.
    body = {
        **SHELTER_ON_TESTIMONY,
        "date": workflow.today().isoformat(),
        "override_justification": "Court order 12/2026 pending appeal",
    }
    assert api_for("case_worker").post(f"/cases/{case.reference}/measures", body).status_code == 403
    refused = api_for("coordinator").post(f"/cases/{case.reference}/measures", body)
    assert refused.status_code == 403
    assert "authenticator" in refused.json()["detail"]
    assert not Measure.objects.exists()
    assert not AuditEvent.objects.filter(action="measure.override").exists()


def test_a_measure_that_needs_a_justification_answers_422_until_it_is_given(
    case: Case, api_for: Callable[[str], Api]
) -> None:
    api = api_for("case_worker")
    body = {"type": "testing", "test": "hiv", "date": workflow.today().isoformat()}
    response = api.post(f"/cases/{case.reference}/measures", body)
    assert response.status_code == 422
    data = response.json()
    assert data["review"]["outcome"] == "requires_justification"
    assert data["missing"] and data["missing"] == data["review"]["missing"]
    assert data["detail"][0]["loc"] == ["body", "justification"]
    assert not Measure.objects.exists()
    response = api.post(f"/cases/{case.reference}/measures", {**body, "justification": "Requested by the person"})
    assert response.status_code == 201
    assert response.json()["outcome"] == "requires_justification"


def test_a_measure_type_reserved_to_another_role_gets_403(case: Case, api_for: Callable[[str], Api]) -> None:
    body = {
        "type": "identification_decision",
        "decision": "presumed_victim",
        "justification": "Indicators of forced labour and deception",
        "date": workflow.today().isoformat(),
    }
    assert api_for("case_worker").post(f"/cases/{case.reference}/measures", body).status_code == 403
    assert not Measure.objects.exists()
    assert api_for("coordinator").post(f"/cases/{case.reference}/measures", body).status_code == 201
    case.refresh_from_db()
    assert case.reasonable_grounds_on == workflow.today()


# --- Services ----------------------------------------------------------------------------------


def test_a_service_step_shows_in_the_entitlements(case: Case, api_for: Callable[[str], Api]) -> None:
    api = api_for("case_worker")
    entitlements = api.get(f"/cases/{case.reference}/entitlements").json()["entitlements"]
    chosen = next(item for item in entitlements if item["applies"] and item["status"] != "delivered")
    today = workflow.today().isoformat()
    body = {"entitlement": chosen["id"], "status": "delivered", "date": today, "note": "Room at the shelter"}
    response = api.post(f"/cases/{case.reference}/services", body)
    assert response.status_code == 201
    assert response.json()["status"] == "delivered"
    assert ServiceEvent.objects.get(case=case).entitlement == chosen["id"]
    after = api.get(f"/cases/{case.reference}/entitlements").json()["entitlements"]
    assert next(item for item in after if item["id"] == chosen["id"])["status"] == "delivered"
    steps = api.get(f"/cases/{case.reference}/services").json()
    assert [(item["entitlement"], item["status"], item["date"]) for item in steps] == [
        (chosen["id"], "delivered", today)
    ]
    assert AuditEvent.objects.filter(action="service.record", case_reference=case.reference).exists()


def test_bad_service_steps_answer_422_and_nothing_is_saved(case: Case, api_for: Callable[[str], Api]) -> None:
    api = api_for("case_worker")
    today = workflow.today()
    response = api.post(
        f"/cases/{case.reference}/services", {"entitlement": "a_castle", "status": "offered", "date": today.isoformat()}
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "entitlement"]
    assert error["allowed"]
    valid = error["allowed"][0]
    response = api.post(
        f"/cases/{case.reference}/services", {"entitlement": valid, "status": "maybe", "date": today.isoformat()}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "status"]
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    response = api.post(
        f"/cases/{case.reference}/services", {"entitlement": valid, "status": "offered", "date": tomorrow}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "date"]
    assert not ServiceEvent.objects.exists()


def test_a_role_that_may_not_record_services_gets_403(
    case: Case, users: dict[str, Any], tokens: dict[str, str]
) -> None:
    # The first responder may not record services at all: 403, whatever the case.
    response = Api(tokens["first_responder"]).post(
        f"/cases/{case.reference}/services",
        {"entitlement": "information_on_rights", "status": "offered", "date": workflow.today().isoformat()},
    )
    assert response.status_code == 403
    assert not ServiceEvent.objects.exists()


# --- Schema and docs ---------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_endpoints() -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/cases",
        "/api/cases/{reference}",
        "/api/cases/{reference}/screenings",
        "/api/cases/{reference}/entitlements",
        "/api/cases/{reference}/measures/review",
        "/api/cases/{reference}/measures",
        "/api/cases/{reference}/services",
    } <= paths
    assert not any("assets" in path for path in paths)
    assert any(item.get("scheme") == "bearer" for item in schema["components"]["securitySchemes"].values())
    screening_body = schema["paths"]["/api/cases/{reference}/screenings"]["post"]["requestBody"]
    assert "actions" in screening_body["content"]["application/json"]["schema"]["properties"]


def test_the_docs_load_nothing_from_elsewhere() -> None:
    client = Client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "https://" not in html and "http://" not in html and "//cdn" not in html
    assert "onload=" not in html and "style=" not in html
    assert 'id="swagger-settings"' in html
    assert '"validatorUrl": null' in html
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png"):
        assert f"/api/docs/assets/{asset}" in html
        response = client.get(f"/api/docs/assets/{asset}")
        assert response.status_code == 200
        assert b"".join(response.streaming_content)
    assert client.get("/api/docs/assets/..%2F..%2Fmain.py").status_code == 404
    assert client.get("/api/docs/assets/swagger-ui-bundle.js.map").status_code == 404


# --- Malformed and hostile input (each found by fuzzing the API from its schema) ---------------


def _saved() -> tuple[int, int, int, int]:
    return (Screening.objects.count(), Measure.objects.count(), ServiceEvent.objects.count(), Case.objects.count())


def test_every_operation_documents_the_errors_it_can_answer() -> None:
    # Every endpoint needs a token (401); every one that takes a body can be sent one that is not
    # JSON (400), one too large (413) or one that breaks its rules (422).
    schema = json.loads(Client().get("/api/openapi.json").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert "401" in codes, f"{method} {path}"
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= codes, f"{method} {path}"


def test_measure_bodies_declare_each_types_facts_with_their_bounds() -> None:
    schema = json.loads(Client().get("/api/openapi.json").content)
    branches = schema["components"]["schemas"]["MeasureIn"]["oneOf"]
    reflection = next(item for item in branches if "reflection_period" in item["properties"]["type"]["enum"])
    days = next(item for item in reflection["properties"]["days"]["anyOf"] if item.get("type") == "number")
    assert days["maximum"] == 36_500
    assert {"date", "override_justification", "details"} <= set(reflection["properties"])


def test_a_body_that_is_not_json_answers_400_saying_why(case: Case, api_for: Callable[[str], Api]) -> None:
    api = api_for("coordinator")
    before = _saved()
    response = api.post_raw(f"/cases/{case.reference}/screenings", b'{"actions": [')
    assert response.status_code == 400
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body"]
    assert "not valid JSON" in error["msg"] and "line 1" in error["msg"]
    response = api.post_raw(f"/cases/{case.reference}/services", b'{"note": "caf\xe9"}')
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"][0]["msg"]
    assert _saved() == before


SERVICE = b'"entitlement": "information_on_rights", "status": "offered", "date": "2026-01-01"'
MEASURE = b'"type": "support_offer", "service": "medical_care", "date": "2026-01-01"'


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/services", b"{" + SERVICE + b', "note": "a\\u0000b"}', ["body", "note"]),
        ("/measures", b"{" + MEASURE + b', "justification": "a\\u0000b"}', ["body", "justification"]),
        ("/measures", b"{" + MEASURE + b', "notes": ["fine", "\\ud800"]}', ["body", "notes", 1]),
        ("/measures", b"{" + MEASURE + b', "details": {"k\\u0000": 1}}', ["body", "details"]),
        ("/services", b"{" + SERVICE + b', "note": NaN}', ["body"]),
        ("/measures", b"{" + MEASURE + b', "notes": Infinity}', ["body"]),
        ("/measures", b"{" + MEASURE + b', "notes": 1e999}', ["body"]),
    ],
)
def test_values_a_database_cannot_store_answer_422_naming_where(
    case: Case, api_for: Callable[[str], Api], path: str, body: bytes, loc: list[str | int]
) -> None:
    # PostgreSQL refuses NUL characters, unpaired surrogates and NaN (a server error there), and
    # SQLite would give them back as JSON no client can read.
    assert json.loads(b"{" + SERVICE + b"}") and json.loads(b"{" + MEASURE + b"}")
    before = _saved()
    response = api_for("case_worker").post_raw(f"/cases/{case.reference}{path}", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
    assert _saved() == before


def test_text_in_a_screening_is_checked_wherever_it_is(
    make_case: Callable[..., Case], api_for: Callable[[str], Api]
) -> None:
    case = make_case()
    situation = {"person": {"stated_age": 15, "indications_of_minority": ["fine", "bad\x00"]}}
    response = api_for("case_worker").post(f"/cases/{case.reference}/screenings", situation)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "person", "indications_of_minority", 1]
    long_justification = {"type": "testing", "test": "hiv", "justification": "x" * 4001}
    response = api_for("case_worker").post(f"/cases/{case.reference}/measures/review", long_justification)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "justification"]
    assert "4000" in response.json()["detail"][0]["msg"]
    assert not Screening.objects.filter(case=case).exists()


def test_a_body_over_the_size_limit_answers_413(case: Case, api_for: Callable[[str], Api], settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = _saved()
    body = {"entitlement": "information_on_rights", "status": "offered", "date": "2026-01-01", "note": "x" * 20_000}
    response = api_for("case_worker").post(f"/cases/{case.reference}/services", body)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "10000 bytes" in response.json()["detail"][0]["msg"]
    assert _saved() == before


def test_a_measure_dated_before_the_rules_begin_answers_422_on_the_date(
    case: Case, api_for: Callable[[str], Api]
) -> None:
    api = api_for("case_worker")
    body = {"type": "support_offer", "service": "medical_care", "date": "1985-06-01"}
    for path in ("/measures/review", "/measures"):
        response = api.post(f"/cases/{case.reference}{path}", body)
        assert response.status_code == 422
        (error,) = response.json()["detail"]
        assert error["loc"] == ["body", "date"]
        assert "not known" in error["msg"]
    assert not Measure.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        (
            "/measures",
            {"type": "identification_decision", "decision": "identified", "justification": "x", "date": "9999-12-31"},
            ["body", "date"],
        ),
        ("/measures/review", {"type": "reflection_period", "granted": True, "date": "9999-12-31"}, ["body", "date"]),
        ("/measures/review", {"type": "support_offer", "date": "1899-12-31"}, ["body", "date"]),
        (
            "/measures",
            {"type": "reflection_period", "granted": True, "days": 10**12, "date": "2026-01-01"},
            ["body", "days"],
        ),
        ("/measures/review", {"type": "residence_permit", "months": 10**9, "date": "2026-01-01"}, ["body", "months"]),
        (
            "/services",
            {"entitlement": "information_on_rights", "status": "offered", "date": "0001-01-01"},
            ["body", "date"],
        ),
    ],
)
def test_dates_and_periods_beyond_the_calendars_reach_answer_422(
    case: Case, api_for: Callable[[str], Api], path: str, body: dict[str, Any], loc: list[str]
) -> None:
    # The engine adds periods to dates: from year 9999, or by a billion days, that was a server error.
    before = _saved()
    response = api_for("coordinator").post(f"/cases/{case.reference}{path}", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
    assert _saved() == before
    case.refresh_from_db()
    assert case.identified_on is None and case.reflection_period_started_on is None


def test_the_case_list_refuses_an_offset_beyond_any_list(case: Case, api_for: Callable[[str], Api]) -> None:
    # A 64-bit offset overflowed both databases (a server error).
    response = api_for("case_worker").get("/cases", offset=2**63)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]
    assert api_for("case_worker").get("/cases", offset=1_000_000_000).json()["items"] == []


def test_an_unknown_case_list_filter_is_refused_not_ignored(case: Case, api_for: Callable[[str], Api]) -> None:
    # A misspelt filter used to be ignored, answering with every case as if it had matched.
    response = api_for("case_worker").get("/cases", stge="referred")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "stge"]
    assert "stage" in error["allowed"]


@pytest.mark.parametrize("reference", ["RF-0000-000%00", "%00", "'%20OR%20'1'='1", "x" * 300, "RF-0000-00000"])
def test_a_malformed_reference_is_not_found_without_asking_the_database(
    case: Case, api_for: Callable[[str], Api], reference: str
) -> None:
    # PostgreSQL refuses a NUL character in a query with an error; no malformed reference is looked up at all.
    api = api_for("case_worker")
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/cases/{reference}")
    assert response.status_code == 404
    assert not [query for query in queries.captured_queries if "casework_case" in query["sql"]]


# --- Issuing tokens ----------------------------------------------------------------------------


def test_the_command_prints_a_working_token_once_and_keeps_only_its_hash(case: Case, users: dict[str, Any]) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_api_token", "case_worker", "--name", "shelter reporting", stdout=out, stderr=err)
    token = out.getvalue().strip()
    record = ApiToken.objects.get(name="shelter reporting")
    assert record.user == users["case_worker"]
    assert token not in record.token_hash
    assert ApiToken.find(token) == record
    assert Api(token).get(f"/cases/{case.reference}").status_code == 200
    entry = AuditEvent.objects.get(action="api.token.issue")
    assert "shelter reporting" in entry.target and token not in entry.target


@pytest.mark.parametrize(("username", "name"), [("nobody", "x"), ("monitor", "x"), ("case_worker", "  ")])
def test_the_command_refuses_what_would_not_work(users: dict[str, Any], username: str, name: str) -> None:
    with pytest.raises(CommandError):
        call_command("issue_api_token", username, "--name", name, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()
