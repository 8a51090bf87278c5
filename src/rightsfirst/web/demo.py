"""The demonstration data: fictional agencies, one login per role and about fifty fictional cases.

Every case is built through the workflow acts (registration, screening, measures reviewed by the
engine, services, consents, referrals, stage moves), so the demo holds only what the application
itself would have let a user record. Names, people, agencies and events are invented; the random
choices are seeded, so two fresh databases get the same demo (apart from case references, which
are random by design).
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web import approvals, workflow
from rightsfirst.web.lifecycle import Stage
from rightsfirst.web.models import Agency, Case, Consent, Membership
from rightsfirst.web.models.security import Approval
from rightsfirst.web.roles import ROLE_LABELS, Role

# Printed with the logins. It only ever protects fictional data on a local machine.
DEMO_PASSWORD = "demo-rightsfirst-2026"  # nosec B105  # published on purpose; seed() refuses real data
# Every demo login shares this authenticator key (hex, as django-otp stores it): a local
# demonstration only, like the shared password. Its base32 form is printed for an app.
DEMO_TOTP_KEY = "64656d6f2d72696768747366697273742d32303236"  # nosec B105  # published demo key, fictional data only
DEMO_DEVICE_NAME = "Demo authenticator (fictional data only)"
DEMO_URL = "http://127.0.0.1:8000/"
SEED = 2026
# Fictional history behind the monitoring dashboard (seed_statistics): enough cases a year that,
# with a minimum cell of ten, a year's national totals are published while small breakdowns are
# suppressed. Compensation paid, the rarest total the tests check, comes to about twenty persons a
# year at this size (tests/web/test_seed_statistics.py).
STATISTICS_CASES = 4000
STATISTICS_YEARS = 3


class AgencySpec(NamedTuple):
    name: str
    kind: str
    region: str


AGENCIES: dict[str, AgencySpec] = {
    "police": AgencySpec("Demo City Police, Anti-Trafficking Unit", "police", "Demo Region North"),
    "labour": AgencySpec("Demo Labour Inspectorate", "labour_inspection", "Demo Region North"),
    "shelter": AgencySpec("Safe Harbour Shelter (demo NGO)", "shelter", "Demo Region North"),
    "legal": AgencySpec("Demo Legal Aid Centre", "legal_aid", "Demo Region North"),
    "guardians": AgencySpec("Demo Guardianship Service", "guardianship", "Demo Region North"),
    "nrm": AgencySpec("Demo National Referral Mechanism", "referral_mechanism", "Demo Capital"),
    "rapporteur": AgencySpec("Demo National Rapporteur Office", "monitoring", "Demo Capital"),
    "ombudsperson": AgencySpec("Demo Ombudsperson's Office", "monitoring", "Demo Capital"),
}

# Where each demo login works. The coordinator sits in the referral mechanism, which takes the
# identification decisions; the shelter's case worker holds most cases.
ROLE_AGENCY: dict[Role, str] = {
    Role.FIRST_RESPONDER: "police",
    Role.CASE_WORKER: "shelter",
    Role.LEGAL_ADVISER: "legal",
    Role.GUARDIAN: "guardians",
    Role.COORDINATOR: "nrm",
    Role.MONITOR: "rapporteur",
    Role.ADMINISTRATOR: "nrm",
    Role.OVERSIGHT: "ombudsperson",
}

# Invented names: chosen so that no one could mistake them for a real person.
GIVEN_NAMES = (
    "Amarel", "Belina", "Corvia", "Dalen", "Esmira", "Farun", "Galia", "Hesper", "Ilvan", "Jorin",
    "Kaela", "Lumen", "Mirel", "Nevia", "Orin", "Pelaya", "Quinra", "Rosken", "Sefa", "Tovin",
    "Ulla", "Varen", "Wenna", "Yarik", "Zelia",
)  # fmt: skip
FAMILY_NAMES = (
    "Examplova", "Fictanu", "Demoski", "Testaro", "Sampleton", "Placida", "Mockwell", "Imaginet",
    "Inventa", "Madeupov", "Nonesuch", "Fablewood",
)  # fmt: skip
NATIONALITIES = ("NG", "RO", "VN", "UA", "NP", "ER", "BR", "PH", "AL", "MD", "BG", "TH", "MA", "GH", "PK")
# The demo deployment's own country, for people exploited where they live (any code would do).
HOME_COUNTRY = "NL"
LANGUAGES = ("en", "fr", "ro", "vi", "es", "other")


class Template(NamedTuple):
    """A fictional situation: the facts in the engine's situation schema, and the person's sex."""

    situation: dict[str, Any]
    sex: str


TEMPLATES: dict[str, Template] = {
    "sexual_exploitation": Template(
        {
            "person": {"age": 24, "non_national": True, "needs_interpreter": True},
            "actions": ["recruitment", "transportation", "receipt"],
            "means": ["deception", "abuse_of_position_of_vulnerability"],
            "purposes": ["sexual_exploitation", "exploitation_of_prostitution"],
            "crossed_border": True,
        },
        "female",
    ),
    "forced_labour_farm": Template(
        {
            "person": {"age": 34, "non_national": True, "needs_interpreter": True},
            "actions": ["recruitment", "transportation", "harbouring"],
            "means": ["deception", "debt_bondage"],
            "purposes": ["forced_labour", "debt_bondage"],
            "crossed_border": True,
        },
        "male",
    ),
    "forced_labour_national": Template(
        {
            "person": {"age": 45, "non_national": False},
            "actions": ["recruitment", "harbouring"],
            "means": ["coercion", "abuse_of_position_of_vulnerability"],
            "purposes": ["forced_labour"],
        },
        "male",
    ),
    "domestic_servitude": Template(
        {
            "person": {"age": 38, "non_national": True},
            "actions": ["recruitment", "harbouring"],
            "means": ["deception", "coercion"],
            "purposes": ["servitude"],
            "crossed_border": True,
        },
        "female",
    ),
    "forced_begging_child": Template(
        {
            "person": {"age": 11, "non_national": True, "unaccompanied": False},
            "actions": ["transportation", "harbouring"],
            "purposes": ["forced_begging"],
            "crossed_border": True,
        },
        "male",
    ),
    "forced_criminality_adult": Template(
        {
            "person": {"age": 22, "non_national": True},
            "actions": ["recruitment", "harbouring"],
            "means": ["threat", "coercion"],
            "purposes": ["forced_criminality"],
        },
        "male",
    ),
    "forced_criminality_child": Template(
        {
            "person": {"age": 16, "non_national": False},
            "actions": ["recruitment", "harbouring"],
            "purposes": ["forced_criminality"],
        },
        "male",
    ),
    "forced_marriage_child": Template(
        {
            "person": {
                "stated_age": 18,
                "age_range": [15, 18],
                "indications_of_minority": ["appearance", "documents_doubtful"],
                "unaccompanied": True,
                "non_national": True,
            },
            "actions": ["transfer", "transportation"],
            "purposes": ["forced_marriage"],
            "crossed_border": True,
        },
        "female",
    ),
    "organ_removal": Template(
        {
            "person": {"age": 29, "non_national": True},
            "actions": ["recruitment", "transportation"],
            "means": ["deception", "abuse_of_position_of_vulnerability"],
            "purposes": ["removal_of_organs"],
            "crossed_border": True,
        },
        "male",
    ),
    "sexual_exploitation_child": Template(
        {
            "person": {"stated_age": 19, "indications_of_minority": ["appearance"], "unaccompanied": True},
            "actions": ["recruitment"],
            "purposes": ["sexual_exploitation"],
        },
        "female",
    ),
    "young_adult_online": Template(
        {
            "person": {"age": 19, "non_national": True},
            "actions": ["recruitment", "transportation", "harbouring"],
            "means": ["deception", "abuse_of_position_of_vulnerability"],
            "purposes": ["sexual_exploitation"],
            "crossed_border": True,
        },
        "female",
    ),
    # Means not yet asked about: the screening says what to ask next.
    "insufficient_information": Template(
        {
            "person": {"age": 27, "non_national": True},
            "actions": ["recruitment"],
            "purposes": ["forced_labour"],
        },
        "female",
    ),
    # A wage dispute: means looked for and none found. Not a finding that no harm was done.
    "not_established": Template(
        {
            "person": {"age": 41, "non_national": True},
            "actions": ["recruitment"],
            "means": [],
            "purposes": ["forced_labour"],
        },
        "male",
    ),
    "smuggling_only": Template(
        {
            "person": {"age": 31, "non_national": True, "asylum_seeker": True},
            "actions": ["transportation"],
            "purposes": [],
            "crossed_border": True,
            "smuggling": {"facilitated_irregular_entry": True, "for_profit": True},
        },
        "male",
    ),
}

STAGE_ORDER = [stage.value for stage in Stage]


class Scenario(NamedTuple):
    """One demo case: its facts, where it ends up, how long ago it began, who registered it."""

    template: str
    stage: str
    days_ago: int
    registered_by: str  # "shelter", "police" or "nrm"
    flags: frozenset[str] = frozenset()


def _s(template: str, stage: str, days_ago: int, by: str = "shelter", *flags: str) -> Scenario:
    return Scenario(template, stage, days_ago, by, frozenset(flags))


SCENARIOS: tuple[Scenario, ...] = (
    # Just registered: not yet screened.
    _s("sexual_exploitation", "referred", 1),
    _s("forced_labour_farm", "referred", 2, "police"),
    _s("forced_marriage_child", "referred", 0),
    _s("domestic_servitude", "referred", 3, "nrm"),
    # Screened; some still waiting for facts or a decision, with overdue rights.
    _s("insufficient_information", "screening", 12),
    _s("insufficient_information", "screening", 40, "police"),
    _s("not_established", "screening", 6, "shelter", "labour"),
    _s("smuggling_only", "screening", 9, "police"),
    _s("sexual_exploitation_child", "screening", 25, "nrm"),  # no guardian yet: overdue
    _s("forced_begging_child", "screening", 2),  # guardian due soon
    _s("forced_labour_farm", "screening", 5),
    _s("organ_removal", "screening", 4, "police"),
    _s("forced_criminality_adult", "screening", 15, "police"),
    # Presumed victims.
    _s("sexual_exploitation", "presumed_victim", 8),
    _s("forced_criminality_adult", "presumed_victim", 20, "shelter", "override_prosecution"),
    _s("domestic_servitude", "presumed_victim", 14, "shelter", "refusals"),
    _s("forced_marriage_child", "presumed_victim", 10),
    _s("forced_labour_national", "presumed_victim", 18, "shelter", "labour"),
    _s("organ_removal", "presumed_victim", 30, "police", "late_decision"),
    _s("forced_criminality_child", "presumed_victim", 6),
    # Identified.
    _s("sexual_exploitation", "identified", 70),
    _s("forced_labour_farm", "identified", 55, "police", "labour"),
    _s("young_adult_online", "identified", 45),
    _s("forced_begging_child", "identified", 60),
    # In the recovery and reflection period.
    _s("sexual_exploitation", "recovery_and_reflection", 25, "shelter", "override_conditional_shelter"),
    _s("domestic_servitude", "recovery_and_reflection", 35),
    _s("forced_labour_farm", "recovery_and_reflection", 80),  # the period ends soon
    _s("sexual_exploitation_child", "recovery_and_reflection", 28),
    _s("organ_removal", "recovery_and_reflection", 33, "shelter", "refusals"),
    _s("forced_criminality_adult", "recovery_and_reflection", 58, "police", "short_reflection"),
    # Support.
    _s("sexual_exploitation", "support", 90, "shelter", "identified"),
    _s("forced_labour_farm", "support", 75, "shelter", "labour"),
    _s("domestic_servitude", "support", 100, "shelter", "refusals", "identified"),
    _s("forced_begging_child", "support", 85),
    _s("forced_marriage_child", "support", 65, "shelter", "identified"),
    _s("young_adult_online", "support", 95, "police"),
    _s("forced_criminality_child", "support", 70, "shelter", "identified"),
    # Legal proceedings.
    _s("sexual_exploitation", "legal_proceedings", 110, "shelter", "identified"),
    _s("forced_labour_farm", "legal_proceedings", 105, "police", "labour", "identified"),
    _s("organ_removal", "legal_proceedings", 115),
    _s("forced_criminality_adult", "legal_proceedings", 98, "shelter", "identified"),
    _s("domestic_servitude", "legal_proceedings", 92),
    # Durable solutions.
    _s("sexual_exploitation", "durable_solution", 118, "shelter", "identified", "legal"),
    _s("forced_labour_farm", "durable_solution", 112, "shelter", "return"),
    _s("forced_begging_child", "durable_solution", 108, "shelter", "identified"),
    _s("domestic_servitude", "durable_solution", 100, "shelter", "identified", "legal"),
    # Closed.
    _s("not_established", "closed", 45),
    _s("smuggling_only", "closed", 30, "police"),
    _s("sexual_exploitation", "closed", 120, "shelter", "identified", "legal"),
    _s("forced_labour_national", "closed", 116),
)

# Screened, not identified by the referral mechanism, and closed with advice on where else to turn.
CLOSED_AFTER_SCREENING = frozenset({"not_established", "smuggling_only"})

# The rights due from the first day, delivered for cases that have moved on (unless refused).
FIRST_DAY_SERVICES = (
    "information_on_rights",
    "immediate_safety",
    "medical_and_psychological_care",
    "safe_shelter",
    "legal_assistance_and_interpreter",
    "consular_access_information",
    "compensation_information",
    "care_for_children",
)
REFUSALS = {
    "safe_shelter": "Prefers to stay with a friend for now; the offer stays open.",
    "consular_access_information": "Does not want contact with the embassy at present.",
}


@dataclass
class Cast:
    """The demo agencies and logins, by key and by role."""

    agencies: dict[str, Agency]
    users: dict[str, Any] = field(default_factory=dict)


def demo_agencies() -> dict[str, Agency]:
    """The demo agencies that exist, by key (empty if the demo was never seeded)."""
    by_name = {agency.name: agency for agency in Agency.objects.filter(name__in=[a.name for a in AGENCIES.values()])}
    return {key: by_name[spec.name] for key, spec in AGENCIES.items() if spec.name in by_name}


def demo_users() -> dict[str, Any]:
    """The demo logins that exist, by role name."""
    found = get_user_model().objects.filter(username__in=[str(role) for role in Role])
    return {user.username: user for user in found.select_related("membership", "membership__agency")}


class DemoRefused(Exception):
    """The database holds other data; the demo is only ever added to an empty database."""


@transaction.atomic
def seed(cases: bool = True) -> bool:
    """Create the demo (agencies, logins and, unless `cases` is False, the cases) in one transaction.

    Returns False without changing anything if the demo is already there. Raises DemoRefused
    if the database holds agencies or accounts of its own: a known shared password must never
    be added to real data.
    """
    if demo_agencies():
        return False
    user_model = get_user_model()
    if Agency.objects.exists() or user_model.objects.exists():
        raise DemoRefused("this database already holds agencies or accounts; the demo needs an empty database")
    cast = Cast({key: Agency.objects.create(name=s.name, kind=s.kind, region=s.region) for key, s in AGENCIES.items()})
    for role, agency_key in ROLE_AGENCY.items():
        user = user_model.objects.create_user(username=str(role), password=DEMO_PASSWORD)
        Membership.objects.create(user=user, agency=cast.agencies[agency_key], role=role)
        TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY, confirmed=True)
        cast.users[str(role)] = user
    if cases:
        rng = random.Random(SEED)  # nosec B311  # the same fictional demo every time; nothing secret
        today = workflow.today()
        for number, scenario in enumerate(SCENARIOS):
            try:
                _Play(cast, scenario, rng, today, number).run()
            except (workflow.MeasureBlocked, workflow.JustificationNeeded, workflow.NotAllowed) as error:
                # A scenario the application would not let a user record is a bug in the demo.
                raise RuntimeError(
                    f"demo scenario {number} ({scenario.template}, {scenario.stage}): {error}"
                ) from error
    return True


def logins_text(url: str = DEMO_URL) -> str:
    """What `make run` prints: where to go, each login with its role and agency, and the password."""
    lines = [
        "",
        f"Rightsfirst demo: {url}",
        "",
        f"  {'login':<17} {'role':<17} agency",
    ]
    for role, agency_key in ROLE_AGENCY.items():
        lines.append(f"  {role!s:<17} {ROLE_LABELS[role]!s:<17} {AGENCIES[agency_key].name}")
    lines += [
        "",
        f"  Password for every demo login: {DEMO_PASSWORD}",
        "  Second step of signing in: a 6-digit code. Either add this key to an authenticator app",
        f"  ({demo_key_base32()}), or print the current code with",
        "  .venv/bin/rightsfirst manage demo_code",
        "  (a shared demo password and key, for this local demonstration only; never use them for real data)",
        "",
        "All people, names, agencies and cases in this demo are fictional.",
        "",
    ]
    return "\n".join(lines)


def demo_key_base32() -> str:
    """The demo authenticator key as an app expects it."""
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode("ascii").rstrip("=")


def demo_code() -> str | None:
    """The code the demo authenticator shows now, if this database holds the demo logins (else None)."""
    device = TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY, confirmed=True).first()
    if device is None or not demo_agencies():
        return None
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def fictional_identity(rng: random.Random, number: int, age: float | None, today: dt.date) -> dict[str, str]:
    """An obviously invented identity, marked "(fictional)" in other_names."""
    given = rng.choice(GIVEN_NAMES)
    family = rng.choice(FAMILY_NAMES)
    birth = ""
    if age is not None:
        birth = (today - dt.timedelta(days=int(age * 365.25) + rng.randint(0, 300))).isoformat()
    return {
        "given_names": given,
        "family_name": family,
        "other_names": "(fictional)",
        "date_of_birth": birth,
        "phone": f"+000 555 {number:04d}",
        "email": "",
        "address": f"{rng.randint(1, 99)} Example Street, Demo Town (fictional)",
        "identity_documents": f"DEMO-{number:06d}",
    }


class _Play:
    """Plays one scenario through the workflow acts, in the order case work would happen."""

    def __init__(self, cast: Cast, scenario: Scenario, rng: random.Random, today: dt.date, number: int) -> None:
        self.cast = cast
        self.s = scenario
        self.rng = rng
        self.today = today
        self.number = number
        self.template = TEMPLATES[scenario.template]
        self.referred_on = today - dt.timedelta(days=scenario.days_ago)
        self.target = STAGE_ORDER.index(scenario.stage)
        person = self.template.situation["person"]
        self.child = person.get("age", 99) < 18 or "indications_of_minority" in person
        self.national = person.get("non_national") is False
        self.case: Case

    def user(self, role: Role) -> Any:
        return self.cast.users[str(role)]

    def day(self, offset: int) -> dt.date:
        """A date `offset` days after referral, never later than today."""
        return min(self.referred_on + dt.timedelta(days=offset), self.today)

    def run(self) -> Case:
        s = self.s
        registrar = {
            "shelter": self.user(Role.CASE_WORKER),
            "police": self.user(Role.FIRST_RESPONDER),
            "nrm": self.user(Role.COORDINATOR),
        }[s.registered_by]
        person = self.template.situation["person"]
        nationality = HOME_COUNTRY if self.national else self.rng.choice(NATIONALITIES)
        self.case = workflow.create_case(
            registrar,
            fictional_identity(self.rng, self.number + 1, person.get("age", person.get("stated_age")), self.today),
            self.referred_on,
            sex=self.template.sex,
            nationality=nationality,
            preferred_language=self.rng.choice(LANGUAGES),
        )
        if s.stage == Stage.REFERRED:
            return self.case
        workflow.screen(registrar, self.case, self.template.situation, at=self.day(1))
        if s.stage == Stage.SCREENING:
            self.while_screening(registrar)
        elif s.stage == Stage.CLOSED and s.template in CLOSED_AFTER_SCREENING:
            self.close_after_screening()
        else:
            self.progress(registrar)
        return self.case

    # --- small acts -------------------------------------------------------------------------

    def consent(self, by: Any, to: str, on: dt.date) -> Consent:
        agency = self.cast.agencies[to]
        return workflow.record_consent(
            by,
            self.case,
            agreed_to=f"Sharing the case record with {agency.name}, to arrange the support explained to me.",
            purpose=Consent.Purpose.REFERRAL,
            shared_with=agency,
            information_language=self.case.person.preferred_language,
            given_by=Consent.GivenBy.GUARDIAN if self.child else Consent.GivenBy.PERSON,
            given_on=on,
        )

    def refer(self, by: Any, to: str, on: dt.date, purpose: str) -> None:
        consent = self.consent(by, to, on)
        agency = self.cast.agencies[to]
        if approvals.is_authority(agency):
            # As in real use: the referral-mechanism coordinator approves sharing with an authority.
            kind = str(Approval.Kind.SHARE_WITH_AUTHORITY)
            asked = approvals.request(
                by,
                kind,
                f"Demo: the person agreed to share the case for {purpose}",
                case=self.case,
                target=str(agency.pk),
            )
            approvals.decide(self.user(Role.COORDINATOR), asked, True, "Demo: consent checked")
        workflow.refer(by, self.case, agency, consent, purpose)

    def measure(self, by: Any, kind: str, on: dt.date, **facts: Any) -> None:
        override = facts.pop("override", "")
        workflow.record_measure(by, self.case, kind, facts, on, override_justification=override)

    def services(self, by: Any, on: dt.date) -> None:
        applicable = set(self.case.deadlines.values_list("entitlement", flat=True))
        for entitlement in FIRST_DAY_SERVICES:
            if entitlement not in applicable:
                continue
            if "refusals" in self.s.flags and entitlement in REFUSALS:
                workflow.record_service(by, self.case, entitlement, "refused", on, note=REFUSALS[entitlement])
            else:
                workflow.record_service(by, self.case, entitlement, "delivered", on)

    def move(self, by: Any, stage: Stage) -> None:
        workflow.move(by, self.case, stage.value)

    # --- storylines -------------------------------------------------------------------------

    def while_screening(self, registrar: Any) -> None:
        """Early cases: first help recorded where the registering agency gives it; decisions pending."""
        if self.s.registered_by == "shelter":
            workflow.record_service(registrar, self.case, "information_on_rights", "delivered", self.day(1))
            workflow.record_service(registrar, self.case, "immediate_safety", "delivered", self.day(1))
        if "labour" in self.s.flags:
            self.refer(registrar, "labour", self.day(2), "Check of the employer's records on unpaid wages.")

    def close_after_screening(self) -> None:
        """Screened, referred to the mechanism, not identified and closed (with onward advice)."""
        worker = self.user(Role.CASE_WORKER)
        coordinator = self.user(Role.COORDINATOR)
        registrar = self.user(Role.FIRST_RESPONDER) if self.s.registered_by == "police" else worker
        self.refer(registrar, "nrm", self.day(2), "Identification decision.")
        workflow.record_service(
            coordinator,
            self.case,
            "information_on_rights",
            "delivered",
            self.day(5),
            note="Told about asylum, legal advice and where to turn if anything changes.",
        )
        reason = "insufficient_evidence" if self.s.template == "smuggling_only" else "no_means"
        self.measure(
            coordinator,
            "identification_decision",
            self.day(5),
            decision="not_identified",
            reason_if_negative=reason,
            depends_on_cooperation=False,
        )
        self.move(coordinator, Stage.CLOSED)

    def progress(self, registrar: Any) -> None:
        s = self.s
        worker = self.user(Role.CASE_WORKER)
        coordinator = self.user(Role.COORDINATOR)
        if s.registered_by == "police":
            self.refer(registrar, "shelter", self.day(1), "Safe accommodation and support.")
        if self.child:
            self.child_protection(worker)
        self.services(worker, self.day(2))
        if s.registered_by != "nrm":
            self.refer(worker, "nrm", self.day(2), "Decision on reasonable grounds and identification.")
        if "labour" in s.flags:
            self.refer(worker, "labour", self.day(3), "Inspection of the workplace and recovery of unpaid wages.")
        if "late_decision" in s.flags:
            self.measure(
                coordinator,
                "identification_decision",
                self.day(12),
                decision="presumed_victim",
                depends_on_cooperation=False,
                justification="The person asked to wait until an interpreter of their language was "
                "available; the interview took place on the first date one was.",
            )
        else:
            self.measure(
                coordinator,
                "identification_decision",
                self.day(3),
                decision="presumed_victim",
                depends_on_cooperation=False,
            )
        self.move(coordinator, Stage.PRESUMED_VICTIM)
        if "override_prosecution" in s.flags:
            self.measure(
                coordinator,
                "prosecution",
                self.day(9),
                offence="false_documents",
                direct_consequence=True,
                compelled=True,
                duress_defence_available=True,
                override="Recorded so the file shows the charge the prosecutor brought on this date. "
                "The legal aid centre has asked for it to be withdrawn under the non-punishment "
                "principle; review when the prosecutor answers.",
            )
        target = s.stage
        if target == Stage.PRESUMED_VICTIM:
            return
        if target == Stage.IDENTIFIED:
            self.identify(coordinator, self.day(min(30, s.days_ago - 3)))
            return
        days = 30 if "short_reflection" in s.flags else 90
        self.measure(
            worker, "reflection_period", self.day(4), granted=True, days=days, conditional_on_cooperation=False
        )
        self.move(worker, Stage.RECOVERY_AND_REFLECTION)
        if "override_conditional_shelter" in s.flags:
            self.measure(
                coordinator,
                "support_offer",
                self.day(5),
                service="housing",
                conditional_on_cooperation=True,
                can_leave=True,
                override="The only supported flat free this month is in the municipal programme, which "
                "sets this condition. The person chose it over waiting; an unconditional place is "
                "being sought and the case is reviewed in 14 days.",
            )
        if target == Stage.RECOVERY_AND_REFLECTION:
            return
        if not self.national:
            self.measure(
                coordinator,
                "residence_permit",
                self.day(6),
                granted=True,
                months=6,
                right_to_work=True,
                conditional_on_cooperation=False,
                grounds="reflection",
            )
        if "identified" in s.flags:
            self.identify(coordinator, self.day(40))
        self.measure(
            worker,
            "support_offer",
            self.day(20),
            service="counselling",
            conditional_on_cooperation=False,
            conditional_on_testimony=False,
            mandatory=False,
            refusal_affects_other_support=False,
        )
        mover = self.user(Role.GUARDIAN) if self.child else worker
        self.move(mover, Stage.SUPPORT)
        if target == Stage.SUPPORT:
            return
        if target == Stage.LEGAL_PROCEEDINGS or "legal" in s.flags:
            self.legal_proceedings(worker)
        if target == Stage.LEGAL_PROCEEDINGS:
            return
        self.durable_solution(worker)
        if target == Stage.CLOSED:
            self.move(coordinator, Stage.CLOSED)

    def child_protection(self, worker: Any) -> None:
        """A guardian, the child's views and a best-interests determination, before any referral."""
        self.measure(worker, "guardian_appointment", self.day(2), appointed=True, independent=True)
        self.measure(
            worker,
            "best_interests_determination",
            self.day(3),
            conducted=True,
            child_views_heard=True,
            multidisciplinary=True,
            purpose="care",
        )
        self.refer(worker, "guardians", self.day(3), "Guardianship and the child's care plan.")
        guardian = self.user(Role.GUARDIAN)
        self.measure(
            guardian,
            "child_views",
            self.day(4),
            heard=True,
            capable_of_forming_views=True,
            information_given=True,
            due_weight=True,
        )

    def identify(self, coordinator: Any, on: dt.date) -> None:
        self.measure(coordinator, "identification_decision", on, decision="identified", depends_on_cooperation=False)
        self.move(coordinator, Stage.IDENTIFIED)

    def legal_proceedings(self, worker: Any) -> None:
        """Criminal proceedings against the exploiters, with the person as a witness and legal aid."""
        adviser = self.user(Role.LEGAL_ADVISER)
        self.refer(worker, "legal", self.day(30), "Advice and representation in the criminal proceedings.")
        self.measure(
            self.user(Role.FIRST_RESPONDER),
            "investigation",
            self.day(31),
            opened=True,
            depends_on_victim_testimony=False,
            officials_implicated=False,
        )
        self.measure(
            adviser,
            "legal_proceedings",
            self.day(45),
            proceeding="criminal",
            role="witness",
            interpreter=True,
            legal_representation=True,
            informed_of_progress=True,
            views_presented=True,
            character_evidence_used=False,
            special_measures=True,
        )
        self.measure(
            adviser,
            "witness_protection",
            self.day(46),
            risk_assessed=True,
            protection_provided=True,
            family_protected=True,
            identity_protected=True,
            conditional_on_testimony=False,
            safety_subordinated_to_prosecution=False,
        )
        self.measure(
            adviser,
            "compensation",
            self.day(50),
            information_given=True,
            legal_assistance=True,
            barred_by_immigration_status=False,
            requires_conviction=False,
            person_can_remain=True,
        )
        self.move(adviser, Stage.LEGAL_PROCEEDINGS)

    def durable_solution(self, worker: Any) -> None:
        """A voluntary, safe return; work and housing at home; or a longer residence permit."""
        flags = self.s.flags
        if "return" in flags:
            self.measure(
                worker,
                "return",
                self.day(100),
                voluntary=True,
                risk_assessment=True,
                serious_risk=False,
                proceedings_pending=False,
                asylum_claim_pending=False,
                legal_basis=True,
                due_process=True,
                reintegration_support=True,
                alternatives_offered=True,
                protection_on_arrival=True,
                during_reflection_period=False,
                destination="country_of_origin",
            )
        elif self.national:
            for service in ("employment", "housing"):
                self.measure(
                    worker,
                    "support_offer",
                    self.day(90),
                    service=service,
                    conditional_on_cooperation=False,
                    conditional_on_testimony=False,
                    mandatory=False,
                    refusal_affects_other_support=False,
                )
        else:
            facts: dict[str, Any] = {
                "granted": True,
                "months": 12,
                "right_to_work": True,
                "conditional_on_cooperation": False,
            }
            if "legal" in flags:
                by = self.user(Role.LEGAL_ADVISER)
                facts.update(
                    grounds="proceedings",
                    proceedings_pending=True,
                    justification="Renewed on request for as long as the proceedings last, appeals "
                    "included; the legal adviser files each renewal a month before it expires.",
                )
            else:
                by = self.user(Role.COORDINATOR)
                facts.update(grounds="humanitarian")
            self.measure(by, "residence_permit", self.day(95), **facts)
        self.move(worker, Stage.DURABLE_SOLUTION)
