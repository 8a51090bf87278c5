"""Count tables: what indicators produce and disclosure control protects.

A count table crosses one indicator's counts by at most two dimensions (rows by columns), with
its margins. Cells are whole numbers of persons (or of measures, as the indicator says). A
published table carries, for each cell, either its count or the mark that it was suppressed,
and why (primary: below the minimum cell size; secondary: to stop a primary one being worked
out from the totals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# The value standing for "all" in a margin: the row total of a row is the cell (row, TOTAL).
TOTAL = "__total__"


class Suppression(StrEnum):
    """Why a published cell shows no number."""

    PRIMARY = "primary"  # fewer persons than the minimum cell size (zeros as configured)
    SECONDARY = "secondary"  # complementary: would let a primary cell be recovered


@dataclass(frozen=True)
class CountTable:
    """Counts of one indicator for one period, by up to two dimensions, margins included.

    `cells` maps (row value, column value) to a count, with TOTAL standing for a margin:
    (r, TOTAL) is row r's total, (TOTAL, c) column c's, (TOTAL, TOTAL) the grand total. A table
    with one dimension has the single column TOTAL; with none, just (TOTAL, TOTAL).
    Every combination of `rows` and `columns` (each with TOTAL) must be present, zeros included.

    A dimension may be *overlapping*: a person can belong to several of its values (a case has
    several forms of exploitation). Along such a dimension the total is the number of distinct
    persons, not the sum of the cells, so it gives no linear equation between them; the
    `row_overlap` / `column_overlap` flags say so, for disclosure control and for readers.
    """

    table_id: str  # unique in a release, e.g. "detained_presumed_victims/by_age_band_and_sex"
    indicator_id: str
    row_dimension: str | None
    column_dimension: str | None
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: Mapping[tuple[str, str], int]
    row_overlap: bool = False
    column_overlap: bool = False

    def count(self, row: str, column: str) -> int:
        """The count of one cell (TOTAL for a margin)."""
        return self.cells[(row, column)]


@dataclass(frozen=True)
class PublishedTable:
    """A table as it may be released: each cell a count or a suppression mark."""

    table: CountTable
    suppressed: Mapping[tuple[str, str], Suppression] = field(default_factory=dict)

    def shown(self, row: str, column: str) -> int | None:
        """The published value of a cell; None when suppressed."""
        return None if (row, column) in self.suppressed else self.table.count(row, column)
