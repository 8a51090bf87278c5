"""Review rules for identification decisions: the definition applied correctly and promptly."""

from __future__ import annotations

from rightsfirst.engine.measures import Measure
from rightsfirst.engine.review_rules.registry import (
    JUSTIFY,
    VIOLATION,
    Context,
    Verdict,
    rule,
)

# --- Identification ------------------------------------------------------------------------


@rule("identification_decision", "child_needs_no_means", "TIP.3c", "RPG.G8.1", "FS36.I.A.children")
def _child_needs_no_means(measure: Measure, context: Context) -> Verdict | None:
    if (
        context.child_at_action
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
        if not context.child_at_action and context.means_used is not True:
            return Verdict(
                JUSTIFY,
                "The person was refused identification because they consented: consent decides nothing "
                "unless it is established that no means (threat, force, deception, abuse of vulnerability, "
                "...) was used.",
                ("justification",),
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
    # The target is for the first decision on reasonable grounds, not the later formal identification.
    if referred is None or decided is None or measure.choice("decision") == "identified":
        return None
    parameter = context.framework.profile.parameter("identification_decision_target_days")
    due = add_period(referred, int(parameter.at(decided)), parameter.unit)
    if decided > due:
        return Verdict(
            JUSTIFY,
            f"The decision came after the target date ({due.isoformat()}); record why identification took longer.",
            ("justification",),
        )
    return None


@rule(
    "identification_decision",
    "contradicts_recorded_facts",
    "RPG.G2",
    "RPG.G2.1",
    "TIP.3a",
    "FS36.III.C.victim-identification",
)
def _contradicts_recorded_facts(measure: Measure, context: Context) -> Verdict | None:
    if measure.choice("decision") != "not_identified" or context.finding not in {"established", "presumed"}:
        return None
    if measure.choice("reason_if_negative") == "no_means" and context.means_used:
        return Verdict(
            VIOLATION,
            "The person was refused identification for lack of a means, but the recorded facts show one.",
        )
    return Verdict(
        JUSTIFY,
        "The recorded facts meet the definition (or give reasonable grounds), yet the person was not "
        "identified: a wrong identification denies every right that follows; record the reasons and "
        "the evidence weighed.",
        ("justification",),
    )
