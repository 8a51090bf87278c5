"""The retention schedule: which records have been kept long enough, and removing them.

Periods come from settings.RIGHTSFIRST_RETENTION (overridable from the environment). A closed
case's clock starts on the day it was last moved to "closed"; when it runs out the case is
erased (erasure.erase) unless it is on legal hold. Expired sessions and old failed sign-in
records are deleted outright. Audit entries are only counted: the log is an append-only hash
chain, and it holds no identity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from rightsfirst.web.lifecycle import Stage
from rightsfirst.web.models import AuditEvent, Case, StageChange

# Stages that mean the person got past screening (a presumed victim or further on).
BEYOND_SCREENING = tuple(stage.value for stage in Stage if stage not in (Stage.REFERRED, Stage.SCREENING, Stage.CLOSED))


def periods() -> dict[str, int]:
    """The retention periods in force (see settings.RETENTION_DEFAULTS)."""
    return dict(settings.RIGHTSFIRST_RETENTION)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (29 February becomes 28 February in common years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class DueCase:
    """A closed case whose retention period has run out on the day reviewed."""

    pk: int
    reference: str
    closed_on: dt.date
    category: str  # "closed_case_years" or "screening_only_years"
    years: int

    @property
    def until(self) -> dt.date:
        """The day its period ran out."""
        return add_years(self.closed_on, self.years)


@dataclass
class Review:
    """The closed, not yet erased cases, sorted by what the schedule says about them on `today`."""

    today: dt.date
    due: list[DueCase] = field(default_factory=list)
    within: int = 0  # still inside their period
    undated: list[str] = field(default_factory=list)  # closed, but no recorded move to "closed"


def closed_cases() -> QuerySet[Case]:
    """Cases now closed and not erased, with the time of their last move to "closed" and whether
    they ever went beyond screening."""
    closures = StageChange.objects.filter(case=OuterRef("pk"), to_stage=Stage.CLOSED.value).order_by("-changed_at")
    beyond = StageChange.objects.filter(case=OuterRef("pk"), to_stage__in=BEYOND_SCREENING)
    return Case.objects.filter(stage=Stage.CLOSED.value, erased_at__isnull=True).annotate(
        closed_at=Subquery(closures.values("changed_at")[:1]), beyond_screening=Exists(beyond)
    )


def review(today: dt.date) -> Review:
    """Which closed cases are due for erasure on `today` (legal holds are checked when erasing)."""
    found = Review(today)
    limits = periods()
    rows = closed_cases().values_list(
        "pk", "reference", "closed_at", "beyond_screening", "reasonable_grounds_on", "identified_on"
    )
    for pk, reference, closed_at, beyond, grounds_on, identified_on in rows.order_by("pk").iterator():
        if closed_at is None:
            found.undated.append(reference)
            continue
        # Closed at screening: never a presumed victim or identified, by stage or by date.
        screening_only = not beyond and grounds_on is None and identified_on is None
        category = "screening_only_years" if screening_only else "closed_case_years"
        due = DueCase(pk, reference, timezone.localdate(closed_at), category, limits[category])
        if due.until <= today:
            found.due.append(due)
        else:
            found.within += 1
    return found


def still_due(case: Case, today: dt.date) -> DueCase | None:
    """The case's entry if it is (still) due on `today`: rechecked just before erasing it."""
    row = closed_cases().filter(pk=case.pk).values_list("closed_at", "beyond_screening").first()
    if row is None or row[0] is None:
        return None
    screening_only = not row[1] and case.reasonable_grounds_on is None and case.identified_on is None
    category = "screening_only_years" if screening_only else "closed_case_years"
    due = DueCase(case.pk, case.reference, timezone.localdate(row[0]), category, periods()[category])
    return due if due.until <= today else None


def reference_instant(today: dt.date) -> dt.datetime:
    """ "Now" for the purges: the real time, or the end of `today` if that is earlier."""
    end_of_day = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))
    return min(timezone.now(), end_of_day)


def expired_sessions(today: dt.date) -> QuerySet[Session]:
    """Sessions that expired more than the retention period ago."""
    limit = reference_instant(today) - dt.timedelta(days=periods()["expired_session_days"])
    return Session.objects.filter(expire_date__lt=limit)


def old_sign_in_failures(today: dt.date) -> list[QuerySet]:
    """django-axes records (failure counters, failure log, access log) older than the period."""
    limit = reference_instant(today) - dt.timedelta(days=periods()["sign_in_failure_days"])
    return [model.objects.filter(attempt_time__lt=limit) for model in (AccessAttempt, AccessFailureLog, AccessLog)]


def old_audit_entries(today: dt.date) -> int:
    """How many audit entries are older than their period (reported; never deleted here)."""
    limit = timezone.make_aware(dt.datetime.combine(add_years(today, -periods()["audit_log_years"]), dt.time.min))
    return AuditEvent.objects.filter(at__lt=limit).count()
