"""Writing the audit log. Called inside the same transaction as the act it records."""

from __future__ import annotations

from typing import Any

from rightsfirst.web.models import AuditEvent


def record(
    user: Any,
    action: str,
    case: Any = None,
    target: str = "",
    fields: str = "",
    reason: str = "",
) -> AuditEvent:
    """Append one audit entry: who, what, which case (by reference only), when, and why."""
    membership = getattr(user, "membership", None) if user is not None and user.is_authenticated else None
    return AuditEvent.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        username=user.get_username() if user is not None and user.is_authenticated else "",
        role=membership.role if membership else "",
        agency=membership.agency.name if membership else "",
        action=action,
        case_reference=case.reference if case is not None else "",
        target=target[:200],
        fields=fields[:300],
        reason=reason,
    )
