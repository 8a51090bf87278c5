"""Roles and what each may do: the single table every page, API call and export consults.

Deny by default: an action not listed for a role is refused.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    FIRST_RESPONDER = "first_responder"
    CASE_WORKER = "case_worker"
    LEGAL_ADVISER = "legal_adviser"
    GUARDIAN = "guardian"
    COORDINATOR = "coordinator"
    MONITOR = "monitor"
    ADMINISTRATOR = "administrator"
    # Outside every agency's chain of command: reviews alerts about how staff use the system
    # (e.g. an ombudsperson's office). Sees the audit log, never a case or an identity.
    OVERSIGHT = "oversight"


ROLE_LABELS = {
    Role.FIRST_RESPONDER: _("First responder"),
    Role.CASE_WORKER: _("Case worker"),
    Role.LEGAL_ADVISER: _("Legal adviser"),
    Role.GUARDIAN: _("Guardian"),
    Role.COORDINATOR: _("Coordinator"),
    Role.MONITOR: _("Monitor"),
    Role.ADMINISTRATOR: _("Administrator"),
    Role.OVERSIGHT: _("Oversight"),
}
ROLE_CHOICES = [(role.value, label) for role, label in ROLE_LABELS.items()]


R = Role
CASE_ROLES = frozenset({R.FIRST_RESPONDER, R.CASE_WORKER, R.LEGAL_ADVISER, R.GUARDIAN, R.COORDINATOR})

# Action -> roles allowed. Case actions also need access to the case (see access.py).
PERMISSIONS: dict[str, frozenset[str]] = {
    "case.list": CASE_ROLES,
    "case.view": CASE_ROLES,
    "case.create": frozenset({R.FIRST_RESPONDER, R.CASE_WORKER, R.COORDINATOR}),
    "case.transition": CASE_ROLES,
    # Identity is for those who work with the person directly; a coordinator works on the
    # pseudonymous record and a monitor never sees identity at all.
    "identity.view": frozenset({R.FIRST_RESPONDER, R.CASE_WORKER, R.LEGAL_ADVISER, R.GUARDIAN}),
    "identity.edit": frozenset({R.FIRST_RESPONDER, R.CASE_WORKER}),
    # Finding a person by name or document number: only for those who may see identity anyway.
    "person.search": frozenset({R.FIRST_RESPONDER, R.CASE_WORKER, R.LEGAL_ADVISER, R.GUARDIAN}),
    "screening.edit": frozenset({R.FIRST_RESPONDER, R.CASE_WORKER, R.COORDINATOR}),
    "measure.record": CASE_ROLES,
    "measure.override": frozenset({R.COORDINATOR}),
    "service.record": frozenset({R.CASE_WORKER, R.LEGAL_ADVISER, R.GUARDIAN, R.COORDINATOR}),
    "consent.record": frozenset({R.FIRST_RESPONDER, R.CASE_WORKER, R.LEGAL_ADVISER, R.GUARDIAN}),
    "case.refer": frozenset({R.FIRST_RESPONDER, R.CASE_WORKER, R.COORDINATOR}),
    "case.dates": frozenset({R.CASE_WORKER, R.COORDINATOR}),
    # Keeping a case from a named agency or user (e.g. when officials are alleged to be involved).
    "case.restrict": frozenset({R.CASE_WORKER, R.COORDINATOR}),
    "case.unrestrict": frozenset({R.COORDINATOR}),
    "dashboard.deadlines": frozenset({R.COORDINATOR}),
    "statistics.view": frozenset({R.MONITOR, R.COORDINATOR}),
    "audit.view": frozenset({R.COORDINATOR, R.ADMINISTRATOR, R.OVERSIGHT}),
    "oversight.alerts": frozenset({R.OVERSIGHT}),
    # Dangerous acts need a second person (approvals.py): who may ask, who may decide.
    "approval.request": frozenset(
        {R.FIRST_RESPONDER, R.CASE_WORKER, R.LEGAL_ADVISER, R.GUARDIAN, R.COORDINATOR, R.ADMINISTRATOR}
    ),
    "approval.decide": frozenset({R.COORDINATOR, R.ADMINISTRATOR}),
    # Emergency ("break-glass") access (emergency.py): anyone who works on cases may open, by its
    # full reference, a case they cannot otherwise see, for a short time and read-only; a
    # coordinator of the agency holding the case reviews every use afterwards.
    "emergency.access": CASE_ROLES,
    "emergency.review": frozenset({R.COORDINATOR}),
    "export.cases": frozenset({R.COORDINATOR}),
    "role.grant": frozenset({R.ADMINISTRATOR}),
    "framework.view": frozenset(Role),
    "api.use": CASE_ROLES,
    # Retention: a legal hold keeps a case from erasure while proceedings or a legal duty need it;
    # anyone working on the case may record the person's request to be erased, and a coordinator
    # of the holding agency other than the recorder decides it (see erasure.py).
    "case.hold": frozenset({R.COORDINATOR, R.LEGAL_ADVISER}),
    "erasure.request": CASE_ROLES,
    "erasure.decide": frozenset({R.COORDINATOR}),
}

# Measure types only some roles may decide. The identification decision belongs to the
# competent authority of the referral mechanism, which the coordinator role represents.
MEASURE_ROLES: dict[str, frozenset[str]] = {
    "identification_decision": frozenset({R.COORDINATOR}),
    "reflection_period": frozenset({R.COORDINATOR, R.CASE_WORKER}),
    "residence_permit": frozenset({R.COORDINATOR, R.LEGAL_ADVISER}),
}


def allowed(role: str | None, action: str) -> bool:
    """Whether the role may perform the action (False for unknown actions: deny by default)."""
    return role is not None and role in PERMISSIONS.get(action, frozenset())


def may_record_measure(role: str | None, measure_type: str) -> bool:
    """Whether the role may record a measure of this type."""
    if not allowed(role, "measure.record"):
        return False
    restricted = MEASURE_ROLES.get(measure_type)
    return restricted is None or role in restricted
