"""`rightsfirst manage seed_cases --cases N`: many fictional cases, fast, for load tests.

The demo (seed_demo) builds each case through the workflow, about 0.1 s a case. Here the same
kinds of records are written in bulk: the engine screens each distinct situation once per date
and the JSON result is reused; one engine assessment per case gives its deadlines, summary and
the reviews of its measures. Identity is still sealed field by field under each case's own data
key, with its search tokens (well under a millisecond a case, so it needs no short cut). No audit
entry is written per case, since no one acted on these cases; one entry records the bulk seeding
itself.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any, NamedTuple

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone

from rightsfirst import engine
from rightsfirst.web import adapter, audit, blind_index, demo, workflow
from rightsfirst.web.lifecycle import Stage
from rightsfirst.web.models import (
    Case,
    Consent,
    Deadline,
    Measure,
    Person,
    Referral,
    Screening,
    SearchToken,
    ServiceEvent,
)
from rightsfirst.web.models.cases import new_reference
from rightsfirst.web.models.sealed import seal_bulk
from rightsfirst.web.roles import Role

# Most cases sit with the shelter, so that one login (the shelter's case worker) sees many.
AGENCY_WEIGHTS = {"shelter": 70, "police": 10, "nrm": 8, "labour": 4, "legal": 4, "guardians": 4}
# Stages for people the screening found (or presumed) trafficked, and for the others.
PROGRESS_STAGES = {
    Stage.REFERRED: 4,
    Stage.SCREENING: 10,
    Stage.PRESUMED_VICTIM: 14,
    Stage.IDENTIFIED: 10,
    Stage.RECOVERY_AND_REFLECTION: 14,
    Stage.SUPPORT: 20,
    Stage.LEGAL_PROCEEDINGS: 10,
    Stage.DURABLE_SOLUTION: 8,
    Stage.CLOSED: 10,
}
OTHER_STAGES = {Stage.REFERRED: 10, Stage.SCREENING: 60, Stage.CLOSED: 30}
STAGE_ORDER = [stage.value for stage in Stage]
DONE = set(workflow.SERVICE_DONE)


class Planned(NamedTuple):
    """One case, before any row is written."""

    person: Person
    case: Case
    screening: Screening | None
    measures: list[Measure]
    services: list[tuple[Any, ...]]  # (entitlement, status, on, agency id, recorded_by id)
    deadlines: list[tuple[Any, ...]]  # (entitlement, title, due, ends, status)
    referral_to: str | None
    tokens: set[tuple[str, int]]  # the blind-index tokens of the person's names and documents


class Seeder:
    """Builds cases in batches; the engine results that repeat are computed once."""

    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)  # nosec B311  # reproducible fictional load data; nothing secret
        self.today = today
        self.agencies = demo.demo_agencies()
        users = demo.demo_users()
        if len(self.agencies) != len(demo.AGENCIES) or len(users) != len(Role):
            raise CommandError("the demo agencies and logins are missing: run `seed_demo --no-cases` first")
        self.users = users
        self.creator = {
            key: next(
                (user for user in users.values() if user.membership.agency_id == agency.pk),
                users[Role.COORDINATOR],
            )
            for key, agency in self.agencies.items()
        }
        self.agency_keys = list(AGENCY_WEIGHTS)
        self.agency_weights = list(AGENCY_WEIGHTS.values())
        self.framework = adapter.framework()
        self.templates = list(demo.TEMPLATES.items())
        self.situations = {key: engine.situation_from_data(t.situation, "situation") for key, t in self.templates}
        self.findings = {
            key: engine.screen(situation, today, self.framework) for key, situation in self.situations.items()
        }
        self.screening_json: dict[tuple[str, dt.date], dict[str, Any]] = {}
        self.references = set(Case.objects.values_list("reference", flat=True))
        self.number = Person.objects.count()
        self.left_out = 0
        self.index_root = blind_index.root_key()
        self.index_key_id = blind_index.key_id(self.index_root)

    def screened(self, template: str, on: dt.date) -> dict[str, Any]:
        """The screening result as JSON, computed once per situation and date."""
        key = (template, on)
        if key not in self.screening_json:
            self.screening_json[key] = engine.screen(self.situations[template], on, self.framework).to_json()
        return self.screening_json[key]

    def reference(self) -> str:
        """A new random case reference, unique in the database and in this run."""
        while True:
            reference = new_reference()
            if reference not in self.references:
                self.references.add(reference)
                return reference

    def plan(self) -> Planned:
        """One fictional case with its records, assessed by the engine, ready to be written."""
        rng, today = self.rng, self.today
        template_key, template = rng.choice(self.templates)
        first = self.findings[template_key]
        progressing = first.finding in ("established", "presumed")
        weights = PROGRESS_STAGES if progressing else OTHER_STAGES
        stage = rng.choices(list(weights), list(weights.values()))[0]
        rank = STAGE_ORDER.index(stage)
        agency_key = rng.choices(self.agency_keys, self.agency_weights)[0]
        agency, creator = self.agencies[agency_key], self.creator[agency_key]
        worker = self.users[Role.CASE_WORKER] if agency_key == "shelter" else creator
        # Later stages have had time to get there.
        days_ago = rng.randint(0, 30) if rank <= 1 else rng.randint(5 + 10 * rank, 60 + 35 * rank)
        referred_on = today - dt.timedelta(days=days_ago)

        def day(offset: int) -> dt.date:
            return min(referred_on + dt.timedelta(days=offset), today)

        person_facts = template.situation["person"]
        self.number += 1
        person = Person(
            id=uuid.uuid4(),
            sex=template.sex,
            nationality=demo.HOME_COUNTRY
            if person_facts.get("non_national") is False
            else rng.choice(demo.NATIONALITIES),
            preferred_language=rng.choice(demo.LANGUAGES),
        )
        age = person_facts.get("age", person_facts.get("stated_age"))
        case = Case(
            reference=self.reference(),
            person=person,
            holding_agency=agency,
            stage=stage,
            created_by=creator,
            referred_on=referred_on,
            index_key_id=self.index_key_id,
        )
        # bulk_create skips Case.save: the case gets its data key here, before its person is sealed.
        case.ensure_data_key()
        identity = demo.fictional_identity(rng, self.number, age, today)
        person.set_identity(case, identity)
        tokens = blind_index.tokens_for(identity, self.index_root)
        screening = None
        situation = None
        if stage != Stage.REFERRED:
            situation = self.situations[template_key]
            result = self.screened(template_key, day(1))
            screening = Screening(
                case=case,
                number=1,
                situation=template.situation,
                result=result,
                finding=result["finding"],
                treated_as_child=result["treated_as_child"],
                framework_version=result["framework_version"],
                profile=result["profile"],
                assessed_on=day(1),
                screened_by=creator,
            )
            case.finding = result["finding"]
            case.treated_as_child = result["treated_as_child"]
            case.forms_of_exploitation = ",".join(template.situation.get("purposes") or [])[:300]

        moved_on = progressing and rank >= STAGE_ORDER.index(Stage.PRESUMED_VICTIM)
        facts: list[tuple[str, dt.date, dict[str, Any], Any]] = []  # (type, date, facts, recorded by)
        services: list[tuple[Any, ...]] = []
        if moved_on:
            coordinator = self.users[Role.COORDINATOR]
            case.reasonable_grounds_on = day(rng.randint(2, 5))
            facts.append(
                (
                    "identification_decision",
                    case.reasonable_grounds_on,
                    {"decision": "presumed_victim", "depends_on_cooperation": False},
                    coordinator,
                )
            )
            if case.treated_as_child:
                facts.append(("guardian_appointment", day(2), {"appointed": True, "independent": True}, worker))
            if stage != Stage.IDENTIFIED and rank >= STAGE_ORDER.index(Stage.RECOVERY_AND_REFLECTION):
                case.reflection_period_started_on = case.reasonable_grounds_on
                case.reflection_period_days = 90
                facts.append(
                    (
                        "reflection_period",
                        case.reasonable_grounds_on,
                        {"granted": True, "days": 90, "conditional_on_cooperation": False},
                        worker,
                    )
                )
            if stage == Stage.IDENTIFIED or (rank > STAGE_ORDER.index(Stage.IDENTIFIED) and rng.random() < 0.5):
                case.identified_on = day(rng.randint(20, 45))
                facts.append(
                    (
                        "identification_decision",
                        case.identified_on,
                        {"decision": "identified", "depends_on_cooperation": False},
                        coordinator,
                    )
                )
            if rng.random() < 0.5:
                facts.append(
                    (
                        "support_offer",
                        day(1),
                        {
                            "service": "shelter",
                            "conditional_on_cooperation": False,
                            "conditional_on_testimony": False,
                            "mandatory": False,
                            "can_leave": True,
                        },
                        worker,
                    )
                )
            for entitlement in demo.FIRST_DAY_SERVICES:
                if entitlement == "care_for_children" and not case.treated_as_child:
                    continue
                status = "refused" if rng.random() < 0.08 else "delivered"
                services.append((entitlement, status, day(1), agency.pk, worker.pk))

        measures = [engine.measure_from_data(adapter.measure_data(kind, on, data)) for kind, on, data, _ in facts]
        case_facts = {
            "stage": stage,
            "referred_on": referred_on.isoformat(),
            "reasonable_grounds_on": _iso(case.reasonable_grounds_on),
            "identified_on": _iso(case.identified_on),
            "reflection_period_started_on": _iso(case.reflection_period_started_on),
            "reflection_period_days": case.reflection_period_days,
            "services": [
                {"entitlement": e, "status": status, "date": on.isoformat()} for e, status, on, *_ in services
            ],
        }
        assessment = engine.assess(
            today,
            situation=situation,
            case=engine.case_from_data({key: value for key, value in case_facts.items() if value is not None}),
            measures=tuple(measures),
            framework=self.framework,
        )
        rows = []
        for (kind, on, data, by), reviewed in zip(facts, assessment.reviews, strict=True):
            # Only what the workflow would have saved without an override: a load test needs no
            # blocked measures, and every stored measure must have passed the engine's review.
            if reviewed.outcome != "ok":
                self.left_out += 1
                continue
            rows.append(
                Measure(
                    case=case,
                    measure_type=kind,
                    decided_on=on,
                    facts=data,
                    details={},
                    outcome=reviewed.outcome,
                    review=reviewed.to_json(),
                    framework_version=self.framework.version,
                    agency=agency,
                    recorded_by=by,
                )
            )
        applicable = [item for item in assessment.entitlements.entitlements if item.applies]
        deadlines = [
            (item.definition.id, item.definition.title, item.due, item.ends, item.status) for item in applicable
        ]
        open_due = [item.due for item in applicable if item.due is not None and item.status not in DONE]
        case.overdue_count = sum(1 for item in assessment.entitlements.entitlements if item.applies and item.overdue)
        case.next_due = min(open_due) if open_due else None

        referral_to = None
        if moved_on and not case.treated_as_child and agency_key != "nrm" and rng.random() < 0.3:
            referral_to = "legal" if stage == Stage.LEGAL_PROCEEDINGS else "nrm"
        return Planned(person, case, screening, rows, services, deadlines, referral_to, tokens)

    def write(self, batch: list[Planned]) -> None:
        """Insert one batch, parents before children, in one transaction."""
        with transaction.atomic():
            Person.objects.bulk_create([item.person for item in batch])
            Case.objects.bulk_create([item.case for item in batch])
            # The parents have their keys only now; point the children at them again.
            screenings, measures = [], []
            now = timezone.now()
            services: list[tuple[Any, ...]] = []
            deadlines: list[tuple[Any, ...]] = []
            tokens: list[tuple[Any, ...]] = []
            for item in batch:
                if item.screening is not None:
                    item.screening.case = item.case
                    screenings.append(item.screening)
                for measure in item.measures:
                    measure.case = item.case
                measures += item.measures
                case_id = item.case.pk
                services += [
                    (case_id, e, status, on, agency, b"", by, now) for e, status, on, agency, by in item.services
                ]
                deadlines += [(case_id, *row) for row in item.deadlines]
                tokens += [(case_id, index, token) for index, token in sorted(item.tokens)]
            Screening.objects.bulk_create(screenings)
            Measure.objects.bulk_create(measures)
            # The two largest tables (about 20 rows a case) go in without model instances, which
            # more than halves the time the seeding takes.
            insert_rows(
                ServiceEvent,
                ("case", "entitlement", "status", "on", "agency", "note_sealed", "recorded_by", "recorded_at"),
                services,
            )
            insert_rows(Deadline, ("case", "entitlement", "title", "due", "ends", "status"), deadlines)
            insert_rows(SearchToken, ("case", "index", "token"), tokens)
            referred = [item for item in batch if item.referral_to is not None]
            consents = [
                Consent(
                    case=item.case,
                    agreed_to="Sharing the case record with the agency named, for the support explained to me.",
                    purpose=Consent.Purpose.REFERRAL,
                    shared_with=self.agencies[item.referral_to or ""],
                    information_language=item.person.preferred_language,
                    given_on=item.case.referred_on,
                    recorded_by=item.case.created_by,
                )
                for item in referred
            ]
            Consent.objects.bulk_create(consents)
            referrals = [
                Referral(
                    case=item.case,
                    from_agency=item.case.holding_agency,
                    to_agency=consent.shared_with,
                    consent=consent,
                    purpose="Decision on identification and support.",
                    referred_by=item.case.created_by,
                )
                for item, consent in zip(referred, consents, strict=True)
            ]
            Referral.objects.bulk_create(referrals)
            # Their narrative fields name the row's key, known only now: sealed and written in a second step.
            seal_bulk([*consents, *referrals])


def insert_rows(model: Any, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """INSERT plain rows into the model's table; dates are adapted as the ORM would for this database.

    Only dates need adapting (the other values are ints and text); a cache helps since a batch
    holds few distinct dates.
    """
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    ops = connection.ops
    quote = ops.quote_name
    # Table and column names come from the model and are quoted by the backend; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # nosec B608  # no outside text in the statement
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    date_columns = [
        index
        for index, field in enumerate(fields)
        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)
    ]
    time_columns = [index for index, field in enumerate(fields) if isinstance(field, models.DateTimeField)]
    adapted: dict[Any, Any] = {None: None}
    prepared = []
    for row in rows:
        values = list(row)
        for index in date_columns:
            value = values[index]
            if value not in adapted:
                adapted[value] = ops.adapt_datefield_value(value)
            values[index] = adapted[value]
        for index in time_columns:
            values[index] = ops.adapt_datetimefield_value(values[index])
        prepared.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def batches(total: int, size: int) -> Iterator[int]:
    """The sizes of the batches that make up `total`."""
    while total > 0:
        yield min(size, total)
        total -= size


class Command(BaseCommand):
    help = "Add N fictional cases in bulk (for load tests), spread over the demo agencies; needs seed_demo first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help="how many cases to add")
        parser.add_argument("--batch", type=int, default=2000, help="cases written per transaction (default 2000)")
        parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")

    def handle(self, *args: Any, **options: Any) -> None:
        total, size = options["cases"], options["batch"]
        if total < 1 or size < 1:
            raise CommandError("--cases and --batch must be at least 1")
        started = time.perf_counter()
        seeder = Seeder(options["seed"], workflow.today())
        done = 0
        for count in batches(total, size):
            seeder.write([seeder.plan() for _ in range(count)])
            done += count
            elapsed = time.perf_counter() - started
            self.stdout.write(f"{done:,}/{total:,} cases ({elapsed:.0f} s, {done / elapsed:,.0f} cases/s)")
        # Fresh planner statistics, as a database that grew slowly would have: without them
        # PostgreSQL guesses a few dozen cases per agency and picks poor plans for the lists.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        audit.record(
            seeder.users[Role.ADMINISTRATOR],
            "demo.seed_cases",
            target=f"{total} fictional cases added in bulk for load testing",
        )
        if seeder.left_out:
            self.stdout.write(
                f"{seeder.left_out:,} planned measures did not pass the engine's review and were left out."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Added {total:,} fictional cases in {time.perf_counter() - started:.0f} s.")
        )
