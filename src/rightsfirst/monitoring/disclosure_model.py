"""The linear system a release publishes, one per family of indicators: the input of disclosure control.

A cell of any table stands for a set of persons described by the dimension values it fixes:
(age band 25-29, TOTAL) of the age band x sex table and (25-29, TOTAL) of the one-way age-band
table fix the same thing ({age_band: 25-29}), so they are one *variable* of the indicator's
system; every table's (TOTAL, TOTAL) is the variable {} (the grand total). The equations are
the sums each table states (its cells add up to its margins along every dimension that does
not overlap); along an overlapping dimension a cell is at most its margin, an inequality.

Indicators can be related by their definitions, which readers know as well as we do. A *slice*
counts exactly some of another's persons (children detained are the detained persons whose
`child` is `yes`): its cells are the other's cells with that value fixed, the same variables. A
*subset* counts only persons the other counts too (a share's count and its denominator): each
of its cells is at most the other's same cell, an inequality. Related indicators form one
*family* and are protected as one system: the variables of a family member that is not a slice
carry its id as a *population* (`(POPULATION, id)` in the key), except for the family's root.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rightsfirst.monitoring.tables import TOTAL, CountTable

# The dimension values a cell fixes, sorted: () is the grand total.
Key = tuple[tuple[str, str], ...]
Cell = tuple[str, str]
# The pseudo-dimension naming the population of a family member other than the root; it sorts
# before every dimension name.
POPULATION = "\x00population"


class DisclosureError(ValueError):
    """Tables that cannot be protected as given (inconsistent counts, or an unprotectable cell)."""


@dataclass
class Plane:
    """The interior cells of the tables crossing two dimensions, as a bipartite graph.

    Nodes 0..n0-1 are the values of dims[0], n0..n0+n1-1 those of dims[1]; an edge is an
    interior cell. A node *conserves* when its cells must add up to its margin (the other
    dimension does not overlap): a change to one of its cells must then be balanced by another.
    """

    dims: tuple[str, str]
    values: tuple[tuple[str, ...], tuple[str, ...]]
    conserve: tuple[bool, bool]
    margins: tuple[tuple[int, ...], tuple[int, ...]]
    cell: dict[tuple[int, int], int] = field(default_factory=dict)
    adjacency: list[list[tuple[int, int]]] = field(default_factory=list)

    def side_of(self, node: int) -> int:
        return 0 if node < len(self.values[0]) else 1

    def node(self, side: int, index: int) -> int:
        return index if side == 0 else len(self.values[0]) + index


@dataclass
class System:
    """One indicator's published cells and the equations between them."""

    indicator_id: str  # the family's root (the only indicator, when it has no relations)
    tables: list[CountTable]
    var_of: dict[str, dict[Cell, int]]  # per table id: the variable of each cell
    keys: list[Key]
    values: list[int]
    equations: list[tuple[tuple[int, int], ...]]
    var_equations: list[list[tuple[int, int]]]  # per variable: (equation number, its coefficient)
    inequalities: list[tuple[int, int]]  # (a, b): x[a] <= x[b]
    var_inequalities: list[list[int]]
    planes: list[Plane]
    dimension_planes: dict[str, list[tuple[Plane, int]]]
    # Dimension names as the search sees them: a family member other than the root has its own
    # (`sex@detained_child_victims`), since its margins are other variables than the root's.
    margin_var: dict[tuple[str, str], int]
    total_var: int  # the root's grand total
    where: dict[int, tuple[str, Cell]]  # a table cell standing for each variable, for messages
    # For a dimension nested in another that the indicator is also published by: the coarse
    # value of each of its values (a change moved between agencies of one region leaves the
    # region's cells as they are).
    groups: dict[str, dict[str, str]] = field(default_factory=dict)
    # Per nesting: the variable of each cell fixing a fine value -> the variable of the same cell
    # with the coarse value instead (the agency's cell -> its region's), where both are cells.
    projections: list[dict[int, int]] = field(default_factory=list)
    # Per dimension name as the search sees it: the grand total its margins add up to.
    dimension_total: dict[str, int] = field(default_factory=dict)
    # The one-dimension margins of family members other than the root, per variable: (dimension
    # name as the search sees it, value). The root's margins are the variables fixing one value.
    member_margins: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    indicator_ids: tuple[str, ...] = ()  # every indicator of the family

    def describe(self, var: int) -> str:
        table_id, (row, column) = self.where[var]
        shown = (
            ", ".join(f"of {value}" if dim == POPULATION else f"{dim}={value}" for dim, value in self.keys[var])
            or "grand total"
        )
        return f"cell ({_label(row)}, {_label(column)}) of table {table_id!r} ({shown})"

    def is_root_margin(self, var: int) -> bool:
        """Whether the variable is a one-value margin of the family's root (its key fixes one value)."""
        key = self.keys[var]
        return len(key) == 1 and key[0][0] != POPULATION


def _label(value: str) -> str:
    return "TOTAL" if value == TOTAL else value


def _key(table: CountTable, cell: Cell) -> Key:
    row, column = cell
    row_dimension, column_dimension = table.row_dimension, table.column_dimension
    if row == TOTAL or row_dimension is None:
        return () if column == TOTAL or column_dimension is None else ((column_dimension, column),)
    if column == TOTAL or column_dimension is None:
        return ((row_dimension, row),)
    if row_dimension < column_dimension:
        return ((row_dimension, row), (column_dimension, column))
    return ((column_dimension, column), (row_dimension, row))


def _check_table(table: CountTable) -> None:
    where = f"table {table.table_id!r}"
    for name, dimension, values in (
        ("row", table.row_dimension, table.rows),
        ("column", table.column_dimension, table.columns),
    ):
        if dimension is None and values:
            raise DisclosureError(f"{where}: {len(values)} {name}s given but no {name} dimension")
        if len(set(values)) != len(values):
            raise DisclosureError(f"{where}: a {name} value is repeated in {list(values)!r}")
        if TOTAL in values:
            raise DisclosureError(f"{where}: {TOTAL!r} is the margin and cannot be a {name} value")
    if table.row_dimension is not None and table.row_dimension == table.column_dimension:
        raise DisclosureError(f"{where}: rows and columns are both {table.row_dimension!r}")
    expected = {(r, c) for r in (*table.rows, TOTAL) for c in (*table.columns, TOTAL)}
    missing = expected - set(table.cells)
    if missing:
        row, column = sorted(missing)[0]
        raise DisclosureError(f"{where}: cell ({_label(row)}, {_label(column)}) is missing ({len(missing)} missing)")
    extra = set(table.cells) - expected
    if extra:
        row, column = sorted(extra)[0]
        raise DisclosureError(f"{where}: cell ({row}, {column}) is not in the table's rows and columns")
    for (row, column), count in table.cells.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DisclosureError(
                f"{where}: cell ({_label(row)}, {_label(column)}) is {count!r}; counts are whole numbers of at least 0"
            )
    # Along a dimension that does not overlap, the cells add up to the margin; along one that
    # does, no cell exceeds it.
    for row in (*table.rows, TOTAL):
        if not table.columns:
            break
        parts = [table.cells[(row, c)] for c in table.columns]
        margin = table.cells[(row, TOTAL)]
        if not table.column_overlap and sum(parts) != margin:
            raise DisclosureError(
                f"{where}: row {_label(row)} adds up to {sum(parts)} but its total is {margin} "
                "(if a person can be in several columns, mark column_overlap)"
            )
        if table.column_overlap and max(parts) > margin:
            raise DisclosureError(f"{where}: row {_label(row)} has a cell above its total {margin}")
    for column in (*table.columns, TOTAL):
        if not table.rows:
            break
        parts = [table.cells[(r, column)] for r in table.rows]
        margin = table.cells[(TOTAL, column)]
        if not table.row_overlap and sum(parts) != margin:
            raise DisclosureError(
                f"{where}: column {_label(column)} adds up to {sum(parts)} but its total is {margin} "
                "(if a person can be in several rows, mark row_overlap)"
            )
        if table.row_overlap and max(parts) > margin:
            raise DisclosureError(f"{where}: column {_label(column)} has a cell above its total {margin}")


@dataclass(frozen=True)
class Nesting:
    """A dimension each value of which lies within one value of a coarser dimension.

    Each agency belongs to one region: a region's count is the sum of its agencies' counts,
    and a region with a single agency counts the very same persons as that agency. A reader
    who knows the map can use both, so disclosure control must too.
    """

    fine: str
    coarse: str
    parent: Mapping[str, str]  # fine value -> the coarse value it lies within

    def __post_init__(self) -> None:
        if self.fine == self.coarse:
            raise ValueError(f"Nesting: {self.fine!r} cannot lie within itself")

    def children(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = defaultdict(list)
        for fine, coarse in self.parent.items():
            found[coarse].append(fine)
        return {coarse: tuple(sorted(values)) for coarse, values in found.items()}


class _Canon:
    """Keys rewritten so that cells counting the same persons through a nesting are one key."""

    def __init__(self, nestings: Sequence[Nesting]) -> None:
        self.nestings = list(nestings)
        self.children = [nesting.children() for nesting in self.nestings]
        self.coarse = {nesting.coarse for nesting in self.nestings}

    def __call__(self, key: Key) -> Key:
        wider = self.coarse
        if not wider or not (
            (len(key) > 0 and key[0][0] in wider) or (len(key) > 1 and key[1][0] in wider) or len(key) > 2
        ):
            return key
        for nesting, children in zip(self.nestings, self.children, strict=True):
            fixed = dict(key)
            coarse, fine = fixed.get(nesting.coarse), fixed.get(nesting.fine)
            if coarse is None:
                continue
            if fine is not None:
                if nesting.parent.get(fine) == coarse:
                    del fixed[nesting.coarse]  # the agency already says which region
            elif len(children.get(coarse, ())) == 1:
                del fixed[nesting.coarse]  # a region of one agency: the same persons
                fixed[nesting.fine] = children[coarse][0]
            key = tuple(sorted(fixed.items()))
        return key

    def projections(self, keys: Sequence[Key], index: Mapping[Key, int]) -> list[dict[int, int]]:
        """Per nesting, fine cell variable -> coarse cell variable (see System.projections)."""
        found: list[dict[int, int]] = []
        for nesting in self.nestings:
            mapping: dict[int, int] = {}
            for key in keys:
                fixed = dict(key)
                fine = fixed.get(nesting.fine)
                if fine is None or nesting.coarse in fixed or fine not in nesting.parent:
                    continue
                del fixed[nesting.fine]
                fixed[nesting.coarse] = nesting.parent[fine]
                coarse = index.get(self(tuple(sorted(fixed.items()))))
                if coarse is not None and coarse != index[key]:
                    mapping[index[key]] = coarse
            found.append(mapping)
        return found

    def sums(self, keys: Sequence[Key]) -> list[tuple[Key, tuple[Key, ...]]]:
        """Each coarse cell whose fine parts are all cells of the release, with those parts."""
        known = set(keys)
        found = []
        for nesting, children in zip(self.nestings, self.children, strict=True):
            for key in keys:
                if all(dimension != nesting.coarse for dimension, _ in key):
                    continue
                fixed = dict(key)
                coarse = fixed.get(nesting.coarse)
                if coarse is None or nesting.fine in fixed or len(children.get(coarse, ())) < 2:
                    continue
                del fixed[nesting.coarse]
                parts = []
                for fine in children[coarse]:
                    parts.append(self(tuple(sorted({**fixed, nesting.fine: fine}.items()))))
                if all(part in known for part in parts):
                    found.append((key, tuple(parts)))
        return found


@dataclass(frozen=True)
class Slice:
    """`indicator` counts exactly the persons of `of` whose `dimension` is `value`.

    Children detained are the detained persons whose `child` is `yes`: each cell of the one is
    the other's cell with that value fixed, so both must carry the same mark. A reader who
    reads the definitions knows it.
    """

    indicator: str
    of: str
    dimension: str
    value: str


@dataclass(frozen=True)
class Subset:
    """Every person (or measure) `indicator` counts, `of` counts too: cell by cell, at most its count.

    A share's count and its denominator (persons detained among the presumed victims); a reader
    who sees 14 of 15 presumed men detained knows that at least 14 presumed victims were men.
    """

    indicator: str
    of: str


Relation = Slice | Subset


@dataclass(frozen=True)
class _Placement:
    """Where one family member's cells sit in the family's system."""

    space: str  # "" for the root; otherwise the member's id, which suffixes its dimension names
    fixed: Key  # what every one of its cells fixes besides its own dimensions (population, slice)


def dimension_in(space: str, dimension: str) -> str:
    """A dimension's name as the search sees it for a family member (the root's is unchanged)."""
    return f"{dimension}@{space}" if space else dimension


def build_systems(
    tables: Sequence[CountTable], nestings: Sequence[Nesting] = (), relations: Sequence[Relation] = ()
) -> list[System]:
    """Check the tables and build one system per family of related indicators (by root id).

    An indicator without relations to another of the release is a family of its own. A relation
    naming an indicator the release does not hold says nothing and is left aside.
    """
    seen: set[str] = set()
    by_indicator: dict[str, list[CountTable]] = defaultdict(list)
    for table in tables:
        if table.table_id in seen:
            raise DisclosureError(f"table id {table.table_id!r} appears twice in the release")
        seen.add(table.table_id)
        _check_table(table)
        by_indicator[table.indicator_id].append(table)
    canon = _Canon(nestings)
    present = [r for r in relations if r.indicator in by_indicator and r.of in by_indicator]
    systems = []
    for members in _families(sorted(by_indicator), present):
        placements = _placements(members, present)
        family_tables = [table for member in members for table in by_indicator[member]]
        subsets = [r for r in present if isinstance(r, Subset) and r.indicator in placements]
        systems.append(_system(family_tables, placements, subsets, canon))
    return sorted(systems, key=lambda system: system.indicator_id)


def _families(indicators: list[str], relations: Sequence[Relation]) -> list[list[str]]:
    parent = {indicator: indicator for indicator in indicators}

    def find(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for relation in relations:
        a, b = find(relation.indicator), find(relation.of)
        if a != b:
            parent[max(a, b)] = min(a, b)
    grouped: dict[str, list[str]] = defaultdict(list)
    for indicator in indicators:
        grouped[find(indicator)].append(indicator)
    return [sorted(members) for _, members in sorted(grouped.items())]


def _placements(members: list[str], relations: Sequence[Relation]) -> dict[str, _Placement]:
    slice_of = {r.indicator: r for r in relations if isinstance(r, Slice) and r.indicator in members}

    def base(indicator: str) -> tuple[str, dict[str, str]]:
        fixed: dict[str, str] = {}
        chain = [indicator]
        while indicator in slice_of:
            relation = slice_of[indicator]
            if fixed.get(relation.dimension, relation.value) != relation.value:
                raise DisclosureError(
                    f"indicator {chain[0]!r} is a slice of slices that fix {relation.dimension!r} "
                    f"to two values ({fixed[relation.dimension]!r} and {relation.value!r})"
                )
            fixed[relation.dimension] = relation.value
            indicator = relation.of
            if indicator in chain:
                raise DisclosureError(f"slices go round in a circle: {' -> '.join([*chain, indicator])}")
            chain.append(indicator)
        return indicator, fixed

    bases = {member: base(member) for member in members}
    root = min(population for population, _ in bases.values())
    placements = {}
    for member, (population, fixed) in bases.items():
        if population != root:
            fixed = {**fixed, POPULATION: population}
        placements[member] = _Placement("" if member == root else member, tuple(sorted(fixed.items())))
    return placements


def _placed(key: Key, placement: _Placement, table: CountTable) -> Key:
    if not placement.fixed:
        return key
    fixed = dict(key)
    for dimension, value in placement.fixed:
        if fixed.setdefault(dimension, value) != value:
            raise DisclosureError(
                f"table {table.table_id!r} is broken down by {dimension!r}, which its indicator's "
                f"definition fixes to {value!r} (a slice of another indicator)"
            )
    return tuple(sorted(fixed.items()))


def _system(
    tables: list[CountTable], placements: dict[str, _Placement], subsets: Sequence[Subset], canon: _Canon
) -> System:
    indicator_id = next(member for member, placement in placements.items() if not placement.space)
    tables = sorted(tables, key=lambda t: t.table_id)
    space_of = {table.table_id: placements[table.indicator_id].space for table in tables}
    value_of: dict[Key, int] = {}
    where_of: dict[Key, tuple[str, Cell]] = {}
    keys_of_table: list[dict[Cell, Key]] = []
    # Per indicator: its own key of each cell (before placing) -> the cell's placed key.
    own_keys: dict[str, dict[Key, Key]] = defaultdict(dict)
    for table in tables:
        keys_here: dict[Cell, Key] = {}
        placement = placements[table.indicator_id]
        for cell, count in table.cells.items():
            own = _key(table, cell)
            key = canon(_placed(own, placement, table))
            own_keys[table.indicator_id][own] = key
            keys_here[cell] = key
            known = value_of.get(key)
            if known is None:
                value_of[key] = count
                where_of[key] = (table.table_id, cell)
            elif known != count:
                first_table, first_cell = where_of[key]
                raise DisclosureError(
                    f"indicator {table.indicator_id!r}: table {table.table_id!r} cell ({_label(cell[0])}, "
                    f"{_label(cell[1])}) is {count} but the same persons are {known} in table "
                    f"{first_table!r} cell ({_label(first_cell[0])}, {_label(first_cell[1])})"
                )
        keys_of_table.append(keys_here)
    keys = sorted(value_of, key=lambda k: (len(k), k))
    index = {key: i for i, key in enumerate(keys)}
    var_of = {
        table.table_id: {cell: index[key] for cell, key in keys_here.items()}
        for table, keys_here in zip(tables, keys_of_table, strict=True)
    }

    equations: set[tuple[tuple[int, int], ...]] = set()
    inequalities: set[tuple[int, int]] = set()
    for table in tables:
        vars_here = var_of[table.table_id]
        if table.columns:
            for row in (*table.rows, TOTAL):
                margin = vars_here[(row, TOTAL)]
                parts = [vars_here[(row, c)] for c in table.columns]
                if table.column_overlap:
                    inequalities.update((part, margin) for part in parts if part != margin)
                else:
                    equations.add(_equation(parts, margin))
        if table.rows:
            for column in (*table.columns, TOTAL):
                margin = vars_here[(TOTAL, column)]
                parts = [vars_here[(r, column)] for r in table.rows]
                if table.row_overlap:
                    inequalities.update((part, margin) for part in parts if part != margin)
                else:
                    equations.add(_equation(parts, margin))
    for coarse, nested in canon.sums(keys):
        total = sum(value_of[part] for part in nested)
        if total != value_of[coarse]:
            table_id, (row, column) = where_of[coarse]
            raise DisclosureError(
                f"indicator {indicator_id!r}: table {table_id!r} cell ({_label(row)}, {_label(column)}) is "
                f"{value_of[coarse]} but the values nested in it add up to {total} elsewhere in the release"
            )
        equations.add(_equation([index[part] for part in nested], index[coarse]))
    equations.discard(())
    for subset in subsets:
        wider = own_keys[subset.of]
        for own, key in own_keys[subset.indicator].items():
            other = wider.get(own)
            if other is None or other == key:
                continue
            if value_of[key] > value_of[other]:
                table_id, (row, column) = where_of[key]
                other_table, (other_row, other_column) = where_of[other]
                raise DisclosureError(
                    f"indicator {subset.indicator!r} counts only persons {subset.of!r} counts, but table "
                    f"{table_id!r} cell ({_label(row)}, {_label(column)}) is {value_of[key]} and table "
                    f"{other_table!r} cell ({_label(other_row)}, {_label(other_column)}) only {value_of[other]}"
                )
            inequalities.add((index[key], index[other]))
    ordered_equations = sorted(equations)
    ordered_inequalities = sorted(inequalities)
    var_equations: list[list[tuple[int, int]]] = [[] for _ in keys]
    for number, equation in enumerate(ordered_equations):
        for var, coefficient in equation:
            var_equations[var].append((number, coefficient))
    var_inequalities: list[list[int]] = [[] for _ in keys]
    for number, (a, b) in enumerate(ordered_inequalities):
        var_inequalities[a].append(number)
        var_inequalities[b].append(number)

    # The variable of each (dimension, value) total, by the tables' own margins: through a
    # nesting, a region of one agency has the agency's variable. Dimension names as the search
    # sees them (suffixed for family members other than the root).
    margin_var: dict[tuple[str, str], int] = {}
    dimension_total: dict[str, int] = {}
    member_margins: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for table in tables:
        vars_here = var_of[table.table_id]
        space = space_of[table.table_id]
        for dimension, margins in (
            (table.row_dimension, {r: vars_here[(r, TOTAL)] for r in table.rows}),
            (table.column_dimension, {c: vars_here[(TOTAL, c)] for c in table.columns}),
        ):
            if dimension is None:
                continue
            named = dimension_in(space, dimension)
            dimension_total[named] = vars_here[(TOTAL, TOTAL)]
            for value, var in margins.items():
                margin_var[(named, value)] = var
                if space and (named, value) not in member_margins[var]:
                    member_margins[var].append((named, value))
    planes = _planes(tables, var_of, margin_var, space_of)
    dimension_planes: dict[str, list[tuple[Plane, int]]] = defaultdict(list)
    for plane in planes:
        dimension_planes[plane.dims[0]].append((plane, 0))
        dimension_planes[plane.dims[1]].append((plane, 1))
    groups: dict[str, dict[str, str]] = {}
    for nesting in canon.nestings:
        for table in tables:
            if nesting.coarse in (table.row_dimension, table.column_dimension):
                groups[dimension_in(space_of[table.table_id], nesting.fine)] = dict(nesting.parent)
    return System(
        indicator_id=indicator_id,
        tables=tables,
        var_of=var_of,
        keys=keys,
        values=[value_of[key] for key in keys],
        equations=ordered_equations,
        var_equations=var_equations,
        inequalities=ordered_inequalities,
        var_inequalities=var_inequalities,
        planes=planes,
        dimension_planes=dict(dimension_planes),
        margin_var=margin_var,
        total_var=index[()],
        where={index[key]: place for key, place in where_of.items()},
        projections=canon.projections(keys, index),
        groups=groups,
        dimension_total=dimension_total,
        member_margins=dict(member_margins),
        indicator_ids=tuple(sorted(placements)),
    )


def _equation(parts: list[int], margin: int) -> tuple[tuple[int, int], ...]:
    """The parts add up to the margin, as sorted (variable, coefficient) terms.

    Through a nesting a part can be the margin's own variable (the region's cell of an agency
    is the agency's total): such terms cancel, and an equation left empty says nothing."""
    coefficients: dict[int, int] = {}
    for part in parts:
        coefficients[part] = coefficients.get(part, 0) + 1
    coefficients[margin] = coefficients.get(margin, 0) - 1
    return tuple(sorted((var, c) for var, c in coefficients.items() if c))


def _planes(
    tables: list[CountTable],
    var_of: dict[str, dict[Cell, int]],
    margin_var: dict[tuple[str, str], int],
    space_of: dict[str, str],
) -> list[Plane]:
    found: dict[tuple[object, ...], Plane] = {}
    for table in tables:
        if table.row_dimension is None or table.column_dimension is None or not table.rows or not table.columns:
            continue
        space = space_of[table.table_id]
        row_dimension = dimension_in(space, table.row_dimension)
        column_dimension = dimension_in(space, table.column_dimension)
        transposed = table.column_dimension < table.row_dimension
        if transposed:
            dims = (column_dimension, row_dimension)
            values = (tuple(sorted(table.columns)), tuple(sorted(table.rows)))
            # Side 0 conserves when the other side's dimension does not overlap.
            conserve = (not table.row_overlap, not table.column_overlap)
        else:
            dims = (row_dimension, column_dimension)
            values = (tuple(sorted(table.rows)), tuple(sorted(table.columns)))
            conserve = (not table.column_overlap, not table.row_overlap)
        identity = (dims, values, conserve)
        if identity in found:
            continue
        plane = Plane(
            dims=dims,
            values=values,
            conserve=conserve,
            margins=(
                tuple(margin_var[(dims[0], v)] for v in values[0]),
                tuple(margin_var[(dims[1], v)] for v in values[1]),
            ),
        )
        vars_here = var_of[table.table_id]
        n0 = len(values[0])
        adjacency: list[list[tuple[int, int]]] = [[] for _ in range(n0 + len(values[1]))]
        for i, a in enumerate(values[0]):
            row_edges = adjacency[i]
            for j, b in enumerate(values[1]):
                var = vars_here[(b, a) if transposed else (a, b)]
                plane.cell[(i, j)] = var
                row_edges.append((n0 + j, var))
                adjacency[n0 + j].append((i, var))
        plane.adjacency = adjacency
        found[identity] = plane
    return [found[identity] for identity in sorted(found, key=repr)]
