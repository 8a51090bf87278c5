"""The case lifecycle: stages, and the moves each role may make between them."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from rightsfirst.web.roles import Role


class Stage(StrEnum):
    # The same names as the engine's lifecycle stages (rightsfirst.engine.inputs.LIFECYCLE_STAGES).
    REFERRED = "referred"
    SCREENING = "screening"
    PRESUMED_VICTIM = "presumed_victim"
    IDENTIFIED = "identified"
    RECOVERY_AND_REFLECTION = "recovery_and_reflection"
    SUPPORT = "support"
    LEGAL_PROCEEDINGS = "legal_proceedings"
    DURABLE_SOLUTION = "durable_solution"
    CLOSED = "closed"


STAGE_LABELS = {
    Stage.REFERRED: _("Referred"),
    Stage.SCREENING: _("Screening"),
    Stage.PRESUMED_VICTIM: _("Presumed victim"),
    Stage.IDENTIFIED: _("Identified"),
    Stage.RECOVERY_AND_REFLECTION: _("Recovery and reflection"),
    Stage.SUPPORT: _("Support"),
    Stage.LEGAL_PROCEEDINGS: _("Legal proceedings"),
    Stage.DURABLE_SOLUTION: _("Durable solution"),
    Stage.CLOSED: _("Closed"),
}
STAGE_CHOICES = [(stage.value, label) for stage, label in STAGE_LABELS.items()]


S = Stage
R = Role
FORWARD = {
    S.REFERRED: (S.SCREENING,),
    S.SCREENING: (S.PRESUMED_VICTIM, S.CLOSED),
    S.PRESUMED_VICTIM: (S.IDENTIFIED, S.RECOVERY_AND_REFLECTION, S.SUPPORT),
    S.IDENTIFIED: (S.RECOVERY_AND_REFLECTION, S.SUPPORT),
    S.RECOVERY_AND_REFLECTION: (S.IDENTIFIED, S.SUPPORT, S.LEGAL_PROCEEDINGS),
    S.SUPPORT: (S.LEGAL_PROCEEDINGS, S.DURABLE_SOLUTION),
    S.LEGAL_PROCEEDINGS: (S.SUPPORT, S.DURABLE_SOLUTION),
    S.DURABLE_SOLUTION: (S.SUPPORT, S.CLOSED),
    S.CLOSED: (S.SUPPORT,),
}

# Who may move a case into a stage. Deciding that a person is a presumed victim or identified,
# or closing a case, is for the coordinator (the referral mechanism's competent authority);
# the first steps are for those who meet the person.
ENTER: dict[str, frozenset[str]] = {
    S.SCREENING: frozenset({R.FIRST_RESPONDER, R.CASE_WORKER, R.COORDINATOR}),
    S.PRESUMED_VICTIM: frozenset({R.FIRST_RESPONDER, R.CASE_WORKER, R.COORDINATOR}),
    S.IDENTIFIED: frozenset({R.COORDINATOR}),
    S.RECOVERY_AND_REFLECTION: frozenset({R.CASE_WORKER, R.COORDINATOR}),
    S.SUPPORT: frozenset({R.CASE_WORKER, R.GUARDIAN, R.COORDINATOR}),
    S.LEGAL_PROCEEDINGS: frozenset({R.LEGAL_ADVISER, R.CASE_WORKER, R.COORDINATOR}),
    S.DURABLE_SOLUTION: frozenset({R.CASE_WORKER, R.LEGAL_ADVISER, R.GUARDIAN, R.COORDINATOR}),
    S.CLOSED: frozenset({R.COORDINATOR}),
}


def next_stages(current: str, role: str | None) -> tuple[str, ...]:
    """The stages this role may move a case to from `current`."""
    if current not in Stage.__members__.values():
        return ()
    return tuple(stage.value for stage in FORWARD[Stage(current)] if role in ENTER[stage])


def may_move(current: str, target: str, role: str | None) -> bool:
    """Whether this role may move a case from `current` to `target`."""
    return target in next_stages(current, role)
