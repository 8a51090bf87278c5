"""Combine observed indicators into dimensions, as the ILO/EC operational indicators do.

A dimension is positive when the indicators present in it reach: two strong; or one strong
and at least one medium or weak; or three medium; or two medium and one weak. Weak ones alone
never suffice. Grades depend on the indicator set (adult/child, labour/sexual exploitation).
"""

from __future__ import annotations

from collections.abc import Iterable

from rightsfirst.engine.results import DimensionResult, IndicatorResult
from rightsfirst.engine.spec import InputError
from rightsfirst.framework.model import IndicatorCatalogue

SEXUAL_PURPOSES = frozenset({"sexual_exploitation", "exploitation_of_prostitution"})


def dimension_positive(strong: int, medium: int, weak: int) -> bool:
    """The ILO/EC combination rule for one dimension."""
    return strong >= 2 or (strong >= 1 and medium + weak >= 1) or medium >= 3 or (medium >= 2 and weak >= 1)


def indicator_sets(child: bool, purposes: Iterable[str] | None, age_uncertain: bool = False) -> tuple[str, ...]:
    """Which indicator sets apply: child or adult, sexual and/or labour exploitation.

    While the age is only presumed, both the child and the adult sets are read: a sign that
    counts for an adult must not stop counting because the person may be a child.
    """
    ages = ("C", "A") if age_uncertain else ("C",) if child else ("A",)
    kinds: list[str] = []
    if purposes is None:
        kinds.append("L")
    else:
        chosen = set(purposes)
        if chosen & SEXUAL_PURPOSES:
            kinds.append("S")
        if chosen - SEXUAL_PURPOSES or not chosen:
            kinds.append("L")
    return tuple(f"{age}{kind}" for age in ages for kind in kinds)


def validate_indicator_ids(catalogue: IndicatorCatalogue, ids: Iterable[str]) -> None:
    """Refuse ids that are not in the catalogue, naming the field and a close match."""
    for indicator_id in ids:
        if indicator_id not in catalogue.indicators:
            import difflib

            close = difflib.get_close_matches(indicator_id, list(catalogue.indicators), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InputError(
                "indicators",
                f"{indicator_id!r} is not in the indicator catalogue{hint} "
                "(list them with `rightsfirst framework indicators`)",
            )


def assess_indicators(
    catalogue: IndicatorCatalogue,
    ids: tuple[str, ...],
    child: bool,
    purposes: tuple[str, ...] | None,
    age_uncertain: bool = False,
) -> IndicatorResult:
    """Combine the observed indicators per dimension for the applicable sets."""
    sets = indicator_sets(child, purposes, age_uncertain)
    by_dimension: dict[str, list[str]] = {}
    for indicator_id in ids:
        by_dimension.setdefault(catalogue.indicators[indicator_id].dimension, []).append(indicator_id)
    dimensions = []
    for dimension_id in sorted(by_dimension):
        dimension = catalogue.dimensions[dimension_id]
        best: DimensionResult | None = None
        for set_id in sets:
            strong = medium = weak = 0
            present = []
            for indicator_id in by_dimension[dimension_id]:
                grade = catalogue.indicators[indicator_id].grades.get(set_id)
                if grade is None:
                    continue
                present.append(indicator_id)
                if grade == "S":
                    strong += 1
                elif grade == "M":
                    medium += 1
                else:
                    weak += 1
            result = DimensionResult(
                dimension=dimension_id,
                title=dimension.title,
                positive=dimension_positive(strong, medium, weak),
                strong=strong,
                medium=medium,
                weak=weak,
                indicator_set=set_id,
                bears_on=dimension.bears_on,
                indicators=tuple(present),
            )
            if best is None or (result.positive and not best.positive):
                best = result
        assert best is not None
        dimensions.append(best)
    positive = [item for item in dimensions if item.positive]
    return IndicatorResult(
        sets=sets,
        dimensions=tuple(dimensions),
        suggests_means=any(item.bears_on == "means" for item in positive),
        suggests_purpose=any(item.bears_on == "purpose" for item in positive),
        # Positive recruitment dimensions imply recruitment; destination ones imply the person
        # is being kept (harboured) in the situation.
        suggests_action=bool(positive),
        grades_verified=all(set_id in catalogue.verified_sets for set_id in sets),
    )
