"""From the rules that fired to a review result: findings, outcome, explanation."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from rightsfirst.engine.citations import cites
from rightsfirst.engine.entitlement_rules import victim_status as derive_victim_status
from rightsfirst.engine.inputs import Case, Person
from rightsfirst.engine.measures import Measure
from rightsfirst.engine.results import OUTCOME_RANK, ReviewFinding, ReviewResult, ScreeningResult, merge_citations
from rightsfirst.engine.review_rules.registry import JUSTIFY, OK, RULES, VIOLATION, Context, Rule, Verdict
from rightsfirst.engine.screening import age_status
from rightsfirst.framework.model import Framework

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
    finding = screening.finding if screening is not None else None
    child_at_action = child or (screening is not None and screening.treated_as_child)
    context = Context(
        person, case, at, status, child, age_basis, framework, means_used, purposes, finding, child_at_action
    )
    return context, tuple(assumptions)


def review(measure: Measure, context: Context, assumptions: tuple[str, ...] = ()) -> ReviewResult:
    """Check one measure against every rule for its type."""
    fired: list[tuple[Rule, Verdict]] = []
    for candidate in RULES.get(measure.type, ()):
        verdict = candidate.check(measure, context)
        if verdict is not None:
            fired.append((candidate, verdict))
    outcome, findings, missing, citations, explanation = _conclude(
        measure.type, tuple(fired), context.victim_status == "not_established", bool(measure.facts.get("justification"))
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
def _conclude(
    measure_type: str, fired: tuple[tuple[Rule, Verdict], ...], not_established: bool, justified: bool
) -> Conclusion:
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
    if justified:
        # A justification is recorded: the outcome still says one is required, but nothing is missing.
        missing = tuple(name for name in missing if name != "justification")
    citations = merge_citations(item.citations for item in findings)
    return outcome, tuple(findings), missing, citations, _explain(outcome, findings)


def _explain(outcome: str, findings: list[ReviewFinding]) -> str:
    if outcome == VIOLATION:
        reasons = [item.reason for item in findings if item.outcome == VIOLATION]
        return (
            "This measure breaches the obligations: it must not go ahead, or must end now if already taken. "
            + " ".join(reasons)
        )
    if outcome == JUSTIFY:
        reasons = [item.reason for item in findings if item.outcome == JUSTIFY]
        return "This measure may go ahead (or continue) only with a recorded justification: " + " ".join(reasons)
    return " ".join(item.reason for item in findings)
