"""Differentially private counts (OpenDP), with a privacy budget that is recorded and enforced.

Neighbouring data differ by one person added or removed. For a count table that person is in
one cell of each row and each column of the interior when no dimension overlaps; along an
overlapping dimension (forms of exploitation) in up to `contributions[dimension]` values,
which by default is every value the dimension has (always true; a smaller bound is only
honest if it is enforced upstream, not read off the data).

How a table is noised (`noise_plan`):
  * the interior cells are noised together, sensitivity = the product of the bounds of the two
    dimensions (1 x 1 when neither overlaps);
  * a margin along a dimension that does not overlap is the sum of the noisy cells it totals
    (no budget of its own; the table stays additive); a margin whose parts overlap (the total
    of a table by form) is noised on its own, with sensitivity the bound of its other
    dimension (1 when that one does not overlap either);
  * the budget epsilon of the table is split equally between the parts noised.
Noise is OpenDP's discrete Laplace (exact integer sampling; epsilon = sensitivity / scale, as
OpenDP's privacy map confirms for every part). OpenDP draws from the system's secure random
source and takes no seed.

Negative results: noisy counts below zero are set to zero after everything else (clamp=True,
the default); that is post-processing and costs no privacy, but it biases small counts up and
can leave a margin below the sum of its clamped cells. With clamp=False the raw noisy counts
are returned (unbiased; possibly negative).

Budget: `release_with_budget` adds up the epsilon of every table (sequential composition: a
person may be counted in all of them), checks it against the budget and records it in the
ledger in one step before any noisy number exists; if it would exceed the budget, it raises
BudgetExceeded and nothing is released. A failure after recording leaves the budget spent.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import opendp.prelude as dp

from rightsfirst.monitoring.tables import TOTAL, CountTable

dp.enable_features("contrib")

Cell = tuple[str, str]
# Spending is compared with the budget with this slack, so that 0.1 + 0.2 fits a budget of 0.3.
TOLERANCE = 1e-9


class BudgetExceeded(Exception):
    """A release would spend more privacy budget than is left; nothing was released."""

    def __init__(self, budget_id: str, budget: float, spent: float, asked: float) -> None:
        self.budget_id = budget_id
        self.budget = budget
        self.spent = spent
        self.asked = asked
        super().__init__(
            f"privacy budget {budget_id!r} is epsilon {budget:g}: {spent:g} already spent, this release asks "
            f"{asked:g}, {max(budget - spent, 0.0):g} left; nothing was released"
        )


class LedgerError(Exception):
    """The ledger cannot be read or written (never silently reset: that would free spent budget)."""


class PrivacyLedger(Protocol):
    """Where the privacy budget spent is recorded, per budget id."""

    def spent(self, budget_id: str) -> float:
        """The epsilon spent so far under this budget id (0 if none)."""
        ...

    def spend(self, budget_id: str, epsilon: float, note: str, *, limit: float | None = None) -> None:
        """Record epsilon spent. With `limit`, check and record in one step: raise
        BudgetExceeded, recording nothing, if spent + epsilon would exceed the limit."""
        ...


def _check_spend(budget_id: str, spent: float, epsilon: float, limit: float | None) -> None:
    if not math.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"epsilon to spend must be a positive number, not {epsilon!r}")
    if limit is not None and spent + epsilon > limit + TOLERANCE:
        raise BudgetExceeded(budget_id, limit, spent, epsilon)


class MemoryLedger:
    """A ledger in memory (tests, one process)."""

    def __init__(self) -> None:
        self._entries: dict[str, list[tuple[float, str]]] = {}
        self._lock = threading.Lock()

    def spent(self, budget_id: str) -> float:
        with self._lock:
            return math.fsum(epsilon for epsilon, _ in self._entries.get(budget_id, []))

    def spend(self, budget_id: str, epsilon: float, note: str, *, limit: float | None = None) -> None:
        with self._lock:
            entries = self._entries.setdefault(budget_id, [])
            _check_spend(budget_id, math.fsum(e for e, _ in entries), epsilon, limit)
            entries.append((epsilon, note))

    def entries(self, budget_id: str) -> list[tuple[float, str]]:
        """What was spent under a budget id, in order, with its notes."""
        with self._lock:
            return list(self._entries.get(budget_id, []))


LEDGER_FORMAT = "rightsfirst-privacy-ledger"


class JsonFileLedger:
    """A ledger in a JSON file, for the command line.

    Every spend takes an exclusive lock (a `.lock` file beside it), reads the file, checks the
    limit, and replaces the file atomically (written to a temporary file in the same directory,
    flushed to disk, then renamed over it), so that a crash leaves the old or the new ledger,
    never half of one, and two processes cannot both spend the last of a budget.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _read(self) -> dict[str, list[dict[str, Any]]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise LedgerError(f"privacy ledger {self.path}: cannot be read ({error})") from error
        if not isinstance(data, dict) or data.get("format") != LEDGER_FORMAT or data.get("version") != 1:
            raise LedgerError(f"privacy ledger {self.path}: not a version 1 {LEDGER_FORMAT} file")
        budgets = data.get("budgets")
        if not isinstance(budgets, dict):
            raise LedgerError(f"privacy ledger {self.path}: 'budgets' must be an object")
        for budget_id, entries in budgets.items():
            if not isinstance(entries, list) or not all(
                isinstance(e, dict)
                and isinstance(e.get("epsilon"), int | float)
                and not isinstance(e.get("epsilon"), bool)
                and math.isfinite(e["epsilon"])
                and e["epsilon"] > 0
                and isinstance(e.get("note"), str)
                for e in entries
            ):
                raise LedgerError(
                    f"privacy ledger {self.path}: budget {budget_id!r} must be a list of "
                    '{"epsilon": positive number, "note": text}'
                )
        return budgets

    def _write(self, budgets: dict[str, list[dict[str, Any]]]) -> None:
        text = json.dumps({"format": LEDGER_FORMAT, "version": 1, "budgets": budgets}, indent=2, sort_keys=True)
        handle, temporary = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def spent(self, budget_id: str) -> float:
        with self._locked():
            return math.fsum(entry["epsilon"] for entry in self._read().get(budget_id, []))

    def spend(self, budget_id: str, epsilon: float, note: str, *, limit: float | None = None) -> None:
        with self._locked():
            budgets = self._read()
            entries = budgets.setdefault(budget_id, [])
            _check_spend(budget_id, math.fsum(entry["epsilon"] for entry in entries), epsilon, limit)
            entries.append({"epsilon": epsilon, "note": note})
            self._write(budgets)


# -- noise ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoisePart:
    """Cells noised together with one call to OpenDP."""

    name: str
    cells: tuple[Cell, ...]
    sensitivity: int  # how much one person can change these cells in all (L1)
    epsilon: float
    scale: float  # of the discrete Laplace noise: sensitivity / epsilon

    @property
    def variance(self) -> float:
        """The variance of the noise of one cell (P(k) proportional to exp(-|k| / scale))."""
        q = math.exp(-1.0 / self.scale)
        return 2.0 * q / (1.0 - q) ** 2


@dataclass(frozen=True)
class NoisePlan:
    """How one table is noised: the parts noised, and every other cell as a sum of noisy cells."""

    table_id: str
    epsilon: float
    parts: tuple[NoisePart, ...]
    sums: Mapping[Cell, tuple[Cell, ...]]  # a margin -> the noisy cells it is the sum of

    def variance(self, cell: Cell) -> float:
        """The variance of the noise on a cell of the noisy table (before clamping)."""
        for part in self.parts:
            if cell in part.cells:
                return part.variance
        return math.fsum(self.variance(part) for part in self.sums[cell])


def _check_epsilon(epsilon: float, what: str) -> None:
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float) or not math.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"{what} must be a positive number, not {epsilon!r}")


def noise_plan(table: CountTable, epsilon: float, *, contributions: Mapping[str, int] | None = None) -> NoisePlan:
    """What noisy_table does to a table for a budget epsilon (see the module docstring)."""
    _check_epsilon(epsilon, f"table {table.table_id!r}: epsilon")
    bounds = dict(contributions or {})

    def bound(dimension: str | None, overlap: bool, values: tuple[str, ...]) -> int:
        if dimension is None or not overlap:
            return 1
        limit = bounds.get(dimension, len(values))
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"contributions[{dimension!r}] must be a whole number of at least 1, not {limit!r}")
        return min(limit, len(values)) or 1

    rows, columns = table.rows, table.columns
    row_bound = bound(table.row_dimension, table.row_overlap, rows)
    column_bound = bound(table.column_dimension, table.column_overlap, columns)
    pieces: list[tuple[str, tuple[Cell, ...], int]] = []
    sums: dict[Cell, tuple[Cell, ...]] = {}
    if rows and columns:
        pieces.append(("cells", tuple((r, c) for r in rows for c in columns), row_bound * column_bound))
        if table.column_overlap:
            pieces.append(("row totals", tuple((r, TOTAL) for r in rows), row_bound))
        else:
            sums.update({(r, TOTAL): tuple((r, c) for c in columns) for r in rows})
        if table.row_overlap:
            pieces.append(("column totals", tuple((TOTAL, c) for c in columns), column_bound))
        else:
            sums.update({(TOTAL, c): tuple((r, c) for r in rows) for c in columns})
        if not table.row_overlap:
            sums[(TOTAL, TOTAL)] = tuple((r, TOTAL) for r in rows)
        elif not table.column_overlap:
            sums[(TOTAL, TOTAL)] = tuple((TOTAL, c) for c in columns)
        else:
            pieces.append(("total", ((TOTAL, TOTAL),), 1))
    elif rows or columns:
        lines = tuple((r, TOTAL) for r in rows) or tuple((TOTAL, c) for c in columns)
        overlap = table.row_overlap if rows else table.column_overlap
        pieces.append(("cells", lines, row_bound if rows else column_bound))
        if overlap:
            pieces.append(("total", ((TOTAL, TOTAL),), 1))
        else:
            sums[(TOTAL, TOTAL)] = lines
    else:
        pieces.append(("total", ((TOTAL, TOTAL),), 1))
    share = epsilon / len(pieces)
    parts = tuple(
        NoisePart(name, cells, sensitivity, share, sensitivity / share) for name, cells, sensitivity in pieces
    )
    return NoisePlan(table.table_id, epsilon, parts, sums)


def _laplace(part: NoisePart) -> Any:
    space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64")
    measurement = dp.m.make_laplace(*space, scale=part.scale)
    # OpenDP's own accounting must agree with ours before any noise is drawn.
    used = measurement.map(part.sensitivity)  # type: ignore[no-untyped-call]
    if used > part.epsilon * (1 + 1e-9):
        raise RuntimeError(f"OpenDP puts {part.name} at epsilon {used}, above its share {part.epsilon}")
    return measurement


def noisy_table(
    table: CountTable, epsilon: float, *, contributions: Mapping[str, int] | None = None, clamp: bool = True
) -> CountTable:
    """The table with differentially private counts for a budget epsilon (this table alone:
    record it with release_with_budget). Margins that are sums stay sums of the noisy cells;
    with clamp, negative results are then set to 0."""
    plan = noise_plan(table, epsilon, contributions=contributions)
    return _apply_plan(table, plan, clamp=clamp)


def _apply_plan(table: CountTable, plan: NoisePlan, *, clamp: bool) -> CountTable:
    noisy: dict[Cell, int] = {}
    for part in plan.parts:
        values = _laplace(part)([table.count(*cell) for cell in part.cells])
        noisy.update(zip(part.cells, (int(v) for v in values), strict=True))
    # Margins in dependency order: row and column totals before the grand total.
    for cell in sorted(plan.sums, key=lambda c: c == (TOTAL, TOTAL)):
        noisy[cell] = sum(noisy[part] for part in plan.sums[cell])
    if clamp:
        noisy = {cell: max(value, 0) for cell, value in noisy.items()}
    return CountTable(
        table_id=table.table_id,
        indicator_id=table.indicator_id,
        row_dimension=table.row_dimension,
        column_dimension=table.column_dimension,
        rows=table.rows,
        columns=table.columns,
        cells={cell: noisy[cell] for cell in table.cells},
        row_overlap=table.row_overlap,
        column_overlap=table.column_overlap,
    )


def release_with_budget(
    tables: Sequence[CountTable],
    epsilon: float,
    *,
    ledger: PrivacyLedger,
    budget_id: str,
    budget: float,
    note: str = "",
    contributions: Mapping[str, int] | None = None,
    clamp: bool = True,
) -> list[CountTable]:
    """Noisy versions of the tables, epsilon each, charged to a budget before they exist.

    Raises BudgetExceeded (recording nothing, releasing nothing) when what the ledger already
    holds for budget_id plus epsilon x len(tables) would exceed `budget`.
    """
    _check_epsilon(epsilon, "epsilon per table")
    _check_epsilon(budget, f"budget {budget_id!r}")
    # Every table is checked (and its plan made) before anything is spent.
    plans = [noise_plan(table, epsilon, contributions=contributions) for table in tables]
    if not plans:
        return []
    asked = math.fsum(plan.epsilon for plan in plans)
    ledger.spend(budget_id, asked, note or f"{len(plans)} tables at epsilon {epsilon:g}", limit=budget)
    return [_apply_plan(table, plan, clamp=clamp) for table, plan in zip(tables, plans, strict=True)]
