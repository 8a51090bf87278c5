"""Count tables for the disclosure tests, built from fictional persons so that linked tables agree."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from rightsfirst.monitoring.tables import TOTAL, CountTable

# A fictional person: one value per dimension, or a set of values for an overlapping one.
Person = Mapping[str, str | frozenset[str]]


def _values(person: Person, dimension: str | None) -> Iterable[str]:
    if dimension is None:
        return ()
    value = person[dimension]
    return sorted(value) if isinstance(value, frozenset) else (value,)


def table_from_persons(
    persons: Sequence[Person],
    indicator_id: str,
    row: str | None,
    column: str | None,
    *,
    rows: Sequence[str] = (),
    columns: Sequence[str] = (),
    overlapping: frozenset[str] = frozenset(),
    table_id: str | None = None,
) -> CountTable:
    """The count table of persons by (row, column), margins counting each person once."""
    counts: Counter[tuple[str, str]] = Counter()
    for person in persons:
        row_values = list(_values(person, row)) if row else []
        column_values = list(_values(person, column)) if column else []
        counts[(TOTAL, TOTAL)] += 1
        for r in row_values:
            counts[(r, TOTAL)] += 1
        for c in column_values:
            counts[(TOTAL, c)] += 1
        for r in row_values:
            for c in column_values:
                counts[(r, c)] += 1
    rows = tuple(rows) if row else ()
    columns = tuple(columns) if column else ()
    cells = {(r, c): counts[(r, c)] for r in (*rows, TOTAL) for c in (*columns, TOTAL)}
    name = table_id or f"{indicator_id}/by_{row or 'none'}_and_{column or 'none'}"
    return CountTable(
        table_id=name,
        indicator_id=indicator_id,
        row_dimension=row,
        column_dimension=column,
        rows=rows,
        columns=columns,
        cells=cells,
        row_overlap=row in overlapping,
        column_overlap=column in overlapping,
    )


def random_persons(
    rng: random.Random,
    count: int,
    dimensions: Mapping[str, Sequence[str]],
    *,
    skew: float = 1.5,
    overlapping: frozenset[str] = frozenset(),
) -> list[dict[str, str | frozenset[str]]]:
    """Persons with Zipf-like value frequencies (a long tail of rare values, as nationality has)."""
    weights = {dim: [1 / (rank + 1) ** skew for rank in range(len(values))] for dim, values in dimensions.items()}
    persons: list[dict[str, str | frozenset[str]]] = []
    for _ in range(count):
        person: dict[str, str | frozenset[str]] = {}
        for dim, values in dimensions.items():
            if dim in overlapping:
                chosen = {rng.choices(values, weights[dim])[0]}
                while rng.random() < 0.3:
                    chosen.add(rng.choices(values, weights[dim])[0])
                person[dim] = frozenset(chosen)
            else:
                person[dim] = rng.choices(values, weights[dim])[0]
        persons.append(person)
    return persons


def release_from_persons(
    persons: Sequence[Person],
    indicator_id: str,
    dimensions: Mapping[str, Sequence[str]],
    breakdowns: Sequence[tuple[str | None, str | None]],
    *,
    overlapping: frozenset[str] = frozenset(),
) -> list[CountTable]:
    """One table per breakdown (row dimension, column dimension), all of one indicator."""
    return [
        table_from_persons(
            persons,
            indicator_id,
            row,
            column,
            rows=dimensions[row] if row else (),
            columns=dimensions[column] if column else (),
            overlapping=overlapping,
        )
        for row, column in breakdowns
    ]


def two_way(
    table_id: str,
    indicator_id: str,
    row: str,
    column: str,
    matrix: Mapping[str, Mapping[str, int]],
) -> CountTable:
    """A table from its interior counts (rows of a dict of dicts), margins added."""
    rows = tuple(matrix)
    columns = tuple(next(iter(matrix.values())))
    cells: dict[tuple[str, str], int] = {}
    for r in rows:
        for c in columns:
            cells[(r, c)] = matrix[r][c]
        cells[(r, TOTAL)] = sum(matrix[r].values())
    for c in columns:
        cells[(TOTAL, c)] = sum(matrix[r][c] for r in rows)
    cells[(TOTAL, TOTAL)] = sum(cells[(r, TOTAL)] for r in rows)
    return CountTable(table_id, indicator_id, row, column, rows, columns, cells)
