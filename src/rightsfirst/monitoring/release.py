"""A release: every indicator of a period, computed and protected together, ready to publish.

compute() gives the exact counts; protect() suppresses, across all the count tables of the
release at once (numerators and denominators alike, and indicators whose definitions tie them
together), what could point to a person; then the
derived numbers are worked out only from what is published: a share only where both its count
and its denominator are published, a median or a sum only where the count of the persons it
rests on is published.

Optionally the counts are released with differential privacy instead (dp.py): every count table
is noised and charged to a privacy budget before any number exists. A noisy release needs no
suppression (the noise protects every cell, small ones included), so none is applied; medians
and sums are not released in it, since their noise is not covered by the budget.

The dashboard, the national report and the exports all show a Release, so they cannot differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from rightsfirst.framework.model import Framework
from rightsfirst.monitoring import dp
from rightsfirst.monitoring.compute import compute
from rightsfirst.monitoring.disclosure import DisclosurePolicy, Nesting, protect, suppressed_cells
from rightsfirst.monitoring.indicators import (
    Breakdown,
    Catalogue,
    Indicator,
    IndicatorResult,
    Period,
    default_catalogue,
)
from rightsfirst.monitoring.records import MonitoringRecords
from rightsfirst.monitoring.tables import TOTAL, CountTable, PublishedTable

Cell = tuple[str, str]


@dataclass(frozen=True)
class DifferentialPrivacy:
    """A noisy release: epsilon per count table, charged to `budget_id` (at most `budget` in all)."""

    epsilon_per_table: float
    budget_id: str
    budget: float
    ledger: dp.PrivacyLedger


@dataclass(frozen=True)
class PublishedResult:
    """One indicator for one breakdown, as it may be shown."""

    indicator: Indicator
    breakdown: Breakdown
    counts: PublishedTable
    denominator: PublishedTable | None
    values: Mapping[Cell, float | None] = field(default_factory=dict)

    @property
    def table(self) -> CountTable:
        """The count table (rows, columns, cells with margins)."""
        return self.counts.table

    def count(self, cell: Cell) -> int | None:
        """The published count of a cell; None when it is suppressed."""
        return self.counts.shown(*cell)

    def base(self, cell: Cell) -> int | None:
        """The published denominator of a cell (shares only); None when suppressed or not a share."""
        return self.denominator.shown(*cell) if self.denominator is not None else None

    def share(self, cell: Cell) -> float | None:
        """count / denominator, from published numbers only; None when either is not published or
        the denominator is zero."""
        count, base = self.count(cell), self.base(cell)
        if count is None or base is None or base == 0:
            return None
        return count / base

    def value(self, cell: Cell) -> float | None:
        """The median or sum of a cell; None when not published or there is no data."""
        return self.values.get(cell)

    def suppressed(self, cell: Cell) -> bool:
        """Whether the cell's count (or, for a share, its count or denominator) is not published."""
        if cell in self.counts.suppressed:
            return True
        return self.denominator is not None and cell in self.denominator.suppressed

    def cells(self) -> Iterator[Cell]:
        """Every cell, rows by columns, margins last in each direction."""
        table = self.table
        columns = (*table.columns, TOTAL) if table.columns else (TOTAL,)
        for row in (*table.rows, TOTAL) if table.rows else (TOTAL,):
            for column in columns:
                yield (row, column)


@dataclass(frozen=True)
class Release:
    """Every published result of one period, with how it was protected."""

    period: Period
    results: tuple[PublishedResult, ...]
    policy: DisclosurePolicy
    source: str
    noisy: DifferentialPrivacy | None = None

    def for_indicator(self, indicator_id: str) -> list[PublishedResult]:
        """The results of one indicator, in breakdown order."""
        return [result for result in self.results if result.indicator.id == indicator_id]

    def result(self, indicator_id: str, breakdown: Breakdown) -> PublishedResult | None:
        """The result of one indicator for one breakdown, if the release has it."""
        for result in self.results:
            if result.indicator.id == indicator_id and result.breakdown == breakdown:
                return result
        return None

    def suppression_pattern(self) -> dict[str, frozenset[Cell]]:
        """The suppressed cells per table id: `previous` for the next period's release."""
        tables = [result.counts for result in self.results]
        tables += [result.denominator for result in self.results if result.denominator is not None]
        return suppressed_cells(tables)

    def suppressed_count(self) -> int:
        """How many count cells (denominators included, each table once) are not published."""
        return sum(len(cells) for cells in self.suppression_pattern().values())


def agency_regions(records: MonitoringRecords) -> Nesting | None:
    """Each agency lies within one region: declared to disclosure control, since a region with
    one agency counts the very same persons (None when an agency appears in two regions, which
    the records' extraction never gives, or there is no region)."""
    pairs = records.cases.select(["agency", "region"]).group_by(["agency", "region"]).aggregate([])
    parent: dict[str, str] = {}
    for agency, region in zip(pairs["agency"].to_pylist(), pairs["region"].to_pylist(), strict=True):
        if agency is None or region is None:
            continue
        if parent.setdefault(agency, region) != region:
            return None
    return Nesting("agency", "region", parent) if parent else None


def _count_tables(results: Sequence[IndicatorResult]) -> list[CountTable]:
    # A denominator shared by several shares is one table (one population, one breakdown).
    seen: dict[str, CountTable] = {}
    for result in results:
        seen.setdefault(result.counts.table_id, result.counts)
        if result.denominator is not None:
            seen.setdefault(result.denominator.table_id, result.denominator)
    return list(seen.values())


def build_release(
    records: MonitoringRecords,
    period: Period,
    *,
    policy: DisclosurePolicy | None = None,
    breakdowns: Sequence[Breakdown] | None = None,
    indicators: Sequence[str] | None = None,
    previous: Mapping[str, frozenset[Cell]] | None = None,
    framework: Framework | None = None,
    catalogue: Catalogue | None = None,
    noise: DifferentialPrivacy | None = None,
) -> Release:
    """Compute and protect every selected indicator of the period (see the module's docstring).

    Raises dp.BudgetExceeded, releasing nothing, when a noisy release would overspend its budget.
    """
    policy = policy or DisclosurePolicy()
    results = compute(
        records, period, breakdowns=breakdowns, indicators=indicators, framework=framework, catalogue=catalogue
    )
    tables = _count_tables(results)
    if noise is not None:
        noisy = dp.release_with_budget(
            tables,
            noise.epsilon_per_table,
            ledger=noise.ledger,
            budget_id=noise.budget_id,
            budget=noise.budget,
            note=f"{len(tables)} tables, {period.start.isoformat()} to {period.end.isoformat()}",
        )
        published = {table.table_id: PublishedTable(table) for table in noisy}
    else:
        nesting = agency_regions(records)
        # What the definitions say of each other (children detained are some of the persons
        # detained, who are some of the presumed victims) is public: related tables are
        # protected together.
        relations = (catalogue or default_catalogue()).relations()
        protected = protect(
            tables, policy, previous=previous, nestings=[nesting] if nesting else (), relations=relations
        )
        published = {item.table.table_id: item for item in protected}
    shown: list[PublishedResult] = []
    for result in results:
        counts = published[result.counts.table_id]
        denominator = published[result.denominator.table_id] if result.denominator is not None else None
        values: dict[Cell, float | None] = {}
        if result.values is not None and noise is None:
            values = {cell: value for cell, value in result.values.items() if cell not in counts.suppressed}
        shown.append(PublishedResult(result.indicator, result.breakdown, counts, denominator, values))
    return Release(period, tuple(shown), policy, records.source, noise)
