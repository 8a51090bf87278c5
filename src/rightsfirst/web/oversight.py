"""Alerts for the oversight role: patterns an insider looking for someone would leave.

Checked as each audit entry is written (same transaction), so no pattern escapes because a job
did not run. The thresholds are settings (RIGHTSFIRST_ALERT_*, RIGHTSFIRST_WORKING_HOURS). Alerts go
to the oversight role only, which sits outside the agencies' own chains of command; the person
the alert is about never sees it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from rightsfirst.web.models import AuditEvent
from rightsfirst.web.models.security import OversightAlert

VIEW_ACTIONS = ("case.view", "identity.view", "api.case.view")
SEARCH_ACTION = "person.search"
# How a person search that found no case the user may open is marked in its audit entry.
EMPTY_SEARCH_MARK = "visible=0"


def notice(entry: AuditEvent) -> OversightAlert | None:
    """Raise an alert if this entry completes a pattern; returns the alert, if one was raised."""
    if not entry.username:
        return None
    if entry.action in VIEW_ACTIONS:
        return _mass_views(entry) or (_off_hours(entry) if entry.action == "identity.view" else None)
    if entry.action == SEARCH_ACTION and EMPTY_SEARCH_MARK in entry.fields:
        return _empty_searches(entry)
    return None


def _recently_alerted(entry: AuditEvent, kind: Any, since: dt.datetime) -> bool:
    return OversightAlert.objects.filter(username=entry.username, kind=kind, at__gte=since).exists()


def _mass_views(entry: AuditEvent) -> OversightAlert | None:
    window = dt.timedelta(minutes=settings.RIGHTSFIRST_ALERT_MASS_WINDOW_MINUTES)
    since = entry.at - window
    count = AuditEvent.objects.filter(username=entry.username, action__in=VIEW_ACTIONS, at__gte=since).count()
    if count < settings.RIGHTSFIRST_ALERT_MASS_VIEWS or _recently_alerted(entry, OversightAlert.Kind.MASS_VIEWS, since):
        return None
    minutes = settings.RIGHTSFIRST_ALERT_MASS_WINDOW_MINUTES
    return _raise(entry, OversightAlert.Kind.MASS_VIEWS, f"{count} cases or identities opened in {minutes} minutes")


def _off_hours(entry: AuditEvent) -> OversightAlert | None:
    local = timezone.localtime(entry.at)
    start, end = settings.RIGHTSFIRST_WORKING_HOURS
    if local.weekday() < 5 and start <= local.hour < end:
        return None
    return _raise(
        entry,
        OversightAlert.Kind.OFF_HOURS,
        f"identity of {entry.case_reference} opened at {local:%Y-%m-%d %H:%M} ({local:%A})",
    )


def _empty_searches(entry: AuditEvent) -> OversightAlert | None:
    since = entry.at - dt.timedelta(hours=1)
    count = AuditEvent.objects.filter(
        username=entry.username, action=SEARCH_ACTION, fields__contains=EMPTY_SEARCH_MARK, at__gte=since
    ).count()
    if count < settings.RIGHTSFIRST_ALERT_EMPTY_SEARCHES or _recently_alerted(
        entry, OversightAlert.Kind.SEARCH_WITHOUT_CASE, since
    ):
        return None
    return _raise(
        entry,
        OversightAlert.Kind.SEARCH_WITHOUT_CASE,
        f"{count} searches for a person in an hour found no case of theirs",
    )


def _raise(entry: AuditEvent, kind: Any, detail: str) -> OversightAlert:
    return OversightAlert.objects.create(kind=kind, username=entry.username, agency=entry.agency, detail=detail[:300])
