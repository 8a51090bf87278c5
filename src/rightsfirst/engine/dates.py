"""Date arithmetic for due dates: calendar days, working days and months."""

from __future__ import annotations

import calendar
import datetime as dt

from rightsfirst.framework.model import Framework


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days (Monday to Friday) after `start`; public holidays vary by
    country and are not counted here."""
    result = start
    remaining = days
    while remaining > 0:
        result += dt.timedelta(days=1)
        if result.weekday() < 5:
            remaining -= 1
    return result


def add_months(start: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the end of shorter months."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def add_period(start: dt.date, amount: int, unit: str) -> dt.date:
    """Add an amount in a profile parameter's unit: days, working_days or months."""
    if unit == "working_days":
        return add_working_days(start, amount)
    if unit == "months":
        return add_months(start, amount)
    if unit == "days":
        return start + dt.timedelta(days=amount)
    raise ValueError(f"unknown period unit {unit!r}")


_DUE_CACHE: dict[tuple[str, str, dt.date, dt.date], dt.date] = {}


def due_after(framework: Framework, parameter_name: str, start: dt.date, value_on: dt.date) -> dt.date:
    """`start` plus the profile parameter's period as in force on `value_on`.

    Memoised: the same few (start, parameter) pairs recur across cases, and the framework
    version (a hash of its files and profile) keeps different profiles apart.
    """
    key = (framework.version, parameter_name, start, value_on)
    found = _DUE_CACHE.get(key)
    if found is None:
        parameter = framework.profile.parameter(parameter_name)
        found = add_period(start, int(parameter.at(value_on)), parameter.unit)
        if len(_DUE_CACHE) > 100_000:
            _DUE_CACHE.clear()
        _DUE_CACHE[key] = found
    return found
