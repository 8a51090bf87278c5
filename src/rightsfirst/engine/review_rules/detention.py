"""Review rules for detention: never routine, never for status, never a child in a police cell."""

from __future__ import annotations

from rightsfirst.engine.measures import Measure
from rightsfirst.engine.review_rules.registry import (
    JUSTIFY,
    VIOLATION,
    Context,
    Verdict,
    required,
    rule,
)

# --- Detention -----------------------------------------------------------------------------

LAW_ENFORCEMENT_FACILITIES = frozenset({"immigration_detention", "police_cell", "prison"})
PENAL_FACILITIES = frozenset({"police_cell", "prison"})
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


def _penal_custody_of_a_victim(measure: Measure, context: Context) -> bool:
    # Holding a suspect of an unrelated crime is ordinary criminal procedure, weighed case by case.
    return (
        context.protected
        and measure.choice("facility") in PENAL_FACILITIES
        and measure.choice("reason") != "unrelated_offence"
    )


@rule("detention", "penal_custody", "HRS.6", "RPG.G6.1", "RPG.G2.6", "FS36.III.C.no-detention")
def _penal_custody(measure: Measure, context: Context) -> Verdict | None:
    if _penal_custody_of_a_victim(measure, context):
        return Verdict(
            VIOLATION,
            "A presumed or identified victim is held in a prison or police cell other than as a suspect "
            "of an unrelated offence; a trafficked person may not be held in a jail or prison at any "
            "time, not even for their protection.",
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
        or _penal_custody_of_a_victim(measure, context)
    ):
        return None
    return required(
        measure,
        CASE_BY_CASE + (CHILD_EXTRA if context.child else ()),
        "Detention decided for this person can be lawful only as a last resort against a credible, "
        "specific threat, and must meet every test.",
    )


@rule("detention", "identification_incomplete", "RPG.G2.1", "RPG.G2.6", "HRS.5", "FS36.III.C.victim-identification")
def _detention_before_identification(measure: Measure, context: Context) -> Verdict | None:
    if context.victim_status == "possible" and not context.protected:
        return Verdict(
            JUSTIFY,
            "Screening is not finished and the person may be a victim of trafficking: finish "
            "identification first, tell the person their rights, and do not hold them as an irregular "
            "migrant meanwhile.",
            ("justification",),
        )
    return None
