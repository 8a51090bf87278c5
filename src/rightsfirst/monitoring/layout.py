"""How indicator results are laid out: breakdowns, table ids, and the values of each dimension.

Shared by the DuckDB computation and the pandas baseline, so that both lay out the same cells;
what goes into the cells (the definitions) each computes on its own.

The values of a dimension are the same in every table of a release: the fixed code lists
(AGE_BANDS, SEXES, FORMS, STAGES, the engine's measure types and review rules), then any other
value seen anywhere in the records (not just in the period or the indicator), then "unknown".
Stable rows keep tables comparable and let disclosure control link cells across tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from rightsfirst.engine.measures import MEASURE_TYPES
from rightsfirst.monitoring.ages import AGE_BANDS
from rightsfirst.monitoring.indicators import (
    ALL_DIMENSIONS,
    OVERLAPPING,
    UNKNOWN,
    Breakdown,
    Indicator,
)
from rightsfirst.monitoring.records import FORMS, SEXES, STAGES, MonitoringRecords
from rightsfirst.monitoring.tables import TOTAL, CountTable

# Pairs published by default when an indicator allows both dimensions: age by sex and form by
# sex are the disaggregations RPG.G3.3 asks for; nationality by sex is the one most national
# reports give; agency by child shows where children's cases are handled; measure type by
# agency lets each agency see its own record (FS36.IV.E.self-monitoring).
DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (
    ("age_band", "sex"),
    ("form", "sex"),
    ("nationality", "sex"),
    ("agency", "child"),
    ("measure_type", "agency"),
)
CHILD_VALUES = {True: "yes", False: "no"}


def _rule_ids() -> tuple[str, ...]:
    from rightsfirst.engine.review_rules import RULES

    return tuple(f"{rule.measure_type}.{rule.label}" for measure_type in sorted(RULES) for rule in RULES[measure_type])


def _fixed_values() -> dict[str, tuple[str, ...]]:
    return {
        "age_band": AGE_BANDS,
        "sex": SEXES,
        "form": FORMS,
        "child": ("yes", "no"),
        "stage": STAGES,
        "measure_type": tuple(MEASURE_TYPES),
        "rule": _rule_ids(),
    }


def _seen(column: pa.ChunkedArray) -> set[str]:
    if pa.types.is_list(column.type):
        column = pc.list_flatten(column)
    return {value for value in pc.unique(column).to_pylist() if value is not None}


def dimension_values(records: MonitoringRecords) -> dict[str, tuple[str, ...]]:
    """The values (rows or columns) of every dimension for a release computed from `records`."""
    # Only the currency column is filtered: filtering the whole measures table would copy every
    # fact column of the compensation measures (a third of a second for a million cases).
    currencies = pc.filter(records.measures["currency"], pc.equal(records.measures["measure_type"], "compensation"))
    seen = {
        "age_band": _seen(records.cases["age_band"]),
        "sex": _seen(records.cases["sex"]),
        "nationality": _seen(records.cases["nationality"]),
        "form": _seen(records.cases["forms"]),
        "agency": _seen(records.cases["agency"]),
        "region": _seen(records.cases["region"]),
        "child": set(),
        "stage": _seen(records.cases["stage"]),
        "measure_type": _seen(records.measures["measure_type"]),
        "rule": _seen(records.measures["violated_rules"]),
        "currency": _seen(currencies),
    }
    fixed = _fixed_values()
    values: dict[str, tuple[str, ...]] = {}
    for dimension in ALL_DIMENSIONS:
        known = fixed.get(dimension, ())
        extra = sorted(seen[dimension] - set(known) - {UNKNOWN})
        values[dimension] = (*known, *extra, UNKNOWN)
    return values


def default_breakdowns(indicator: Indicator) -> list[Breakdown]:
    """Totals, each allowed dimension alone, and the DEFAULT_PAIRS it allows (sums: per currency)."""
    allowed = [dimension for dimension in indicator.dimensions if dimension != "currency"]
    breakdowns: list[Breakdown] = [(None, None)]
    breakdowns += [(dimension, None) for dimension in allowed]
    breakdowns += [(row, column) for row, column in DEFAULT_PAIRS if row in allowed and column in allowed]
    return resolve_breakdowns(indicator, breakdowns)


def resolve_breakdowns(indicator: Indicator, requested: Sequence[Breakdown]) -> list[Breakdown]:
    """The requested breakdowns this indicator can be published by, in order, without repeats.

    A breakdown naming a dimension the indicator does not allow is left out. Amounts are only
    ever shown per currency, so for a sum a breakdown without currency gets it as its column,
    and one with two other dimensions is left out.
    """
    for row, column in requested:
        for dimension in (row, column):
            if dimension is not None and dimension not in ALL_DIMENSIONS:
                raise ValueError(f"unknown dimension {dimension!r} (allowed: {', '.join(ALL_DIMENSIONS)})")
        if row is None and column is not None:
            raise ValueError(f"breakdown ({row}, {column}): give the row dimension first")
        if row is not None and row == column:
            raise ValueError(f"breakdown ({row}, {column}): the two dimensions must differ")
    resolved: list[Breakdown] = []
    for row, column in requested:
        if indicator.kind == "sum" and "currency" not in (row, column):
            if column is not None:
                continue
            row, column = (row, "currency") if row is not None else (None, "currency")
        if row == "currency":  # amounts and their margins are read along the columns
            row, column = column, "currency"
        allowed = all(dimension is None or dimension in indicator.dimensions for dimension in (row, column))
        if allowed and (row, column) not in resolved:
            resolved.append((row, column))
    return resolved


def breakdown_name(breakdown: Breakdown) -> str:
    """A short name for a breakdown: "total", "by_sex", "by_age_band_and_sex"."""
    names = [dimension for dimension in breakdown if dimension is not None]
    return "total" if not names else "by_" + "_and_".join(names)


def table_id(indicator: Indicator, breakdown: Breakdown, *, denominator: bool = False) -> str:
    """The id of a result's count table; a denominator's is under its population."""
    if denominator:
        return f"{indicator.id}/denominator/{breakdown_name(breakdown)}"
    return f"{indicator.id}/{breakdown_name(breakdown)}"


def grouping_sets(breakdown: Breakdown) -> list[tuple[str, ...]]:
    """The groupings a table's cells and margins come from: (row, column), row, column, none."""
    row, column = breakdown
    sets: list[tuple[str, ...]] = [()]
    if row is not None:
        sets.append((row,))
    if column is not None:
        sets.append((column,))
    if row is not None and column is not None:
        sets.append((row, column))
    return sets


def cell_key(breakdown: Breakdown, grouped: Mapping[str, str]) -> tuple[str, str]:
    """The cell a group falls in: its value along each dimension grouped, TOTAL along the others."""
    row, column = breakdown
    return (
        grouped[row] if row is not None and row in grouped else TOTAL,
        grouped[column] if column is not None and column in grouped else TOTAL,
    )


def count_table(
    table: str,
    population_id: str,
    breakdown: Breakdown,
    values: Mapping[str, tuple[str, ...]],
    counts: Mapping[tuple[str, str], int],
) -> CountTable:
    """A count table with every cell of the layout, zeros included."""
    row, column = breakdown
    rows = values[row] if row is not None else ()
    columns = values[column] if column is not None else ()
    cells = {key: int(counts.get(key, 0)) for key in all_cells(rows, columns)}
    return CountTable(
        table_id=table,
        indicator_id=population_id,
        row_dimension=row,
        column_dimension=column,
        rows=rows,
        columns=columns,
        cells=cells,
        row_overlap=row in OVERLAPPING,
        column_overlap=column in OVERLAPPING,
    )


def all_cells(rows: Iterable[str], columns: Iterable[str]) -> list[tuple[str, str]]:
    """Every (row, column) key of a layout, margins (TOTAL) included."""
    row_keys = [*rows, TOTAL]
    column_keys = [*columns, TOTAL]
    return [(r, c) for r in row_keys for c in column_keys]
