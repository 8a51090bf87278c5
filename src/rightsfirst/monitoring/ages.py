"""Age bands: CTDC's, the field's practice for published data (HTCDS itself has none).

Kept apart from the record tables so that what needs only a band (erasure keeps one instead of
an age) does not load the columnar libraries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# CTDC's age bands (k-anonymised and synthetic codebooks), as CTDC writes them.
AGE_BANDS = ("0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+")
CHILD_AGE_BANDS = frozenset({"0--8", "9--17"})


def age_band(years: float | None) -> str | None:
    """The CTDC band of an age in years (whole years completed); None when unknown or impossible."""
    if years is None or years < 0 or years > 130:
        return None
    whole = int(years)
    bounds = ((8, "0--8"), (17, "9--17"), (20, "18--20"), (23, "21--23"), (26, "24--26"), (29, "27--29"))
    for upper, band in bounds:
        if whole <= upper:
            return band
    return "30--38" if whole <= 38 else "39--47" if whole <= 47 else "48+"


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def age_band_of_situation(situation: Mapping[str, Any] | None, treated_as_child: bool = False) -> str | None:
    """The age band of a screened person, from the facts of the engine's situation; None when no
    age is known well enough to place the person in one band.

    An established age decides. A stated age is used unless it contradicts the presumption of
    childhood (a girl who says she is 19 but is treated as a child, RPG.G8.3 reading): then, as
    for anyone else, an estimated range gives the band only if it lies within one band, and for a
    person presumed to be a child the part of the range under 18 is what counts.
    """
    person = (situation or {}).get("person") or {}
    if not isinstance(person, Mapping):
        return None
    age = _number(person.get("age"))
    if age is not None:
        return age_band(age)
    stated = _number(person.get("stated_age"))
    if stated is not None and not (treated_as_child and stated >= 18):
        return age_band(stated)
    estimate = person.get("age_range")
    if isinstance(estimate, list | tuple) and len(estimate) == 2:
        low, high = _number(estimate[0]), _number(estimate[1])
        if low is None or high is None:
            return None
        if treated_as_child and low < 18:
            high = min(high, 17)
        low_band, high_band = age_band(low), age_band(high)
        return low_band if low_band == high_band else None
    return None
