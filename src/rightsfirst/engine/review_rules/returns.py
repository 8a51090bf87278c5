"""Review rules for return and removal: safe, preferably voluntary, never into danger."""

from __future__ import annotations

from rightsfirst.engine.dates import due_after
from rightsfirst.engine.entitlement_rules.declarations import reflection_period
from rightsfirst.engine.measures import Measure
from rightsfirst.engine.review_rules.registry import (
    JUSTIFY,
    OK,
    VIOLATION,
    Context,
    Verdict,
    proceedings_pending,
    required,
    rule,
)

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
    risk = measure.flag("serious_risk")
    if risk is None and measure.flag("risk_assessment") and not measure.flag("voluntary"):
        return Verdict(
            JUSTIFY,
            "Record what the risk assessment found: no one may be returned where there is a serious risk "
            "of persecution, ill-treatment, reprisals or re-trafficking.",
            ("serious_risk",),
        )
    if not risk:
        return None
    if measure.flag("voluntary"):
        return required(
            measure,
            ("alternatives_offered", "protection_on_arrival"),
            "The person wishes to return despite a serious risk: make sure the choice is informed, offer "
            "legal alternatives to return, and arrange protection on arrival.",
        ) or Verdict(
            JUSTIFY,
            "The person wishes to return despite a serious risk; alternatives were offered and protection "
            "on arrival is arranged: record the person's informed choice.",
            ("justification",),
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
    pending = proceedings_pending(measure, context)
    agreed = measure.flag("informed_agreement_to_leave_during_proceedings")
    if not pending or not context.protected or agreed is True:
        return None
    if measure.flag("voluntary") and agreed is None:
        return Verdict(
            JUSTIFY,
            "The person wants to go home while proceedings involving them are pending: record that they "
            "were told what leaving means for the proceedings and for any compensation, and still agree.",
            ("informed_agreement_to_leave_during_proceedings",),
        )
    return Verdict(
        VIOLATION,
        "The person would be returned while proceedings involving them (including compensation) are "
        "pending, without their informed agreement.",
    )


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
    # The tick and the case dates are both read; either showing the period running protects.
    during = bool(measure.flag("during_reflection_period"))
    period = reflection_period(context.case, context.framework)
    if period is not None:
        # An undated removal is judged at the assessment date; the period's last day is protected.
        when = measure.date or context.at
        during = during or period[0] <= when <= period[1]
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
    # A departure the person asks for is not an enforced removal; any risk is weighed by the
    # non-refoulement rule.
    if measure.flag("voluntary"):
        return Verdict(
            OK,
            "The person freely asks to go home: the right to return lets them leave without undue "
            "delay, a reflection period notwithstanding.",
        )
    return None


@rule("return", "asylum_claim_pending", "RPG.G2.7", "HRS.19", "FS36.III.H.asylum-non-refoulement")
def _asylum_pending(measure: Measure, context: Context) -> Verdict | None:
    if measure.flag("voluntary"):
        return None
    if measure.flag("asylum_claim_pending"):
        return Verdict(VIOLATION, "The person would be removed while their asylum claim is pending.")
    if measure.flag("asylum_claim_pending") is None and context.person.asylum_seeker:
        return Verdict(
            JUSTIFY,
            "The person is seeking asylum: record that the claim has been decided before any removal.",
            ("asylum_claim_pending",),
        )
    return None


@rule("return", "initial_residence_period", "HRS.17")
def _initial_residence_period(measure: Measure, context: Context) -> Verdict | None:
    grounds = context.case.reasonable_grounds_on or context.case.identified_on
    if not context.protected or measure.flag("voluntary") or grounds is None or context.person.non_national is False:
        return None
    when = measure.date or context.at
    if when <= due_after(context.framework, "initial_temporary_residence_months", grounds, grounds):
        return Verdict(
            JUSTIFY,
            "The Standards call for deportation to be stayed, with residence and the right to work, for an "
            "initial period in which the person decides whether to take legal action; record why removal "
            "cannot wait until it ends.",
            ("justification",),
        )
    return None


@rule("return", "reintegration", "RPG.G6.8", "HRS.26", "FS36.III.D.reintegration")
def _reintegration(measure: Measure, context: Context) -> Verdict | None:
    if context.protected and measure.flag("reintegration_support") is not True:
        return Verdict(
            JUSTIFY,
            "Reintegration support is not recorded as arranged: returned victims are owed health care, "
            "housing, education and work support to prevent re-trafficking; record how it is provided.",
            ("reintegration_support",),
        )
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
    return required(
        measure,
        ("legal_basis", "due_process"),
        "A return the person does not want is an expulsion: it must follow the law and let the person "
        "present reasons against it.",
    )


@rule("return", "identification_incomplete", "RPG.G2.1", "RPG.G2.7", "FS36.III.C.victim-identification")
def _return_before_identification(measure: Measure, context: Context) -> Verdict | None:
    if context.victim_status == "possible" and not context.protected and not measure.flag("voluntary"):
        return Verdict(
            JUSTIFY,
            "Screening is not finished: a person who may be a victim should not be removed until "
            "identification is complete.",
            ("justification",),
        )
    return None
