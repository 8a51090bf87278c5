"""Date arithmetic for due dates: calendar days, working days and months."""

from __future__ import annotations

import calendar
import datetime as dt


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days (Monday to Friday) after `start`; public holidays vary by
    country and are not counted here."""
    if days <= 0:
        return start
    weeks, rest = divmod(days, 5)
    result = start + dt.timedelta(weeks=weeks)
    while rest:
        result += dt.timedelta(days=1)
        if result.weekday() < 5:
            rest -= 1
    # A start on a weekend with a whole number of weeks still has to land on a working day.
    while result.weekday() >= 5:
        result += dt.timedelta(days=1)
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
