"""Who may see and do what, on which case: the one place pages and the API both ask.

A case that does not exist and a case the user may not see give the same answer (not found),
so that probing references reveals nothing.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from rightsfirst.web import audit
from rightsfirst.web.models import IDENTITY_FIELDS, Case, Membership, Referral
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


def require(user: Any, action: str) -> Membership:
    """The user's membership if their role allows the action; PermissionDenied otherwise."""
    found = membership_of(user)
    if found is None or not allowed(found.role, action):
        raise PermissionDenied
    return found


def visible_cases(user: Any) -> QuerySet[Case]:
    """The cases the user may see: held by their agency, or referred to it (and not ended)."""
    found = membership_of(user)
    if found is None or not allowed(found.role, "case.view"):
        return Case.objects.none()
    referred = Referral.objects.filter(case=OuterRef("pk"), to_agency=found.agency_id, ended_at__isnull=True)
    return Case.objects.filter(Q(holding_agency=found.agency_id) | Q(Exists(referred)))


def visible_case_parts(user: Any) -> tuple[QuerySet[Case], QuerySet[Case]]:
    """The same cases as visible_cases, as two disjoint parts: held by the user's agency, and
    referred to it. Lists page through the two with a UNION, which the databases can walk in
    index order; the single OR EXISTS form makes them read and sort every case the agency holds."""
    found = membership_of(user)
    if found is None or not allowed(found.role, "case.view"):
        return Case.objects.none(), Case.objects.none()
    held = Case.objects.filter(holding_agency=found.agency_id)
    referred = (
        Case.objects.filter(referrals__to_agency=found.agency_id, referrals__ended_at__isnull=True)
        .exclude(holding_agency=found.agency_id)
        .distinct()
    )
    return held, referred


def case_for(user: Any, reference: str, action: str = "case.view") -> Case:
    """The case with this reference if the user may perform `action` on it; else Http404 for both."""
    if not may(user, action) or not REFERENCE_SHAPE.fullmatch(reference):
        raise Http404("not found")
    try:
        return visible_cases(user).select_related("person", "holding_agency").get(reference=reference)
    except Case.DoesNotExist:
        raise Http404("not found") from None


def identity_fields_for(user: Any) -> tuple[str, ...]:
    """The identity fields this user's role may see (none for most roles)."""
    return IDENTITY_FIELDS if may(user, "identity.view") else ()


def reveal_identity(user: Any, case: Case, reason: str) -> dict[str, str]:
    """Decrypt the person's identity for this user, writing the view to the audit log first.

    The reason is required: every view of identity answers "why" in the audit log.
    """
    fields = identity_fields_for(user)
    if not fields:
        raise PermissionDenied
    if not reason.strip():
        raise ValueError("a reason is required to view identity")
    audit.record(user, "identity.view", case=case, fields=",".join(fields), reason=reason.strip())
    identity = case.person.identity()
    return {name: identity[name] for name in fields}
