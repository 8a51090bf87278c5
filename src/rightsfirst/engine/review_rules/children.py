"""Review rules specific to children: age assessment, guardian, family tracing, best interests, views."""

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
        return required(
            measure,
            ("consent", "benefit_of_doubt"),
            "A medical age assessment must be consented to, the least intrusive possible, and give the "
            "person the benefit of the doubt.",
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
            ("justification",),
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
    return required(
        measure,
        ("risk_assessment", "child_consulted", "confidential"),
        "Family tracing must follow a risk assessment, consult the child, and not reveal the child's "
        "whereabouts to anyone who could harm them.",
    )


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
    return required(
        measure,
        ("information_given", "due_weight"),
        "The child needs information suited to their age, and their views need due weight.",
    )
