"""Review rules for support, services and medical testing: unconditional, voluntary, confidential."""

from __future__ import annotations

from rightsfirst.engine.measures import Measure
from rightsfirst.engine.review_rules.registry import (
    JUSTIFY,
    VIOLATION,
    Context,
    Verdict,
    not_shown,
    required,
    rule,
)

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
            "Accommodation the person may not leave is detention: record it as a detention measure, "
            "where it must meet every test (necessity, legality, proportionality, judicial oversight, "
            "a right to challenge"
            + (", the child's best interests and no alternative" if context.child else "")
            + ").",
            ("justification",),
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
        missing = not_shown(measure, ("best_interests",))
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
        if measure.flag("consent") and not measure.flag("mandatory"):
            return Verdict(
                JUSTIFY,
                "The test was offered and agreed to, but the Standards provide HIV and sexual-health tests "
                "only at the person's own request: record that the choice was the person's.",
                ("justification",),
            )
        return Verdict(VIOLATION, "HIV and sexual-health tests may be done only if the person asks for them.")
    return required(
        measure,
        ("requested_by_person", "counselling", "confidential"),
        "HIV and sexual-health testing must be requested by the person, confidential, and come with "
        "counselling before and after.",
    )
