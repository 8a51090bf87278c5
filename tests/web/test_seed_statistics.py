"""The fictional history behind the statistics: seed_statistics, and seed_demo, which runs it."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from rightsfirst import engine
from rightsfirst.monitoring.indicators import Period
from rightsfirst.monitoring.release import build_release
from rightsfirst.monitoring.tables import TOTAL
from rightsfirst.web import adapter, demo, workflow
from rightsfirst.web.extraction import extract
from rightsfirst.web.management.commands import seed_statistics
from rightsfirst.web.models import AuditEvent, Case, Deadline, Measure, Person, Screening, ServiceEvent
from tests.web.conftest import sign_in
from tests.web.test_field_encryption import planted_in_tables

# Names found nowhere else: the seeding is made to use them, then the raw tables are searched.
PLANTED_GIVEN = ("Quorvantha", "Ilsebrack")
PLANTED_FAMILY = ("Zeltrimmox", "Varnholtz")


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def seed(cases: int, *args: str) -> str:
    out = StringIO()
    call_command("seed_statistics", "--cases", str(cases), *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (get_user_model(), Case, Person, Screening, Measure, ServiceEvent, Deadline, AuditEvent)
    }


def review_on_its_day(measure: Measure) -> engine.ReviewResult:
    """The engine's review of a stored measure on its date, against the case as the database
    records it up to that day (worked out here from the stored rows, independently of the seeding)."""
    case, day = measure.case, measure.decided_on
    screening = case.screenings.filter(assessed_on__lte=day).order_by("-number").first()
    latest: dict[str, dict[str, Any]] = {}
    for event in case.service_events.filter(on__lte=day).order_by("on", "recorded_at", "pk"):
        latest[event.entitlement] = {"entitlement": event.entitlement, "status": event.status, "date": str(event.on)}
    proceedings = [
        {"kind": item.facts["proceeding"], "role": item.facts.get("role"), "started_on": str(item.decided_on)}
        for item in case.measures.filter(measure_type="legal_proceedings", decided_on__lte=day)
    ]
    facts: dict[str, Any] = {
        "stage": case.stage,
        "referred_on": str(case.referred_on),
        "services": list(latest.values()),
        "proceedings": proceedings,
    }
    for name in ("reasonable_grounds_on", "identified_on"):
        if getattr(case, name) is not None and getattr(case, name) <= day:
            facts[name] = str(getattr(case, name))
    started = case.reflection_period_started_on
    if started is not None and started <= day:
        facts.update(reflection_period_started_on=str(started), reflection_period_days=case.reflection_period_days)
    proposed = engine.measure_from_data(adapter.measure_data(measure.measure_type, day, measure.facts_for_review()))
    return engine.assess(
        day,
        situation=engine.situation_from_data(screening.situation) if screening else None,
        case=engine.case_from_data(facts),
        measures=(proposed,),
        framework=adapter.framework(),
    ).reviews[0]


def _rules(review: dict[str, Any]) -> set[tuple[str, str]]:
    return {(finding["rule"], finding["outcome"]) for finding in review["findings"]}


@pytest.mark.django_db
def test_it_needs_the_demo_agencies_and_logins_first() -> None:
    with pytest.raises(CommandError, match="seed_demo"):
        seed(5)
    assert not Case.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), [(("0",), "at least 1"), (("5", "--years", "0"), "--years")])
def test_bad_numbers_are_refused_before_anything_is_written(args: tuple[str, ...], message: str) -> None:
    seed_demo("--no-cases")
    with pytest.raises(CommandError, match=message):
        call_command("seed_statistics", "--cases", *args, stdout=StringIO())
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_every_stored_measure_is_what_the_engine_said_on_its_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "GIVEN_NAMES", PLANTED_GIVEN)
    monkeypatch.setattr(demo, "FAMILY_NAMES", PLANTED_FAMILY)
    seed_demo("--no-cases")
    output = seed(300, "--batch", "120")

    assert "300/300" in output
    assert Case.objects.count() == Person.objects.count() == 300
    assert AuditEvent.objects.filter(action="demo.seed_statistics").count() == 1
    # The demo agencies hold them all; the monitoring agencies hold none.
    held = set(Case.objects.values_list("holding_agency__name", flat=True))
    assert held <= {demo.AGENCIES[key].name for key in set(seed_statistics.AGENCY_OF_GENERATED.values())}
    assert len(held) >= 4

    # Every date is in the past, within the years asked for (measures may precede a referral a little).
    today = workflow.today()
    earliest = today - dt.timedelta(days=3 * 366 + 60)
    for dates in (
        Case.objects.values_list("referred_on", flat=True),
        Measure.objects.values_list("decided_on", flat=True),
        ServiceEvent.objects.values_list("on", flat=True),
        Screening.objects.values_list("assessed_on", flat=True),
    ):
        assert all(earliest <= day < today for day in dates)
    # Recorded on the day it happened, not on the day the demo was seeded.
    assert not Measure.objects.filter(recorded_at__date__gte=today).exists()

    measures = list(Measure.objects.select_related("case", "overridden_by", "recorded_by__membership"))
    assert {"ok", "requires_justification", "violation"} <= {m.outcome for m in measures}
    for measure in measures:
        again = review_on_its_day(measure)
        assert measure.outcome == measure.review["outcome"] == again.outcome, measure.measure_type
        assert _rules(measure.review) == _rules(again.to_json()), measure.measure_type
        assert measure.review["at"] == str(measure.decided_on)
        assert adapter.framework().version == measure.framework_version
        if measure.outcome == "violation":
            # Saved over a violation only by the coordinator's override, with its sealed reasons.
            assert measure.overridden and measure.overridden_by.username == "coordinator"
            assert measure.override_justification.startswith("Fictional demo record")
        else:
            assert not measure.overridden and not measure.override_justification_sealed
        if measure.outcome == "requires_justification":
            assert measure.engine_facts["justification"].startswith("Fictional demo record")
        assert "justification" not in measure.facts
        # The recorder's role may record that measure type; the measure is their agency's.
        assert measure.agency_id == measure.recorded_by.membership.agency_id
    assert Measure.objects.filter(overridden=True).count() >= 10

    # Identity and the reasons are sealed: nothing planted is in any table in clear ...
    reasons = (*seed_statistics.JUSTIFICATIONS, *seed_statistics.OVERRIDES)
    assert planted_in_tables((*PLANTED_GIVEN, *PLANTED_FAMILY, *reasons)) == []
    # ... though the seeding did use the planted names, and the scan finds what is in clear.
    case = Case.objects.order_by("pk").first()
    assert case is not None
    assert case.person.identity(case)["family_name"] in PLANTED_FAMILY
    assert case.person.identity(case)["other_names"] == "(fictional)"
    assert planted_in_tables((case.reference,))
    assert Case.objects.filter(person__sex="not_known").count() < Case.objects.count()


@pytest.mark.django_db
def test_seeded_cases_read_as_the_workflow_keeps_them_and_their_pages_render() -> None:
    seed_demo("--no-cases")
    seed(120)
    # One screening per screened case; a case without one is waiting for it, or was closed
    # (cases referred more than 90 days ago are closed today).
    screened = Case.objects.filter(screenings__isnull=False).distinct()
    assert Screening.objects.count() == screened.count()
    assert set(Case.objects.filter(screenings__isnull=True).values_list("stage", flat=True)) <= {"referred", "closed"}
    recent = workflow.today() - dt.timedelta(days=seed_statistics.CURRENT_DAYS)
    assert set(Case.objects.filter(referred_on__lt=recent).values_list("stage", flat=True)) == {"closed"}
    assert Case.objects.filter(referred_on__gte=recent).exclude(stage="closed").exists()
    for case in screened.order_by("pk")[:12]:
        stored = set(case.deadlines.values_list("entitlement", "due", "ends", "status"))
        summary = (case.finding, case.treated_as_child, case.forms_of_exploitation, case.overdue_count, case.next_due)
        workflow.refresh(case)
        case.refresh_from_db()
        assert set(case.deadlines.values_list("entitlement", "due", "ends", "status")) == stored
        assert (
            case.finding,
            case.treated_as_child,
            case.forms_of_exploitation,
            case.overdue_count,
            case.next_due,
        ) == summary
    # Every service step is for a right the engine lists for the person; refusals only where allowed.
    for event in ServiceEvent.objects.select_related("case")[:40]:
        owed = {
            item.id: item
            for item in adapter.assess_case(event.case, event.on).entitlements.entitlements
            if item.applies
        }
        assert event.entitlement in owed
        assert event.status not in ("refused", "not_applicable") or owed[event.entitlement].may_be_refused

    # What the case worker of the shelter sees: the pages open, the sealed reasons are readable.
    worker = get_user_model().objects.get(username="case_worker")
    client = sign_in(Client(), worker)
    shelter = Measure.objects.filter(case__holding_agency=worker.membership.agency)
    measure = shelter.filter(overridden=True).first() or shelter.filter(outcome="requires_justification").first()
    assert measure is not None
    assert client.get(f"/cases/{measure.case.reference}/").status_code == 200
    page = client.get(f"/cases/{measure.case.reference}/measures/{measure.pk}/")
    assert page.status_code == 200
    assert "Fictional demo record" in page.content.decode()


@pytest.mark.django_db
def test_the_demo_shows_real_indicators_and_a_second_run_adds_nothing() -> None:
    output = seed_demo()
    assert f"Added {demo.STATISTICS_CASES:,} fictional historical cases" in output
    assert Case.objects.count() == len(demo.SCENARIOS) + demo.STATISTICS_CASES

    # What the monitoring dashboard shows for the last full year.
    year = workflow.today().year - 1
    release = build_release(extract(), Period(dt.date(year, 1, 1), dt.date(year, 12, 31)))
    national = {
        "persons_referred": (None, None),
        "persons_presumed": (None, None),
        "persons_identified": (None, None),
        "detained_presumed_victims": (None, None),
        "compensation_paid": (None, "currency"),  # amounts are only ever per currency
    }
    for indicator, breakdown in national.items():
        result = release.result(indicator, breakdown)
        assert result is not None, indicator
        published = result.count((TOTAL, TOTAL))
        assert published is not None and published >= release.policy.minimum_cell, (indicator, published)
    detained = release.result("detained_presumed_victims", (None, None))
    assert detained is not None and detained.share((TOTAL, TOTAL)) is not None
    # Most national totals and most cells of the one-way tables are published; small cells are not.
    totals = [result for result in release.results if result.breakdown in ((None, None), (None, "currency"))]
    assert sum(not result.suppressed((TOTAL, TOTAL)) for result in totals) > 0.75 * len(totals)
    one_way = [cell for result in release.results if result.breakdown[1] is None for cell in result.cells()]
    published_cells = [
        cell
        for result in release.results
        if result.breakdown[1] is None
        for cell in result.cells()
        if not result.suppressed(cell)
    ]
    assert len(published_cells) > 0.5 * len(one_way)
    assert release.suppressed_count() > 0

    before = counts()
    again = seed_demo()
    assert counts() == before
    assert "already present" in again


@pytest.mark.django_db
def test_the_demo_without_cases_adds_no_history() -> None:
    seed_demo("--no-cases")
    assert not Case.objects.exists()
    assert not AuditEvent.objects.filter(action="demo.seed_statistics").exists()
    # And a later full run does not add it either: the demo is there already.
    seed_demo()
    assert not Case.objects.exists()
