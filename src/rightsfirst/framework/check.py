"""`rightsfirst framework check`: prove the framework is complete and every citation resolves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rightsfirst.framework.loader import check_citations
from rightsfirst.framework.model import Framework

# Numbered paragraphs per Guideline in E/2002/68/Add.1 (93 in all).
GUIDELINE_PARAGRAPHS = (10, 7, 7, 11, 9, 8, 9, 10, 3, 7, 12)
REQUIRED_PARAMETERS = (
    "age_of_majority",
    "recovery_reflection_min_days",
    "identification_decision_target_days",
    "guardian_appointment_target_days",
    "initial_temporary_residence_months",
    "immediate_support_days",
)
FS36_SECTIONS = ("III.C", "III.D", "III.E", "III.F", "III.G", "III.H", "IV.E")


@dataclass(frozen=True, slots=True)
class CheckLine:
    """One line of the check report: what was counted, how many, how many expected."""

    label: str
    found: int
    expected: int | None

    @property
    def ok(self) -> bool:
        """True when the count meets the expectation (or there is none)."""
        return self.expected is None or self.found == self.expected


def _expected_ids() -> dict[str, list[str]]:
    guideline_paragraphs = [
        f"RPG.G{number}.{paragraph}"
        for number, count in enumerate(GUIDELINE_PARAGRAPHS, start=1)
        for paragraph in range(1, count + 1)
    ]
    return {
        "Recommended Principles (RPG.P1-P17)": [f"RPG.P{number}" for number in range(1, 18)],
        "Guideline opening statements (RPG.G1-G11)": [f"RPG.G{number}" for number in range(1, 12)],
        "Guideline paragraphs (RPG.Gn.m)": guideline_paragraphs,
        "1999 Standards, State responsibilities (HRS.1-29)": [f"HRS.{number}" for number in range(1, 30)],
        "1999 Standards, definitions (HRS.DEF.*)": [
            "HRS.DEF.trafficking",
            "HRS.DEF.trafficked-person",
            "HRS.DEF.trafficker",
        ],
        "Trafficking Protocol article 3 (TIP.3a-3d)": ["TIP.3a", "TIP.3b", "TIP.3c", "TIP.3d"],
    }


def run_check(framework: Framework, cited: Mapping[str, Iterable[str]]) -> tuple[list[CheckLine], list[str]]:
    """Count what the framework holds against what it must hold; list every problem."""
    lines: list[CheckLine] = []
    problems: list[str] = []
    for label, ids in _expected_ids().items():
        present = [provision_id for provision_id in ids if provision_id in framework.provisions]
        lines.append(CheckLine(label, len(present), len(ids)))
        problems.extend(
            f"missing provision {provision_id}" for provision_id in ids if provision_id not in framework.provisions
        )
    for section in FS36_SECTIONS:
        count = sum(1 for provision_id in framework.provisions if provision_id.startswith(f"FS36.{section}."))
        lines.append(CheckLine(f"Fact Sheet 36 chapter {section} provisions", count, None))
        if count == 0:
            problems.append(f"no provisions for Fact Sheet 36 chapter {section}")
    lines.append(CheckLine("Provisions in all", len(framework.provisions), None))
    catalogue = framework.indicators
    lines.append(CheckLine("Indicator dimensions (D1-D6)", len(catalogue.dimensions), 6))
    lines.append(CheckLine("Indicators", len(catalogue.indicators), None))
    for name in REQUIRED_PARAMETERS:
        if name not in framework.profile.parameters:
            problems.append(f"profile {framework.profile.id} lacks parameter {name}")
    lines.append(
        CheckLine(
            f"Profile '{framework.profile.id}' parameters the engine needs",
            sum(1 for name in REQUIRED_PARAMETERS if name in framework.profile.parameters),
            len(REQUIRED_PARAMETERS),
        )
    )
    citation_problems = check_citations(framework, cited)
    problems.extend(citation_problems)
    total = sum(len(tuple(ids)) for ids in cited.values())
    lines.append(
        CheckLine(f"Citations used by {len(cited)} rules, all resolving", total - len(citation_problems), total)
    )
    problems.extend(
        f"{line.label}: found {line.found}, expected {line.expected}"
        for line in lines
        if not line.ok and not line.label.startswith("Citations")
    )
    return lines, sorted(set(problems))
