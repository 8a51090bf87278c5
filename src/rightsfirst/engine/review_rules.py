"""Review: check a measure against the obligations, rule by rule.

Each rule states when it fires, the verdict (violation, requires_justification) and the
provisions it rests on. A rule may be declared an exception to another: when the exception
fires, the general rule's verdict is set aside (e.g. a person who freely asks to go home may
leave during the reflection period). A measure no rule objects to is `ok`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rightsfirst.engine.citations import cites
from rightsfirst.engine.entitlement_rules import victim_status as derive_victim_status
from rightsfirst.engine.inputs import Case, Person
from rightsfirst.engine.measures import Measure
from rightsfirst.engine.results import OUTCOME_RANK, ReviewFinding, ReviewResult, ScreeningResult, merge_citations
from rightsfirst.engine.screening import age_status
from rightsfirst.framework.model import Framework

VIOLATION = "violation"
JUSTIFY = "requires_justification"
OK = "ok"


class Context(NamedTuple):
    """What the review knows about the person and the case."""

    person: Person
    case: Case
    at: dt.date
    victim_status: str
    child: bool
    age_basis: str
    framework: Framework
    means_used: bool | None = None
    purposes: tuple[str, ...] = ()

    @property
    def protected(self) -> bool:
        """Presumed or identified victims carry every protection of the framework; so does a
        child who may be a victim, presumed one until decided otherwise (FS36.III.C)."""
        return self.victim_status in {"presumed", "identified"} or (self.child and self.victim_status == "possible")

    @property
    def possibly_trafficked(self) -> bool:
        """Anyone not yet found outside the definition: identification may still be pending."""
        return self.victim_status != "not_established"


class Verdict(NamedTuple):
    """What a rule says when it fires."""

    outcome: str
    reason: str
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule: which measure, what it cites, which rule it is an exception to."""

    measure_type: str
    label: str
    citations: tuple[str, ...]
    check: Callable[[Measure, Context], Verdict | None]
    exception_to: str | None


RULES: dict[str, list[Rule]] = {}

RuleCheck = Callable[[Measure, Context], Verdict | None]


def rule(
    measure_type: str, label: str, *citations: str, exception_to: str | None = None
) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule for a measure type."""

    def register(check: RuleCheck) -> RuleCheck:
        name = f"{measure_type}.{label}"
        rules = RULES.setdefault(measure_type, [])
        if any(existing.label == label for existing in rules):
            raise ValueError(f"rule {name} registered twice")
        if exception_to is not None and not any(existing.label == exception_to for existing in rules):
            raise ValueError(f"rule {name} is an exception to unknown rule {exception_to}")
        rules.append(Rule(measure_type, label, cites(f"review.{name}", *citations), check, exception_to))
        return check

    return register


def _missing(measure: Measure, names: tuple[str, ...]) -> tuple[str, ...]:
    facts = measure.facts
    return tuple([name for name in names if facts.get(name) is not True])


def _explain_missing(missing: tuple[str, ...]) -> str:
    return ", ".join(name.replace("_", " ") for name in missing)


# --- Identification ------------------------------------------------------------------------


@rule("identification_decision", "child_needs_no_means", "TIP.3c", "RPG.G8.1", "FS36.I.A.children")
def _child_needs_no_means(measure: Measure, context: Context) -> Verdict | None:
    if (
        context.child
        and measure.choice("decision") == "not_identified"
        and measure.choice("reason_if_negative") == "no_means"
    ):
        return Verdict(
            VIOLATION, "A child was refused identification for lack of a means, but no means is needed for a child."
        )
    return None


@rule("identification_decision", "movement_not_required", "FS36.I.B.no-movement", "FS36.I.B.no-border", "TIP.3a")
def _movement_not_required(measure: Measure, context: Context) -> Verdict | None:
    reason = measure.choice("reason_if_negative")
    if measure.choice("decision") == "not_identified" and reason in {"no_movement", "no_border_crossing"}:
        return Verdict(
            VIOLATION,
            "The person was refused identification because they were not moved or did not cross a "
            "border; neither is required (harbouring or receipt is enough, and internal trafficking counts).",
        )
    return None


@rule("identification_decision", "consent_irrelevant", "TIP.3b", "FS36.I.B.no-consent")
def _consent_irrelevant(measure: Measure, context: Context) -> Verdict | None:
    if measure.choice("decision") == "not_identified" and measure.choice("reason_if_negative") == "consent":
        if not context.child and context.means_used is not True:
            return Verdict(
                JUSTIFY,
                "The person was refused identification because they consented: consent decides nothing "
                "unless it is established that no means (threat, force, deception, abuse of vulnerability, "
                "...) was used.",
                ("means_established_absent",),
            )
        return Verdict(
            VIOLATION,
            "The person was refused identification because they consented; consent is irrelevant once "
            "any means was used, and always for a child.",
        )
    return None


@rule("identification_decision", "exploitation_need_not_have_happened", "TIP.3a", "FS36.I.A.definition")
def _purpose_is_enough(measure: Measure, context: Context) -> Verdict | None:
    if measure.choice("decision") == "not_identified" and measure.choice("reason_if_negative") == "no_exploitation_yet":
        return Verdict(
            VIOLATION,
            "The person was refused identification because the exploitation had not yet happened; the "
            "definition needs only the purpose of exploitation.",
        )
    return None


@rule("identification_decision", "not_conditional_on_cooperation", "RPG.P8", "RPG.G2.1", "FS36.III.C.care-and-support")
def _identification_not_conditional(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("depends_on_cooperation") or measure.choice("reason_if_negative") == "not_cooperating":
        return Verdict(
            VIOLATION,
            "Identification was made to depend on cooperating with the authorities; protection and "
            "support may not depend on cooperation.",
        )
    return None


@rule("identification_decision", "prompt_decision", "RPG.G2.1", "RPG.G8.2", "FS36.III.C.victim-identification")
def _prompt_decision(measure: Measure, context: Context) -> Verdict | None:
    from rightsfirst.engine.dates import add_period

    referred, decided = context.case.referred_on, measure.date
    if referred is None or decided is None:
        return None
    parameter = context.framework.profile.parameter("identification_decision_target_days")
    due = add_period(referred, int(parameter.at(decided)), parameter.unit)
    if decided > due:
        return Verdict(
            JUSTIFY,
            f"The decision came after the target date ({due.isoformat()}); record why identification took longer.",
            ("reason_for_delay",),
        )
    return None


# --- Detention -----------------------------------------------------------------------------

LAW_ENFORCEMENT_FACILITIES = frozenset({"immigration_detention", "police_cell", "prison"})
CASE_BY_CASE = ("necessity", "legality", "proportionality", "judicial_oversight", "right_to_challenge")
CHILD_EXTRA = ("best_interests", "no_alternative")


@rule(
    "detention", "status_related_detention", "RPG.P7", "RPG.G2.5", "RPG.G2.6", "HRS.6", "FS36.III.C.non-criminalization"
)
def _status_detention(measure: Measure, context: Context) -> Verdict | None:
    if context.protected and measure.choice("reason") in {"immigration_status", "status_offence"}:
        return Verdict(
            VIOLATION,
            "A presumed or identified victim is held because of their immigration status or a status "
            "offence; trafficked persons may not be detained for either.",
        )
    return None


@rule("detention", "immigration_detention", "RPG.G2.6", "RPG.G6.1", "HRS.6", "FS36.III.C.no-detention")
def _immigration_detention(measure: Measure, context: Context) -> Verdict | None:
    if context.protected and measure.choice("facility") == "immigration_detention":
        return Verdict(
            VIOLATION,
            "A presumed or identified victim is held in immigration detention; this is not allowed in "
            "any circumstances.",
        )
    return None


@rule("detention", "routine_detention", "FS36.III.C.no-detention", "RPG.G2.6", "FS36.III.H.non-discrimination")
def _routine_detention(measure: Measure, context: Context) -> Verdict | None:
    if context.possibly_trafficked and measure.choice("basis") == "routine":
        return Verdict(
            VIOLATION,
            "Routine detention of victims or suspected victims (as a general policy or practice, "
            "including closed shelters) is always unlawful; for children it can never be justified.",
        )
    return None


@rule("detention", "detention_to_secure_cooperation", "RPG.P8", "FS36.III.C.no-detention", "HRS.4")
def _detention_for_cooperation(measure: Measure, context: Context) -> Verdict | None:
    if context.protected and measure.choice("reason") == "cooperation":
        return Verdict(
            VIOLATION,
            "The person is held to secure their cooperation or testimony; protection may not be made "
            "to depend on cooperation, and a victim's safety may not be put below a prosecution's needs.",
        )
    return None


@rule("detention", "child_in_law_enforcement_facility", "FS36.III.C.child-detention", "RPG.G8.3", "RPG.P10")
def _child_law_enforcement(measure: Measure, context: Context) -> Verdict | None:
    if (
        context.child
        and context.victim_status != "not_established"
        and measure.choice("facility") in LAW_ENFORCEMENT_FACILITIES
    ):
        return Verdict(
            VIOLATION,
            "A child (or a person presumed to be a child) is held in a police cell, prison or "
            "immigration detention; a child victim may never be held in a law-enforcement facility.",
        )
    return None


@rule("detention", "case_by_case_justification", "FS36.III.C.no-detention", "FS36.III.C.child-detention", "RPG.G6.1")
def _case_by_case(measure: Measure, context: Context) -> Verdict | None:
    if not context.protected and not (context.child and context.victim_status == "possible"):
        return None
    # Detention that is forbidden outright (above) is not weighed case by case.
    if (
        measure.choice("basis") == "routine"
        or measure.choice("facility") == "immigration_detention"
        or measure.choice("reason") in {"immigration_status", "status_offence", "cooperation"}
        or (context.child and measure.choice("facility") in LAW_ENFORCEMENT_FACILITIES)
    ):
        return None
    required = CASE_BY_CASE + (CHILD_EXTRA if context.child else ())
    missing = _missing(measure, required)
    if not missing:
        return None
    return Verdict(
        JUSTIFY,
        "Detention decided for this person can be lawful only as a last resort against a credible, "
        "specific threat, and must be shown to meet every test. Not shown: " + _explain_missing(missing) + ".",
        missing,
    )


@rule("detention", "identification_incomplete", "RPG.G2.1", "RPG.G2.6", "HRS.5", "FS36.III.C.victim-identification")
def _detention_before_identification(measure: Measure, context: Context) -> Verdict | None:
    if context.victim_status == "possible" and not context.protected:
        return Verdict(
            JUSTIFY,
            "Screening is not finished and the person may be a victim of trafficking: finish "
            "identification first, tell the person their rights, and do not hold them as an irregular "
            "migrant meanwhile.",
            ("identification",),
        )
    return None


# --- Prosecution and penalties -------------------------------------------------------------

IMMIGRATION_OFFENCES = frozenset({"illegal_entry", "illegal_stay", "illegal_work", "no_valid_visa", "false_documents"})
# HRS.6 names prostitution and soliciting among the offences tied to being trafficked.
SEX_WORK_OFFENCES = frozenset({"prostitution", "solicitation"})
# An offence that is the exploitation itself is a direct consequence of being trafficked.
OFFENCE_PURPOSES: dict[str, set[str]] = {
    "begging": {"forced_begging"},
    "petty_crime": {"forced_criminality"},
    "drug_offence": {"forced_criminality"},
    "other": {"forced_criminality"},
}
ACTIVITY_OFFENCES = frozenset(
    {"prostitution", "solicitation", "begging", "petty_crime", "drug_offence", "other", "violent_offence"}
)


@rule("prosecution", "status_offence", "RPG.P7", "RPG.G2.5", "RPG.G4.5", "HRS.6", "FS36.III.C.non-criminalization")
def _status_offence(measure: Measure, context: Context) -> Verdict | None:
    offence = measure.choice("offence")
    if not context.protected:
        return None
    if offence in IMMIGRATION_OFFENCES:
        return Verdict(
            VIOLATION,
            "A presumed or identified victim is prosecuted or penalised for irregular entry, stay or "
            "work, or for false papers; trafficked persons may not be punished for these.",
        )
    if offence in SEX_WORK_OFFENCES and measure.flag("direct_consequence") is not False:
        return Verdict(
            VIOLATION,
            "A presumed or identified victim is prosecuted or penalised for prostitution or soliciting, "
            "offences the Standards list among those tied to being trafficked.",
        )
    return None


@rule(
    "prosecution", "unauthorised_departure", "FS36.III.C.non-criminalization", "HRS.2", "FS36.III.H.freedom-of-movement"
)
def _unauthorised_departure(measure: Measure, context: Context) -> Verdict | None:
    if context.protected and measure.choice("offence") == "unauthorised_departure":
        return Verdict(VIOLATION, "A returned victim is punished for leaving the country without permission.")
    return None


@rule(
    "prosecution",
    "consequence_of_trafficking",
    "RPG.P7",
    "RPG.G2.5",
    "RPG.G5.5",
    "RPG.G8.3",
    "HRS.6",
    "FS36.III.C.non-criminalization",
)
def _consequence(measure: Measure, context: Context) -> Verdict | None:
    if not context.protected or measure.choice("offence") not in ACTIVITY_OFFENCES:
        return None
    if measure.choice("offence") in SEX_WORK_OFFENCES and measure.flag("direct_consequence") is not False:
        return None  # decided by the status-offence rule
    if measure.flag("direct_consequence") or measure.flag("compelled"):
        return Verdict(
            VIOLATION,
            "The person is prosecuted for an act that was a direct consequence of being trafficked, "
            "or that they were compelled to commit.",
        )
    offence = measure.choice("offence")
    if measure.flag("direct_consequence") is None and set(context.purposes) & OFFENCE_PURPOSES.get(
        offence or "", set()
    ):
        return Verdict(
            VIOLATION,
            "The person is prosecuted for the very activity they were trafficked for (the recorded "
            "exploitation); that is a direct consequence of being trafficked.",
        )
    if measure.flag("direct_consequence") is None:
        return Verdict(
            JUSTIFY,
            "Before prosecuting a presumed victim, establish whether the act was a direct consequence "
            "of being trafficked; if it was, the person may not be punished for it.",
            ("direct_consequence",),
        )
    return None


@rule("prosecution", "defendant_rights", "HRS.13", "HRS.10")
def _defendant_rights(measure: Measure, context: Context) -> Verdict | None:
    if (
        context.protected
        and measure.choice("offence") in ACTIVITY_OFFENCES
        and measure.flag("direct_consequence") is False
        and measure.flag("duress_defence_available") is not True
    ):
        return Verdict(
            JUSTIFY,
            "A trafficked person who is a defendant must be able to raise duress or coercion as a "
            "defence, with the trafficking weighed in any sentence.",
            ("duress_defence_available",),
        )
    return None


@rule("prosecution", "identification_incomplete", "RPG.G2.1", "RPG.G2.5", "FS36.III.C.non-criminalization")
def _prosecution_before_identification(measure: Measure, context: Context) -> Verdict | None:
    if context.victim_status == "possible" and not context.protected:
        return Verdict(
            JUSTIFY,
            "Screening is not finished: a person who may be a victim should not be prosecuted for an "
            "offence linked to their situation until identification is complete.",
            ("identification",),
        )
    return None


# --- Support and services ------------------------------------------------------------------


@rule(
    "support_offer",
    "conditional_on_cooperation",
    "RPG.P8",
    "RPG.G6.1",
    "FS36.III.C.care-and-support",
    "FS36.III.E.remedy-principles-recovery",
)
def _conditional_support(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("conditional_on_cooperation") or measure.flag("conditional_on_testimony"):
        return Verdict(
            VIOLATION,
            "Support is made to depend on cooperating with the authorities or testifying; protection "
            "and care must be given whether or not the person cooperates.",
        )
    return None


@rule("support_offer", "forced_support", "RPG.G6.2", "FS36.III.C.non-coercion", "FS36.III.C.care-and-support")
def _forced_support(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("mandatory") and not context.child:
        return Verdict(
            VIOLATION, "The person is required to accept support; support must be voluntary and may be refused."
        )
    if measure.flag("refusal_affects_other_support"):
        return Verdict(
            VIOLATION, "Refusing this support takes away other support or status; a refusal must change nothing else."
        )
    return None


@rule("support_offer", "child_care_without_consent", "FS36.III.C.child-protection-support", "RPG.P10")
def _child_mandatory(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("mandatory") and context.child and measure.flag("best_interests") is not True:
        return Verdict(
            JUSTIFY,
            "A child may be required to receive care only where it is shown, case by case, to be in the "
            "child's best interests.",
            ("best_interests",),
        )
    return None


@rule("support_offer", "closed_accommodation", "FS36.III.C.no-detention", "RPG.G6.1", "RPG.G1.5")
def _closed_shelter(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("can_leave") is False:
        return Verdict(
            JUSTIFY,
            "Accommodation the person may not leave is detention: it needs the same justification "
            "(necessity, legality, proportionality, judicial oversight, a right to challenge); record "
            "it as a detention measure.",
            CASE_BY_CASE + (CHILD_EXTRA if context.child else ()),
        )
    return None


# --- Testing -------------------------------------------------------------------------------

SEXUAL_HEALTH_TESTS = frozenset({"hiv", "sexually_transmitted_infection"})


@rule("testing", "mandatory_testing", "RPG.G6.2", "HRS.23", "FS36.III.C.non-coercion")
def _mandatory_testing(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("mandatory") and (measure.choice("test") in SEXUAL_HEALTH_TESTS or not context.child):
        return Verdict(
            VIOLATION,
            "The person is required to take a medical test; no one may be subjected to mandatory "
            "testing, including for HIV.",
        )
    if measure.flag("consent") is False and not context.child:
        return Verdict(VIOLATION, "The test is done without the person's consent.")
    return None


@rule("testing", "child_testing_best_interests", "FS36.III.C.child-protection-support", "RPG.P10")
def _child_testing(measure: Measure, context: Context) -> Verdict | None:
    test = measure.choice("test")
    if (
        context.child
        and test not in SEXUAL_HEALTH_TESTS
        and (measure.flag("mandatory") or measure.flag("consent") is False)
    ):
        missing = _missing(measure, ("best_interests",))
        if missing:
            return Verdict(
                JUSTIFY,
                "A child may be tested without agreement only where it is shown, case by case, to be in "
                "the child's best interests.",
                missing,
            )
    return None


@rule("testing", "hiv_test_only_on_request", "HRS.23", "RPG.G6.2")
def _hiv_on_request(measure: Measure, context: Context) -> Verdict | None:
    if measure.choice("test") not in SEXUAL_HEALTH_TESTS:
        return None
    if measure.flag("punitive_consequence"):
        return Verdict(VIOLATION, "A positive result leads to a punitive or restrictive measure; this is forbidden.")
    if measure.flag("confidential") is False:
        return Verdict(VIOLATION, "The test or its result is not kept strictly confidential.")
    if measure.flag("requested_by_person") is False:
        return Verdict(VIOLATION, "HIV and sexual-health tests may be done only if the person asks for them.")
    missing = _missing(measure, ("requested_by_person", "counselling", "confidential"))
    if missing:
        return Verdict(
            JUSTIFY,
            "HIV and sexual-health testing must be requested by the person, confidential, and come with "
            "counselling before and after. Not shown: " + _explain_missing(missing) + ".",
            missing,
        )
    return None


# --- Disclosure ----------------------------------------------------------------------------

PUBLIC_AUDIENCES = frozenset({"public", "media"})


@rule("disclosure", "public_disclosure", "RPG.G6.6", "HRS.7", "FS36.III.C.right-to-privacy")
def _public_disclosure(measure: Measure, context: Context) -> Verdict | None:
    if measure.choice("audience") not in PUBLIC_AUDIENCES or measure.flag("identity_revealed") is False:
        return None
    if context.child:
        return None  # the child rule below decides
    if measure.flag("consent"):
        missing = _missing(measure, ("risks_explained",))
        return Verdict(
            JUSTIFY,
            "Identity would be made public with the person's consent: confirm the consent is informed "
            "and that the person was warned of the risks and the limits of protection.",
            missing or ("informed_consent",),
        )
    return Verdict(VIOLATION, "The person's identity is disclosed to the public or the media; this is prohibited.")


@rule("disclosure", "child_public_disclosure", "RPG.G8.9", "FS36.III.C.child-protection-support", "RPG.G6.6")
def _child_public_disclosure(measure: Measure, context: Context) -> Verdict | None:
    if (
        not context.child
        or measure.choice("audience") not in PUBLIC_AUDIENCES
        or measure.flag("identity_revealed") is False
    ):
        return None
    if measure.flag("exceptional_circumstances") and measure.flag("best_interests"):
        return Verdict(
            JUSTIFY,
            "Making a child's identity public is allowed only in exceptional circumstances in the "
            "child's best interests: record them.",
            ("exceptional_circumstances_recorded",),
        )
    return Verdict(VIOLATION, "Information that could identify a child victim is made public.")


@rule("disclosure", "family_without_consent", "HRS.7", "RPG.G6.6")
def _family_disclosure(measure: Measure, context: Context) -> Verdict | None:
    if measure.choice("audience") == "family" and measure.flag("consent") is False and not context.child:
        return Verdict(VIOLATION, "The person's situation is disclosed to their family without their consent.")
    return None


@rule("disclosure", "origin_authorities", "RPG.G6.6", "FS36.III.D.non-refoulement", "HRS.4")
def _origin_authorities(measure: Measure, context: Context) -> Verdict | None:
    if (
        measure.choice("audience") == "authorities_origin"
        and not measure.flag("consent")
        and context.person.asylum_seeker
    ):
        return Verdict(
            VIOLATION,
            "Identifying details of an asylum seeker are shared with the authorities of the country "
            "they fear, without consent.",
        )
    return None


@rule("disclosure", "necessary_disclosure", "RPG.G6.6", "FS36.III.C.right-to-privacy")
def _necessary_disclosure(measure: Measure, context: Context) -> Verdict | None:
    audience = measure.choice("audience")
    if audience in PUBLIC_AUDIENCES or measure.flag("identity_revealed") is False or measure.flag("consent"):
        return None
    if audience == "court" and measure.flag("fair_trial_necessity"):
        return None
    if audience != "court" and measure.flag("legal_basis"):
        return None
    return Verdict(
        JUSTIFY,
        "Sharing identifying information without consent needs a legal basis and must be necessary "
        "(for example for a fair trial); share only what is needed.",
        _missing(measure, ("consent", "legal_basis")) if audience != "court" else ("fair_trial_necessity",),
    )


# --- Reflection period and residence -------------------------------------------------------


@rule(
    "reflection_period",
    "reflection_period_refused",
    "FS36.III.C.residence-reflection",
    "FS36.III.E.remedy-principles-recovery",
    "HRS.17",
)
def _reflection_refused(measure: Measure, context: Context) -> Verdict | None:
    if context.protected and measure.flag("granted") is False and context.person.non_national is not False:
        return Verdict(VIOLATION, "A presumed victim from abroad is refused a recovery and reflection period.")
    return None


@rule(
    "reflection_period",
    "reflection_period_too_short",
    "FS36.III.C.residence-reflection",
    "FS36.III.E.remedy-principles-recovery",
)
def _reflection_short(measure: Measure, context: Context) -> Verdict | None:
    days = measure.number("days")
    if days is None or measure.flag("granted") is False:
        return None
    minimum = int(context.framework.parameter("recovery_reflection_min_days", measure.date or context.at))
    if days < minimum:
        return Verdict(VIOLATION, f"The period granted ({days:g} days) is shorter than the minimum of {minimum} days.")
    return None


@rule("reflection_period", "reflection_period_conditional", "FS36.III.E.remedy-principles-recovery", "RPG.P8")
def _reflection_conditional(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("conditional_on_cooperation"):
        return Verdict(
            VIOLATION,
            "The reflection period is made to depend on cooperation; it exists so the person can decide freely.",
        )
    return None


@rule(
    "residence_permit",
    "refused_during_proceedings",
    "RPG.P9",
    "RPG.G4.7",
    "RPG.G9.3",
    "HRS.17",
    "FS36.III.D.remain-during-proceedings",
)
def _residence_refused(measure: Measure, context: Context) -> Verdict | None:
    if (
        context.protected
        and measure.flag("granted") is False
        and context.case.pending_proceedings(measure.date or context.at)
        and context.person.non_national is not False
    ):
        return Verdict(
            VIOLATION,
            "A residence permit is refused while proceedings involving the person are pending; the "
            "person is entitled to remain for their duration.",
        )
    return None


@rule("residence_permit", "initial_period_terms", "HRS.17")
def _residence_terms(measure: Measure, context: Context) -> Verdict | None:
    if not measure.flag("granted"):
        return None
    missing: list[str] = []
    months = measure.number("months")
    minimum = int(context.framework.parameter("initial_temporary_residence_months", measure.date or context.at))
    if months is not None and months < minimum and measure.choice("grounds") in {None, "reflection"}:
        missing.append(f"initial_period_of_at_least_{minimum}_months")
    if measure.flag("right_to_work") is False:
        missing.append("right_to_work")
    if missing:
        return Verdict(
            JUSTIFY,
            f"The standard is an initial residence of {minimum} months with the right to work; explain "
            "the shorter period or the missing right to work.",
            tuple(missing),
        )
    return None


@rule("residence_permit", "conditional_on_cooperation", "FS36.III.C.residence-reflection", "HRS.17", "RPG.P8")
def _residence_conditional(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("conditional_on_cooperation"):
        return Verdict(
            JUSTIFY,
            "The permit depends on cooperation: a permit on humanitarian or personal grounds must also "
            "be considered, and support may never depend on cooperation.",
            ("humanitarian_grounds_considered",),
        )
    return None


# --- Return --------------------------------------------------------------------------------


@rule(
    "return",
    "non_refoulement",
    "RPG.P11",
    "RPG.G2.7",
    "RPG.G4.6",
    "HRS.18",
    "FS36.III.D.non-refoulement",
    "FS36.III.H.asylum-non-refoulement",
)
def _non_refoulement(measure: Measure, context: Context) -> Verdict | None:
    if not measure.flag("serious_risk"):
        return None
    if measure.flag("voluntary"):
        return Verdict(
            JUSTIFY,
            "The person wishes to return despite a serious risk: make sure the choice is informed, "
            "offer legal alternatives to return, and arrange protection on arrival.",
            ("alternatives_offered", "protection_on_arrival"),
        )
    return Verdict(
        VIOLATION,
        "The person would be returned despite a serious risk of persecution, ill-treatment, reprisals "
        "or re-trafficking (non-refoulement).",
    )


@rule("return", "risk_assessment", "RPG.P11", "RPG.G6.7", "FS36.III.D.safe-voluntary-return")
def _return_risk_assessment(measure: Measure, context: Context) -> Verdict | None:
    assessed = measure.flag("risk_assessment")
    if assessed is False and context.victim_status != "not_established":
        return Verdict(VIOLATION, "The return goes ahead without an individual risk assessment; return must be safe.")
    if assessed is None and context.victim_status != "not_established":
        return Verdict(JUSTIFY, "Record the individual pre-return risk assessment.", ("risk_assessment",))
    return None


@rule("return", "proceedings_pending", "FS36.III.D.remain-during-proceedings", "RPG.G9.3", "RPG.P9", "HRS.17")
def _return_proceedings(measure: Measure, context: Context) -> Verdict | None:
    pending = measure.flag("proceedings_pending")
    if pending is None:
        pending = bool(context.case.pending_proceedings(measure.date or context.at))
    if pending and context.protected and measure.flag("informed_agreement_to_leave_during_proceedings") is not True:
        return Verdict(
            VIOLATION,
            "The person would be returned while proceedings involving them (including compensation) are "
            "pending, without their informed agreement.",
        )
    return None


@rule(
    "return",
    "during_reflection_period",
    "FS36.III.C.residence-reflection",
    "FS36.III.E.remedy-principles-recovery",
    "HRS.17",
)
def _return_during_reflection(measure: Measure, context: Context) -> Verdict | None:
    if not context.protected:
        return None
    during = measure.flag("during_reflection_period")
    if during is None:
        start = context.case.reflection_period_started_on or context.case.reasonable_grounds_on
        when = measure.date
        if start is not None and when is not None:
            days = int(context.framework.parameter("recovery_reflection_min_days", start))
            during = start <= when < start + dt.timedelta(days=days)
    if during:
        return Verdict(VIOLATION, "No removal may be enforced during the recovery and reflection period.")
    return None


@rule(
    "return",
    "own_wish_to_go_home",
    "FS36.III.D.entitlement-to-return",
    "RPG.P11",
    exception_to="during_reflection_period",
)
def _own_wish(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("voluntary") and not measure.flag("serious_risk"):
        return Verdict(
            OK,
            "The person freely asks to go home: the right to return means they may leave, even during "
            "the reflection period, without undue delay.",
        )
    return None


@rule("return", "asylum_claim_pending", "RPG.G2.7", "HRS.19", "FS36.III.H.asylum-non-refoulement")
def _asylum_pending(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("asylum_claim_pending") and not measure.flag("voluntary"):
        return Verdict(VIOLATION, "The person would be removed while their asylum claim is pending.")
    return None


@rule(
    "return",
    "child_best_interests",
    "RPG.P10",
    "RPG.G8.4",
    "RPG.G8.5",
    "FS36.III.D.return-obligations",
    "FS36.III.D.alternatives-to-repatriation",
)
def _child_return(measure: Measure, context: Context) -> Verdict | None:
    if not context.child:
        return None
    determined = measure.flag("best_interests_determination")
    if determined is False:
        return Verdict(
            VIOLATION,
            "A child would be returned without a determination that return is in the child's best "
            "interests following a risk and security assessment.",
        )
    if determined is None:
        return Verdict(
            JUSTIFY,
            "Record the best-interests determination that supports the child's return.",
            ("best_interests_determination",),
        )
    return None


@rule("return", "child_views", "RPG.G8.6", "FS36.III.E.remedy-principles-children")
def _child_return_views(measure: Measure, context: Context) -> Verdict | None:
    if context.child and measure.flag("child_views_heard") is not True:
        return Verdict(
            JUSTIFY if measure.flag("child_views_heard") is None else VIOLATION,
            "The child's views on return must be heard and given due weight.",
            ("child_views_heard",),
        )
    return None


@rule("return", "forced_return_due_process", "FS36.III.D.non-refoulement", "RPG.G4.6", "HRS.18")
def _forced_return(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("voluntary") is True:
        return None
    missing = _missing(measure, ("legal_basis", "due_process"))
    if missing:
        return Verdict(
            JUSTIFY,
            "A return the person does not want is an expulsion: it must follow the law and let the "
            "person present reasons against it. Not shown: " + _explain_missing(missing) + ".",
            missing,
        )
    return None


@rule("return", "identification_incomplete", "RPG.G2.1", "RPG.G2.7", "FS36.III.C.victim-identification")
def _return_before_identification(measure: Measure, context: Context) -> Verdict | None:
    if context.victim_status == "possible" and not context.protected and not measure.flag("voluntary"):
        return Verdict(
            JUSTIFY,
            "Screening is not finished: a person who may be a victim should not be removed until "
            "identification is complete.",
            ("identification",),
        )
    return None


# --- Investigation -------------------------------------------------------------------------


@rule("investigation", "due_diligence", "RPG.P2", "RPG.P13", "FS36.III.F.investigation-prosecution")
def _investigation_opened(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("opened") is False:
        return Verdict(
            JUSTIFY,
            "No investigation was opened: due diligence requires investigating trafficking allegations; "
            "record the reasons.",
            ("reason_not_investigated",),
        )
    return None


@rule("investigation", "reliance_on_victim_testimony", "RPG.G5.3", "RPG.G5.5")
def _testimony_reliance(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("depends_on_victim_testimony"):
        return Verdict(
            JUSTIFY,
            "The investigation depends on the person's testimony alone; use proactive methods that do "
            "not put the burden on the victim.",
            ("other_evidence_sought",),
        )
    return None


@rule("investigation", "official_complicity", "RPG.P6", "RPG.G5", "FS36.III.G.corruption-complicity")
def _official_complicity(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("officials_implicated") and measure.flag("independent") is not True:
        return Verdict(
            VIOLATION if measure.flag("independent") is False else JUSTIFY,
            "Officials are alleged to be involved: the investigation must be prompt and independent of them.",
            ("independent",),
        )
    return None


# --- Compensation and remedies -------------------------------------------------------------


@rule("compensation", "status_no_bar", "HRS.14", "FS36.III.E.remedy-principles-compensation", "RPG.P17")
def _status_bar(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("barred_by_immigration_status"):
        return Verdict(
            VIOLATION,
            "The claim is blocked because of the person's immigration status; the right to "
            "compensation does not depend on it.",
        )
    if measure.flag("requires_conviction"):
        return Verdict(
            JUSTIFY,
            "Compensation is made to depend on a conviction; a State route to compensation that does "
            "not wait for a conviction must also be open.",
            ("route_without_conviction",),
        )
    return None


@rule("compensation", "access_to_remedies", "RPG.G9.2", "RPG.G9.3", "FS36.III.E.access-to-remedies")
def _remedy_access(measure: Measure, context: Context) -> Verdict | None:
    missing = _missing(measure, ("information_given", "legal_assistance", "person_can_remain"))
    if missing:
        return Verdict(
            JUSTIFY,
            "To make the remedy real the person needs information in a language they understand, legal "
            "help, and the chance to stay until the claim is decided. Lacking: " + _explain_missing(missing) + ".",
            missing,
        )
    return None


# --- Children ------------------------------------------------------------------------------


@rule("age_assessment", "presumption_of_age", "FS36.III.C.child-identification", "RPG.G8.2")
def _presumption_of_age(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("treated_as_child_pending") is False:
        return Verdict(
            VIOLATION,
            "The person is treated as an adult while their age is being assessed; they must be "
            "treated as a child until then.",
        )
    return None


@rule("age_assessment", "invasive_method", "FS36.III.C.child-identification", "FS36.III.C.child-protection-support")
def _invasive_method(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("invasive") or measure.choice("method") == "medical":
        missing = _missing(measure, ("consent", "benefit_of_doubt"))
        if missing:
            return Verdict(
                JUSTIFY,
                "A medical age assessment must be consented to, the least intrusive possible, and give "
                "the person the benefit of the doubt.",
                missing,
            )
    return None


@rule("guardian_appointment", "guardian_required", "FS36.III.C.child-guardian", "RPG.P10")
def _guardian_required(measure: Measure, context: Context) -> Verdict | None:
    if context.child and measure.flag("appointed") is False:
        return Verdict(VIOLATION, "No guardian is appointed for a child who is, or may be, a victim.")
    if context.child and measure.flag("appointed") is None:
        return Verdict(JUSTIFY, "Record whether a guardian was appointed for the child.", ("appointed",))
    return None


@rule("guardian_appointment", "guardian_on_time", "FS36.III.C.child-guardian")
def _guardian_on_time(measure: Measure, context: Context) -> Verdict | None:
    from rightsfirst.engine.dates import add_period

    if not context.child or not measure.flag("appointed") or measure.date is None or context.case.referred_on is None:
        return None
    parameter = context.framework.profile.parameter("guardian_appointment_target_days")
    due = add_period(context.case.referred_on, int(parameter.at(measure.date)), parameter.unit)
    if measure.date > due:
        return Verdict(
            JUSTIFY,
            f"The guardian was appointed after the target date ({due.isoformat()}); record why.",
            ("reason_for_delay",),
        )
    return None


@rule("family_tracing", "reunion_safeguards", "RPG.G8.4", "RPG.G8.5")
def _family_reunion(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("reunification") and (
        measure.flag("best_interests") is False or measure.flag("risk_assessment") is False
    ):
        return Verdict(
            VIOLATION,
            "The child would be reunited with the family without a risk assessment or against the "
            "child's best interests.",
        )
    missing = _missing(measure, ("risk_assessment", "child_consulted", "confidential"))
    if missing:
        return Verdict(
            JUSTIFY,
            "Family tracing must follow a risk assessment, consult the child, and not reveal the "
            "child's whereabouts to anyone who could harm them. Not shown: " + _explain_missing(missing) + ".",
            missing,
        )
    return None


@rule("best_interests_determination", "determination_made", "RPG.P10", "RPG.G8", "FS36.III.C.child-protection-support")
def _bid(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("conducted") is False:
        return Verdict(VIOLATION, "A decision about the child is taken without determining the child's best interests.")
    if measure.flag("child_views_heard") is False:
        return Verdict(
            JUSTIFY, "The best-interests determination did not hear the child's views.", ("child_views_heard",)
        )
    return None


@rule("child_views", "views_heard", "RPG.G8.6", "FS36.III.E.remedy-principles-children")
def _views(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("capable_of_forming_views") is False:
        return None
    if measure.flag("heard") is False:
        return Verdict(VIOLATION, "A child able to form views was not heard in a decision affecting them.")
    missing = _missing(measure, ("information_given", "due_weight"))
    if missing:
        return Verdict(
            JUSTIFY,
            "The child needs information suited to their age, and their views need due weight. Not "
            "shown: " + _explain_missing(missing) + ".",
            missing,
        )
    return None


# --- Protection in proceedings ---------------------------------------------------------------


@rule("witness_protection", "safety_first", "HRS.4", "RPG.G5.8", "RPG.G5.1")
def _safety_first(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("safety_subordinated_to_prosecution"):
        return Verdict(VIOLATION, "The person's safety was put below the interests of the prosecution.")
    if measure.flag("risk_assessed") and measure.flag("protection_provided") is False:
        return Verdict(VIOLATION, "A risk to the person was assessed but no protection is provided.")
    if measure.flag("conditional_on_testimony"):
        return Verdict(
            JUSTIFY,
            "Protection depends on testifying; protect according to the risk, not the testimony.",
            ("protection_by_risk",),
        )
    missing = _missing(measure, ("risk_assessed",))
    if missing:
        return Verdict(JUSTIFY, "Assess the risk to the person and their family.", missing)
    return None


@rule("suspect_release_notification", "notify_before_release", "HRS.4")
def _notify_release(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("notified_before_release") is False:
        return Verdict(VIOLATION, "A suspect or convicted trafficker is released without telling the person first.")
    if measure.flag("safety_considered") is not True:
        return Verdict(
            JUSTIFY, "Weigh the person's and family's safety in the release decision.", ("safety_considered",)
        )
    return None


@rule("legal_proceedings", "fair_treatment", "HRS.10", "HRS.12", "RPG.G6.4", "RPG.G6.5", "FS36.III.C.legal-assistance")
def _fair_treatment(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("character_evidence_used"):
        return Verdict(
            VIOLATION, "The person's past, 'character' or occupation is used against them in the proceedings."
        )
    if measure.flag("sexual_violence") and measure.flag("special_measures") is False:
        return Verdict(
            VIOLATION, "A person who suffered sexual violence is not allowed to give evidence by protective means."
        )
    missing = _missing(measure, ("interpreter", "legal_representation", "informed_of_progress", "views_presented"))
    if missing:
        return Verdict(
            JUSTIFY,
            "In proceedings the person needs an interpreter, legal representation, news of progress and "
            "a chance to present their views. Not shown: " + _explain_missing(missing) + ".",
            missing,
        )
    return None


# --- Emigration restrictions ---------------------------------------------------------------


@rule(
    "emigration_restriction",
    "discriminatory_restriction",
    "HRS.2",
    "RPG.G1.4",
    "RPG.G1.5",
    "RPG.G7.6",
    "FS36.III.H.freedom-of-movement",
    "FS36.III.H.non-discrimination",
)
def _discriminatory_restriction(measure: Measure, context: Context) -> Verdict | None:
    if (
        measure.choice("targets") in {"women", "girls", "women_and_girls", "ethnic_group"}
        or measure.flag("non_discriminatory") is False
    ):
        return Verdict(
            VIOLATION,
            "A restriction on leaving the country aimed at women and girls (or an ethnic group) "
            "discriminates and infringes freedom of movement.",
        )
    return None


@rule("emigration_restriction", "lawful_restriction", "FS36.III.H.freedom-of-movement", "RPG.G1.5", "HRS.2")
def _lawful_restriction(measure: Measure, context: Context) -> Verdict | None:
    if _discriminatory_restriction(measure, context) is not None:
        return None  # already a violation; the proportionality test adds nothing
    missing = _missing(measure, ("provided_by_law", "necessary", "proportionate", "non_discriminatory"))
    if missing:
        return Verdict(
            JUSTIFY,
            "A restriction on freedom of movement must be provided by law, strictly necessary, "
            "proportionate and non-discriminatory. Not shown: " + _explain_missing(missing) + ".",
            missing,
        )
    return None


GENERAL_BASIS: dict[str, tuple[str, ...]] = {
    measure_type: cites(f"review.{measure_type}.basis", *ids)
    for measure_type, ids in {
        "identification_decision": ("RPG.G2.1", "TIP.3a"),
        "detention": ("RPG.G2.6", "FS36.III.C.no-detention"),
        "prosecution": ("RPG.P7",),
        "support_offer": ("RPG.P8", "RPG.G6.1", "RPG.G6.2"),
        "testing": ("RPG.G6.2", "HRS.23"),
        "disclosure": ("RPG.G6.6", "HRS.7"),
        "reflection_period": ("FS36.III.C.residence-reflection",),
        "residence_permit": ("RPG.P9", "HRS.17"),
        "return": ("RPG.P11", "RPG.G6.7"),
        "investigation": ("RPG.P13",),
        "compensation": ("RPG.P17", "RPG.G9.1"),
        "age_assessment": ("FS36.III.C.child-identification",),
        "guardian_appointment": ("FS36.III.C.child-guardian",),
        "family_tracing": ("RPG.G8.4",),
        "best_interests_determination": ("RPG.P10",),
        "child_views": ("RPG.G8.6",),
        "witness_protection": ("RPG.G5.8", "HRS.4"),
        "suspect_release_notification": ("HRS.4",),
        "emigration_restriction": ("RPG.G1.5", "FS36.III.H.freedom-of-movement"),
        "legal_proceedings": ("HRS.12", "RPG.G6.4"),
    }.items()
}
NOT_ESTABLISHED_NOTE = cites("review.status_not_established", "RPG.G2", "FS36.III.C.victim-identification")


def review_context(
    person: Person,
    case: Case,
    at: dt.date,
    framework: Framework,
    screening: ScreeningResult | None = None,
) -> tuple[Context, tuple[str, ...]]:
    """Build the review context; returns it with any assumption the engine had to make."""
    assumptions: list[str] = []
    has_status = (
        case.victim_status is not None
        or case.identified_on is not None
        or case.reasonable_grounds_on is not None
        or screening is not None
    )
    if has_status:
        status = derive_victim_status(case, screening, at)
    else:
        status = "presumed"
        assumptions.append(
            "No screening or decision was given, so the person is treated as a presumed victim, "
            "the protective default for an open case."
        )
    majority = float(framework.parameter("age_of_majority", at))
    child, age_basis = age_status(person, majority)
    means_used = None
    purposes: tuple[str, ...] = ()
    if screening is not None:
        purposes = screening.element("purpose").facts
        means = screening.element("means")
        means_used = {"met": True, "not_met": False}.get(means.status)
        if means.status == "not_required" and means.facts:
            means_used = True
    return Context(person, case, at, status, child, age_basis, framework, means_used, purposes), tuple(assumptions)


def review(measure: Measure, context: Context, assumptions: tuple[str, ...] = ()) -> ReviewResult:
    """Check one measure against every rule for its type."""
    fired: list[tuple[Rule, Verdict]] = []
    for candidate in RULES.get(measure.type, ()):
        verdict = candidate.check(measure, context)
        if verdict is not None:
            fired.append((candidate, verdict))
    outcome, findings, missing, citations, explanation = _conclude(
        measure.type, tuple(fired), context.victim_status == "not_established"
    )
    return ReviewResult(
        measure_type=measure.type,
        measure_date=measure.date,
        outcome=outcome,
        findings=findings,
        missing=missing,
        citations=citations,
        explanation=explanation,
        assumptions=assumptions,
        at=context.at,
        framework_version=context.framework.version,
        profile=context.framework.profile.id,
    )


Conclusion = tuple[str, tuple[ReviewFinding, ...], tuple[str, ...], tuple[str, ...], str]


@lru_cache(maxsize=16_384)
def _conclude(measure_type: str, fired: tuple[tuple[Rule, Verdict], ...], not_established: bool) -> Conclusion:
    """From the rules that fired to the findings, outcome and explanation.

    Memoised: it depends only on which rules fired with which verdicts, and the same
    combinations recur across cases.
    """
    by_label = {rule.label: (rule, verdict) for rule, verdict in fired}
    for rule, _ in fired:
        if rule.exception_to is not None:
            by_label.pop(rule.exception_to, None)
    findings = [
        ReviewFinding(
            f"{rule.measure_type}.{rule.label}", verdict.outcome, verdict.reason, rule.citations, verdict.missing
        )
        for rule, verdict in by_label.values()
    ]
    if all(finding.outcome == OK for finding in findings):
        basis = GENERAL_BASIS[measure_type]
        reason = "No obligation is breached on the recorded facts of this measure."
        if not_established:
            reason += (
                " The recorded facts do not meet the definition of trafficking, so the protections owed "
                "to trafficked persons were not applied; screen again if the facts change."
            )
            basis = basis + NOT_ESTABLISHED_NOTE
        findings.append(ReviewFinding(f"{measure_type}.no_breach", OK, reason, basis))
    findings.sort(key=lambda item: (-OUTCOME_RANK[item.outcome], item.rule))
    outcome = findings[0].outcome
    missing = tuple(sorted({name for item in findings if item.outcome == JUSTIFY for name in item.missing}))
    citations = merge_citations(item.citations for item in findings)
    return outcome, tuple(findings), missing, citations, _explain(outcome, findings)


def _explain(outcome: str, findings: list[ReviewFinding]) -> str:
    if outcome == VIOLATION:
        reasons = [item.reason for item in findings if item.outcome == VIOLATION]
        return "This measure breaches the obligations and must not go ahead: " + " ".join(reasons)
    if outcome == JUSTIFY:
        reasons = [item.reason for item in findings if item.outcome == JUSTIFY]
        return "This measure may go ahead only with a recorded justification: " + " ".join(reasons)
    return " ".join(item.reason for item in findings)
