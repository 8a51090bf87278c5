"""Screening: does a situation meet the international definition of trafficking (TIP.3a-3d)?

An adult needs action + means + purpose; a child (or a person presumed to be one) needs
action + purpose only. Consent never enters the decision: it is irrelevant once a means is
used (TIP.3b) and always for a child (TIP.3c). Neither a border crossing nor movement is
needed. The finding is graded, never "not a victim".
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from functools import lru_cache

from rightsfirst.engine.citations import cites
from rightsfirst.engine.indicators import assess_indicators, validate_indicator_ids
from rightsfirst.engine.inputs import Person, Situation
from rightsfirst.engine.results import (
    ElementResult,
    IndicatorResult,
    MissingFact,
    RelatedPractice,
    ScreeningResult,
    merge_citations,
)
from rightsfirst.framework.model import Framework

DEFINITION = cites("screen.definition", "TIP.3a", "FS36.I.A.definition")
ACTION_WITHOUT_MOVEMENT = cites("screen.action_without_movement", "FS36.I.B.no-movement")
NO_BORDER_NEEDED = cites("screen.no_border_needed", "FS36.I.B.no-border", "HRS.DEF.trafficking")
CHILD_NO_MEANS = cites("screen.child_no_means", "TIP.3c", "TIP.3d", "RPG.G8.1", "FS36.I.A.children")
PRESUMPTION_OF_AGE = cites("screen.presumption_of_age", "FS36.III.C.child-identification", "RPG.P10", "RPG.G8.2")
CONSENT_IRRELEVANT = cites("screen.consent_irrelevant", "TIP.3b", "FS36.I.B.no-consent")
CONSENT_CHILD = cites("screen.consent_child", "TIP.3c", "HRS.DEF.trafficked-person")
ADULT_CONSENT_NO_MEANS = cites("screen.adult_consent_no_means", "HRS.DEF.trafficked-person")
OPEN_PURPOSES = cites("screen.open_list_of_purposes", "FS36.I.B.all-persons")
NOT_SMUGGLING = cites("screen.not_smuggling", "FS36.I.B.not-smuggling", "RPG.G2", "RPG.G2.7")
INDICATORS = cites("screen.indicators", "RPG.G2.1", "FS36.III.C.victim-identification")
RELATED_PRACTICES = cites("screen.related_practices", "RPG.P12", "RPG.G4.1", "HRS.11", "FS36.III.F.criminalization")
NOT_ESTABLISHED_IS_NOT_A_VERDICT = cites("screen.not_a_verdict", "RPG.G2", "FS36.III.C.victim-identification")

PURPOSES_BEYOND_MINIMUM = frozenset(
    {"forced_marriage", "forced_begging", "forced_criminality", "debt_bondage", "other_exploitation"}
)
RELATED_PRACTICE_PURPOSES = frozenset(
    {
        "forced_labour",
        "forced_services",
        "slavery",
        "practices_similar_to_slavery",
        "servitude",
        "debt_bondage",
        "forced_marriage",
    }
)
MOVEMENT_ACTIONS = frozenset({"transportation", "transfer"})

QUESTIONS = {
    "actions": (
        "Was the person recruited, transported, transferred, harboured (kept somewhere) or "
        "received by someone? Movement is not needed."
    ),
    "means": (
        "Did anyone use threats, force, coercion, abduction, fraud, deception, abuse of power or "
        "of the person's vulnerability, payments to someone in control of them, or debt bondage?"
    ),
    "purposes": (
        "Was the person exploited, or meant to be: for example sexual exploitation, forced "
        "labour or services, slavery or similar practices, servitude, removal of organs, forced "
        "marriage, forced begging or forced crime?"
    ),
    "person.age": ("How old is the person, and is the age established (documents or an age assessment)?"),
    "person.indications_of_minority": (
        "Is there any reason to believe the person may be under 18 (appearance, doubtful or "
        "missing documents, what they or others say)?"
    ),
}
WHY = {
    "actions": "The action element decides the finding; without it the definition cannot be met.",
    "means": "For an adult, a means is required; once any means is used, consent is irrelevant.",
    "purpose": "An exploitative purpose is required; exploitation need not have happened yet.",
    "age": "A child needs no means element; whether the person is a child can change the finding.",
}


def age_status(person: Person, majority: float) -> tuple[bool, str]:
    """Whether the person is treated as a child, and on what basis.

    An established age decides. Without one, any reason to believe the person is a child (a
    stated age or an estimate below majority, or any indication of minority) triggers the
    presumption of age: the person is treated as a child until the age is established.
    """
    if person.age is not None:
        return person.age < majority, "established_age"
    if (
        (person.stated_age is not None and person.stated_age < majority)
        or (person.age_range is not None and person.age_range[0] < majority)
        or person.indications_of_minority
    ):
        return True, "presumption_of_age"
    if person.stated_age is None and person.age_range is None and person.indications_of_minority is None:
        return False, "age_not_known"
    return False, "no_reason_to_believe_child"


def definition_age_status(person: Person, majority: float) -> tuple[bool, str]:
    """Whether the child definition applies: the age when the acts took place decides.

    Someone recruited at 16 was trafficked as a child (TIP.3c-3d) even if they are an adult now;
    their present age still governs what they are owed today.
    """
    if person.age_at_action is not None and person.age_at_action < majority:
        return True, "age_at_action"
    return age_status(person, majority)


def _list_status(values: tuple[str, ...] | None) -> str:
    if values is None:
        return "unknown"
    return "met" if values else "not_met"


def decide(action: str, means: str, purpose: str, child_mode: str, smuggling_for_profit: bool) -> str:
    """The finding from element statuses (met, not_met, unknown, probable) and the age path.

    child_mode is "adult", "child_established" or "child_presumed".
    """
    if smuggling_for_profit and purpose == "not_met":
        return "smuggling_only"
    required = (action, purpose) if child_mode != "adult" else (action, means, purpose)
    if "not_met" in required:
        return "not_established"
    if "unknown" in required:
        return "insufficient_information"
    if "probable" in required:
        return "presumed"
    # Under the presumption of age the child path is only provisional, unless the adult
    # definition (with a means) is met as well.
    if child_mode == "child_presumed" and means != "met":
        return "presumed"
    return "established"


def _age_unsettled(person: Person, basis: str) -> bool:
    if person.age is not None or basis == "age_at_action":
        return False
    return basis in {"presumption_of_age", "age_not_known"} or person.indications_of_minority is None


@lru_cache(maxsize=4_096)
def _missing_facts(
    statuses: tuple[str, str, str],
    unknown_elements: tuple[str, ...],
    child_mode: str,
    age_unsettled: bool,
    smuggling_for_profit: bool,
) -> tuple[str, ...]:
    """Facts still unknown whose answer could change the finding.

    Each unknown fact ranges over its possible answers; a fact matters if two completions
    that differ only in it give different findings. (Memoised: the inputs are a handful of
    statuses, so the same questions recur across cases.)
    """
    current = dict(zip(("action", "means", "purpose"), statuses, strict=True))
    variables: list[tuple[str, tuple[str, ...]]] = [(name, ("met", "not_met")) for name in unknown_elements]
    if age_unsettled:
        variables.append(("age", ("adult", "child_established")))
    if not variables:
        return ()
    names = [name for name, _ in variables]
    outcomes: dict[tuple[str, ...], str] = {}
    for combination in itertools.product(*(values for _, values in variables)):
        assignment = dict(zip(names, combination, strict=True))
        mode = assignment.get("age", child_mode)
        outcomes[combination] = decide(
            assignment.get("action", current["action"]),
            assignment.get("means", current["means"]),
            assignment.get("purpose", current["purpose"]),
            mode,
            smuggling_for_profit,
        )
    relevant = []
    for index, name in enumerate(names):
        if any(
            outcomes[combination] != outcomes[combination[:index] + (other,) + combination[index + 1 :]]
            for combination in outcomes
            for other in variables[index][1]
            if other != combination[index]
        ):
            relevant.append(name)
    return tuple(relevant)


@lru_cache(maxsize=16_384)
def _element(
    name: str,
    values: tuple[str, ...] | None,
    probable: bool,
    indicated_by: tuple[str, ...],
    citations: tuple[str, ...],
    what: str,
) -> ElementResult:
    status = _list_status(values)
    if status == "met":
        reason = f"{what.capitalize()} recorded: {', '.join(v.replace('_', ' ') for v in values or ())}."
    elif status == "not_met":
        reason = f"No {what} was found (recorded as looked for, none found)."
    elif probable:
        reason = f"No {what} is recorded, but the indicators make one probable."
    else:
        reason = f"Not known whether there was any {what}."
    return ElementResult(name, status, tuple(values or ()), reason, citations, probable, indicated_by)


def _dimensions_bearing(indicators: IndicatorResult | None, bears_on: str) -> tuple[str, ...]:
    if indicators is None:
        return ()
    return tuple(item.dimension for item in indicators.dimensions if item.positive and item.bears_on == bears_on)


def screen(situation: Situation, at: dt.date, framework: Framework) -> ScreeningResult:
    """Apply the international definition to one situation on the date `at`."""
    majority = float(framework.parameter("age_of_majority", at))
    child, age_basis = definition_age_status(situation.person, majority)
    if child:
        child_mode = "child_presumed" if age_basis == "presumption_of_age" else "child_established"
    else:
        child_mode = "adult"

    indicators: IndicatorResult | None = None
    if situation.indicators:
        validate_indicator_ids(framework.indicators, situation.indicators)
        indicators = assess_indicators(
            framework.indicators,
            situation.indicators,
            child,
            situation.purposes,
            age_uncertain=age_basis == "presumption_of_age",
        )

    notes: list[str] = []
    citation_groups: list[tuple[str, ...]] = [DEFINITION]

    # Action.
    action_citations: tuple[str, ...] = DEFINITION
    if situation.actions and not (set(situation.actions) & MOVEMENT_ACTIONS):
        action_citations += ACTION_WITHOUT_MOVEMENT
    if situation.crossed_border is False:
        action_citations += NO_BORDER_NEEDED
        notes.append("Trafficking does not require crossing a border: internal trafficking is covered.")
    action_indicated = tuple(item.dimension for item in indicators.dimensions if item.positive) if indicators else ()
    action = _element(
        "action",
        situation.actions,
        situation.actions is None and bool(action_indicated),
        action_indicated if situation.actions is None else (),
        action_citations,
        "action",
    )

    # Means.
    means_indicated = _dimensions_bearing(indicators, "means")
    means_status = _list_status(situation.means)
    if means_status == "unknown" and means_indicated:
        means_status = "probable"
    if child_mode == "child_presumed" and situation.means:
        # The adult definition is met too, so the finding does not rest on the presumption of age.
        citation_groups.append(PRESUMPTION_OF_AGE)
        means = _element("means", situation.means, False, (), DEFINITION, "means")
    elif child:
        citation_groups.append(CHILD_NO_MEANS)
        if age_basis == "presumption_of_age":
            citation_groups.append(PRESUMPTION_OF_AGE)
        means = ElementResult(
            "means",
            "not_required",
            tuple(situation.means or ()),
            "The person is treated as a child, so no means is needed."
            + (
                " (The presumption of age applies until the age is established.)"
                if child_mode == "child_presumed"
                else ""
            ),
            CHILD_NO_MEANS + (PRESUMPTION_OF_AGE if child_mode == "child_presumed" else ()),
        )
    else:
        means = _element(
            "means",
            situation.means,
            means_status == "probable",
            means_indicated if situation.means is None else (),
            DEFINITION,
            "means",
        )

    # Purpose.
    purpose_indicated = _dimensions_bearing(indicators, "purpose")
    purpose_citations = DEFINITION
    if situation.purposes and set(situation.purposes) & PURPOSES_BEYOND_MINIMUM:
        purpose_citations += OPEN_PURPOSES
    purpose = _element(
        "purpose",
        situation.purposes,
        situation.purposes is None and bool(purpose_indicated),
        purpose_indicated if situation.purposes is None else (),
        purpose_citations,
        "exploitative purpose",
    )

    statuses = {
        "action": "probable" if action.probable else action.status,
        "means": means_status,
        "purpose": "probable" if purpose.probable else purpose.status,
    }
    smuggling = situation.smuggling
    smuggling_for_profit = bool(
        smuggling is not None and smuggling.facilitated_irregular_entry and smuggling.for_profit
    )
    finding = decide(statuses["action"], statuses["means"], statuses["purpose"], child_mode, smuggling_for_profit)

    # Indicators never silently override recorded facts: say so where they disagree.
    if indicators is not None:
        citation_groups.append(INDICATORS)
        for element, indicated in (
            ("action", action_indicated),
            ("means", means_indicated),
            ("purpose", purpose_indicated),
        ):
            if indicated and statuses[element] == "not_met" and not (element == "means" and child):
                notes.append(
                    f"The signs observed point to a {element} although none is recorded: check the "
                    "recorded facts before relying on this finding."
                )
        if not indicators.grades_verified:
            notes.append(
                "The weights used for signs of sexual exploitation are still being checked; give this "
                "indicator result less weight than the facts themselves."
            )

    # Consent: reported, never decisive.
    if situation.consent_to_exploitation:
        if child:
            citation_groups.append(CONSENT_CHILD)
            notes.append("A child's consent is always irrelevant.")
        elif means_status == "met":
            citation_groups.append(CONSENT_IRRELEVANT)
            notes.append("The person's consent is irrelevant because a means was used.")
        elif means_status == "not_met":
            citation_groups.append(ADULT_CONSENT_NO_MEANS)
            notes.append(
                "An adult agreed and no means is recorded; abuses at work may still be crimes "
                "even where the definition of trafficking is not met."
            )
        else:
            citation_groups.append(CONSENT_IRRELEVANT)
            notes.append("Consent settles nothing until it is known whether any means was used.")

    if smuggling_for_profit:
        citation_groups.append(NOT_SMUGGLING)

    # Related practices found without the action element.
    related: list[RelatedPractice] = []
    # Found without the action element: the action is known absent, or unknown with nothing pointing to it.
    if action.status == "not_met" or (action.status == "unknown" and not action.probable):
        practices = set(situation.purposes or ()) & RELATED_PRACTICE_PURPOSES
        if situation.means and "debt_bondage" in situation.means:
            practices.add("debt_bondage")
        for practice in sorted(practices):
            related.append(
                RelatedPractice(
                    practice,
                    f"{practice.replace('_', ' ').capitalize()} is a serious human rights violation and "
                    "a crime in its own right, whether or not the action element of trafficking is shown.",
                    RELATED_PRACTICES,
                )
            )
        if related:
            citation_groups.append(RELATED_PRACTICES)

    unknown_elements = [name for name in ("action", "means", "purpose") if statuses[name] in {"unknown", "probable"}]
    if child:
        unknown_elements = [name for name in unknown_elements if name != "means" or child_mode == "child_presumed"]
    age_unsettled = _age_unsettled(situation.person, age_basis)
    missing_names = (
        ()
        if finding == "established"
        else _missing_facts(
            (statuses["action"], statuses["means"], statuses["purpose"]),
            tuple(unknown_elements),
            child_mode,
            age_unsettled,
            smuggling_for_profit,
        )
    )
    missing = tuple(_missing_fact(name, situation.person, age_basis) for name in missing_names)

    if finding == "not_established":
        citation_groups.append(NOT_ESTABLISHED_IS_NOT_A_VERDICT)
    elements = (action, means, purpose)
    citations = merge_citations([*citation_groups, *(item.citations for item in elements)])
    explanation = _explain(
        finding,
        elements,
        child_mode,
        missing,
        tuple(related),
        (statuses["action"], statuses["means"], statuses["purpose"]),
    )
    return ScreeningResult(
        finding=finding,
        treated_as_child=child,
        age_basis=age_basis,
        elements=elements,
        missing_facts=missing,
        related_practices=tuple(related),
        indicators=indicators,
        notes=tuple(notes),
        citations=citations,
        explanation=explanation,
        at=at,
        framework_version=framework.version,
        profile=framework.profile.id,
    )


def _missing_fact(name: str, person: Person, age_basis: str) -> MissingFact:
    if name == "age":
        if (
            age_basis != "presumption_of_age"
            and person.indications_of_minority is None
            and (person.stated_age is not None or person.age_range is not None)
        ):
            field = "person.indications_of_minority"
        else:
            field = "person.age"
        return MissingFact(field, "age", QUESTIONS[field], WHY["age"])
    field = {"action": "actions", "means": "means", "purpose": "purposes"}[name]
    return MissingFact(field, name, QUESTIONS[field], WHY[name if name != "action" else "actions"])


def _names(values: Iterable[str]) -> str:
    return ", ".join(value.replace("_", " ") for value in values)


@lru_cache(maxsize=16_384)
def _explain(
    finding: str,
    elements: tuple[ElementResult, ...],
    child_mode: str,
    missing: tuple[MissingFact, ...],
    related: tuple[RelatedPractice, ...],
    element_statuses: tuple[str, str, str],
) -> str:
    statuses = dict(zip(("action", "means", "purpose"), element_statuses, strict=True))
    action, means, purpose = elements
    parts: list[str] = []
    child_text = {
        "adult": "",
        "child_established": "The person was under 18 when the acts took place, so no means is needed.",
        "child_presumed": (
            "The person's age is not established and there are reasons to believe they may be a "
            "child, so they are treated as a child, for whom no means is needed."
        ),
    }[child_mode]
    if finding == "established":
        parts.append(
            "The recorded facts meet the international definition of trafficking: "
            f"action ({_names(action.facts)})"
            + (f", means ({_names(means.facts)})" if means.status == "met" and means.facts else "")
            + f" and exploitative purpose ({_names(purpose.facts)})."
        )
        if child_mode == "child_presumed":
            parts.append(
                "This holds whatever the person's age; there are also reasons to believe they may be a "
                "child, so they are treated as a child until their age is established."
            )
        else:
            parts.append(child_text)
    elif finding == "presumed":
        parts.append("There are reasonable grounds to believe the person is trafficked.")
        parts.append(child_text)
        probable = [name for name, status in statuses.items() if status == "probable"]
        if probable:
            parts.append(f"No {' or '.join(probable)} is recorded yet, but the indicators make it probable.")
        else:
            parts.append("On that basis the action and the exploitative purpose are met.")
        parts.append(
            "Treat the person as a presumed victim, with full protection and support, until a decision is made."
        )
    elif finding == "insufficient_information":
        words = {"action": "an action", "means": "any means", "purpose": "an exploitative purpose"}
        open_elements = [
            name
            for name, status in statuses.items()
            if status in {"unknown", "probable"} and not (name == "means" and child_mode != "adult")
        ]
        suggested = [words[name] for name in open_elements if statuses[name] == "probable"]
        parts.append(
            "The recorded facts are not enough to decide: it is not known whether there was "
            + " or ".join(words[name] for name in open_elements)
            + (f" (the signs observed suggest {' and '.join(suggested)})" if suggested else "")
            + "."
        )
        parts.append(child_text)
    elif finding == "smuggling_only":
        parts.append(
            "The facts describe migrant smuggling: a facilitated irregular entry for profit, with "
            "no exploitative purpose found. Smuggling is not trafficking, but it can become "
            "trafficking: if exploitation was intended at any stage, record it and screen again. "
            "A smuggled person keeps the right to seek asylum."
        )
    else:
        absent = [element.element for element in elements if element.status == "not_met"]
        parts.append(
            "The recorded facts do not meet the definition: no "
            + " and no ".join(name if name != "purpose" else "exploitative purpose" for name in absent)
            + " was found. This is not a finding that the person was not trafficked."
        )
        age_open = any(item.field.startswith("person.") for item in missing)
        would_change = []
        for name in absent:
            if name == "means" and child_mode == "adult":
                would_change.append(
                    "evidence that any means was used" + (", or that the person is under 18" if age_open else "")
                )
            else:
                would_change.append(
                    "evidence of " + {"action": "an action", "purpose": "an exploitative purpose"}.get(name, "a means")
                )
        parts.append("It would change with " + "; or ".join(would_change) + ".")
        still_unknown = [
            {"action": "the action", "means": "the means", "purpose": "the exploitative purpose"}[name]
            for name, status in statuses.items()
            if status in {"unknown", "probable"} and not (name == "means" and child_mode != "adult")
        ]
        if still_unknown:
            parts.append(f"{' and '.join(still_unknown).capitalize()} would also have to be shown.")
    if missing:
        parts.append("Ask next: " + " ".join(item.question for item in missing))
    if related:
        parts.append(
            "Related practices found without the action element: "
            + _names(item.practice for item in related)
            + ". They are violations and crimes in their own right."
        )
    return " ".join(part for part in parts if part)
