"""Complementary suppression: a witness for every suppressed cell.

A *witness* for a suppressed cell is a change d to suppressed cells only (whole numbers) such
that the table x + d keeps every published cell, satisfies every equation and inequality of
the indicator's system, and keeps every suppressed cell inside what a reader knows of it
(non-negative; below the minimum if marked primary, at or above it if marked secondary).
When one exists, the cell cannot be recovered: x and x + d are both consistent with the
release and differ in that cell (and in every other cell d moves).

For each primary cell not yet covered, the cheapest witness is searched, cells it moves are
suppressed, and it is checked against the whole system. Three searches, cheapest first:
  * an interior cell: a cycle of cells in its own table that leaves every margin unchanged
    (shortest path between its column and its row in the table's bipartite graph);
  * a margin cell ({nationality: X}): moved against another value of the same dimension, with
    a path between the two in every table crossing that dimension (so every other margin and
    the grand total stay unchanged);
  * otherwise (the grand total, or structures the two above do not fit): an integer program
    over the whole indicator (HiGHS, disclosure_program.py), minimising the cost of the cells
    it needs.
The path searches themselves are in disclosure_paths.py.
Cost: 0 for a cell already suppressed, less for one suppressed in the previous period, and
otherwise growing with the count (small cells are preferred).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from rightsfirst.monitoring.disclosure_model import DisclosureError, Plane, System
from rightsfirst.monitoring.disclosure_paths import Paths, Tree, Witness
from rightsfirst.monitoring.disclosure_program import WitnessProgram
from rightsfirst.monitoring.tables import Suppression

if TYPE_CHECKING:
    from rightsfirst.monitoring.disclosure import DisclosurePolicy

INFINITY = math.inf
# A cell suppressed in the previous period costs a quarter of a new one, so that a pattern is
# kept unless it no longer protects or a much smaller cell will do.
NEW_CELL_FACTOR = 4


class Protector:
    """Primary and complementary suppression for one family's system (see disclosure_model)."""

    def __init__(self, system: System, policy: DisclosurePolicy, previous: Mapping[int, bool]) -> None:
        p = policy
        self.system = system
        self.step = p.protection
        x = system.values
        self.x = x
        minimum = p.minimum_cell
        lowest = 0 if p.zeros_disclosive else 1
        self.primary = [(v < minimum and (v > 0 or p.zeros_disclosive)) for v in x]
        self.suppressible = [v > 0 or p.zeros_disclosive for v in x]
        # What a reader knows of a suppressed cell: the range of its mark.
        self.lo: list[float] = []
        self.hi: list[float] = []
        for var in range(len(x)):
            if not p.reasons_public:
                self.lo.append(lowest)
                self.hi.append(INFINITY)
            elif self.primary[var]:
                self.lo.append(lowest)
                self.hi.append(minimum - 1)
            else:
                self.lo.append(minimum)
                self.hi.append(INFINITY)
        self.base_cost = [(value + 1) * (1 if previous.get(var) else NEW_CELL_FACTOR) for var, value in enumerate(x)]
        self.status: list[Suppression | None] = [Suppression.PRIMARY if prim else None for prim in self.primary]
        self.current_cost = [0 if prim else cost for prim, cost in zip(self.primary, self.base_cost, strict=True)]
        self.cover = [0] * len(x)
        # Whether a cell may move by one step up / down with every other cell fixed: the
        # searches only walk through such cells (x and the bounds never change during a run).
        self.movable = {
            1: [self.fits(v, self.step) for v in range(len(x))],
            -1: [self.fits(v, -self.step) for v in range(len(x))],
        }
        self.interior: dict[int, list[tuple[Plane, int, int]]] = {}
        self.adjacency: dict[int, list[list[tuple[int, int]]]] = {}
        # Per plane, the group of each node (None: its dimension is not nested in a published one).
        self.group_of: dict[int, list[str | None]] = {}
        for plane in system.planes:
            nodes: list[str | None] = []
            for side in (0, 1):
                grouping = system.groups.get(plane.dims[side])
                # A value missing from the nesting's map is a group of its own.
                nodes += [None if grouping is None else grouping.get(v, f"\x00{v}") for v in plane.values[side]]
            self.group_of[id(plane)] = nodes
            for (i, j), var in plane.cell.items():
                self.interior.setdefault(var, []).append((plane, i, j))
            self.adjacency[id(plane)] = [
                [(node, var) for node, var in edges if self.suppressible[var]] for edges in plane.adjacency
            ]
        self._lp: WitnessProgram | None = None
        self._dimension_values: dict[str, list[str]] = {}
        self.paths = Paths(self.adjacency, self.group_of, self.current_cost, self.movable, self.status)
        self.searches = {"cycle": 0, "swap": 0, "program": 0}

    # -- the search --------------------------------------------------------------------------

    def run(self) -> dict[int, Suppression]:
        """Suppress and cover; returns the status of every suppressed variable."""
        order = sorted(
            (var for var in range(len(self.x)) if self.primary[var]),
            key=lambda var: (len(self.system.keys[var]), self.system.keys[var]),
        )
        for var in order:
            if self.cover[var] >= self.step:
                continue
            witness = self._best_witness(var)
            if witness is None:
                raise DisclosureError(self._unprotectable(var))
            self._apply(witness)
        for var, reason in enumerate(self.status):
            needed = self.step if self.primary[var] else 1
            if reason is not None and self.cover[var] < needed:  # pragma: no cover - an invariant of _apply
                raise AssertionError(f"{self.system.describe(var)} suppressed without a witness")
        return {var: reason for var, reason in enumerate(self.status) if reason is not None}

    def _unprotectable(self, var: int) -> str:
        where = f"indicator {self.system.indicator_id!r}: {self.system.describe(var)}"
        if self.step > 1:
            return (
                f"{where} cannot be kept {self.step} persons away from its value: what the release shows "
                "(the published cells, zeros included, and the suppression reasons) pins it closer; "
                "lower the policy's protection"
            )
        return (
            f"{where} cannot be protected: the published zeros and the suppression reasons pin it; "
            "treat zeros as disclosive or do not publish the reasons"
        )

    def _apply(self, witness: Witness) -> None:
        for var, coefficient in witness.items():
            if self.status[var] is None:
                self.status[var] = Suppression.SECONDARY
                self.current_cost[var] = 0
            self.cover[var] = max(self.cover[var], abs(coefficient))

    def cost(self, var: int) -> int:
        return self.current_cost[var]

    def witness_cost(self, witness: Witness) -> int:
        return sum(self.cost(var) for var in witness)

    def _best_witness(self, var: int) -> Witness | None:
        options: list[tuple[int, int, Witness]] = []
        directions = [sign for sign in (-1, 1) if self._in_bounds(var, sign * self.step)]
        for sign in directions:
            for witness in self._combinatorial(var, sign):
                if self.verify(witness):
                    cost = self.witness_cost(witness)
                    if cost == 0:
                        return witness  # nothing new suppressed: no other witness is cheaper
                    options.append((cost, sign, witness))
                    break
        if not options:
            for sign in directions:
                self.searches["program"] += 1
                solved = self._program().solve(var, sign)
                if solved is not None and self.verify(solved):
                    options.append((self.witness_cost(solved), sign, solved))
        if not options:
            return None
        return min(options, key=lambda option: (option[0], option[1]))[2]

    def _combinatorial(self, var: int, sign: int) -> Iterator[Witness]:
        """Witnesses moving every cell they touch by the step (each found as signs), best first."""
        for found in self._signs(var, sign):
            yield self._projected({v: s * self.step for v, s in found.items()})

    def _projected(self, witness: Witness) -> Witness:
        """A change to agencies' cells changes their regions' cells by the sums (nestings)."""
        for mapping in self.system.projections:
            extra: dict[int, int] = {}
            for var, change in witness.items():
                coarse = mapping.get(var)
                if coarse is not None:
                    extra[coarse] = extra.get(coarse, 0) + change
            for coarse, change in extra.items():
                if change:
                    witness[coarse] = witness.get(coarse, 0) + change
        return {var: change for var, change in witness.items() if change}

    def _signs(self, var: int, sign: int) -> Iterator[Witness]:
        system = self.system
        key = system.keys[var]
        member_margins = system.member_margins.get(var, [])
        if system.is_root_margin(var):
            self.searches["swap"] += 1
            witness = self._swap(key[0][0], key[0][1], var, sign)
            if witness is not None:
                yield witness
            if not member_margins:
                return
        # A margin of a related indicator's table (children detained, by sex): moved against
        # another value in that indicator's own tables.
        for dimension, value in member_margins:
            self.searches["swap"] += 1
            witness = self._swap(dimension, value, var, sign)
            if witness is not None:
                yield witness
        if system.is_root_margin(var):
            return
        for plane, i, j in self.interior.get(var, []):
            self.searches["cycle"] += 1
            witness = self._cycle(plane, i, j, var, sign)
            if witness is not None:
                yield witness
        # No cycle inside the table (or none that holds): the cell moves with its row's or its
        # column's margin.
        found = []
        for plane, i, j in self.interior.get(var, []):
            for side, index, other in ((0, i, plane.node(1, j)), (1, j, plane.node(0, i))):
                self.searches["swap"] += 1
                dimension, value = plane.dims[side], plane.values[side][index]
                margin = self.system.margin_var[(dimension, value)]
                witness = self._swap(dimension, value, margin, sign, through=(plane, var, other))
                if witness is not None:
                    found.append(witness)
        yield from sorted(found, key=lambda w: (self.witness_cost(w), sorted(w.items())))

    # -- checks --------------------------------------------------------------------------------

    def _in_bounds(self, var: int, delta: int) -> bool:
        return self.suppressible[var] and self.lo[var] <= self.x[var] + delta <= self.hi[var]

    def fits(self, var: int, delta: int) -> bool:
        """Whether moving one cell by delta, all others fixed, keeps its bounds and inequalities."""
        if not self._in_bounds(var, delta):
            return False
        x = self.x
        for number in self.system.var_inequalities[var]:
            a, b = self.system.inequalities[number]
            if (x[a] + (delta if a == var else 0)) > (x[b] + (delta if b == var else 0)):
                return False
        return True

    def verify(self, witness: Witness) -> bool:
        """Whether x + witness is consistent with everything the release lets a reader know."""
        x = self.x
        balance: dict[int, int] = {}
        inequalities: set[int] = set()
        for var, change in witness.items():
            if change == 0 or not self._in_bounds(var, change):
                return False
            for number, coefficient in self.system.var_equations[var]:
                balance[number] = balance.get(number, 0) + coefficient * change
            inequalities.update(self.system.var_inequalities[var])
        if any(balance.values()):
            return False
        for number in inequalities:
            a, b = self.system.inequalities[number]
            if x[a] + witness.get(a, 0) > x[b] + witness.get(b, 0):
                return False
        return True

    # -- an interior cell: a cycle in its own table -----------------------------------------------

    def _cycle(self, plane: Plane, i: int, j: int, var: int, sign: int) -> Witness | None:
        row, column = plane.node(0, i), plane.node(1, j)
        conserve_rows, conserve_columns = plane.conserve
        if not conserve_rows and not conserve_columns:
            return {var: sign}
        done: Callable[[int], bool]
        if conserve_rows and conserve_columns:
            quick = self._free_square(plane, i, j, var, sign)
            if quick is not None:
                return quick
            start, done = column, (lambda node: node == row)
        elif conserve_columns:
            start, done = column, (lambda node: plane.side_of(node) == 0)
        else:
            start, done = row, (lambda node: plane.side_of(node) == 1)
        group_of = self.group_of[id(plane)]
        group = group_of[row] or group_of[column]
        # Within the cell's group first (a region's cells unchanged); else across groups, the
        # regions' cells then moving by the sums (see _projected).
        attempts = [(True, group), (False, group)] + ([(True, None), (False, None)] if group is not None else [])
        for free_only, within in attempts:
            tree = self.paths.search(plane, start, -sign, excluded=var, stop=done, free_only=free_only, group=within)
            target = next((node for node in tree.order if node != start and done(node)), None)
            if target is not None:
                witness = {var: sign}
                witness.update(tree.path(target))
                return witness
        return None

    def _free_square(self, plane: Plane, i: int, j: int, var: int, sign: int) -> Witness | None:
        """A cycle of four cells all already suppressed: it costs nothing and nothing is shorter."""
        adjacency = self.adjacency[id(plane)]
        status = self.status
        same, other = self.movable[sign], self.movable[-sign]
        row, column = plane.node(0, i), plane.node(1, j)
        in_row = [(node, v) for node, v in adjacency[row] if v != var and status[v] is not None and other[v]]
        if not in_row:
            return None
        in_column = [(node, v) for node, v in adjacency[column] if v != var and status[v] is not None and other[v]]
        group_of = self.group_of[id(plane)]
        group = group_of[row] or group_of[column]
        # Of the free squares, one covering the most cells not yet covered: fewer searches later.
        best: tuple[int, Witness] | None = None
        cover, step = self.cover, self.step
        for row_node, column_cell in in_column:
            if group is not None and group_of[row_node] not in (None, group):
                continue
            for column_node, row_cell in in_row:
                if group is not None and group_of[column_node] not in (None, group):
                    continue
                corner = plane.cell[(row_node, column_node - len(plane.values[0]))]
                if status[corner] is not None and same[corner] and self.suppressible[corner]:
                    gain = (cover[row_cell] < step) + (cover[column_cell] < step) + (cover[corner] < step)
                    if best is None or gain > best[0]:
                        best = (gain, {var: sign, row_cell: -sign, column_cell: -sign, corner: sign})
                        if gain == 3:
                            return best[1]
        return None if best is None else best[1]

    # -- a margin cell: moved against another value of its dimension ------------------------------

    def _swap(
        self, dimension: str, value: str, var: int, sign: int, through: tuple[Plane, int, int] | None = None
    ) -> Witness | None:
        # Through cells already suppressed first: if that works, nothing cheaper exists.
        return self._swap_search(dimension, value, var, sign, through, free_only=True) or self._swap_search(
            dimension, value, var, sign, through, free_only=False
        )

    def _swap_search(
        self,
        dimension: str,
        value: str,
        var: int,
        sign: int,
        through: tuple[Plane, int, int] | None,
        *,
        free_only: bool,
    ) -> Witness | None:
        """Move a margin cell against another value's (or alone, if no sum ties it to the grand
        total), with a balancing path in every table crossing its dimension.

        `through` = (plane, cell, node): the margin moves together with that interior cell of
        the plane (an interior cell that cannot move within its own table), node being the
        cell's other end.
        """
        if not (self._in_bounds(var, sign * self.step) if through else self.fits(var, sign * self.step)):
            return None
        # A value nested in a published one moves only against values of the same group.
        grouping = self.system.groups.get(dimension)
        group = None if grouping is None else grouping.get(value, f"\x00{value}")
        routes: list[tuple[Plane, int, Tree, str]] = []
        for plane, side in self.system.dimension_planes.get(dimension, []):
            if value not in plane.values[side]:
                continue
            if through is not None and plane is through[0]:
                _, cell, other = through
                if plane.conserve[1 - side]:
                    tree = self.paths.search(
                        plane, other, -sign, excluded=cell, stop=None, free_only=free_only, group=group
                    )
                    routes.append((plane, side, tree, "through"))
                continue
            if plane.conserve[side]:
                node = plane.node(side, plane.values[side].index(value))
                tree = self.paths.search(plane, node, sign, excluded=-1, stop=None, free_only=free_only, group=group)
                routes.append((plane, side, tree, "from"))
        total_var = self.system.dimension_total.get(dimension, self.system.total_var)
        tied_to_total = any(
            total_var in (v for v, _ in self.system.equations[number]) for number, _ in self.system.var_equations[var]
        )
        best: tuple[int, str, Witness] | None = None
        partners: list[str | None] = [None] if not tied_to_total else []
        partners += [
            v
            for v in self._values(dimension)
            if v != value and (grouping is None or grouping.get(v, f"\x00{v}") == group)
        ]
        for partner in partners:
            witness: Witness = {var: sign}
            total = 0
            if through is not None:
                witness[through[1]] = sign
            if partner is not None:
                partner_var = self.system.margin_var[(dimension, partner)]
                if not self.movable[-sign][partner_var] or (free_only and self.status[partner_var] is None):
                    continue
                witness[partner_var] = -sign
                total += self.cost(partner_var)
            feasible = True
            for plane, side, route, how in routes:
                end = self._route_end(plane, side, route, how, partner)
                if end is None:
                    feasible = False
                    break
                path = route.path(end)
                total += sum(self.cost(v) for v in path)
                witness.update(path)
            if not feasible:
                continue
            label = "" if partner is None else partner
            if best is None or (total, label) < (best[0], best[1]):
                best = (total, label, witness)
        return None if best is None else best[2]

    def _values(self, dimension: str) -> list[str]:
        """The values of a dimension that have a total in the release, sorted."""
        if dimension not in self._dimension_values:
            self._dimension_values[dimension] = sorted({v for (d, v) in self.system.margin_var if d == dimension})
        return self._dimension_values[dimension]

    @staticmethod
    def _route_end(plane: Plane, side: int, tree: Tree, how: str, partner: str | None) -> int | None:
        """Where the balancing path of one table ends for a given partner value (None: no path)."""
        free_here = not plane.conserve[side]
        free_there = not plane.conserve[1 - side]
        if how == "through" and free_here:
            # The interior cell's other end is balanced by any cell of its line.
            return next((n for n in tree.order if plane.side_of(n) == side), None)
        if partner is None:
            if not free_there:
                return None
            return next((n for n in tree.order if plane.side_of(n) != side), None)
        if free_there or partner not in plane.values[side]:
            return None  # each value would need a path of its own: left to the program
        target = plane.node(side, plane.values[side].index(partner))
        return target if target in tree.distance else None

    def _program(self) -> WitnessProgram:
        if self._lp is None:
            self._lp = WitnessProgram(self)
        return self._lp
