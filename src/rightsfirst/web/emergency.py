"""Emergency ("break-glass") access: opening, at once, a case one cannot otherwise see (SEC-4).

Why: a person turns up at night at a hospital or a police station; the duty worker of another
agency, or a coordinator of the referral mechanism, needs to know now whether a child has a
guardian, what protection risk or medical need is recorded, and nobody can approve in advance.

How it is kept from becoming a tool for an insider looking for someone:

- only by the case's full reference (never by search or part of a reference), with a reason from
  a short list, a written explanation and the user's second factor;
- the answer does not tell whether the reference exists: an unknown reference, a case kept from
  the user or their agency (a restriction always wins: it exists because they may be the danger)
  and an erased case all "open nothing", and each attempt is audited and counted;
- what opens is narrow: the pseudonymous case record, read-only, for
  RIGHTSFIRST_EMERGENCY_ACCESS_MINUTES; identity only for a role that may see identity at all,
  only the names, date of birth and documents, and only through the audited identity view;
- the oversight role is alerted when access is given, and a coordinator of the agency holding the
  case (never the user) reviews every use afterwards; flagging it as misuse alerts oversight
  again and ends the access at once;
- a user may hold RIGHTSFIRST_EMERGENCY_ACCESS_AT_ONCE accesses at once and make
  RIGHTSFIRST_EMERGENCY_ACCESS_PER_DAY attempts in 24 hours; beyond that each attempt needs a
  second person's prior approval (approvals.py) for that reference.

The access itself is enforced in access.case_for, the one place that decides who sees a case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from rightsfirst.web import access, approvals, audit
from rightsfirst.web.models import AuditEvent, Case, EmergencyAccess, Membership
from rightsfirst.web.models.security import Approval, OversightAlert

# Audit actions. Every attempt that gets past the limits writes exactly one of the first two;
# those are what the daily limit counts.
OPENED = "emergency.open"
NOTHING_OPENED = "emergency.nothing_opened"
OVER_LIMIT = "emergency.over_limit"
REVIEWED = "emergency.review"
APPROVAL_KIND = str(Approval.Kind.EMERGENCY_ACCESS)
MINIMUM_EXPLANATION = 20
MINIMUM_MISUSE_NOTE = 20


class ReviewRefused(ValueError):
    """A review that cannot be recorded as given; `code` says why (for the page's own words)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Outcome:
    """What an attempt did: opened the case (grant), found the case already open to the user,
    stopped at a limit ("at_once" or "per_day"), or opened nothing (all fields empty)."""

    grant: EmergencyAccess | None = None
    already_visible: bool = False
    limit: str = ""


def attempts_in_last_day(user: Any) -> int:
    """Attempts the user made in the last 24 hours that looked for a case (granted or not)."""
    since = timezone.now() - dt.timedelta(hours=24)
    return AuditEvent.objects.filter(user=user.pk, action__in=(OPENED, NOTHING_OPENED), at__gte=since).count()


def limit_reached(user: Any) -> str:
    """Which limit a further attempt would pass ("at_once", "per_day"), or "" if none."""
    if access.running_emergency_access(user).count() >= settings.RIGHTSFIRST_EMERGENCY_ACCESS_AT_ONCE:
        return "at_once"
    if attempts_in_last_day(user) >= settings.RIGHTSFIRST_EMERGENCY_ACCESS_PER_DAY:
        return "per_day"
    return ""


def open_case(user: Any, reference: str, reason: str, explanation: str) -> Outcome:
    """Try to open the case with this full reference for the user, in one transaction.

    Raises ValueError for bad input (before anything is written) and PermissionDenied for a role
    without emergency access. Whatever the reference names, an attempt that opens nothing
    returns the same empty Outcome, writes the same audit entry and counts the same.
    """
    membership = access.require(user, "emergency.access")
    reference = reference.strip().upper()
    if not access.REFERENCE_SHAPE.fullmatch(reference):
        raise ValueError("the full case reference is needed, e.g. RF-7K3Q-9PXD")
    if reason not in EmergencyAccess.Reason.values:
        raise ValueError(f"reason: {reason!r} is not one of {', '.join(EmergencyAccess.Reason.values)}")
    if len(explanation.strip()) < MINIMUM_EXPLANATION:
        raise ValueError(f"explanation: at least {MINIMUM_EXPLANATION} characters are needed")
    with transaction.atomic():
        # One user's attempts one after another (PostgreSQL), so two at once cannot both pass a limit.
        Membership.objects.select_for_update().filter(pk=membership.pk).first()
        if access.visible_cases(user).filter(reference=reference).exists():
            return Outcome(already_visible=True)
        limit = limit_reached(user)
        approval = None
        if limit:
            if approvals.live(user, APPROVAL_KIND, target=reference) is None:
                audit.record(user, OVER_LIMIT, target=reference, fields=limit, reason=reason)
                return Outcome(limit=limit)
            # Spent whatever the reference turns out to name: the attempt happened.
            approval = approvals.use(user, APPROVAL_KIND, target=reference)
        case = Case.objects.select_related("holding_agency").filter(reference=reference).first()
        if case is None or case.erased_at is not None or access.kept_from(user, case.pk):
            audit.record(user, NOTHING_OPENED, target=reference, reason=reason)
            if case is not None and case.erased_at is None:
                _alert_refused(user, membership, case)
            return Outcome()
        return Outcome(grant=_grant(user, membership, case, reason, explanation, approval))


def _grant(
    user: Any, membership: Membership, case: Case, reason: str, explanation: str, approval: Approval | None
) -> EmergencyAccess:
    now = timezone.now()
    grant = EmergencyAccess(
        case=case,
        user=user,
        agency=membership.agency,
        reason=reason,
        granted_at=now,
        expires_at=now + dt.timedelta(minutes=settings.RIGHTSFIRST_EMERGENCY_ACCESS_MINUTES),
        approval=approval,
    )
    grant.explanation = explanation.strip()
    grant.save()
    until = timezone.localtime(grant.expires_at)
    audit.record(user, OPENED, case=case, target=grant.label, fields=f"until {until:%Y-%m-%d %H:%M}", reason=reason)
    detail = (
        f"{grant.label}: {case.reference} (held by {case.holding_agency.name}) opened by "
        f"{user.get_username()} until {until:%Y-%m-%d %H:%M}; reason {reason}"
        + (f"; beyond the limit, approval #{approval.pk}" if approval is not None else "")
    )
    OversightAlert.objects.create(
        kind=OversightAlert.Kind.EMERGENCY_ACCESS,
        username=user.get_username(),
        agency=membership.agency.name,
        detail=detail[:300],
    )
    return grant


def _alert_refused(user: Any, membership: Membership, case: Case) -> None:
    # The user sees "nothing opened", as for a reference no case has; oversight, which the user
    # cannot read, learns that someone kept from a case tried to break into it.
    OversightAlert.objects.create(
        kind=OversightAlert.Kind.EMERGENCY_REFUSED,
        username=user.get_username(),
        agency=membership.agency.name,
        detail=f"emergency access to {case.reference} refused: the case is kept from this user or their agency"[:300],
    )


# --- Review by a second person ----------------------------------------------------------------------


def may_review(user: Any, grant: EmergencyAccess) -> bool:
    """Whether this user reviews this use: a coordinator of the agency holding the case who may see
    the case (not kept from them) and is not the one who used the access."""
    membership = access.membership_of(user)
    if membership is None or not access.may(user, "emergency.review") or grant.user_id == user.pk:
        return False
    if membership.agency_id != grant.case.holding_agency_id:
        return False
    return access.visible_cases(user).filter(pk=grant.case_id).exists()


def _reviewable(user: Any) -> QuerySet[EmergencyAccess]:
    membership = access.membership_of(user)
    if membership is None or not access.may(user, "emergency.review"):
        return EmergencyAccess.objects.none()
    held = access.visible_cases(user).filter(holding_agency=membership.agency_id).values("pk")
    return (
        EmergencyAccess.objects.filter(case__in=held)
        .exclude(user=user.pk)
        .select_related("case", "user", "agency", "reviewed_by")
    )


def pending_reviews(user: Any) -> QuerySet[EmergencyAccess]:
    """Uses of emergency access to cases of the user's agency waiting for their review, oldest first:
    listed until someone reviews them, however long ago they ended."""
    return _reviewable(user).filter(review=EmergencyAccess.Review.PENDING).order_by("granted_at", "pk")


def reviewed(user: Any) -> QuerySet[EmergencyAccess]:
    """Uses already reviewed, newest review first."""
    return _reviewable(user).exclude(review=EmergencyAccess.Review.PENDING).order_by("-reviewed_at", "-pk")


def views_under(grant: EmergencyAccess) -> QuerySet[AuditEvent]:
    """What was opened under this access (pages and identity views), in order."""
    return AuditEvent.objects.filter(
        case_reference=grant.case.reference, target=grant.label, action__in=("emergency.view", "identity.view")
    ).order_by("sequence")


def review(user: Any, grant: EmergencyAccess, justified: bool, note: str) -> EmergencyAccess:
    """Record the review: justified (only once the access has ended, so that the review covers all
    of it) or misuse (at any time: ends the access at once and alerts oversight). Audited; the
    note is sealed on the record and kept out of the audit log."""
    with transaction.atomic():
        grant = EmergencyAccess.objects.select_for_update().select_related("case", "user", "agency").get(pk=grant.pk)
        if grant.review != EmergencyAccess.Review.PENDING:
            raise ReviewRefused("reviewed", "this use of emergency access has already been reviewed")
        if not may_review(user, grant):
            raise PermissionDenied
        if justified and grant.running:
            raise ReviewRefused("running", "it can be confirmed once the access has ended; misuse can be flagged now")
        if not justified and len(note.strip()) < MINIMUM_MISUSE_NOTE:
            raise ReviewRefused("note", f"say what was wrong, in at least {MINIMUM_MISUSE_NOTE} characters")
        now = timezone.now()
        outcome = EmergencyAccess.Review.JUSTIFIED if justified else EmergencyAccess.Review.MISUSE
        if not justified and grant.running:
            grant.ended_at = now
        grant.review, grant.reviewed_by, grant.reviewed_at = outcome, user, now
        grant.review_note = note.strip()
        grant.save()
        audit.record(user, REVIEWED, case=grant.case, target=grant.label, fields=str(outcome))
        if not justified:
            OversightAlert.objects.create(
                kind=OversightAlert.Kind.EMERGENCY_MISUSE,
                username=grant.user.get_username(),
                agency=grant.agency.name,
                detail=f"{grant.label} to {grant.case.reference} by {grant.user.get_username()} flagged as misuse "
                f"by {user.get_username()}"[:300],
            )
    return grant
