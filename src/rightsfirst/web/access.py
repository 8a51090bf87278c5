"""Who may see and do what, on which case: the one place pages and the API both ask.

A case that does not exist and a case the user may not see give the same answer (not found),
so that probing references reveals nothing.

Emergency access (emergency.py) is enforced here too: case_for opens a case through a user's
running emergency access, read-only, and nothing else does (lists, search, dashboards, exports
and the API never show such a case). Its end is worked out from the clock on every request, so
once it has run out the case is "not found" again for that user.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from rightsfirst.web import audit
from rightsfirst.web.models import (
    IDENTITY_FIELDS,
    IDENTITY_PARTS,
    Case,
    CaseRestriction,
    EmergencyAccess,
    Membership,
    Referral,
)
from rightsfirst.web.roles import allowed

# Every reference has this shape (models.cases.new_reference). Anything else cannot name a case,
# and is never sent to the database: PostgreSQL refuses some characters (NUL) with an error.
REFERENCE_SHAPE = re.compile(r"RF-[0-9A-Z]{4}-[0-9A-Z]{4}")


def membership_of(user: Any) -> Membership | None:
    """The user's agency and role, or None (an account without one may do nothing)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def role_of(user: Any) -> str | None:
    found = membership_of(user)
    return found.role if found else None


def may(user: Any, action: str) -> bool:
    """Whether the user's role allows the action (deny by default)."""
    return allowed(role_of(user), action)


def may_on(user: Any, action: str, case: Case) -> bool:
    """Whether the user's role allows the action on this case as found by case_for: never an act
    on a case opened through emergency access, which is read-only (for the forms pages offer)."""
    return case.emergency_grant is None and may(user, action)


def require(user: Any, action: str) -> Membership:
    """The user's membership if their role allows the action; PermissionDenied otherwise."""
    found = membership_of(user)
    if found is None or not allowed(found.role, action):
        raise PermissionDenied
    return found


def _live_referrals(membership: Membership) -> Q:
    """Referrals to the member's agency that still stand: not ended, and their consent not past its date."""
    return Q(
        referrals__to_agency=membership.agency_id,
        referrals__ended_at__isnull=True,
    ) & (Q(referrals__consent__expires_on__isnull=True) | Q(referrals__consent__expires_on__gte=timezone.localdate()))


def _restricted_for(membership: Membership) -> Exists:
    """Whether a case is restricted from this member's agency or from the member by name."""
    return Exists(
        CaseRestriction.objects.filter(case=OuterRef("pk")).filter(
            Q(agency=membership.agency_id) | Q(user=membership.user_id)
        )
    )


def kept_cases(user: Any) -> QuerySet[Case]:
    """The cases restricted from this user by name or from their agency. What reaches cases other
    than through visible_cases (approvals about a case, the audit log) leaves these out."""
    if user is None or not user.is_authenticated:
        return Case.objects.none()
    found = membership_of(user)
    named = (Q(user=user.pk) | Q(agency=found.agency_id)) if found is not None else Q(user=user.pk)
    return Case.objects.filter(pk__in=CaseRestriction.objects.filter(named).values("case"))


def kept_from(user: Any, case_id: int) -> bool:
    """Whether the case is restricted from this user by name or from their agency."""
    return kept_cases(user).filter(pk=case_id).exists()


def visible_cases(user: Any) -> QuerySet[Case]:
    """The cases the user may see: held by their agency, or referred to it under a consent that still
    stands; never a case restricted from their agency or from them."""
    found = membership_of(user)
    if found is None or not allowed(found.role, "case.view"):
        return Case.objects.none()
    today = timezone.localdate()
    referred = Referral.objects.filter(case=OuterRef("pk"), to_agency=found.agency_id, ended_at__isnull=True).filter(
        Q(consent__expires_on__isnull=True) | Q(consent__expires_on__gte=today)
    )
    return Case.objects.filter(Q(holding_agency=found.agency_id) | Q(Exists(referred))).exclude(_restricted_for(found))


def identity_visible_cases(user: Any, part: str = "identity") -> QuerySet[Case]:
    """The visible cases in which the user may see this part of the identity (IDENTITY_PARTS):
    those their agency holds, and those referred to it under a consent that still stands and
    shares the part. What finds a case by its person (the person search) looks only here, so that
    a name never leads to a case whose consent kept the name from the user's agency."""
    found = membership_of(user)
    if found is None or not allowed(found.role, "identity.view"):
        return Case.objects.none()
    # shared_parts is a comma-separated list of part names: match a whole item only.
    shares = (
        Q(consent__shared_parts=part)
        | Q(consent__shared_parts__startswith=f"{part},")
        | Q(consent__shared_parts__endswith=f",{part}")
        | Q(consent__shared_parts__contains=f",{part},")
    )
    today = timezone.localdate()
    sharing = Referral.objects.filter(
        shares,
        case=OuterRef("pk"),
        to_agency=found.agency_id,
        ended_at__isnull=True,
        consent__withdrawn_on__isnull=True,
    ).filter(Q(consent__expires_on__isnull=True) | Q(consent__expires_on__gte=today))
    return visible_cases(user).filter(Q(holding_agency=found.agency_id) | Q(Exists(sharing)))


def visible_case_parts(user: Any) -> tuple[QuerySet[Case], QuerySet[Case]]:
    """The same cases as visible_cases, as two disjoint parts: held by the user's agency, and
    referred to it. Lists page through the two with a UNION, which the databases can walk in
    index order; the single OR EXISTS form makes them read and sort every case the agency holds."""
    found = membership_of(user)
    if found is None or not allowed(found.role, "case.view"):
        return Case.objects.none(), Case.objects.none()
    held = Case.objects.filter(holding_agency=found.agency_id).exclude(_restricted_for(found))
    referred = (
        Case.objects.filter(_live_referrals(found))
        .exclude(holding_agency=found.agency_id)
        .exclude(_restricted_for(found))
        .distinct()
    )
    return held, referred


def case_for(user: Any, reference: str, action: str = "case.view", emergency: bool = True) -> Case:
    """The case with this reference if the user may perform `action` on it; else Http404 for both.

    A case the user reaches only through their running emergency access is found for looking
    ("case.view") and refused for anything else; each such opening is audited under the access's
    label. `emergency=False` leaves emergency access out (the API: it is for a person at a screen).
    """
    if not may(user, action) or not REFERENCE_SHAPE.fullmatch(reference):
        raise Http404("not found")
    try:
        case = visible_cases(user).select_related("person", "holding_agency").get(reference=reference)
    except Case.DoesNotExist:
        opened = _through_emergency_access(user, reference, action) if emergency else None
        if opened is None:
            raise Http404("not found") from None
        return opened
    if case.erased_at is not None and action != "case.view":
        # An erased case keeps only anonymised facts: it can be looked at, not worked on.
        raise PermissionDenied
    return case


def running_emergency_access(user: Any) -> QuerySet[EmergencyAccess]:
    """The user's emergency accesses still running now (not expired, not ended as misuse)."""
    if user is None or not user.is_authenticated:
        return EmergencyAccess.objects.none()
    return EmergencyAccess.objects.filter(user=user.pk, ended_at__isnull=True, expires_at__gt=timezone.now())


def _still_opens(user: Any, case: Case) -> bool:
    # The role must still allow emergency access; an erased case cannot be opened; a restriction
    # naming the user or their agency wins, also one placed while the access runs.
    return may(user, "emergency.access") and case.erased_at is None and not kept_from(user, case.pk)


def emergency_access_to(user: Any, case: Case) -> EmergencyAccess | None:
    """The user's running emergency access to this case, if it still opens the case."""
    grant = running_emergency_access(user).filter(case=case.pk).order_by("-granted_at").first()
    return grant if grant is not None and _still_opens(user, case) else None


def _through_emergency_access(user: Any, reference: str, action: str) -> Case | None:
    # One query whatever the reference: only a user who was granted the case learns more.
    grant = (
        running_emergency_access(user)
        .filter(case__reference=reference)
        .select_related("case__person", "case__holding_agency")
        .order_by("-granted_at")
        .first()
    )
    if grant is None or not _still_opens(user, grant.case):
        return None
    if action != "case.view":
        # Read-only. The user knows the case exists (it was opened for them): this is a refusal.
        raise PermissionDenied
    case: Case = grant.case
    case.emergency_grant = grant
    audit.record(user, "emergency.view", case=case, target=grant.label)
    return case


def identity_fields_for(user: Any, case: Case | None = None) -> tuple[str, ...]:
    """The identity fields this user may see (none for most roles). For a case referred to the
    user's agency, only the parts the consent behind the referral shares."""
    found = membership_of(user)
    if found is None or not allowed(found.role, "identity.view"):
        return ()
    if case is None or case.holding_agency_id == found.agency_id:
        return IDENTITY_FIELDS
    parts: set[str] = set()
    referrals = case.referrals.filter(to_agency=found.agency_id, ended_at__isnull=True).select_related("consent")
    for referral in referrals:
        if referral.consent.active:
            parts |= referral.consent.parts
    if emergency_access_to(user, case) is not None:
        # Enough to know who is in front of them (names, date of birth, documents); never how to
        # reach the person or where they live.
        parts.add("identity")
    shown = {name for part in parts for name in IDENTITY_PARTS.get(part, ())}
    return tuple(name for name in IDENTITY_FIELDS if name in shown)


# Where the person lives or stays: shown only with a second person's approval (approvals.py).
LOCATION_FIELDS = ("address",)


def reveal_identity(user: Any, case: Case, reason: str) -> dict[str, str]:
    """Decrypt the person's identity for this user, writing the view to the audit log first.

    The reason is required: every view of identity answers "why" in the audit log. Where the
    person lives is left out unless the user holds an approval to see it, which this spends.
    """
    from rightsfirst.web import approvals  # approvals builds on this module
    from rightsfirst.web.models.security import Approval

    fields = identity_fields_for(user, case)
    if not fields or case.erased_at is not None:
        raise PermissionDenied
    if not reason.strip():
        raise ValueError("a reason is required to view identity")
    kind = str(Approval.Kind.REVEAL_LOCATION)
    membership = membership_of(user)
    held = membership is not None and membership.agency_id == case.holding_agency_id
    # A view made under emergency access says so in the audit log, for the reviewer and oversight.
    grant = None if held else emergency_access_to(user, case)
    with transaction.atomic():
        if any(name in LOCATION_FIELDS for name in fields):
            if approvals.live(user, kind, case=case) is not None:
                approvals.use(user, kind, case=case)
            else:
                fields = tuple(name for name in fields if name not in LOCATION_FIELDS)
        audit.record(
            user,
            "identity.view",
            case=case,
            target=grant.label if grant is not None else "",
            fields=",".join(fields),
            reason=reason.strip(),
        )
    return case.person.identity(case, fields)
