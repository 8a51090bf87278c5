"""Form widgets shared by the pages."""

from typing import Any

from django import forms


class IsoDateInput(forms.DateInput):
    """A native date picker. Its value must be ISO (YYYY-MM-DD) whatever the user's language:
    a French page would otherwise fill it as 25/11/2026, which the browser shows as empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
