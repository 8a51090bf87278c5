"""The witness search as an integer program (HiGHS): the fallback of disclosure control.

Used for the cells the path searches of disclosure_search.py cannot protect (a grand total below
the minimum, sparse tables of ones, structures the paths do not follow).
"""

from __future__ import annotations

import math
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np

from rightsfirst.monitoring.disclosure_model import DisclosureError

if TYPE_CHECKING:
    from rightsfirst.monitoring.disclosure_search import Protector

INFINITY = math.inf
Witness = dict[int, int]


_BANNER_LOCK = threading.Lock()
_banner_shown = False


def _new_highs() -> Any:
    """A HiGHS solver, the first one of the process made with standard output muted.

    HiGHS prints a banner on the process's standard output (file descriptor 1, below Python)
    when its first solver is made; a report written to standard output must not get it.
    """
    global _banner_shown
    with _BANNER_LOCK:
        if _banner_shown:
            return highspy.Highs()  # type: ignore[no-untyped-call]
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as sink:
                os.dup2(sink.fileno(), 1)
                try:
                    return highspy.Highs()  # type: ignore[no-untyped-call]
                finally:
                    os.dup2(saved, 1)
                    _banner_shown = True
        finally:
            os.close(saved)


class WitnessProgram:
    """The witness search as an integer program over the whole indicator (HiGHS).

    Variables: for every suppressible cell, its increase and its decrease (both >= 0, at most
    what keeps it within what a reader knows of it). Constraints: every
    equation and inequality of the system. Objective: the cost of the cells it moves.
    """

    def __init__(self, protector: Protector) -> None:
        self.protector = protector
        system = protector.system
        x = protector.x
        self.columns = [var for var in range(len(x)) if protector.suppressible[var]]
        position = {var: n for n, var in enumerate(self.columns)}
        count = len(self.columns)
        lower = np.zeros(2 * count)
        upper = np.empty(2 * count)
        for n, var in enumerate(self.columns):
            up = protector.hi[var] - x[var]
            upper[2 * n] = highspy.kHighsInf if up == INFINITY else up
            upper[2 * n + 1] = x[var] - protector.lo[var]
        starts = [0]
        indices: list[int] = []
        values: list[float] = []
        row_lower: list[float] = []
        row_upper: list[float] = []
        for equation in system.equations:
            terms = [(position[var], c) for var, c in equation if var in position]
            if not terms:
                continue
            for n, c in terms:
                indices += [2 * n, 2 * n + 1]
                values += [float(c), float(-c)]
            starts.append(len(indices))
            row_lower.append(0.0)
            row_upper.append(0.0)
        for a, b in system.inequalities:
            terms = [(position[v], c) for v, c in ((a, 1), (b, -1)) if v in position]
            if not terms:
                continue
            for n, c in terms:
                indices += [2 * n, 2 * n + 1]
                values += [float(c), float(-c)]
            starts.append(len(indices))
            row_lower.append(-highspy.kHighsInf)
            row_upper.append(float(x[b] - x[a]))
        self.lower = lower
        self.upper = upper
        self.position = position
        highs = _new_highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("random_seed", 0)
        lp = highspy.HighsLp()
        lp.num_col_ = 2 * count
        lp.num_row_ = len(row_lower)
        lp.col_cost_ = np.ones(2 * count)
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.row_lower_ = np.array(row_lower, dtype=float)
        lp.row_upper_ = np.array(row_upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(indices, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(values, dtype=float)
        if highs.passModel(lp) != highspy.HighsStatus.kOk:
            raise DisclosureError(f"indicator {system.indicator_id!r}: the witness program could not be built")
        self.highs = highs
        self.count = count
        self.rows = len(row_lower)
        self.column_vars = np.array(self.columns, dtype=np.int64)
        self.all_columns = np.arange(2 * count, dtype=np.int32)

    def solve(self, var: int, sign: int) -> Witness | None:
        protector = self.protector
        if self.rows == 0:
            return {var: sign * protector.step}  # nothing ties the cell to any other
        count = len(self.columns)
        # A moved cell already suppressed costs almost nothing; the small cost keeps witnesses short.
        current = np.maximum(np.asarray(protector.current_cost, dtype=float)[self.column_vars], 0.01)
        self.highs.changeColsCost(2 * count, self.all_columns, np.repeat(current, 2))
        n = self.position[var]
        up, down = 2 * n, 2 * n + 1
        forced = (up, down) if sign > 0 else (down, up)
        step = float(protector.step)
        self.highs.changeColBounds(forced[0], step, step)
        self.highs.changeColBounds(forced[1], 0.0, 0.0)
        try:
            values = self._run(integer=False)
            # The linear relaxation is usually whole (the tables' sums are network-like); when it
            # is not, the integer program gives a witness a reader could not rule out by rounding.
            if values is not None and np.any(np.abs(values - np.round(values)) > 1e-9):
                values = self._run(integer=True)
        finally:
            for column in forced:
                self.highs.changeColBounds(column, float(self.lower[column]), float(self.upper[column]))
        if values is None:
            return None
        change = np.round(values[0::2] - values[1::2]).astype(np.int64)
        return {self.columns[m]: int(change[m]) for m in np.nonzero(change)[0]}

    def _run(self, *, integer: bool) -> np.ndarray | None:
        columns = np.arange(2 * self.count, dtype=np.int32)
        kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
        if integer:
            self.highs.changeColsIntegrality(2 * self.count, columns, np.array([kind] * (2 * self.count)))
        try:
            self.highs.run()
            status = self.highs.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                return np.asarray(self.highs.getSolution().col_value, dtype=float)
            if status == highspy.HighsModelStatus.kInfeasible:
                return None
            raise DisclosureError(
                f"indicator {self.protector.system.indicator_id!r}: the witness search stopped "
                f"({self.highs.modelStatusToString(status)}); the release was not protected"
            )
        finally:
            if integer:
                continuous = highspy.HighsVarType.kContinuous
                self.highs.changeColsIntegrality(2 * self.count, columns, np.array([continuous] * (2 * self.count)))
