"""Bounds on what may be entered, shared by the forms and the API.

The rules engine computes deadlines by adding days and months to the dates it is given. A date
in year 1 or 9999, or a period of a billion days, would take that arithmetic off the calendar
and fail the request with a server error; a date in year 0024 is a typing slip in any case. So
dates and periods are kept within bounds no real case reaches, and the user is told the bounds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext as _

EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)
# The longest period (in days or months) a measure may state: a century of days. Even from the
# latest date allowed, adding it stays far inside the calendar.
MAX_PERIOD = 36_500
# Free text kept in one field (a note, a justification, the reasons for an override): long enough
# for any of them, short enough that no one fills the database (or a page) with one request.
MAX_TEXT = 4_000


def date_problem(value: dt.date) -> str | None:
    """Why this date cannot be used, or None when it is within the bounds."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        return _("Enter a date between %(earliest)s and %(latest)s.") % {
            "earliest": EARLIEST_DATE.isoformat(),
            "latest": LATEST_DATE.isoformat(),
        }
    return None


def validate_date(value: Any) -> None:
    """A form validator: refuse dates outside EARLIEST_DATE .. LATEST_DATE."""
    if isinstance(value, dt.date):
        problem = date_problem(value)
        if problem:
            raise forms.ValidationError(problem, code="date_range")


class BoundedDateField(forms.DateField):
    """A date field that refuses dates outside the bounds the application computes with."""

    default_validators = [validate_date]

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        """The earliest date for the browser's date picker too (the server checks it anyway)."""
        return {**super().widget_attrs(widget), "min": EARLIEST_DATE.isoformat()}
