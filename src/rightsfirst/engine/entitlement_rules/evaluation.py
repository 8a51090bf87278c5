"""Evaluating the entitlements for one person and case on a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

from rightsfirst.engine.entitlement_rules.declarations import (
    ADULT_RULES,
    ALL_ENTITLEMENT_IDS,
    ALL_RULES,
    CHILD_NOTES,
    IDENTIFICATION,
    NO_MANDATORY_TESTING,
    NO_TIMING,
    NON_CONDITIONALITY,
    NOTES,
    EntitlementRule,
    Facts,
    Timing,
    immediately,
    no_timing,
)
from rightsfirst.engine.inputs import Case, Person
from rightsfirst.engine.results import Entitlement, EntitlementsResult, ScreeningResult, merge_citations
from rightsfirst.engine.screening import age_status
from rightsfirst.engine.spec import InputError
from rightsfirst.framework.model import Framework

STATUS_RANK = {"not_established": 0, "possible": 1, "presumed": 2, "identified": 3}
STATUS_FROM_FINDING = {
    "established": "presumed",
    "presumed": "presumed",
    "insufficient_information": "possible",
    "not_established": "not_established",
    "smuggling_only": "not_established",
}


def victim_status(case: Case, screening: ScreeningResult | None, at: dt.date) -> str:
    """The person's status: the recorded decision or the screening finding, whichever protects more.

    A decision that the person is not a victim cannot take away protection the recorded facts
    call for (RPG.G2: a wrong identification denies rights); a screening finding never lowers a
    recorded decision either.
    """
    recorded = case.victim_status
    if recorded is None:
        if case.identified_on is not None and case.identified_on <= at:
            recorded = "identified"
        elif case.reasonable_grounds_on is not None and case.reasonable_grounds_on <= at:
            recorded = "presumed"
    found = STATUS_FROM_FINDING[screening.finding] if screening is not None else None
    candidates = [status for status in (recorded, found) if status is not None]
    if not candidates:
        return "possible"
    return max(candidates, key=STATUS_RANK.__getitem__)


def _status(rule: EntitlementRule, facts: Facts) -> str:
    if rule is IDENTIFICATION and (facts.case.reasonable_grounds_on or facts.case.identified_on):
        return "delivered"
    if not facts.case.services:
        return "pending"
    record = facts.case.service_status(rule.id, facts.at)
    if record is None:
        return "pending"
    if record.status in {"refused", "not_applicable"} and not rule.definition.may_be_refused:
        # What the person cannot give up stays owed, whatever was recorded.
        return "pending"
    return record.status


def _check_services(case: Case) -> None:
    for index, record in enumerate(case.services):
        if record.entitlement not in ALL_ENTITLEMENT_IDS:
            raise InputError(
                f"case.services[{index}].entitlement",
                f"{record.entitlement!r} is not an entitlement id",
                ALL_ENTITLEMENT_IDS,
            )


def entitlements(
    person: Person,
    case: Case,
    at: dt.date,
    framework: Framework,
    screening: ScreeningResult | None = None,
) -> EntitlementsResult:
    """What the person is entitled to on `at`, with due dates from the profile and the case."""
    majority = float(framework.parameter("age_of_majority", at))
    child, age_basis = age_status(person, majority)
    status = victim_status(case, screening, at)
    if child and status == "possible":
        # Presumption of status: a child who may be a victim is presumed one (FS36.III.C).
        status = "presumed"
    if case.services:
        _check_services(case)
    pending = case.pending_against_exploiters(at)
    started = [
        item
        for item in case.proceedings
        if (item.started_on is None or item.started_on <= at) and item.role != "defendant"
    ]
    own_pending = case.pending_proceedings(at)
    grounds_on = case.identified_on if case.reasonable_grounds_on is None else case.reasonable_grounds_on
    facts = Facts(
        person=person,
        case=case,
        at=at,
        victim_status=status,
        child=child,
        age_basis=age_basis,
        contact_on=case.referred_on,
        grounds_on=grounds_on,
        pending_proceedings=len(own_pending),
        pending_against_exploiters=len(pending),
        pending_criminal=sum(1 for item in pending if item.kind == "criminal"),
        any_proceedings=bool(started),
        any_criminal=any(item.kind == "criminal" for item in started),
        framework=framework,
        due_from_contact=immediately(framework, case.referred_on, at),
        due_from_grounds=immediately(framework, grounds_on or case.referred_on, at),
    )
    plan = _plan(facts)
    results: list[Entitlement] = []
    append = results.append
    services = case.services
    decided = case.reasonable_grounds_on is not None or case.identified_on is not None
    for rule, fixed, timing, pending_result in plan.entries:
        if fixed is not None:
            append(fixed)
            continue
        if services:
            service_status = _status(rule, facts)
        elif decided and rule is IDENTIFICATION:
            service_status = "delivered"
        else:
            service_status = "pending"
        when = NO_TIMING if timing is None else timing(facts)
        if when is NO_TIMING and pending_result is not None and service_status == "pending":
            append(pending_result)
            continue
        overdue = when.due is not None and service_status == "pending" and when.due < at
        append(
            Entitlement(
                rule.definition,
                True,
                "Applies.",
                service_status,
                when.due,
                when.starts,
                when.ends,
                when.ends_when,
                overdue,
            )
        )
    notes = CHILD_NOTES if child else NOTES
    citations = plan.citations
    return EntitlementsResult(
        victim_status=status,
        treated_as_child=child,
        entitlements=tuple(results),
        notes=notes,
        citations=citations,
        at=at,
        framework_version=framework.version,
        profile=framework.profile.id,
    )


def _status_reason(status: str) -> str:
    if status == "not_established":
        return (
            "The recorded facts do not give reasonable grounds to believe the person is trafficked; "
            "screen again if the facts change."
        )
    return "Applies once there are reasonable grounds to believe the person is trafficked."


class PlanEntry(NamedTuple):
    """One rule's place in a plan: its finished result if it does not apply, else how to time it."""

    rule: EntitlementRule
    fixed: Entitlement | None
    timing: Callable[[Facts], Timing] | None
    pending_result: Entitlement | None


class Plan(NamedTuple):
    """The entitlements that apply for one combination of facts, and their citations."""

    entries: tuple[PlanEntry, ...]
    citations: tuple[str, ...]


_PLANS: dict[tuple[object, ...], Plan] = {}


def _plan(facts: Facts) -> Plan:
    """Which rules apply, given the few facts their conditions read.

    Whether an entitlement applies never depends on dates, only on the person's status and a
    handful of yes/no facts, so the answer is worked out once per combination and shared;
    entries that do not apply carry their finished (immutable) result.
    """
    person = facts.person
    key = (
        facts.victim_status,
        facts.child,
        facts.age_basis,
        person.non_national,
        person.asylum_seeker,
        person.unaccompanied,
        facts.pending_proceedings > 0,
        facts.pending_against_exploiters > 0,
        facts.pending_criminal > 0,
        facts.any_proceedings,
        facts.any_criminal,
        facts.case.reasonable_grounds_on is None,
    )
    plan = _PLANS.get(key)
    if plan is None:
        entries: list[PlanEntry] = []
        applicable: list[tuple[str, ...]] = [NON_CONDITIONALITY, NO_MANDATORY_TESTING]
        for rule in ALL_RULES if facts.child else ADULT_RULES:
            reason = None if facts.victim_status in rule.statuses else _status_reason(facts.victim_status)
            if reason is None:
                reason = rule.applies(facts)
            if reason is not None:
                fixed = Entitlement(rule.definition, False, reason, "not_applicable")
                entries.append(PlanEntry(rule, fixed, None, None))
                continue
            applicable.append(rule.definition.basis)
            timing = None if rule.timing is no_timing else rule.timing
            entries.append(PlanEntry(rule, None, timing, Entitlement(rule.definition, True, "Applies.", "pending")))
        plan = _PLANS[key] = Plan(tuple(entries), merge_citations(applicable))
    return plan
