"""Review rules for the reflection period and residence permits."""

from __future__ import annotations

from rightsfirst.engine.measures import Measure
from rightsfirst.engine.review_rules.registry import (
    JUSTIFY,
    VIOLATION,
    Context,
    Verdict,
    proceedings_pending,
    rule,
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
    if measure.flag("granted") is False:
        return None
    if days is None:
        if measure.flag("granted"):
            return Verdict(JUSTIFY, "Record the length of the recovery and reflection period granted.", ("days",))
        return None
    minimum = int(context.framework.parameter("recovery_reflection_min_days", measure.date or context.at))
    if days < minimum:
        source = context.framework.profile.parameter("recovery_reflection_min_days").value_at(
            measure.date or context.at
        )
        return Verdict(
            VIOLATION,
            f"The period granted ({days:g} days) is shorter than the minimum of {minimum} days "
            f"({source.reference.rstrip('.')}).",
        )
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
    pending = proceedings_pending(measure, context)
    if not context.protected or context.person.non_national is False:
        return None
    if measure.flag("granted") is False and pending:
        return Verdict(
            VIOLATION,
            "A residence permit is refused while proceedings involving the person are pending; the "
            "person is entitled to remain for their duration.",
        )
    if measure.flag("granted") and pending and measure.choice("grounds") == "proceedings" and measure.number("months"):
        return Verdict(
            JUSTIFY,
            "A permit tied to the proceedings must last as long as they do, including appeals; record how "
            "it will be extended until they end.",
            ("justification",),
        )
    return None


@rule("residence_permit", "initial_residence_refused", "HRS.17", "FS36.III.C.residence-reflection")
def _initial_residence_refused(measure: Measure, context: Context) -> Verdict | None:
    pending = proceedings_pending(measure, context)
    if (
        context.protected
        and measure.flag("granted") is False
        and not pending
        and context.person.non_national is not False
    ):
        return Verdict(
            JUSTIFY,
            "A presumed victim from abroad is refused residence: the Standards call for an initial "
            "residence, with the right to work, while the person decides whether to take legal action; "
            "record why it was refused.",
            ("justification",),
        )
    return None


@rule("residence_permit", "initial_period_terms", "HRS.17")
def _residence_terms(measure: Measure, context: Context) -> Verdict | None:
    if not measure.flag("granted"):
        return None
    months = measure.number("months")
    minimum = int(context.framework.parameter("initial_temporary_residence_months", measure.date or context.at))
    short = months is not None and months < minimum and measure.choice("grounds") in {None, "reflection"}
    if short or measure.flag("right_to_work") is False:
        return Verdict(
            JUSTIFY,
            f"The standard is an initial residence of {minimum} months with the right to work; explain "
            "the shorter period or the missing right to work.",
            ("justification",),
        )
    return None


@rule("residence_permit", "conditional_on_cooperation", "FS36.III.C.residence-reflection", "HRS.17", "RPG.P8")
def _residence_conditional(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("conditional_on_cooperation"):
        return Verdict(
            JUSTIFY,
            "The permit depends on cooperation: a permit on humanitarian or personal grounds must also "
            "be considered, and support may never depend on cooperation.",
            ("justification",),
        )
    return None
