"""`rightsfirst manage seed_statistics --cases N [--seed S] [--years Y]`: fictional case history
for the monitoring statistics.

The demo's fifty cases are too few and too recent for the indicators: with a minimum cell of ten
almost every number would be suppressed. This adds N fictional cases referred over the last Y
years. Who the people are, what was decided about them and when is drawn from the monitoring
generator (rightsfirst.monitoring.generator: CTDC-shaped distributions), and each generated record
becomes the rows the application would hold for it:

- the person (sex, nationality) with an invented identity sealed under the case's own data key,
  and its blind-index tokens;
- the case, held by the demo agency the generated agency stands for, with its dates and stage
  (closed once referred more than 90 days ago, so that the dashboards show current work);
- a screening whose situation agrees with the record: the age (within its band), the forms of
  exploitation, and the means or indicators that give the record's finding. Where the record's
  finding contradicts its forms (smuggling only, yet a form of exploitation recorded; established
  with no form at all), the forms are kept and the engine's finding is stored;
- the record's measures, each reviewed by the engine on its own date against the case as it stood
  then (as the measure form does), and stored as the workflow would store it: with the review and
  its outcome; with a sealed justification where the review asks for one; a measure the engine
  finds in violation only as a coordinator's override (sealed justification), and only where the
  record says it was overridden, otherwise not at all;
- the record's service steps, each for an entitlement the engine lists for the person on that
  day (the generator draws entitlements without regard to the person);
- the deadlines and the case summary, from one assessment today, as seed_cases computes them.

Every date is in the past, and each row's timestamps are the day of the event, so the "last 30
days" panels show only what happened then. As in seed_cases the rows are written in bulk, one
transaction per batch, and one audit entry records the seeding itself.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from rightsfirst import engine
from rightsfirst.monitoring import generator
from rightsfirst.monitoring.records import FACT_COLUMNS
from rightsfirst.web import adapter, audit, blind_index, demo, workflow
from rightsfirst.web.management.commands.seed_cases import batches, insert_rows
from rightsfirst.web.models import (
    Case,
    Deadline,
    Measure,
    Person,
    Screening,
    SearchToken,
    ServiceEvent,
)
from rightsfirst.web.models.cases import new_reference
from rightsfirst.web.models.records import JUSTIFICATION
from rightsfirst.web.models.sealed import seal_bulk, write_columns
from rightsfirst.web.roles import CASE_ROLES, Role, may_record_measure

# The generator's fictional agencies, each standing for the demo agency that does that work.
AGENCY_OF_GENERATED = {
    "Fictional Shelter North": "shelter",
    "Fictional Police Unit North": "police",
    "Fictional Shelter South": "shelter",
    "Fictional Labour Inspectorate": "labour",
    "Fictional National Referral Office": "nrm",
    "Fictional Child Services": "guardians",
    "Fictional Outreach East": "shelter",
    "Fictional Legal Clinic East": "legal",
    "Fictional Migrant Centre West": "shelter",
    "Fictional Health Service West": "shelter",
}
# Ages within each CTDC band (whole years); the open band stops at an age the demo finds plausible.
BAND_AGES = {
    "0--8": (3, 8),
    "9--17": (9, 17),
    "18--20": (18, 20),
    "21--23": (21, 23),
    "24--26": (24, 26),
    "27--29": (27, 29),
    "30--38": (30, 38),
    "39--47": (39, 47),
    "48+": (48, 64),
}
ACTION_SETS = (
    ["recruitment", "transportation"],
    ["recruitment", "harbouring"],
    ["recruitment", "transportation", "receipt"],
    ["transfer", "harbouring"],
    ["recruitment"],
)
MEANS_SETS = (
    ["deception"],
    ["deception", "abuse_of_position_of_vulnerability"],
    ["coercion", "threat"],
    ["abuse_of_position_of_vulnerability"],
    ["fraud", "coercion"],
)
# ILO/EC operational indicators that make a missing element probable (a presumption, never a
# finding): deceptive recruitment (one strong, one medium) for the means, exploitative conditions
# of work (one strong, one medium) for the purpose.
MEANS_INDICATORS = ["dec_job_nature", "dec_wages"]
PURPOSE_INDICATORS = ["expl_excessive_hours", "expl_bad_living"]
SMUGGLING = {"facilitated_irregular_entry": True, "for_profit": True}

JUSTIFICATIONS = (
    "Fictional demo record: the reasons were set out in the written decision and checked by a colleague.",
    "Fictional demo record: the safeguards not recorded here were examined and are noted in the paper file.",
    "Fictional demo record: decided after hearing the person with an interpreter; the reasons are on file.",
)
OVERRIDES = (
    "Fictional demo record: entered so that the file shows what another authority decided on this date; "
    "the person's legal adviser has challenged it.",
    "Fictional demo record: the only option open that day; a lawful alternative was sought at once and "
    "the case was reviewed within two weeks.",
)
DONE = set(workflow.SERVICE_DONE)
REFUSING = {"refused", "not_applicable"}
_FACT_NAMES = tuple(column.name.removeprefix("fact_") for column in FACT_COLUMNS)


@dataclass
class Generated:
    """One generated record: the case row, its measures and its service steps (plain values)."""

    case: dict[str, Any]
    measures: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Planned:
    """One case and its rows, before any is written."""

    person: Person
    case: Case
    screening: Screening | None
    measures: list[Measure]
    services: list[tuple[Any, ...]]  # (entitlement, status, on, agency id, recorded_by id)
    deadlines: list[tuple[Any, ...]]  # (entitlement, title, due, ends, status)
    tokens: set[tuple[str, int]]
    updated_on: dt.date  # the day of the case's latest record


def generated_cases(count: int, seed: int, start: dt.date, end: dt.date) -> list[Generated]:
    """The generator's records as one Generated per case (facts not recorded are left out)."""
    records = generator.generate(count, seed=seed, start=start, end=end)
    cases = [Generated(row) for row in records.cases.to_pylist()]
    measures = records.measures
    plain = measures.select(["case_key", "measure_type", "decided_on", "agency", "overridden", "currency"]).to_pylist()
    facts: list[dict[str, Any]] = [{} for _ in plain]
    # Most fact columns are empty for most measures: only the recorded values are read.
    for name in _FACT_NAMES:
        column = measures.column(f"fact_{name}")
        if column.null_count == len(column):
            continue
        present = np.flatnonzero(np.asarray(pc.is_valid(column)))
        values = pc.take(column, pa.array(present)).to_pylist()
        for index, value in zip(present.tolist(), values, strict=True):
            facts[index][name] = value
    for row, recorded in zip(plain, facts, strict=True):
        row["facts"] = recorded
        cases[row["case_key"] - 1].measures.append(row)
    for step in records.services.to_pylist():
        cases[step["case_key"] - 1].services.append(step)
    return cases


def _whole(value: Any) -> Any:
    # The generator gives every number as a float; the forms store whole numbers as integers.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def situation_for(record: Mapping[str, Any], rng: random.Random) -> dict[str, Any] | None:
    """Screening facts that agree with the record (age, forms, and what its finding rests on);
    None for a person not yet screened."""
    finding = record["finding"]
    if finding is None:
        return None
    band, child = record["age_band"], bool(record["child"])
    forms: list[str] = list(record["forms"] or [])
    person: dict[str, Any] = {}
    if band is not None:
        age = rng.randint(*BAND_AGES[band])
        # A child presumed to be one says how old they are; nothing has established it yet.
        person["stated_age" if child and finding == "presumed" else "age"] = age
    elif child:
        # Says 18 or 19, looks younger: treated as a child while the age is uncertain.
        person["stated_age"] = rng.choice((18, 19))
        person["indications_of_minority"] = ["appearance"]
    situation: dict[str, Any] = {"person": person}
    if record["nationality"] and record["nationality"] != demo.HOME_COUNTRY:
        person["non_national"] = True
        situation["crossed_border"] = True
    if finding in ("established", "presumed"):
        situation["actions"] = list(rng.choice(ACTION_SETS))
        indicators: list[str] = []
        if forms:
            situation["purposes"] = forms
        else:
            indicators += PURPOSE_INDICATORS
        if finding == "established":
            situation["means"] = list(rng.choice(MEANS_SETS))
        elif not child:
            indicators += MEANS_INDICATORS
        if indicators:
            situation["indicators"] = indicators
    elif finding == "insufficient_information":
        # Screened, but the action and the means were not asked about yet.
        if forms:
            situation["purposes"] = forms
    elif finding == "smuggling_only" and not forms:
        situation.update(actions=["transportation"], purposes=[], crossed_border=True, smuggling=dict(SMUGGLING))
    else:
        # Not established: what would make it trafficking was looked for and not found.
        if child:
            situation["actions"] = []
        else:
            situation["actions"] = list(rng.choice(ACTION_SETS))
            situation["means"] = []
        situation["purposes"] = forms
        if finding == "smuggling_only":
            situation["smuggling"] = dict(SMUGGLING)
    return situation


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(day: dt.date) -> dt.datetime:
    """A timestamp on that day (noon, local time)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


class _History:
    """One case as it unfolds: what the workflow would hold on each day, for the engine."""

    def __init__(self, record: Mapping[str, Any], situation: dict[str, Any] | None, screened_on: dt.date) -> None:
        self.record = record
        self.situation = engine.situation_from_data(situation, "situation") if situation is not None else None
        self.screened_on = screened_on
        self.kept: list[tuple[dt.date, engine.Measure, Measure]] = []
        self.steps: list[tuple[str, str, dt.date]] = []  # (entitlement, status, on)
        self.reflection_started: dt.date | None = None
        self.reflection_days: int | None = None
        # Records are only ever added, so what the case held on a day is known by the day and the counts.
        self._cases: dict[tuple[dt.date, int, int], engine.Case] = {}

    def situation_on(self, day: dt.date) -> engine.Situation | None:
        return self.situation if self.situation is not None and self.screened_on <= day else None

    def case_on(self, day: dt.date) -> engine.Case:
        """The case facts as recorded by the end of `day` (as adapter.case_data reads them)."""
        key = (day, len(self.kept), len(self.steps))
        if key not in self._cases:
            self._cases[key] = self._case_on(day)
        return self._cases[key]

    def _case_on(self, day: dt.date) -> engine.Case:
        record = self.record
        latest: dict[str, dict[str, Any]] = {}
        for entitlement, status, on in sorted(self.steps, key=lambda step: step[2]):
            if on <= day:
                latest[entitlement] = {"entitlement": entitlement, "status": status, "date": on.isoformat()}
        proceedings = [
            {"kind": stored.facts["proceeding"], "role": stored.facts.get("role"), "started_on": on.isoformat()}
            for on, _, stored in self.kept
            if stored.measure_type == "legal_proceedings" and on <= day and stored.facts.get("proceeding")
        ]
        reflection = self.reflection_started is not None and self.reflection_started <= day
        data = {
            "stage": record["stage"],
            "referred_on": _iso(record["referred_on"]),
            "reasonable_grounds_on": _iso(record["presumed_on"] if _on_or_before(record["presumed_on"], day) else None),
            "identified_on": _iso(record["identified_on"] if _on_or_before(record["identified_on"], day) else None),
            "reflection_period_started_on": _iso(self.reflection_started) if reflection else None,
            "reflection_period_days": self.reflection_days if reflection else None,
            "services": list(latest.values()),
            "proceedings": [{k: v for k, v in item.items() if v is not None} for item in proceedings],
        }
        return engine.case_from_data({key: value for key, value in data.items() if value is not None})

    def measures_on(self, day: dt.date) -> tuple[engine.Measure, ...]:
        return tuple(measure for on, measure, _ in self.kept if on <= day)


def _on_or_before(value: dt.date | None, day: dt.date) -> bool:
    return value is not None and value <= day


# A fictional case referred longer ago than this is closed today (see HistorySeeder.stage_now).
CURRENT_DAYS = 90


class HistorySeeder:
    """Turns generated records into planned rows and writes them in batches."""

    def __init__(self, seed: int, today: dt.date, years: int) -> None:
        self.rng = random.Random(seed)  # nosec B311  # reproducible fictional data; nothing secret
        self.seed = seed
        self.today = today
        # Every date in the past: the records end yesterday.
        self.end = today - dt.timedelta(days=1)
        self.start = _years_before(today, years)
        self.agencies = demo.demo_agencies()
        users = demo.demo_users()
        if len(self.agencies) != len(demo.AGENCIES) or len(users) != len(Role):
            raise CommandError("the demo agencies and logins are missing: run `seed_demo --no-cases` first")
        unmapped = sorted({name for name, _region, _weight in generator.AGENCIES} - set(AGENCY_OF_GENERATED))
        if unmapped:
            raise CommandError(f"generated agencies without a demo agency: {', '.join(unmapped)}")
        self.users = users
        self.coordinator = users[Role.COORDINATOR]
        # The one person with a case role in each agency, if it has one; the coordinator otherwise.
        self.worker = {
            key: next(
                (
                    user
                    for user in users.values()
                    if user.membership.agency_id == agency.pk and user.membership.role in CASE_ROLES
                ),
                self.coordinator,
            )
            for key, agency in self.agencies.items()
        }
        self.framework = adapter.framework()
        self.references = set(Case.objects.values_list("reference", flat=True))
        self.number = Person.objects.count()
        self.index_root = blind_index.root_key()
        self.index_key_id = blind_index.key_id(self.index_root)
        self.left_out = 0
        self.overridden = 0

    def records(self, count: int) -> list[Generated]:
        """`count` generated records referred between `start` and `end`."""
        return generated_cases(count, self.seed, self.start, self.end)

    def reference(self) -> str:
        """A new random case reference, unique in the database and in this run."""
        while True:
            reference = new_reference()
            if reference not in self.references:
                self.references.add(reference)
                return reference

    def recorder(self, agency_key: str, measure_type: str) -> Any:
        """Who records a measure of this type for that agency: its worker if the role may, else the coordinator."""
        user = self.worker[agency_key]
        return user if may_record_measure(user.membership.role, measure_type) else self.coordinator

    def review(self, history: _History, measure: engine.Measure, on: dt.date) -> engine.ReviewResult:
        """The engine's review of one measure on its date, in the case as it stood then: what the
        measure form's review gives (adapter.review_proposed). That one calls `assess`, which also
        works out the entitlements; the review rules never read them, so `review` alone is asked,
        with the same person, case and screening."""
        situation = history.situation_on(on)
        return engine.review(
            measure,
            on,
            person=situation.person if situation is not None else None,
            case=history.case_on(on),
            framework=self.framework,
            screening=engine.screen(situation, on, self.framework) if situation is not None else None,
        )

    def stage_now(self, record: Mapping[str, Any]) -> str:
        """The stage the case is in today: the record's, or closed once it is past being current.

        The generator draws a stage without regard to when the person was referred, so two-year-old
        cases would still wait for screening, and their unmet rights (each recorded, each a finding
        in the statistics) would fill every coordinator's and case worker's dashboard with
        thousands of overdue rows around the demo's own fifty cases. Cases referred more than
        CURRENT_DAYS ago are closed (the engine's rules do not read the stage, so no review or
        deadline changes; a closed case's deadlines stay on its page and leave the dashboard).
        """
        if record["referred_on"] < self.today - dt.timedelta(days=CURRENT_DAYS):
            return "closed"
        return str(record["stage"])

    def plan(self, generated: Generated) -> Planned:
        """One generated record as the rows the application would hold."""
        rng, record = self.rng, generated.case
        agency_key = AGENCY_OF_GENERATED[record["agency"]]
        agency, creator = self.agencies[agency_key], self.worker[agency_key]
        referred_on: dt.date = record["referred_on"]
        situation = situation_for(record, rng)
        # Screened the day after referral, or on the day of the first decision if that came sooner.
        decisions = [day for day in (record["presumed_on"], record["not_identified_on"]) if day is not None]
        screened_on = max(referred_on, min([referred_on + dt.timedelta(days=1), *decisions, self.end]))
        history = _History(record, situation, screened_on)

        self.number += 1
        person = Person(
            id=uuid.uuid4(),
            sex=record["sex"] or Person.Sex.NOT_KNOWN,
            nationality=record["nationality"] or "",
            preferred_language=rng.choice(demo.LANGUAGES),
        )
        case = Case(
            reference=self.reference(),
            person=person,
            holding_agency=agency,
            stage=self.stage_now(record),
            created_by=creator,
            referred_on=referred_on,
            reasonable_grounds_on=record["presumed_on"],
            identified_on=record["identified_on"],
            index_key_id=self.index_key_id,
        )
        # bulk_create skips Case.save: the case gets its data key here, before its person is sealed.
        case.ensure_data_key()
        age = None
        if situation is not None:
            facts = situation["person"]
            age = facts.get("age", facts.get("stated_age"))
        identity = demo.fictional_identity(rng, self.number, age, referred_on)
        person.set_identity(case, identity)
        tokens = blind_index.tokens_for(identity, self.index_root)

        screening = None
        if situation is not None and history.situation is not None:
            result = engine.screen(history.situation, screened_on, self.framework).to_json()
            screening = Screening(
                case=case,
                number=1,
                situation=situation,
                result=result,
                finding=result["finding"],
                treated_as_child=result["treated_as_child"],
                framework_version=result["framework_version"],
                profile=result["profile"],
                assessed_on=screened_on,
                screened_by=creator,
            )
            case.forms_of_exploitation = ",".join(situation.get("purposes") or [])[:300]

        measures, steps = self._measures_and_steps(generated, history, case)
        assessment = engine.assess(
            self.today,
            situation=history.situation,
            case=history.case_on(self.today),
            measures=history.measures_on(self.today),
            framework=self.framework,
        )
        # The case summary and deadlines as workflow.refresh keeps them.
        case.treated_as_child = assessment.entitlements.treated_as_child
        if assessment.screening is not None:
            case.finding = assessment.screening.finding
        case.reflection_period_started_on = history.reflection_started
        case.reflection_period_days = history.reflection_days
        applicable = [item for item in assessment.entitlements.entitlements if item.applies]
        deadlines = [
            (item.definition.id, item.definition.title, item.due, item.ends, item.status) for item in applicable
        ]
        open_due = [item.due for item in applicable if item.due is not None and item.status not in DONE]
        case.overdue_count = sum(1 for item in applicable if item.overdue)
        case.next_due = min(open_due) if open_due else None
        services = [
            (entitlement, status, on, self.agencies[key].pk, self.worker[key].pk)
            for entitlement, status, on, key in steps
        ]
        days = [referred_on, screened_on if screening else referred_on]
        days += [measure.decided_on for measure in measures] + [on for _, _, on in history.steps]
        return Planned(person, case, screening, measures, services, deadlines, tokens, max(days))

    def _measures_and_steps(
        self, generated: Generated, history: _History, case: Case
    ) -> tuple[list[Measure], list[tuple[str, str, dt.date, str]]]:
        """The record's measures and service steps (entitlement, status, day, agency key), in date
        order, each as the workflow would take it on its day."""
        rng = self.rng
        events: list[tuple[dt.date, int, dict[str, Any]]] = [(m["decided_on"], 0, m) for m in generated.measures]
        events += [(s["on"], 1, s) for s in generated.services]
        events.sort(key=lambda event: (event[0], event[1]))
        stored: list[Measure] = []
        steps: list[tuple[str, str, dt.date, str]] = []
        for on, kind, event in events:
            if kind == 1:
                entitlement = self._entitlement_for(history, event["status"], on)
                if entitlement is not None:
                    history.steps.append((entitlement, event["status"], on))
                    steps.append((entitlement, event["status"], on, AGENCY_OF_GENERATED[event["agency"]]))
                continue
            measure_type = event["measure_type"]
            facts = {name: _whole(value) for name, value in event["facts"].items()}
            review = self.review(history, engine.measure_from_data(adapter.measure_data(measure_type, on, facts)), on)
            override = ""
            if review.outcome == "violation":
                if not event["overridden"]:
                    # The application would have blocked it, and no one overrode it: never saved.
                    self.left_out += 1
                    continue
                override = rng.choice(OVERRIDES)
                recorder = self.coordinator
                self.overridden += 1
            else:
                recorder = self.recorder(AGENCY_OF_GENERATED[event["agency"]], measure_type)
                if review.outcome == "requires_justification":
                    facts[JUSTIFICATION] = rng.choice(JUSTIFICATIONS)
                    review = self.review(
                        history, engine.measure_from_data(adapter.measure_data(measure_type, on, facts)), on
                    )
            measure = Measure(
                case=case,
                measure_type=measure_type,
                decided_on=on,
                facts=facts,
                outcome=review.outcome,
                review=review.to_json(),
                framework_version=self.framework.version,
                overridden=bool(override),
                overridden_by=self.coordinator if override else None,
                agency=recorder.membership.agency,
                recorded_by=recorder,
            )
            if event["currency"]:
                # A coded detail, kept in clear (CLEAR_DETAILS): there is no narrative to seal.
                measure.details = {"currency": event["currency"]}
            if override:
                measure.override_justification = override
            stored.append(measure)
            # Later reviews see it, as they would see a saved measure (the justification by a stand-in).
            history.kept.append(
                (
                    on,
                    engine.measure_from_data(adapter.measure_data(measure_type, on, measure.facts_for_review())),
                    measure,
                )
            )
            if measure_type == "reflection_period" and facts.get("granted"):
                # As workflow._apply_decision_dates: the first grant starts it, the latest length counts.
                history.reflection_started = history.reflection_started or on
                if facts.get("days") is not None:
                    history.reflection_days = int(facts["days"])
        return stored, steps

    def _entitlement_for(self, history: _History, status: str, on: dt.date) -> str | None:
        """An entitlement the engine lists for the person that day, for a step with this status: a
        refusal only of one that may be refused (as the services page allows); None if there is none."""
        owed = engine.assess(
            on,
            situation=history.situation_on(on),
            case=history.case_on(on),
            measures=history.measures_on(on),
            framework=self.framework,
        ).entitlements.entitlements
        choices = sorted(item.id for item in owed if item.applies and (status not in REFUSING or item.may_be_refused))
        return self.rng.choice(choices) if choices else None

    def write(self, batch: list[Planned]) -> None:
        """Insert one batch, parents before children, in one transaction."""
        with transaction.atomic():
            Person.objects.bulk_create([item.person for item in batch])
            Case.objects.bulk_create([item.case for item in batch])
            screenings, measures = [], []
            services: list[tuple[Any, ...]] = []
            deadlines: list[tuple[Any, ...]] = []
            tokens: list[tuple[Any, ...]] = []
            for item in batch:
                # The parents have their keys only now; point the children at them again.
                if item.screening is not None:
                    item.screening.case = item.case
                    screenings.append(item.screening)
                for measure in item.measures:
                    measure.case = item.case
                measures += item.measures
                case_id = item.case.pk
                services += [
                    (case_id, e, status, on, agency, b"", by, _moment(on))
                    for e, status, on, agency, by in item.services
                ]
                deadlines += [(case_id, *row) for row in item.deadlines]
                tokens += [(case_id, index, token) for index, token in sorted(item.tokens)]
            Screening.objects.bulk_create(screenings)
            Measure.objects.bulk_create(measures)
            # Justifications and override reasons name the measure's key, known only now.
            seal_bulk(measures)
            insert_rows(
                ServiceEvent,
                ("case", "entitlement", "status", "on", "agency", "note_sealed", "recorded_by", "recorded_at"),
                services,
            )
            insert_rows(Deadline, ("case", "entitlement", "title", "due", "ends", "status"), deadlines)
            insert_rows(SearchToken, ("case", "index", "token"), tokens)
            # bulk_create stamps every row with the present moment; history happened on its own days.
            for item in batch:
                item.person.created_at = item.case.created_at = _moment(item.case.referred_on)
                item.case.updated_at = _moment(item.updated_on)
            for screening in screenings:
                screening.created_at = _moment(screening.assessed_on)
            for measure in measures:
                measure.recorded_at = _moment(measure.decided_on)
            write_columns(Person, ["created_at"], [item.person for item in batch])
            write_columns(Case, ["created_at", "updated_at"], [item.case for item in batch])
            write_columns(Screening, ["created_at"], screenings)
            write_columns(Measure, ["recorded_at"], measures)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Seeded:
    """What a run added."""

    cases: int
    measures_left_out: int
    overrides: int
    seconds: float


def seed_statistics(
    cases: int,
    *,
    seed: int,
    years: int,
    batch: int = 1000,
    today: dt.date | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> Seeded:
    """Add `cases` fictional historical cases to the demo agencies (see the module's docstring)."""
    if cases < 1 or batch < 1:
        raise CommandError("--cases and --batch must be at least 1")
    if not 1 <= years <= 30:
        raise CommandError(f"--years must be between 1 and 30, not {years}")
    started = time.perf_counter()
    seeder = HistorySeeder(seed, today or workflow.today(), years)
    records = iter(seeder.records(cases))
    done = 0
    for count in batches(cases, batch):
        seeder.write([seeder.plan(next(records)) for _ in range(count)])
        done += count
        if progress is not None:
            progress(done, cases, time.perf_counter() - started)
    audit.record(
        seeder.users[Role.ADMINISTRATOR],
        "demo.seed_statistics",
        target=f"{cases} fictional historical cases added for the statistics",
    )
    return Seeded(cases, seeder.left_out, seeder.overridden, time.perf_counter() - started)


class Command(BaseCommand):
    help = (
        "Add N fictional historical cases to the demo agencies, drawn from the monitoring generator, so "
        "that the statistics have something to show; needs seed_demo first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help="how many cases to add")
        parser.add_argument("--seed", type=int, default=demo.SEED, help=f"random seed (default {demo.SEED})")
        parser.add_argument(
            "--years", type=int, default=3, help="spread the referrals over this many years up to yesterday (default 3)"
        )
        parser.add_argument("--batch", type=int, default=1000, help="cases written per transaction (default 1000)")

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(done: int, total: int, elapsed: float) -> None:
            self.stdout.write(f"{done:,}/{total:,} cases ({elapsed:.0f} s)")

        seeded = seed_statistics(
            options["cases"], seed=options["seed"], years=options["years"], batch=options["batch"], progress=progress
        )
        self.stdout.write(
            f"{seeded.overrides:,} measures stored as overrides; {seeded.measures_left_out:,} generated measures "
            "left out (the engine found a violation and the record says no one overrode it)."
        )
        self.stdout.write(
            self.style.SUCCESS(f"Added {seeded.cases:,} fictional historical cases in {seeded.seconds:.1f} s.")
        )
