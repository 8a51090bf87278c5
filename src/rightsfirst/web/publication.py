"""What the monitoring pages and the national report publish: a release per scope and period.

A monitor's release covers every case in the system; a coordinator's, the cases they may see.
The records are extracted once per scope and kept for a few minutes (RIGHTSFIRST_MONITORING_CACHE_SECONDS),
and each release is protected with the pattern of the period before it, so that the same cells
stay suppressed from one period to the next. Periods are whole calendar years, quarters or
months: a reader who could ask for any two overlapping periods could subtract one from the
other and see a handful of people.
"""

from __future__ import annotations

import calendar
import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db.models import QuerySet

from rightsfirst.monitoring.indicators import Period
from rightsfirst.web import access
from rightsfirst.web.models import Case
from rightsfirst.web.roles import Role

if TYPE_CHECKING:
    # DuckDB, Arrow, HiGHS and OpenDP are imported when the first release is made, not by every
    # worker that serves case pages (they would add some 45 MB to each).
    from rightsfirst.monitoring.disclosure import DisclosurePolicy
    from rightsfirst.monitoring.records import MonitoringRecords
    from rightsfirst.monitoring.release import DifferentialPrivacy, Release

T = TypeVar("T")
CACHE_SIZE = 16
QUARTERS = ("q1", "q2", "q3", "q4")
MONTHS = tuple(f"m{month:02d}" for month in range(1, 13))
PARTS = ("year", *QUARTERS, *MONTHS)


@dataclass(frozen=True)
class CalendarPeriod:
    """A whole calendar year, quarter or month: the only periods published."""

    year: int
    part: str = "year"  # "year", "q1".."q4", "m01".."m12"

    def __post_init__(self) -> None:
        if self.part not in PARTS:
            raise ValueError(f"unknown part of the year {self.part!r} (allowed: {', '.join(PARTS)})")
        if not 1900 <= self.year <= 9998:
            raise ValueError(f"year {self.year} is out of range")

    @classmethod
    def parse(cls, text: str) -> CalendarPeriod:
        """From "2026", "2026-q2" or "2026-m03"; ValueError saying what is allowed."""
        year_text, _, part = text.strip().lower().partition("-")
        if not year_text.isdigit() or len(year_text) != 4:
            raise ValueError(
                f"{text!r} is not a period: write a year (2026), a quarter (2026-q2) or a month (2026-m03)"
            )
        return cls(int(year_text), part or "year")

    def __str__(self) -> str:
        return str(self.year) if self.part == "year" else f"{self.year}-{self.part}"

    @property
    def period(self) -> Period:
        """The first and last day."""
        if self.part == "year":
            return Period(dt.date(self.year, 1, 1), dt.date(self.year, 12, 31))
        if self.part in QUARTERS:
            first_month = 3 * QUARTERS.index(self.part) + 1
            last_month = first_month + 2
        else:
            first_month = last_month = int(self.part[1:])
        last_day = calendar.monthrange(self.year, last_month)[1]
        return Period(dt.date(self.year, first_month, 1), dt.date(self.year, last_month, last_day))

    def before(self) -> CalendarPeriod:
        """The period of the same kind just before this one."""
        if self.part == "year":
            return CalendarPeriod(self.year - 1)
        kinds = QUARTERS if self.part in QUARTERS else MONTHS
        index = kinds.index(self.part)
        return CalendarPeriod(self.year, kinds[index - 1]) if index else CalendarPeriod(self.year - 1, kinds[-1])


def policy() -> DisclosurePolicy:
    """The disclosure policy from the settings (RIGHTSFIRST_MINIMUM_CELL, RIGHTSFIRST_SUPPRESS_ZEROS)."""
    from rightsfirst.monitoring.disclosure import DisclosurePolicy

    return DisclosurePolicy(
        minimum_cell=int(getattr(settings, "RIGHTSFIRST_MINIMUM_CELL", 10)),
        zeros_disclosive=bool(getattr(settings, "RIGHTSFIRST_SUPPRESS_ZEROS", False)),
    )


def scope_of(user: Any) -> tuple[str, QuerySet[Case]]:
    """The cases a user's statistics cover, and a key naming that scope: every case for a monitor
    (and for the national report), the cases they may see for anyone else."""
    if user is None or access.role_of(user) == Role.MONITOR:
        return "all", Case.objects.all()
    return f"user:{user.pk}", access.visible_cases(user)


class _Cache:
    """A small per-process cache with an expiry; the values are rebuilt by whoever asks first."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[Any, ...], tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        seconds = float(getattr(settings, "RIGHTSFIRST_MONITORING_CACHE_SECONDS", 300))
        now = time.monotonic()
        with self._lock:
            found = self._items.get(key)
            if found is not None and found[0] > now:
                self._items.move_to_end(key)
                value: T = found[1]
                return value
        value = make()
        if seconds > 0:
            with self._lock:
                self._items[key] = (now + seconds, value)
                while len(self._items) > CACHE_SIZE:
                    self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _Cache()


def clear_cache() -> None:
    """Forget every cached extraction and release (tests; after an import)."""
    _cache.clear()


def records_for(scope_key: str, cases: QuerySet[Case]) -> MonitoringRecords:
    """The scope's monitoring records, extracted at most once per cache period."""
    from rightsfirst.web.extraction import extract

    return _cache.get(("records", scope_key), lambda: extract(cases))


def release_for(user: Any, when: CalendarPeriod, *, noise: DifferentialPrivacy | None = None) -> Release:
    """The protected release of one period for the user's scope (None user: every case).

    A noisy release is never cached: each one spends privacy budget and is a new draw.
    """
    from rightsfirst.monitoring.release import build_release

    scope_key, cases = scope_of(user)
    records = records_for(scope_key, cases)
    rules = policy()
    if noise is not None:
        return build_release(records, when.period, policy=rules, noise=noise)

    def previous_pattern() -> dict[str, frozenset[tuple[str, str]]]:
        earlier = build_release(records, when.before().period, policy=rules)
        return earlier.suppression_pattern()

    def make() -> Release:
        previous = _cache.get(("pattern", scope_key, str(when.before()), rules), previous_pattern)
        return build_release(records, when.period, policy=rules, previous=previous)

    return _cache.get(("release", scope_key, str(when), rules), make)
