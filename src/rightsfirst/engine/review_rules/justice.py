"""Review rules for investigation, remedies and the person's place in proceedings."""

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

# --- Investigation -------------------------------------------------------------------------


@rule("investigation", "due_diligence", "RPG.P2", "RPG.P13", "FS36.III.F.investigation-prosecution")
def _investigation_opened(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("opened") is False:
        return Verdict(
            JUSTIFY,
            "No investigation was opened: due diligence requires investigating trafficking allegations; "
            "record the reasons.",
            ("justification",),
        )
    return None


@rule("investigation", "reliance_on_victim_testimony", "RPG.G5.3", "RPG.G5.5")
def _testimony_reliance(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("depends_on_victim_testimony"):
        return Verdict(
            JUSTIFY,
            "The investigation depends on the person's testimony alone; use proactive methods that do "
            "not put the burden on the victim.",
            ("justification",),
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
            ("justification",),
        )
    return None


@rule("compensation", "access_to_remedies", "RPG.G9.2", "RPG.G9.3", "FS36.III.E.access-to-remedies")
def _remedy_access(measure: Measure, context: Context) -> Verdict | None:
    return required(
        measure,
        ("information_given", "legal_assistance", "person_can_remain"),
        "To make the remedy real the person needs information in a language they understand, legal "
        "help, and the chance to stay until the claim is decided.",
    )


# --- Protection in proceedings ---------------------------------------------------------------


@rule("witness_protection", "safety_first", "HRS.4", "RPG.G5.8", "RPG.G5.1", "RPG.P8")
def _safety_first(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("safety_subordinated_to_prosecution"):
        return Verdict(VIOLATION, "The person's safety was put below the interests of the prosecution.")
    if measure.flag("risk_assessed") and measure.flag("protection_provided") is False:
        return Verdict(VIOLATION, "A risk to the person was assessed but no protection is provided.")
    if measure.flag("conditional_on_testimony"):
        return Verdict(
            VIOLATION,
            "Protection is made to depend on testifying; the person must be protected according to the "
            "risk they face, whether or not they give evidence.",
        )
    return required(measure, ("risk_assessed",), "The risk to the person and their family must be assessed.")


@rule("witness_protection", "family_protection", "HRS.4", "RPG.G5.8")
def _family_protection(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("family_protected") is False:
        return Verdict(
            JUSTIFY,
            "Family members are not protected: record why they are not at risk.",
            ("justification",),
        )
    return None


@rule("suspect_release_notification", "notify_before_release", "HRS.4")
def _notify_release(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("notified_before_release") is False:
        return Verdict(VIOLATION, "A suspect or convicted trafficker is released without telling the person first.")
    return required(
        measure, ("safety_considered",), "The person's and family's safety must be weighed in the release decision."
    )


@rule("legal_proceedings", "fair_treatment", "HRS.10", "HRS.12", "RPG.G6.4", "RPG.G6.5", "FS36.III.C.legal-assistance")
def _fair_treatment(measure: Measure, context: Context) -> Verdict | None:
    needed: tuple[str, ...] = ("legal_representation", "informed_of_progress", "views_presented")
    if context.person.needs_interpreter is not False:
        needed = ("interpreter", *needed)
    return required(
        measure,
        needed,
        "In proceedings the person needs an interpreter (unless they understand the language), legal "
        "representation, news of progress and a chance to present their views.",
    )


@rule("legal_proceedings", "no_character_evidence", "HRS.12")
def _character_evidence(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("character_evidence_used"):
        return Verdict(
            VIOLATION, "The person's past, 'character' or occupation is used against them in the proceedings."
        )
    return None


@rule("legal_proceedings", "protective_means_of_evidence", "HRS.12")
def _protective_means(measure: Measure, context: Context) -> Verdict | None:
    if not measure.flag("sexual_violence"):
        return None
    return required(
        measure,
        ("special_measures",),
        "A person who suffered sexual violence must be allowed to give evidence in camera or by other "
        "protective means.",
    )
