"""Disclosure control: minimum cell size with complementary suppression across a release.

Every count of fewer than `minimum_cell` persons (zeros as the policy says) is suppressed
(*primary*). Then other cells are suppressed (*secondary*) until no suppressed cell can be
worked out from what is published: the row, column and grand totals of its table, every
other table of the same indicator in the release (tables of one indicator count the same
population, so a one-way table by age band repeats the age-band totals of the age band x sex
table, and every table repeats the grand total), and the tables of related indicators (a slice,
such as children detained among all persons detained, repeats the other's cells; a subset, such
as a share's count, is cell by cell at most its denominator).

What is guaranteed (docs/monitoring.md, "Disclosure control"): an attacker who knows every
published cell, every sum equation between cells, that counts are whole and non-negative, the
policy, and which suppressed cells are primary (below the minimum) or secondary (at or above
it) can still find, for every suppressed cell, a whole-number table consistent with all of
that in which the cell differs from its true value; for a primary cell by at least
`protection` persons. Each such table is constructed explicitly (a *witness*: a change to
suppressed cells that leaves every published number and every equation intact) and checked
against the whole system before the pattern is accepted.

The pattern is deterministic and does not depend on the order of the tables, rows or columns
given; cells suppressed in the previous period's release are preferred, so that patterns
stay stable from one period to the next.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from rightsfirst.monitoring.disclosure_model import DisclosureError, Nesting, Relation, Slice, Subset, build_systems
from rightsfirst.monitoring.disclosure_search import Protector
from rightsfirst.monitoring.tables import CountTable, PublishedTable, Suppression

__all__ = [
    "DisclosureError",
    "DisclosurePolicy",
    "Nesting",
    "Relation",
    "Slice",
    "Subset",
    "protect",
    "suppressed_cells",
]


@dataclass(frozen=True)
class DisclosurePolicy:
    """How counts are protected before publication.

    minimum_cell: counts from 1 to minimum_cell - 1 are suppressed (10 by default: the CTDC's
        k for the same kind of data, and the common threshold for small, high-harm populations).
    zeros_disclosive: whether a zero is suppressed too (a zero can say "nobody of this
        nationality was detained", which may itself be sensitive in a small place).
    protection: how far from its true value the attacker must be unable to rule out for each
        primary cell (1: exact recovery impossible; 3: the attacker cannot exclude a value at
        least 3 persons away).
    reasons_public: whether readers are shown why each cell is suppressed (primary: below the
        minimum; secondary: to protect another). By default they are not: a reader who knows
        that a suppressed cell is below the minimum, and that its row holds as many other small
        non-zero cells as the minimum allows, can sometimes pin it whatever else is suppressed
        (nine suppressed ones in a row whose suppressed total is below ten are all ones). With
        the reason hidden every cell can be protected; with it shown, protect() raises
        DisclosureError for a cell that cannot be.
    """

    minimum_cell: int = 10
    zeros_disclosive: bool = False
    protection: int = 1
    reasons_public: bool = False

    def __post_init__(self) -> None:
        for name in ("minimum_cell", "protection"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"DisclosurePolicy.{name} must be a whole number of at least 1, not {value!r}")
        if self.reasons_public:
            # A primary cell is known to lie between the smallest suppressible count and
            # minimum_cell - 1; every value in that range must leave room to move.
            lowest = 0 if self.zeros_disclosive else 1
            room = (self.minimum_cell - 1 - lowest + 1) // 2
            if lowest <= self.minimum_cell - 1 and self.protection > room:
                raise ValueError(
                    f"DisclosurePolicy: with minimum_cell {self.minimum_cell} and zeros "
                    f"{'disclosive' if self.zeros_disclosive else 'published'}, a primary cell is known to lie "
                    f"between {lowest} and {self.minimum_cell - 1}, so protection can be at most {room} "
                    f"(asked: {self.protection}); raise minimum_cell or set reasons_public=False"
                )

    def is_primary(self, count: int) -> bool:
        """Whether a count is below the minimum cell size (zeros as configured)."""
        if count == 0:
            return self.zeros_disclosive
        return count < self.minimum_cell


def protect(
    tables: Sequence[CountTable],
    policy: DisclosurePolicy,
    *,
    previous: Mapping[str, frozenset[tuple[str, str]]] | None = None,
    nestings: Sequence[Nesting] = (),
    relations: Sequence[Relation] = (),
) -> list[PublishedTable]:
    """Suppress what must not be published in one release, across all its tables.

    `tables`: every count table of the release (numerators and denominators alike); tables
    with the same indicator_id count the same population and are protected together.
    `previous`: the suppressed cells per table_id of the last period's release
    (`suppressed_cells(...)` of it); those cells are preferred as complements.
    `nestings`: dimensions that lie within others (each agency in one region), so that a
    region's cells are known to be sums of its agencies' cells (and the same cells when the
    region has one agency).
    `relations`: what the indicators' definitions say of each other (Slice, Subset); related
    indicators are protected together, so that no table of one gives away a cell of another.

    Returns one PublishedTable per table, in the order given. Raises DisclosureError for
    inconsistent tables (cells that do not add up to their totals, linked cells that differ, a
    subset's cell above its wider indicator's)
    and, should it ever happen, for a cell that no suppression pattern can protect.
    """
    with _collector_paused():
        return _protect(tables, policy, previous, nestings, relations)


@contextmanager
def _collector_paused() -> Iterator[None]:
    # A release holds tens of thousands of small objects that live for the whole call and form
    # no reference cycles; the cyclic collector rescanning them takes a quarter of the time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _protect(
    tables: Sequence[CountTable],
    policy: DisclosurePolicy,
    previous: Mapping[str, frozenset[tuple[str, str]]] | None,
    nestings: Sequence[Nesting],
    relations: Sequence[Relation],
) -> list[PublishedTable]:
    systems = build_systems(tables, nestings, relations)
    previous_vars: dict[int, dict[int, bool]] = {}
    if previous:
        for system_index, system in enumerate(systems):
            marks: dict[int, bool] = {}
            for table in system.tables:
                vars_here = system.var_of[table.table_id]
                for cell in previous.get(table.table_id, frozenset()):
                    var = vars_here.get(cell)
                    if var is not None:
                        marks[var] = True
            previous_vars[system_index] = marks
    status: dict[str, dict[tuple[str, str], Suppression]] = {table.table_id: {} for table in tables}
    for system_index, system in enumerate(systems):
        protector = Protector(system, policy, previous_vars.get(system_index, {}))
        suppressed = protector.run()
        for table in system.tables:
            marks_of_table = status[table.table_id]
            for cell, var in system.var_of[table.table_id].items():
                reason = suppressed.get(var)
                if reason is not None:
                    marks_of_table[cell] = reason
    return [PublishedTable(table=table, suppressed=status[table.table_id]) for table in tables]


def suppressed_cells(published: Sequence[PublishedTable]) -> dict[str, frozenset[tuple[str, str]]]:
    """The suppressed cells per table_id of a release: `previous` for the next period's."""
    return {item.table.table_id: frozenset(item.suppressed) for item in published}
