"""The acts of case work, each in one transaction with its audit entry.

Views and the API call these; they hold no rules of law themselves: every measure goes
through the engine's review (via the adapter) before it is saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from rightsfirst import engine
from rightsfirst.web import adapter, approvals, audit, blind_index
from rightsfirst.web.access import require
from rightsfirst.web.lifecycle import may_move
from rightsfirst.web.models import (
    Agency,
    Case,
    CaseRestriction,
    Consent,
    Deadline,
    Measure,
    Person,
    Referral,
    Screening,
    ServiceEvent,
    StageChange,
)
from rightsfirst.web.models.security import Approval
from rightsfirst.web.roles import may_record_measure

SERVICE_DONE = ("delivered", "not_applicable", "refused")


class MeasureBlocked(Exception):
    """The engine found a violation and no override was recorded."""

    def __init__(self, review: engine.ReviewResult) -> None:
        self.review = review
        super().__init__(review.explanation)


class JustificationNeeded(Exception):
    """The engine asks for a written justification before the measure can be saved."""

    def __init__(self, review: engine.ReviewResult) -> None:
        self.review = review
        super().__init__(review.explanation)


class NotAllowed(Exception):
    """A precondition of the act is not met (e.g. referral without consent); the message says which."""


def today() -> dt.date:
    return timezone.localdate()


@transaction.atomic
def create_case(
    user: Any,
    identity: dict[str, Any],
    referred_on: dt.date,
    sex: str = "not_known",
    nationality: str = "",
    preferred_language: str = "en",
) -> Case:
    """Register a person and open a case for them, held by the user's agency."""
    membership = require(user, "case.create")
    person = Person(sex=sex, nationality=nationality.upper(), preferred_language=preferred_language)
    case = Case(person=person, holding_agency=membership.agency, created_by=user, referred_on=referred_on)
    # The identity is sealed under the case's data key, so the case has its key before either is saved.
    case.ensure_data_key()
    person.set_identity(case, identity)
    person.save()
    case.save()
    blind_index.index_case(case, identity)
    audit.record(user, "case.create", case=case)
    refresh(case)
    return case


@transaction.atomic
def update_identity(user: Any, case: Case, identity: dict[str, Any], reason: str) -> None:
    require(user, "identity.edit")
    case.person.set_identity(case, identity)
    case.person.save()
    blind_index.index_case(case, identity)
    audit.record(user, "identity.edit", case=case, fields=",".join(sorted(identity)), reason=reason)


@transaction.atomic
def screen(user: Any, case: Case, situation: dict[str, Any], at: dt.date | None = None) -> Screening:
    """Screen the facts (validated by the engine) and keep the result beside the earlier ones."""
    require(user, "screening.edit")
    return _store_screening(user, case, situation, at or today())


def _store_screening(user: Any, case: Case, situation: dict[str, Any], at: dt.date, why: str = "") -> Screening:
    parsed = engine.situation_from_data(situation, "situation")  # raises InputError with the field path
    result = engine.screen(parsed, at, adapter.framework())
    number = (case.screenings.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    screening = Screening.objects.create(
        case=case,
        number=number,
        situation=situation,
        result=result.to_json(),
        finding=result.finding,
        treated_as_child=result.treated_as_child,
        framework_version=result.framework_version,
        profile=result.profile,
        assessed_on=at,
        screened_by=user,
    )
    if case.stage == "referred":
        case.stage = "screening"
        StageChange.objects.create(case=case, from_stage="referred", to_stage="screening", changed_by=user)
    audit.record(user, "screening.record", case=case, target=f"screening {number}: {result.finding}", reason=why)
    refresh(case, at)
    return screening


def review(case: Case, measure_type: str, facts: dict[str, Any], decided_on: dt.date | None) -> engine.ReviewResult:
    """The engine's review of a proposed measure, without saving anything."""
    measure = engine.measure_from_data(adapter.measure_data(measure_type, decided_on, facts))
    return adapter.review_proposed(case, measure, decided_on or today())


@transaction.atomic
def record_measure(
    user: Any,
    case: Case,
    measure_type: str,
    facts: dict[str, Any],
    decided_on: dt.date,
    details: dict[str, Any] | None = None,
    override_justification: str = "",
) -> Measure:
    """Review the measure and save it only if the review allows it.

    A violation blocks it unless a coordinator records an override with a written justification;
    a finding that asks for a justification blocks it until `facts["justification"]` is given.
    """
    membership = require(user, "measure.record")
    if not may_record_measure(membership.role, measure_type):
        raise PermissionDenied
    result = review(case, measure_type, facts, decided_on)
    overridden = False
    if result.outcome == "violation":
        if not override_justification.strip():
            raise MeasureBlocked(result)
        require(user, "measure.override")
        overridden = True
    elif result.outcome == "requires_justification" and not str(facts.get("justification") or "").strip():
        raise JustificationNeeded(result)
    measure = Measure.objects.create(
        case=case,
        measure_type=measure_type,
        decided_on=decided_on,
        facts=facts,
        details=details or {},
        outcome=result.outcome,
        review=result.to_json(),
        framework_version=adapter.framework().version,
        overridden=overridden,
        override_justification=override_justification.strip() if overridden else "",
        overridden_by=user if overridden else None,
        agency=membership.agency,
        recorded_by=user,
    )
    audit.record(user, "measure.record", case=case, target=f"{measure_type} #{measure.pk}: {result.outcome}")
    if overridden:
        rules = ",".join(f.rule for f in result.findings if f.outcome == "violation")
        # The justification itself stays on the measure, sealed: the audit log is kept for ever and
        # must hold no narrative that the case's erasure could not reach.
        audit.record(user, "measure.override", case=case, target=f"{measure_type} #{measure.pk}", fields=rules)
    _apply_decision_dates(case, measure_type, facts, decided_on)
    if measure_type == "age_assessment" and facts.get("outcome_age") is not None and not overridden:
        _apply_assessed_age(user, case, float(facts["outcome_age"]), decided_on)
    refresh(case)
    return measure


def _apply_assessed_age(user: Any, case: Case, age: float, decided_on: dt.date) -> None:
    # Until an age assessment decides, a person who may be a child is treated as one; its result
    # becomes the established age of a new screening (the earlier ones are kept). An assessment
    # recorded only by override (one the engine found unlawful) decides nothing.
    latest = case.screenings.order_by("-number").first()
    situation = dict(latest.situation) if latest else {}
    person = dict(situation.get("person") or {})
    person["age"] = int(age) if float(age).is_integer() else age
    situation["person"] = person
    _store_screening(user, case, situation, max(decided_on, today()), why="age assessment recorded")


def _apply_decision_dates(case: Case, measure_type: str, facts: dict[str, Any], decided_on: dt.date) -> None:
    # Decisions that start the clocks of entitlements also set the case dates the engine reads.
    if measure_type == "identification_decision":
        if facts.get("decision") == "presumed_victim" and case.reasonable_grounds_on is None:
            case.reasonable_grounds_on = decided_on
        elif facts.get("decision") == "identified" and case.identified_on is None:
            case.identified_on = decided_on
    elif measure_type == "reflection_period" and facts.get("granted"):
        case.reflection_period_started_on = case.reflection_period_started_on or decided_on
        if facts.get("days") is not None:
            case.reflection_period_days = int(facts["days"])
    case.save()


@transaction.atomic
def record_service(
    user: Any, case: Case, entitlement: str, status: str, on: dt.date, agency: Agency | None = None, note: str = ""
) -> ServiceEvent:
    """Record a step for one entitlement. A refusal is recorded and changes nothing else."""
    membership = require(user, "service.record")
    event = ServiceEvent.objects.create(
        case=case,
        entitlement=entitlement,
        status=status,
        on=on,
        agency=agency or membership.agency,
        note=note,
        recorded_by=user,
    )
    audit.record(user, "service.record", case=case, target=f"{entitlement}: {status}")
    refresh(case)
    return event


@transaction.atomic
def record_consent(user: Any, case: Case, **fields: Any) -> Consent:
    require(user, "consent.record")
    consent = Consent.objects.create(case=case, recorded_by=user, **fields)
    audit.record(user, "consent.record", case=case, target=f"consent #{consent.pk}: {consent.purpose}")
    return consent


@transaction.atomic
def withdraw_consent(user: Any, case: Case, consent: Consent, on: dt.date) -> None:
    """Withdraw a consent; referrals that rest on it end at once."""
    require(user, "consent.record")
    consent.withdrawn_on = on
    consent.save(update_fields=["withdrawn_on"])
    ended = Referral.objects.filter(consent=consent, ended_at__isnull=True).update(ended_at=timezone.now())
    audit.record(user, "consent.withdraw", case=case, target=f"consent #{consent.pk}; referrals ended: {ended}")


@transaction.atomic
def refer(user: Any, case: Case, to_agency: Agency, consent: Consent, purpose: str) -> Referral:
    """Share the case with another agency. Needs an active consent for referral and, for a child,
    a recorded best-interests determination."""
    membership = require(user, "case.refer")
    if consent.case_id != case.pk or not consent.active or consent.purpose != Consent.Purpose.REFERRAL:
        raise NotAllowed("a referral needs a consent for referral on this case that is neither withdrawn nor expired")
    if consent.shared_with_id not in (None, to_agency.pk):
        raise NotAllowed("the consent names a different agency")
    best_interests = None
    if case.treated_as_child:
        best_interests = (
            case.measures.filter(measure_type="best_interests_determination", facts__conducted=True)
            .order_by("-decided_on")
            .first()
        )
        if best_interests is None:
            raise NotAllowed("for a child, a referral needs a recorded best-interests determination")
    if to_agency.pk == case.holding_agency_id:
        raise NotAllowed("the case is already held by that agency")
    if approvals.is_authority(to_agency):
        # Sharing with the police, border or labour authorities needs a second person's approval
        # (spent here, in the referral's own transaction).
        approvals.use(user, str(Approval.Kind.SHARE_WITH_AUTHORITY), case=case, target=str(to_agency.pk))
    referral = Referral.objects.create(
        case=case,
        from_agency=membership.agency,
        to_agency=to_agency,
        consent=consent,
        best_interests=best_interests,
        purpose=purpose,
        referred_by=user,
    )
    audit.record(user, "case.refer", case=case, target=f"to {to_agency.name}")
    return referral


@transaction.atomic
def move(user: Any, case: Case, target: str, note: str = "") -> None:
    """Move the case to another stage, if this role may make that move."""
    membership = require(user, "case.transition")
    if not may_move(case.stage, target, membership.role):
        raise PermissionDenied
    StageChange.objects.create(case=case, from_stage=case.stage, to_stage=target, changed_by=user, note=note)
    audit.record(user, "case.stage", case=case, target=f"{case.stage} -> {target}")
    case.stage = target
    case.save(update_fields=["stage", "updated_at"])
    refresh(case)


def refresh(case: Case, at: dt.date | None = None) -> engine.Assessment:
    """Recompute the assessment and keep the case's summary and deadlines in step with it."""
    at = at or today()
    assessment = adapter.assess_case(case, at)
    screening = assessment.screening
    # A child now (or presumed one): what lists, referrals and child protection follow. An adult
    # who was trafficked as a child keeps that in the finding but is not a child today.
    case.treated_as_child = assessment.entitlements.treated_as_child
    if screening is not None:
        case.finding = screening.finding
        purposes = case.screenings.order_by("-number").values_list("situation", flat=True).first() or {}
        case.forms_of_exploitation = ",".join(purposes.get("purposes") or [])[:300]
    rows = []
    for item in assessment.entitlements.entitlements:
        if not item.applies:
            continue
        rows.append(
            Deadline(
                case=case,
                entitlement=item.definition.id,
                title=item.definition.title,
                due=item.due,
                ends=item.ends,
                status=item.status,
            )
        )
    Deadline.objects.filter(case=case).delete()
    Deadline.objects.bulk_create(rows)
    open_due = [row.due for row in rows if row.due is not None and row.status not in SERVICE_DONE]
    case.overdue_count = sum(1 for item in assessment.entitlements.entitlements if item.applies and item.overdue)
    case.next_due = min(open_due) if open_due else None
    case.save()
    return assessment


@transaction.atomic
def restrict(user: Any, case: Case, reason: str, agency: Agency | None = None, person: Any = None) -> CaseRestriction:
    """Keep the case from a named agency or user, whatever their role. Only the holding agency may,
    and never from itself or oneself (the case would be left with no one to protect the person)."""
    membership = require(user, "case.restrict")
    if membership.agency_id != case.holding_agency_id:
        raise NotAllowed("only the agency that holds the case may restrict it")
    if (agency is None) == (person is None):
        raise NotAllowed("name one agency or one user")
    if agency is not None and agency.pk == case.holding_agency_id:
        raise NotAllowed("the agency that holds the case cannot be excluded from it")
    if person is not None and person.pk == user.pk:
        raise NotAllowed("you cannot exclude yourself")
    restriction = CaseRestriction.objects.create(case=case, agency=agency, user=person, reason=reason, created_by=user)
    # Referrals to an excluded agency end with the restriction.
    if agency is not None:
        Referral.objects.filter(case=case, to_agency=agency, ended_at__isnull=True).update(ended_at=timezone.now())
    named = f"agency {agency.name}" if agency is not None else f"user {person.get_username()}"
    audit.record(user, "case.restrict", case=case, target=named, reason=reason)
    return restriction


@transaction.atomic
def lift_restriction(user: Any, case: Case, restriction: CaseRestriction, reason: str) -> None:
    """End a restriction (a coordinator of the holding agency), with the reason in the audit log."""
    membership = require(user, "case.unrestrict")
    if membership.agency_id != case.holding_agency_id or restriction.case_id != case.pk:
        raise NotAllowed("only the agency that holds the case may lift its restrictions")
    named = f"agency {restriction.agency.name}" if restriction.agency_id else f"user {restriction.user.get_username()}"
    restriction.delete()
    audit.record(user, "case.unrestrict", case=case, target=named, reason=reason)
