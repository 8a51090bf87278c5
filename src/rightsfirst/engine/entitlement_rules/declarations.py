"""Entitlements as declared rules: what is owed, on what basis, to whom, and when.

Each entitlement is a definition (title, basis, condition, duty bearer), the victim statuses it
is owed at, a condition function and a timing function reading the profile. None depends on
the person's cooperation with the authorities (RPG.P8, RPG.G6.1-6.2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from rightsfirst.engine.citations import cites
from rightsfirst.engine.dates import due_after
from rightsfirst.engine.inputs import Case, Person
from rightsfirst.engine.results import EntitlementDefinition
from rightsfirst.framework.model import Framework

NON_CONDITIONALITY = cites(
    "entitlements.non_conditional",
    "RPG.P8",
    "RPG.G6.1",
    "RPG.G6.2",
    "FS36.III.C.care-and-support",
    "FS36.III.E.remedy-principles-recovery",
)
NO_MANDATORY_TESTING = cites("entitlements.no_mandatory_testing", "RPG.G6.2", "HRS.23", "FS36.III.C.non-coercion")

# Who is owed what: possible (screening not finished), presumed (reasonable grounds),
# identified, or not_established (the recorded facts do not meet the definition).
NOTES = (
    "No entitlement here depends on cooperating with the authorities, and refusing any support changes nothing else.",
    "No one may be made to take a medical test, including for HIV.",
)
CHILD_NOTES = (*NOTES, "The person is treated as a child: the child's best interests come first in every decision.")

ANY_CONTACT = frozenset({"possible", "presumed", "identified", "not_established"})
POSSIBLE_OR_MORE = frozenset({"possible", "presumed", "identified"})
REASONABLE_GROUNDS = frozenset({"presumed", "identified"})


class Timing(NamedTuple):
    """Due date or period of an entitlement."""

    due: dt.date | None = None
    starts: dt.date | None = None
    ends: dt.date | None = None
    ends_when: str | None = None


class Facts(NamedTuple):
    """What the entitlement rules look at, computed once per call."""

    person: Person
    case: Case
    at: dt.date
    victim_status: str
    child: bool
    age_basis: str
    contact_on: dt.date | None
    grounds_on: dt.date | None
    pending_proceedings: int  # any role, the person's own prosecution included
    pending_against_exploiters: int
    pending_criminal: int
    any_proceedings: bool  # pending or ended: protection continues after proceedings
    any_criminal: bool
    framework: Framework
    due_from_contact: Timing
    due_from_grounds: Timing


NO_TIMING = Timing()


def _timing(
    due: dt.date | None, starts: dt.date | None = None, ends: dt.date | None = None, ends_when: str | None = None
) -> Timing:
    return Timing(due, starts, ends, ends_when)


@dataclass(frozen=True, slots=True)
class EntitlementRule:
    """One entitlement: who is owed it, on what basis, and when."""

    definition: EntitlementDefinition
    statuses: frozenset[str]
    applies: Callable[[Facts], str | None]  # None when it applies, else the reason it does not
    timing: Callable[[Facts], Timing]

    @property
    def id(self) -> str:
        """The entitlement's id."""
        return self.definition.id


def _always(_: Facts) -> str | None:
    return None


def no_timing(_: Facts) -> Timing:
    """For entitlements without a due date."""
    return NO_TIMING


def _immediately_from_contact(facts: Facts) -> Timing:
    return facts.due_from_contact


def _immediately_from_grounds(facts: Facts) -> Timing:
    return facts.due_from_grounds


def immediately(framework: Framework, start: dt.date | None, at: dt.date) -> Timing:
    """Due the same day as `start` (the profile's immediate-support period), or no timing."""
    if start is None:
        return NO_TIMING
    return _timing(due_after(framework, "immediate_support_days", start, at))


def _non_national(facts: Facts) -> str | None:
    if facts.person.non_national is False:
        return "The person is in their own country."
    return None


def _consular(facts: Facts) -> str | None:
    if facts.person.asylum_seeker:
        return "Not for a person seeking asylum: contact with their State's consulate could endanger them."
    return _non_national(facts)


def _identification_timing(facts: Facts) -> Timing:
    if facts.case.referred_on is None:
        return NO_TIMING
    return _timing(due_after(facts.framework, "identification_decision_target_days", facts.case.referred_on, facts.at))


def _identification_applies(facts: Facts) -> str | None:
    if facts.victim_status == "not_established" and facts.case.reasonable_grounds_on is None:
        return "The recorded facts do not meet the definition; screen again if the facts change."
    return None


def reflection_period(case: Case, framework: Framework) -> tuple[dt.date, dt.date] | None:
    """First and last day of the recovery and reflection period, when it has a start.

    It starts on the recorded start date, else the reasonable-grounds decision, else the
    identification; it lasts the profile's minimum, or longer when a longer period was granted.
    Entitlements and reviews both use this, so they always agree.
    """
    start = case.reflection_period_started_on or case.reasonable_grounds_on or case.identified_on
    if start is None:
        return None
    end = due_after(framework, "recovery_reflection_min_days", start, start)
    if case.reflection_period_days is not None:
        end = max(end, start + dt.timedelta(days=int(case.reflection_period_days)))
    return start, end


def _reflection_timing(facts: Facts) -> Timing:
    period = reflection_period(facts.case, facts.framework)
    if period is None:
        return Timing(ends_when="at least the minimum period after the reasonable-grounds decision")
    return _timing(period[0], period[0], period[1])


def _initial_residence_timing(facts: Facts) -> Timing:
    start = facts.grounds_on
    if start is None:
        return Timing(ends_when="six months after it is granted")
    return _timing(start, start, due_after(facts.framework, "initial_temporary_residence_months", start, start))


def _proceedings_pending(facts: Facts) -> str | None:
    return None if facts.pending_proceedings else "No legal proceedings are pending."


def _any_proceedings(facts: Facts) -> str | None:
    return None if facts.any_proceedings else "The person is not part of any legal proceedings."


def _any_criminal(facts: Facts) -> str | None:
    # A convicted trafficker is released later too, so this lasts beyond the trial.
    return None if facts.any_criminal else "There are no criminal proceedings against anyone who exploited the person."


def _grounds_or_proceedings(facts: Facts) -> str | None:
    if facts.victim_status in REASONABLE_GROUNDS or facts.pending_proceedings:
        return None
    return "Applies once there are reasonable grounds, or at once in any proceedings the person is part of."


def _residence_during_proceedings(facts: Facts) -> str | None:
    if not facts.pending_against_exploiters:
        return "No proceedings against those who exploited the person are pending."
    return _non_national(facts)


def _until_proceedings_end(_: Facts) -> Timing:
    return Timing(ends_when="when the proceedings, including any appeal, have ended")


def _child_presumed(facts: Facts) -> str | None:
    if facts.age_basis == "presumption_of_age":
        return None
    return "The person's age is established." if facts.child else "There is no reason to believe the person is a child."


def _guardian_timing(facts: Facts) -> Timing:
    if facts.contact_on is None:
        return NO_TIMING
    return _timing(due_after(facts.framework, "guardian_appointment_target_days", facts.contact_on, facts.at))


def _unaccompanied(facts: Facts) -> str | None:
    if facts.person.unaccompanied is False:
        return "The child is with their parents or legal guardian."
    return None


def _rule(
    id: str,
    title: str,
    description: str,
    basis: tuple[str, ...],
    condition: str,
    duty_bearer: str,
    statuses: frozenset[str],
    applies: Callable[[Facts], str | None] = _always,
    timing: Callable[[Facts], Timing] = no_timing,
    may_be_refused: bool = True,
) -> EntitlementRule:
    definition = EntitlementDefinition(
        id, title, description, cites(f"entitlement.{id}", *basis), condition, duty_bearer, may_be_refused
    )
    return EntitlementRule(definition, statuses, applies, timing)


GENERAL = (
    _rule(
        "information_on_rights",
        "Information on rights and procedures",
        "Told about their rights, the support available and how to claim compensation, in a language they understand.",
        ("HRS.5", "RPG.G4.8", "RPG.G6.5", "RPG.G9.2"),
        "Anyone who may have been trafficked, including people held in custody.",
        "state",
        ANY_CONTACT,
        timing=_immediately_from_contact,
    ),
    _rule(
        "immediate_safety",
        "Safety and protection from further harm",
        "Moved out of the place of exploitation to safety; the risk of intimidation or "
        "retaliation is assessed, for the person and their family.",
        ("RPG.P8", "FS36.III.C.immediate-protection", "RPG.G5.1", "HRS.4"),
        "From the moment the authorities know, or ought to know, the person may be trafficked.",
        "law_enforcement",
        POSSIBLE_OR_MORE,
        timing=_immediately_from_contact,
    ),
    _rule(
        "identification_decision",
        "A prompt identification decision",
        "A decision on whether there are reasonable grounds to believe the person is trafficked, "
        "made quickly by trained officials.",
        ("RPG.G2.1", "RPG.G8.2", "FS36.III.C.victim-identification"),
        "Once the person is referred.",
        "state",
        ANY_CONTACT,
        applies=_identification_applies,
        timing=_identification_timing,
        may_be_refused=False,
    ),
    _rule(
        "non_criminalisation",
        "No detention or punishment for status offences",
        "Not detained, charged or prosecuted for irregular entry or stay, or for acts that were a "
        "direct consequence of being trafficked; never held in immigration detention.",
        ("RPG.P7", "RPG.G2.5", "RPG.G2.6", "HRS.6", "FS36.III.C.non-criminalization", "FS36.III.C.no-detention"),
        "Applies while identification is pending and after.",
        "state",
        POSSIBLE_OR_MORE,
        may_be_refused=False,
    ),
    _rule(
        "privacy",
        "Privacy and protection of identity",
        "The person's identity is never made public; personal information is shared only as far "
        "as needed and with consent, balanced against a fair trial.",
        ("RPG.G6.6", "HRS.7", "FS36.III.C.right-to-privacy"),
        "Always.",
        "state",
        ANY_CONTACT,
        may_be_refused=False,
    ),
    _rule(
        "medical_and_psychological_care",
        "Medical and psychological care",
        "Confidential, affordable medical and psychological care and counselling, at least for "
        "immediate needs. Voluntary: never forced, and no mandatory testing.",
        ("RPG.P8", "RPG.G6.2", "HRS.22", "HRS.23", "FS36.III.C.care-and-support", "FS36.III.C.non-coercion"),
        "Urgent needs at once; full care once there are reasonable grounds.",
        "state",
        POSSIBLE_OR_MORE,
        timing=_immediately_from_contact,
    ),
    _rule(
        "asylum_and_non_refoulement",
        "Access to asylum and protection from refoulement",
        "Information on and access to asylum procedures; never returned where there is a serious "
        "risk of persecution, torture, reprisals or re-trafficking.",
        ("RPG.G2.7", "RPG.G1.6", "HRS.18", "HRS.19", "FS36.III.D.non-refoulement", "FS36.III.H.asylum-non-refoulement"),
        "A person outside their own country.",
        "destination_state",
        ANY_CONTACT,
        applies=_non_national,
        may_be_refused=False,
    ),
    _rule(
        "safe_shelter",
        "Safe and adequate shelter",
        "Safe, adequate accommodation that meets the person's needs, never a detention centre, "
        "and never dependent on giving evidence.",
        ("RPG.G6.1", "HRS.24", "FS36.III.C.care-and-support"),
        "Once there are reasonable grounds; before that, the duty to keep the person safe (above) "
        "includes a safe place to stay.",
        "state",
        REASONABLE_GROUNDS,
        timing=_immediately_from_grounds,
    ),
    _rule(
        "legal_assistance_and_interpreter",
        "Legal assistance and an interpreter",
        "Legal information and assistance, with a qualified interpreter, free of charge if the "
        "person cannot pay, separate from any defendant's.",
        ("RPG.G4.8", "RPG.G6.5", "HRS.10", "FS36.III.C.legal-assistance"),
        "Once there are reasonable grounds, and in every proceeding the person is part of (as "
        "witness, complainant, party or defendant), even before.",
        "state",
        POSSIBLE_OR_MORE,
        applies=_grounds_or_proceedings,
        timing=_immediately_from_grounds,
    ),
    _rule(
        "consular_access_information",
        "Information on consular access",
        "Told of the right to contact the diplomatic or consular representatives of their State.",
        ("RPG.G6.3", "HRS.3"),
        "A foreign national who is not seeking asylum.",
        "destination_state",
        REASONABLE_GROUNDS,
        applies=_consular,
        timing=_immediately_from_grounds,
    ),
    _rule(
        "recovery_and_reflection_period",
        "Recovery and reflection period",
        "Time to recover and to decide, free of pressure, whether to cooperate with the "
        "authorities, with unconditional support and no removal from the country.",
        ("FS36.III.C.residence-reflection", "FS36.III.E.remedy-principles-recovery", "HRS.17"),
        "A foreign national with reasonable grounds; the period cannot be made conditional on cooperation.",
        "destination_state",
        REASONABLE_GROUNDS,
        applies=_non_national,
        timing=_reflection_timing,
    ),
    _rule(
        "initial_temporary_residence",
        "Initial temporary residence",
        "Deportation stayed and residence granted (with the right to work, for an adult) while the "
        "person decides whether to bring a civil claim or act as a witness.",
        ("HRS.17", "FS36.III.C.residence-reflection"),
        "A foreign national with reasonable grounds.",
        "destination_state",
        REASONABLE_GROUNDS,
        applies=_non_national,
        timing=_initial_residence_timing,
    ),
    _rule(
        "compensation_information",
        "Information and help to claim compensation",
        "Information on remedies, including compensation, explained in a language the person "
        "understands, with legal and other help to claim them, whatever their immigration status.",
        ("RPG.P17", "RPG.G9.1", "RPG.G9.2", "HRS.14", "FS36.III.E.access-to-remedies"),
        "Once there are reasonable grounds.",
        "state",
        REASONABLE_GROUNDS,
        timing=_immediately_from_grounds,
    ),
    _rule(
        "safe_return_if_wished",
        "Safe, preferably voluntary return, or an alternative",
        "If the person wishes to go home: a risk assessment, travel costs and papers, and "
        "reintegration support; legal alternatives where return would be unsafe.",
        ("RPG.P11", "RPG.G6.7", "RPG.G6.8", "HRS.25", "HRS.26", "HRS.28", "FS36.III.D.safe-voluntary-return"),
        "A foreign national; return is never forced into danger.",
        "destination_state",
        REASONABLE_GROUNDS,
        applies=_non_national,
    ),
)

PROCEEDINGS = (
    _rule(
        "residence_during_proceedings",
        "Residence for the length of the proceedings",
        "Lawful residence (with the right to work) for as long as criminal, civil, labour or "
        "administrative proceedings last, including appeals.",
        ("RPG.P9", "RPG.G4.7", "RPG.G9.3", "HRS.17", "FS36.III.D.remain-during-proceedings"),
        "A foreign national involved in pending proceedings.",
        "destination_state",
        REASONABLE_GROUNDS,
        applies=_residence_during_proceedings,
        timing=_until_proceedings_end,
    ),
    _rule(
        "participation_in_proceedings",
        "A real part in the proceedings",
        "Kept informed of the progress and outcome, able to present views, with an interpreter "
        "and legal representation, and protected from degrading treatment in court.",
        ("HRS.10", "HRS.12", "RPG.G6.4", "RPG.G6.5", "FS36.III.C.legal-assistance"),
        "While proceedings are pending.",
        "prosecution_and_courts",
        POSSIBLE_OR_MORE,
        applies=_proceedings_pending,
        timing=_until_proceedings_end,
    ),
    _rule(
        "witness_protection",
        "Protection before, during and after proceedings",
        "Protection from intimidation and reprisals for the person and their family; the "
        "person's safety is never put below the interests of the prosecution.",
        ("RPG.G5.8", "HRS.4", "RPG.P9", "RPG.G6.6"),
        "Before, during and after any proceedings the person is part of, as long as safety requires.",
        "law_enforcement",
        REASONABLE_GROUNDS,
        applies=_any_proceedings,
    ),
    _rule(
        "notification_of_suspect_release",
        "Warning before a suspect is released",
        "Told before anyone arrested for or convicted of exploiting the person is released, and "
        "the person's safety weighed in decisions on arrest, detention and release.",
        ("HRS.4",),
        "Once anyone is arrested for, or convicted of, exploiting the person.",
        "prosecution_and_courts",
        REASONABLE_GROUNDS,
        applies=_any_criminal,
        may_be_refused=False,
    ),
)

CHILDREN = (
    _rule(
        "treatment_as_child",
        "Treated as a child while the age is uncertain",
        "Given every protection due to a child until the age is established.",
        ("FS36.III.C.child-identification", "RPG.P10", "RPG.G8.2"),
        "The age is not established and there are reasons to believe the person may be a child.",
        "state",
        ANY_CONTACT,
        applies=_child_presumed,
        may_be_refused=False,
    ),
    _rule(
        "guardian",
        "A guardian",
        "A guardian or representing authority to protect the child's best interests, be present "
        "in dealings with the authorities and help find a durable solution.",
        ("FS36.III.C.child-guardian", "RPG.P10"),
        "Every child who is, or may be, a victim, without delay.",
        "state",
        POSSIBLE_OR_MORE,
        timing=_guardian_timing,
        may_be_refused=False,
    ),
    _rule(
        "best_interests_determination",
        "Best interests put first",
        "The child's best interests assessed and determined before any decision on care, "
        "placement, return or a durable solution, and weighed above immigration control.",
        ("RPG.P10", "RPG.G8", "FS36.III.C.child-protection-support", "FS36.III.D.safe-voluntary-return"),
        "Every child.",
        "state",
        POSSIBLE_OR_MORE,
        may_be_refused=False,
    ),
    _rule(
        "family_tracing",
        "Family tracing",
        "Family members sought and, after a risk assessment and consulting the child, reunion "
        "where it is in the child's best interests; otherwise suitable care.",
        ("RPG.G8.4", "RPG.G8.5"),
        "A child without parents or guardians present.",
        "state",
        POSSIBLE_OR_MORE,
        applies=_unaccompanied,
    ),
    _rule(
        "child_views_heard",
        "The child's views heard",
        "Information suited to the child's age, and the child's views heard and given due weight "
        "in every decision that affects them, above all on return.",
        ("RPG.G8.6", "FS36.III.E.remedy-principles-children"),
        "Every child able to form views.",
        "state",
        POSSIBLE_OR_MORE,
    ),
    _rule(
        "care_for_children",
        "Care suited to a child",
        "Physical, psychosocial, legal, educational, housing and health-care support suited to "
        "the child's age and needs, on an equal footing with national children.",
        ("RPG.G8.7", "FS36.III.C.child-protection-support"),
        "Every child.",
        "state",
        POSSIBLE_OR_MORE,
        timing=_immediately_from_contact,
    ),
)


IDENTIFICATION = next(rule for rule in GENERAL if rule.definition.id == "identification_decision")
ADULT_RULES = GENERAL + PROCEEDINGS
ALL_RULES = GENERAL + PROCEEDINGS + CHILDREN
ALL_ENTITLEMENT_IDS = tuple(rule.id for rule in ALL_RULES)
