"""The DuckDB side of the computation plan: which cells come from which unit table, the
GROUPING SETS queries that compute them all at once, and their rows turned into results.

Every table of a result needs the groupings (row, column), (row), (column) and (). For each unit
table the union of all groupings asked of it is computed in as few queries as possible: one per
combination of list dimensions (`form`, `rule`) to unnest, since a grouping that does not
contain a list dimension must not unnest it (its cells count distinct persons or measures).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rightsfirst.monitoring.indicators import (
    ALL_DIMENSIONS,
    Breakdown,
    Catalogue,
    Indicator,
    IndicatorResult,
    default_catalogue,
)
from rightsfirst.monitoring.layout import (
    cell_key,
    count_table,
    default_breakdowns,
    dimension_values,
    grouping_sets,
    resolve_breakdowns,
    table_id,
)
from rightsfirst.monitoring.records import MonitoringRecords
from rightsfirst.monitoring.tables import TOTAL

Grouping = tuple[str, ...]  # dimensions grouped by, in ALL_DIMENSIONS order


@dataclass(frozen=True)
class Source:
    """A unit table and its list columns: dimension name -> the list column to unnest for it."""

    table: str
    lists: Mapping[str, str]


@dataclass(frozen=True)
class Plan:
    """What one call computes: the indicators, their breakdowns, and the dimension values."""

    indicators: tuple[Indicator, ...]
    breakdowns: Mapping[str, list[Breakdown]]
    values: Mapping[str, tuple[str, ...]]

    def cells(self) -> list[tuple[Indicator, Breakdown, Grouping]]:
        """Every (indicator, breakdown, grouping) the results need."""
        return [
            (indicator, breakdown, _canonical(grouping))
            for indicator in self.indicators
            for breakdown in self.breakdowns[indicator.id]
            for grouping in grouping_sets(breakdown)
        ]

    def aggregates(self) -> dict[str, dict[str, str]]:
        """For each unit table, the aggregate expressions (by alias) asked of it."""
        found: dict[str, dict[str, str]] = {}
        for indicator, _breakdown, grouping in self.cells():
            for role in ("count", "denominator", "value"):
                routed = route(indicator, role, grouping)
                if routed is not None:
                    table, alias, sql = routed
                    found.setdefault(table, {})[alias] = sql
        return found

    def tables(self) -> set[str]:
        """The unit tables the plan reads."""
        return set(self.aggregates())

    def queries(self, sources: Mapping[str, Source]) -> list[tuple[str, str]]:
        """(key, SQL) of every GROUPING SETS query; the key names the table and what is unnested."""
        groupings: dict[str, set[Grouping]] = {}
        for indicator, _breakdown, grouping in self.cells():
            routed = route(indicator, "count", grouping)
            if routed is None:
                raise RuntimeError(f"{indicator.id}: no table gives its counts")
            groupings.setdefault(routed[0], set()).add(grouping)
        aggregates = self.aggregates()
        queries = []
        for table, wanted in sorted(groupings.items()):
            source = sources[table]
            by_unnest: dict[tuple[str, ...], list[Grouping]] = {}
            for grouping in sorted(wanted):
                unnest = tuple(dimension for dimension in grouping if dimension in source.lists)
                by_unnest.setdefault(unnest, []).append(grouping)
            for unnest, members in sorted(by_unnest.items()):
                queries.append((_key(table, members), _sql(source, unnest, members, aggregates[table])))
        return queries


def _canonical(grouping: Iterable[str]) -> Grouping:
    return tuple(sorted(grouping, key=ALL_DIMENSIONS.index))


def _query_dimensions(groupings: Sequence[Grouping]) -> Grouping:
    return _canonical({dimension for grouping in groupings for dimension in grouping})


def _key(table: str, groupings: Sequence[Grouping]) -> str:
    return table + "|" + ",".join(_query_dimensions(groupings))


def _sql(source: Source, unnest: Sequence[str], groupings: Sequence[Grouping], aggregates: Mapping[str, str]) -> str:
    relation = source.table
    for dimension in unnest:
        relation = f"(SELECT *, unnest({source.lists[dimension]}) AS {dimension} FROM {relation})"  # nosec B608  # our own names
    dimensions = _query_dimensions(groupings)
    selected = ", ".join(f"{sql} AS {alias}" for alias, sql in sorted(aggregates.items()))
    if not dimensions:
        return f"SELECT 0 AS gid, {selected} FROM {relation}"  # nosec B608  # our own column names
    sets = ", ".join("(" + ", ".join(grouping) + ")" for grouping in groupings)
    listed = ", ".join(dimensions)
    grouped = f"GROUP BY GROUPING SETS ({sets})"
    return f"SELECT {listed}, GROUPING({listed}) AS gid, {selected} FROM {relation} {grouped}"  # nosec B608  # our own names


def route(indicator: Indicator, role: str, grouping: Grouping) -> tuple[str, str, str] | None:
    """Where a cell's count, denominator or value comes from: (unit table, alias, aggregate SQL).

    None when the indicator has no such part (a count has no denominator), or when the value
    must not be computed (an amount summed across currencies).
    """
    if role == "denominator" and indicator.denominator is None:
        return None
    if role == "value" and indicator.kind not in {"median", "sum"}:
        return None
    if indicator.counted == "measures":
        if role == "count":
            return "measure_units", f"n_{indicator.id}", f"count_if(n_{indicator.id})"
        return "measure_units", f"p_{indicator.denominator}", f"count_if(p_{indicator.denominator})"
    if indicator.kind == "sum":
        if "currency" in grouping:
            if role == "count":
                return "money", f"n_{indicator.id}", f"count(a_{indicator.id})"
            return "money", f"v_{indicator.id}", f"sum(a_{indicator.id})"
        if role == "value":
            return None
        return "person_cube", f"n_{indicator.id}", f"sum(n_{indicator.id})"
    if indicator.kind == "median":
        if role == "count":
            return "persons", f"n_{indicator.id}", f"count(v_{indicator.id})"
        return "persons", f"v_{indicator.id}", f"quantile_cont(v_{indicator.id}, 0.5)"
    if role == "count":
        return "person_cube", f"n_{indicator.id}", f"sum(n_{indicator.id})"
    return "person_cube", f"p_{indicator.denominator}", f"sum(p_{indicator.denominator})"


def make_plan(
    records: MonitoringRecords,
    breakdowns: Sequence[Breakdown] | None,
    indicators: Sequence[str] | None,
    catalogue: Catalogue | None,
) -> Plan:
    """Select indicators (unknown ids refused, naming the known ones) and resolve breakdowns."""
    catalogue = catalogue or default_catalogue()
    selected = catalogue.indicators if indicators is None else tuple(catalogue.indicator(i) for i in indicators)
    resolved = {
        indicator.id: default_breakdowns(indicator) if breakdowns is None else resolve_breakdowns(indicator, breakdowns)
        for indicator in selected
    }
    return Plan(selected, resolved, dimension_values(records))


Rows = dict[Grouping, dict[tuple[object, ...], dict[str, object]]]


def _parse(rows: Mapping[str, list[tuple[object, ...]]], sources_aliases: Mapping[str, list[str]]) -> dict[str, Rows]:
    parsed: dict[str, Rows] = {}
    for key, result in rows.items():
        table, _, listed = key.partition("|")
        dimensions = tuple(listed.split(",")) if listed else ()
        aliases = sources_aliases[table]
        into = parsed.setdefault(table, {})
        width = len(dimensions)
        for row in result:
            gid = int(row[width])  # type: ignore[call-overload]
            grouped = tuple(d for i, d in enumerate(dimensions) if not gid >> (width - 1 - i) & 1)
            group = tuple(row[dimensions.index(d)] for d in grouped)
            into.setdefault(grouped, {})[group] = dict(zip(aliases, row[width + 1 :], strict=True))
    return parsed


def assemble(plan: Plan, rows: Mapping[str, list[tuple[object, ...]]]) -> list[IndicatorResult]:
    """Turn the query rows into results with complete count tables (zeros and margins)."""
    aliases = {table: sorted(aggregates) for table, aggregates in plan.aggregates().items()}
    parsed = _parse(rows, aliases)
    results = []
    for indicator in plan.indicators:
        for breakdown in plan.breakdowns[indicator.id]:
            cells: dict[str, dict[tuple[str, str], object]] = {"count": {}, "denominator": {}, "value": {}}
            for grouping in grouping_sets(breakdown):
                grouping = _canonical(grouping)
                for role, into in cells.items():
                    routed = route(indicator, role, grouping)
                    if routed is None:
                        continue
                    table, alias, _sql_text = routed
                    for group, values in parsed.get(table, {}).get(grouping, {}).items():
                        cell = cell_key(breakdown, dict(zip(grouping, map(str, group), strict=True)))
                        into[cell] = values[alias]
            results.append(_result(plan, indicator, breakdown, cells))
    return results


def _result(
    plan: Plan, indicator: Indicator, breakdown: Breakdown, cells: Mapping[str, Mapping[tuple[str, str], object]]
) -> IndicatorResult:
    counts = {cell: int(value or 0) for cell, value in cells["count"].items()}  # type: ignore[call-overload]
    table = count_table(table_id(indicator, breakdown), indicator.id, breakdown, plan.values, counts)
    _check_layout(table.cells, counts, table.table_id)
    denominator = None
    if indicator.denominator is not None:
        population = {cell: int(value or 0) for cell, value in cells["denominator"].items()}  # type: ignore[call-overload]
        denominator = count_table(
            table_id(indicator, breakdown, denominator=True), indicator.denominator, breakdown, plan.values, population
        )
        _check_layout(denominator.cells, population, denominator.table_id)
    values = None
    if indicator.kind in {"median", "sum"}:
        values = {
            cell: (None if count == 0 or cells["value"].get(cell) is None else float(cells["value"][cell]))  # type: ignore[arg-type]
            for cell, count in table.cells.items()
        }
        if indicator.kind == "sum":
            values = {cell: (None if cell[1] == TOTAL else value) for cell, value in values.items()}
    return IndicatorResult(indicator, breakdown, table, denominator, values)


def _check_layout(layout: Mapping[tuple[str, str], int], counts: Mapping[tuple[str, str], int], table: str) -> None:
    stray = [cell for cell, count in counts.items() if cell not in layout and count]
    if stray:
        raise RuntimeError(f"{table}: counts outside the table's layout: {stray[:5]}")
