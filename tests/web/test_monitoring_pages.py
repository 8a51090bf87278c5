"""The monitoring dashboard, the indicator pages, the downloads and `rightsfirst report`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from rightsfirst.monitoring.indicators import default_catalogue
from rightsfirst.web import workflow
from rightsfirst.web.models import AuditEvent, PrivacySpend
from rightsfirst.web.publication import CalendarPeriod
from rightsfirst.web.publication_display import SECTIONS, TITLES
from tests.web.conftest import ADULT_SITUATION, IDENTITY

pytestmark = pytest.mark.django_db

THIS_YEAR = workflow.today().year


def _page(client: Any, path: str = "/monitoring/", **params: Any) -> Any:
    return client.get(path, {"year": THIS_YEAR, "part": "year", "by": "sex", **params})


def _referred_total(response: Any) -> Any:
    for section in response.context["sections"]:
        for item in section["items"]:
            if item["indicator"].id == "persons_referred":
                return item["headline"]
    raise AssertionError("persons_referred is not on the dashboard")


def _cases(make_case: Any, count: int) -> list[Any]:
    return [make_case(ADULT_SITUATION, referred_on=dt.date(THIS_YEAR, 1, 2)) for _ in range(count)]


def test_every_indicator_of_the_catalogue_is_on_the_dashboard_once_with_a_title() -> None:
    placed = [indicator_id for _key, _label, ids in SECTIONS for indicator_id in ids]
    catalogue = [indicator.id for indicator in default_catalogue().indicators]
    assert sorted(placed) == sorted(catalogue)
    assert len(placed) == len(set(placed))
    assert set(TITLES) == set(catalogue)


def test_a_small_count_is_not_published_and_names_never_appear(make_case: Any, client_for: Any) -> None:
    cases = _cases(make_case, 3)
    response = _page(client_for("monitor"))
    assert response.status_code == 200
    headline = _referred_total(response)
    assert headline.suppressed and headline.number is None
    html = response.content.decode()
    assert "not published" in html
    for case in cases:
        assert case.reference not in html
    assert "RF-" not in html and "/cases/" not in html
    for value in IDENTITY.values():
        if value:
            assert value not in html


def test_a_count_at_the_minimum_is_published_exactly(make_case: Any, client_for: Any) -> None:
    _cases(make_case, 10)
    headline = _referred_total(_page(client_for("monitor")))
    assert not headline.suppressed and headline.number == 10
    # The chart and the table beside it give the same number, and the number links to its definition.
    html = _page(client_for("monitor")).content.decode()
    assert 'role="img"' in html and "<table" in html
    assert reverse("monitoring_indicator", args=["persons_referred"]) + "#definition" in html


def test_a_coordinator_sees_only_the_cases_they_may_see(make_case: Any, users: Any, client_for: Any) -> None:
    _cases(make_case, 10)
    for _ in range(10):
        workflow.create_case(users["outsider"], dict(IDENTITY), dt.date(THIS_YEAR, 1, 3))
    assert _referred_total(_page(client_for("monitor"))).number == 20
    coordinator = _page(client_for("coordinator"))
    assert coordinator.status_code == 200
    assert _referred_total(coordinator).number == 10
    assert "The cases your agency holds" in coordinator.content.decode()


@pytest.mark.parametrize("role", ["case_worker", "guardian", "first_responder", "administrator", "oversight"])
def test_monitoring_is_for_monitors_and_coordinators_only(role: str, client_for: Any) -> None:
    for path in ("/monitoring/", "/monitoring/indicators/persons_referred/", "/monitoring/download.csv"):
        assert client_for(role).get(path).status_code == 403


@pytest.mark.parametrize(
    "params",
    [{"year": "abc"}, {"part": "q5"}, {"by": "name"}, {"year": "1999"}, {"year": str(THIS_YEAR + 1)}],
)
def test_a_bad_period_or_breakdown_is_answered_400_with_the_field(params: dict[str, str], client_for: Any) -> None:
    response = _page(client_for("monitor"), **params)
    assert response.status_code == 400
    (field,) = params
    assert response.context["form"].errors[field]
    assert "Traceback" not in response.content.decode()


def test_the_indicator_page_gives_the_definition_citations_and_every_table(make_case: Any, client_for: Any) -> None:
    _cases(make_case, 12)
    response = _page(client_for("monitor"), "/monitoring/indicators/detained_presumed_victims/")
    assert response.status_code == 200
    html = response.content.decode()
    indicator = default_catalogue().indicator("detained_presumed_victims")
    assert indicator.definition in html
    for citation in indicator.citations:
        assert reverse("framework_provision", args=[citation]) in html
    assert len(response.context["tables"]) > 5
    assert client_for("monitor").get("/monitoring/indicators/no_such_indicator/").status_code == 404


def test_downloads_hold_only_published_cells_and_are_audited(make_case: Any, client_for: Any) -> None:
    cases = _cases(make_case, 10)
    monitor = client_for("monitor")
    csv_response = _page(monitor, "/monitoring/download.csv")
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    assert "attachment" in csv_response["Content-Disposition"]
    text = csv_response.content.decode()
    assert text.startswith("indicator,title,kind")
    line = next(row for row in text.splitlines() if row.startswith("persons_referred,") and ",total," in row)
    assert ",published,10," in line
    json_body = json.loads(_page(monitor, "/monitoring/download.json").content)
    assert json_body["protection"] == {"method": "suppression", "minimum_cell": 10, "zeros_suppressed": False}
    for case in cases:
        assert case.reference not in text
    assert AuditEvent.objects.filter(action="statistics.download").count() == 2


def test_the_dashboard_reads_in_french(make_case: Any, client_for: Any) -> None:
    _cases(make_case, 10)
    client = client_for("monitor")
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    html = _page(client).content.decode()
    assert "Personnes orientées" in html
    assert "Suivi" in html


def test_calendar_periods_and_the_one_before() -> None:
    assert CalendarPeriod.parse("2026").period.end == dt.date(2026, 12, 31)
    assert CalendarPeriod.parse("2026-q1").before() == CalendarPeriod(2025, "q4")
    assert CalendarPeriod.parse("2024-m02").period.end == dt.date(2024, 2, 29)
    assert CalendarPeriod(2026, "m01").before() == CalendarPeriod(2025, "m12")
    with pytest.raises(ValueError, match="not a period"):
        CalendarPeriod.parse("last year")
    with pytest.raises(ValueError, match="unknown part"):
        CalendarPeriod.parse("2026-q7")


# --- rightsfirst report ----------------------------------------------------------------------------


def _report(tmp_path: Any, *args: str) -> str:
    out = tmp_path / "report.out"
    call_command("report", "--from", f"{THIS_YEAR}-01-01", "--to", f"{THIS_YEAR}-12-31", "-o", str(out), *args)
    return str(out.read_text(encoding="utf-8"))


def test_the_report_in_three_formats(make_case: Any, tmp_path: Any) -> None:
    cases = _cases(make_case, 10)
    html = _report(tmp_path, "--format", "html")
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    assert "<svg" in html and "Persons referred" in html
    csv_text = _report(tmp_path, "--format", "csv")
    assert csv_text.splitlines()[0].startswith("indicator,title,kind,unit,breakdown")
    document = json.loads(_report(tmp_path, "--format", "json"))
    assert document["period"] == {"start": f"{THIS_YEAR}-01-01", "end": f"{THIS_YEAR}-12-31"}
    total = next(t for t in document["tables"] if t["indicator"] == "persons_referred" and t["rows"] is None)
    assert total["cells"] == [{"row": "__total__", "column": "__total__", "count": 10, "suppressed": False}]
    for text in (html, csv_text, json.dumps(document)):
        for case in cases:
            assert case.reference not in text
        assert IDENTITY["family_name"] not in text
    assert AuditEvent.objects.filter(action="statistics.report").count() == 3


def test_the_report_in_french(make_case: Any, tmp_path: Any) -> None:
    _cases(make_case, 10)
    assert "Personnes orientées" in _report(tmp_path, "--language", "fr")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01", "--to", "2026-12-31"], "--from '2026-13-01': expected a date"),
        (["--from", "2026-02-01", "--to", "2026-01-01"], "is before --from"),
    ],
)
def test_bad_report_dates_are_named(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("report", *args)


@override_settings(RIGHTSFIRST_PRIVACY_BUDGETS={"national-report": 5.0})
def test_a_noisy_report_spends_its_budget_and_stops_there(make_case: Any, tmp_path: Any) -> None:
    _cases(make_case, 10)
    document = json.loads(_report(tmp_path, "--format", "json", "--noise", "0.004"))
    assert document["protection"]["method"] == "differential_privacy"
    spent = sum(PrivacySpend.objects.values_list("epsilon", flat=True))
    assert 0 < spent <= 5.0
    with pytest.raises(CommandError, match="nothing was released"):
        for _ in range(int(5.0 / spent) + 2):
            _report(tmp_path, "--format", "json", "--noise", "0.004")
    assert sum(PrivacySpend.objects.values_list("epsilon", flat=True)) <= 5.0 + 1e-9
    with pytest.raises(CommandError, match="no privacy budget 'other'"):
        _report(tmp_path, "--noise", "0.1", "--budget", "other")
