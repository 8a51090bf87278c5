"""Readable plain-text reports of engine results, for the command line."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from rightsfirst.engine.results import Assessment, EntitlementsResult, ReviewResult, ScreeningResult
from rightsfirst.framework.model import Framework

WIDTH = 88
FINDING_LABELS = {
    "established": "ESTABLISHED: the facts meet the definition of trafficking",
    "presumed": "PRESUMED VICTIM: reasonable grounds to believe the person is trafficked",
    "insufficient_information": "INSUFFICIENT INFORMATION: more facts are needed",
    "not_established": "NOT ESTABLISHED on the recorded facts (not a finding that the person was not trafficked)",
    "smuggling_only": "SMUGGLING ONLY on the recorded facts (not trafficking; re-screen if exploitation appears)",
}
OUTCOME_LABELS = {
    "violation": "VIOLATION",
    "requires_justification": "REQUIRES JUSTIFICATION",
    "ok": "OK",
}


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def _citations(ids: Iterable[str], framework: Framework, indent: str = "  ") -> list[str]:
    lines = []
    for provision_id in ids:
        provision = framework.provisions.get(provision_id)
        title = provision.title if provision else "(unknown provision)"
        lines.append(f"{indent}{provision_id:<34} {title}")
    return lines


def screening_report(result: ScreeningResult, framework: Framework) -> str:
    """The screening result as text."""
    lines = [f"Screening at {result.at.isoformat()}: {FINDING_LABELS[result.finding]}"]
    age = {
        "established_age": "on the established age",
        "age_at_action": "a child when the acts took place",
        "presumption_of_age": "under the presumption of age, until the age is established",
        "age_not_known": "age not known",
        "no_reason_to_believe_child": "no reason to believe the person is a child",
    }[result.age_basis]
    lines.append(f"  Treated as a child: {'yes' if result.treated_as_child else 'no'}, {age}")
    for element in result.elements:
        status = element.status.replace("_", " ") + (" (probable from indicators)" if element.probable else "")
        lines.append(f"  {element.element.capitalize():<8} {status}: {element.reason}")
    if result.indicators is not None:
        pointing = [item for item in result.indicators.dimensions if item.positive]
        if pointing:
            described = "; ".join(f"{item.title.lower()} ({item.dimension})" for item in pointing)
            lines.append(f"  Signs observed point to: {described}")
        else:
            lines.append("  Signs observed: not enough, on their own, to point to any element")
    lines.append("")
    lines.append(_wrap(result.explanation))
    for note in result.notes:
        lines.append(_wrap("Note: " + note))
    if result.missing_facts:
        lines.append("  Fields to complete: " + ", ".join(fact.field for fact in result.missing_facts))
    if result.related_practices:
        lines.append("  Related practices: " + ", ".join(item.practice for item in result.related_practices))
    lines.append("  Cited:")
    lines.extend(_citations(result.citations, framework, "    "))
    return "\n".join(lines)


def entitlements_report(result: EntitlementsResult, framework: Framework) -> str:
    """The entitlements as text, overdue items first."""
    lines = [
        f"Entitlements at {result.at.isoformat()} (status: {result.victim_status.replace('_', ' ')}"
        + (", treated as a child" if result.treated_as_child else "")
        + ")"
    ]
    applicable = [item for item in result.entitlements if item.applies]
    applicable.sort(key=lambda item: (not item.overdue, item.due or result.at))
    for item in applicable:
        timing = []
        if item.due:
            timing.append(f"due {item.due.isoformat()}")
        if item.starts and item.ends:
            timing.append(f"{item.starts.isoformat()} to {item.ends.isoformat()}")
        elif item.ends_when:
            timing.append(f"ends {item.ends_when}")
        flag = "OVERDUE " if item.overdue else ""
        lines.append(f"  {flag}{item.title} [{item.status}]" + (f" - {'; '.join(timing)}" if timing else ""))
        lines.append(_wrap(item.description, "      "))
        lines.append("      Basis: " + ", ".join(item.basis))
    skipped = [item for item in result.entitlements if not item.applies]
    if skipped:
        lines.append("  Not applicable now:")
        for item in skipped:
            lines.append(_wrap(f"- {item.title}: {item.reason}", "    "))
    for note in result.notes:
        lines.append(_wrap("Note: " + note))
    del framework
    return "\n".join(lines)


def review_report(result: ReviewResult, framework: Framework) -> str:
    """One measure's review as text."""
    when = f" on {result.measure_date.isoformat()}" if result.measure_date else ""
    lines = [f"Review of {result.measure_type.replace('_', ' ')}{when}: {OUTCOME_LABELS[result.outcome]}"]
    for assumption in result.assumptions:
        lines.append(_wrap("Assumed: " + assumption))
    for finding in result.findings:
        lines.append(_wrap(f"[{OUTCOME_LABELS[finding.outcome]}] {finding.reason}"))
        lines.append("      Basis: " + ", ".join(finding.citations))
    if result.missing:
        lines.append("  To record: " + ", ".join(name.replace("_", " ") for name in result.missing))
    del framework
    return "\n".join(lines)


def assessment_report(result: Assessment, framework: Framework, title: str | None = None) -> str:
    """The whole assessment as text."""
    parts = []
    if title:
        parts.append(title)
        parts.append("-" * min(len(title), WIDTH))
    if result.screening is not None:
        parts.append(screening_report(result.screening, framework))
        parts.append("")
    parts.append(entitlements_report(result.entitlements, framework))
    for item in result.reviews:
        parts.append("")
        parts.append(review_report(item, framework))
    parts.append("")
    parts.append(
        f"Overall review outcome: {OUTCOME_LABELS[result.outcome]}  "
        f"(framework {result.framework_version}, profile {result.profile})"
    )
    return "\n".join(parts)
