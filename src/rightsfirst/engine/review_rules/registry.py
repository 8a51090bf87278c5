"""The review rule registry: the context a rule sees, its verdict, and how rules are declared."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from rightsfirst.engine.citations import cites
from rightsfirst.engine.inputs import Case, Person
from rightsfirst.engine.measures import Measure
from rightsfirst.framework.model import Framework

VIOLATION = "violation"
JUSTIFY = "requires_justification"
OK = "ok"


class Context(NamedTuple):
    """What the review knows about the person and the case."""

    person: Person
    case: Case
    at: dt.date
    victim_status: str
    child: bool
    age_basis: str
    framework: Framework
    means_used: bool | None = None
    purposes: tuple[str, ...] = ()
    finding: str | None = None  # the screening finding, when the facts were screened
    child_at_action: bool = False  # under 18 when the acts took place: the child definition applies

    @property
    def protected(self) -> bool:
        """Presumed or identified victims carry every protection of the framework; so does a
        child who may be a victim, presumed one until decided otherwise (FS36.III.C)."""
        return self.victim_status in {"presumed", "identified"} or (self.child and self.victim_status == "possible")

    @property
    def possibly_trafficked(self) -> bool:
        """Anyone not yet found outside the definition: identification may still be pending."""
        return self.victim_status != "not_established"


class Verdict(NamedTuple):
    """What a rule says when it fires."""

    outcome: str
    reason: str
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule: which measure, what it cites, which rule it is an exception to."""

    measure_type: str
    label: str
    citations: tuple[str, ...]
    check: Callable[[Measure, Context], Verdict | None]
    exception_to: str | None


RULES: dict[str, list[Rule]] = {}

RuleCheck = Callable[[Measure, Context], Verdict | None]


def rule(
    measure_type: str, label: str, *citations: str, exception_to: str | None = None
) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule for a measure type."""

    def register(check: RuleCheck) -> RuleCheck:
        name = f"{measure_type}.{label}"
        rules = RULES.setdefault(measure_type, [])
        if any(existing.label == label for existing in rules):
            raise ValueError(f"rule {name} registered twice")
        if exception_to is not None and not any(existing.label == exception_to for existing in rules):
            raise ValueError(f"rule {name} is an exception to unknown rule {exception_to}")
        rules.append(Rule(measure_type, label, cites(f"review.{name}", *citations), check, exception_to))
        return check

    return register


def not_shown(measure: Measure, names: tuple[str, ...]) -> tuple[str, ...]:
    """The named facts not recorded as true: what a justification still has to show."""
    facts = measure.facts
    return tuple([name for name in names if facts.get(name) is not True])


def spoken(missing: tuple[str, ...]) -> str:
    """Field names as words, for a reason a person reads."""
    return ", ".join(name.replace("_", " ") for name in missing)


def required(measure: Measure, names: tuple[str, ...], requirement: str) -> Verdict | None:
    """Every named safeguard must be in place.

    Recorded as false, the measure fails the test (violation); not recorded, it has to be shown
    (requires_justification, naming what is missing); all true, nothing to say.
    """
    facts = measure.facts
    absent = tuple([name for name in names if facts.get(name) is False])
    if absent:
        return Verdict(VIOLATION, f"{requirement} Recorded as absent: {spoken(absent)}.")
    unknown = tuple([name for name in names if facts.get(name) is None])
    if unknown:
        return Verdict(JUSTIFY, f"{requirement} Not shown: {spoken(unknown)}.", unknown)
    return None


def proceedings_pending(measure: Measure, context: Context) -> bool:
    """Whether proceedings against the person's exploiters are pending when the measure applies.

    Read from the measure's own tick and from the case record; either saying so is enough, so
    that a conflict is resolved in the person's favour.
    """
    if measure.flag("proceedings_pending"):
        return True
    return bool(context.case.pending_against_exploiters(measure.date or context.at))
