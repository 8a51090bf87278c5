"""Review rules for prosecution and penalties: no punishment for status offences (non-criminalisation)."""

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


@rule(
    "prosecution",
    "status_offence",
    "FS36.III.C.child-protection-support",
    "RPG.P7",
    "RPG.G2.5",
    "RPG.G4.5",
    "HRS.6",
    "FS36.III.C.non-criminalization",
)
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
    if offence in SEX_WORK_OFFENCES and context.child:
        return Verdict(
            VIOLATION,
            "A child is prosecuted or penalised for prostitution or soliciting: a child in prostitution is "
            "being sexually exploited and may not be criminalised in any way.",
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
    ):
        return required(
            measure,
            ("duress_defence_available",),
            "A trafficked person who is a defendant must be able to raise duress or coercion as a defence, "
            "with the trafficking weighed in any sentence.",
        )
    return None


@rule("prosecution", "identification_incomplete", "RPG.G2.1", "RPG.G2.5", "FS36.III.C.non-criminalization")
def _prosecution_before_identification(measure: Measure, context: Context) -> Verdict | None:
    if context.victim_status == "possible" and not context.protected:
        return Verdict(
            JUSTIFY,
            "Screening is not finished: a person who may be a victim should not be prosecuted for an "
            "offence linked to their situation until identification is complete.",
            ("justification",),
        )
    return None
