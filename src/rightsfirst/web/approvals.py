"""The two-person rule: dangerous acts are asked for by one person and approved by another.

Which acts (SEC-4): sharing a case with an authority (police, border or labour inspection),
exporting the list of cases, giving a user a role, and seeing where a person lives. Erasure has
its own reviewed request. An approval names exactly what it allows, is good for one use, and
expires; the oversight role is told of every approval.

Who may decide: a coordinator or administrator who is not the requester, in the requester's own
agency or in the national referral mechanism (which coordinates the cases of all agencies), and
never about a case restricted from them or from their agency.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from rightsfirst.web import audit
from rightsfirst.web.access import kept_from, membership_of, require
from rightsfirst.web.models import Agency
from rightsfirst.web.models.security import Approval, OversightAlert

# Agencies whose receiving a case counts as "sharing with the authorities".
AUTHORITY_KINDS = frozenset({Agency.Kind.POLICE, Agency.Kind.BORDER, Agency.Kind.LABOUR_INSPECTION})


class ApprovalNeeded(Exception):
    """The act needs a second person's approval that has not been given (or was used or expired)."""

    def __init__(self, kind: str, target: str = "") -> None:
        super().__init__(f"this needs a second person's approval ({kind})")
        self.kind = kind
        self.target = target


def is_authority(agency: Agency) -> bool:
    return agency.kind in AUTHORITY_KINDS


def request(user: Any, kind: str, reason: str, case: Any = None, target: str = "") -> Approval:
    """Ask for an approval; audited."""
    membership = require(user, "approval.request")
    if len(reason.strip()) < 20:
        raise ValueError("say why, in at least 20 characters")
    with transaction.atomic():
        approval = Approval.objects.create(
            kind=kind, case=case, agency=membership.agency, target=target, reason=reason.strip(), requested_by=user
        )
        audit.record(user, "approval.request", case=case, target=f"{kind} #{approval.pk} {target}"[:200], reason=reason)
    return approval


def may_decide(user: Any, approval: Approval) -> bool:
    """Whether this user may approve or refuse the request (never one's own)."""
    membership = membership_of(user)
    if membership is None or approval.requested_by_id == user.pk:
        return False
    try:
        require(user, "approval.decide")
    except PermissionDenied:
        return False
    if approval.kind == Approval.Kind.ROLE_GRANT:
        return membership.role == "administrator"
    # A case kept from someone is kept from them here too: they neither see the request nor decide
    # whether the case is shared (e.g. when officials of their agency are alleged to be involved).
    if approval.case_id is not None and kept_from(user, approval.case_id):
        return False
    return membership.agency_id == approval.agency_id or membership.agency.kind == Agency.Kind.REFERRAL_MECHANISM


def pending_for(user: Any) -> list[Approval]:
    """The requests this user may decide."""
    waiting = Approval.objects.filter(decision=Approval.Decision.PENDING).select_related(
        "requested_by", "agency", "case"
    )
    return [approval for approval in waiting if may_decide(user, approval)]


@transaction.atomic
def decide(user: Any, approval: Approval, approve: bool, reason: str) -> Approval:
    """Approve or refuse; the oversight role is told of every approval."""
    approval = Approval.objects.select_for_update().get(pk=approval.pk)
    if approval.decision != Approval.Decision.PENDING:
        raise ValueError("this request has already been decided")
    if not may_decide(user, approval):
        raise PermissionDenied
    if not approve and len(reason.strip()) < 10:
        raise ValueError("say why it is refused")
    now = timezone.now()
    approval.decision = Approval.Decision.APPROVED if approve else Approval.Decision.REFUSED
    approval.decided_by = user
    approval.decided_at = now
    approval.decision_reason = reason.strip()
    if approve:
        approval.expires_at = now + dt.timedelta(hours=settings.RIGHTSFIRST_APPROVAL_HOURS)
    approval.save()
    action = "approval.approve" if approve else "approval.refuse"
    audit.record(user, action, case=approval.case, target=f"{approval.kind} #{approval.pk}", reason=reason)
    if approve:
        OversightAlert.objects.create(
            kind=OversightAlert.Kind.APPROVAL,
            username=approval.requested_by.get_username(),
            agency=approval.agency.name,
            detail=f"{approval.kind} #{approval.pk} asked by {approval.requested_by.get_username()}, "
            f"approved by {user.get_username()}"[:300],
        )
    return approval


def use(user: Any, kind: str, case: Any = None, target: str = "") -> Approval:
    """Spend the user's live approval for exactly this act, or raise ApprovalNeeded. Call inside the
    act's transaction, so the approval is spent only if the act happens."""
    found = (
        Approval.objects.select_for_update()
        .filter(
            kind=kind,
            requested_by=user,
            case=case,
            target=target,
            decision=Approval.Decision.APPROVED,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("decided_at")
        .first()
    )
    if found is None:
        raise ApprovalNeeded(kind, target)
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])
    return found


def live(user: Any, kind: str, case: Any = None, target: str = "") -> Approval | None:
    """The user's approval for this act that can still be used, if any (spends nothing)."""
    return (
        Approval.objects.filter(
            kind=kind,
            requested_by=user,
            case=case,
            target=target,
            decision=Approval.Decision.APPROVED,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("decided_at")
        .first()
    )
