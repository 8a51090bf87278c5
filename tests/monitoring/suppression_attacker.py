"""An attacker on a published release: tries to work out every suppressed cell.

Written apart from the disclosure module on purpose (it shares only its data types): it reads only
what a release publishes (the published cells of every table, the tables' structure, which
dimensions overlap) and what any reader knows (counts are whole and non-negative; the policy's
minimum cell size; and, when the reasons are shown, which suppressed cells are below it).

Two attacks:
  * exact rational elimination: Gauss-Jordan with fractions over every sum equation, the
    published cells substituted; a suppressed cell whose row of the reduced system has no
    other unknown is determined;
  * linear (and optionally integer) programming with HiGHS: each suppressed cell minimised and
    maximised subject to every equation, every "cell at most its margin" inequality of an
    overlapping dimension, non-negativity and what the marks say.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import highspy
import numpy as np

from rightsfirst.monitoring.disclosure import Nesting, Relation, Slice, Subset
from rightsfirst.monitoring.tables import TOTAL, PublishedTable, Suppression

Key = tuple[str, frozenset[tuple[str, str]]]
UNBOUNDED = 10**9  # (indicator, the dimension values the cell fixes)


@dataclass(frozen=True)
class Finding:
    table_id: str
    cell: tuple[str, str]
    true_value: int
    low: float
    high: float
    how: str


@dataclass
class _Knowledge:
    known: dict[Key, int]
    unknown: list[Key]
    truth: dict[Key, int]
    reason: dict[Key, Suppression]
    where: dict[Key, tuple[str, tuple[str, str]]]
    equations: list[dict[Key, int]]  # sum of coefficient * cell == 0
    at_most: list[tuple[Key, Key]]  # cell <= margin (overlapping dimension)


def _own_key(published: PublishedTable, row: str, column: str) -> Key:
    table = published.table
    fixed = set()
    if row != TOTAL:
        fixed.add((table.row_dimension or "", row))
    if column != TOTAL:
        fixed.add((table.column_dimension or "", column))
    return (table.indicator_id, frozenset(fixed))


def _sliced(key: Key, relations: Sequence[Relation]) -> Key:
    """A cell of a slice is the same persons as its wider indicator's cell with the value fixed."""
    indicator, fixed = key
    slices = {r.indicator: r for r in relations if isinstance(r, Slice)}
    seen = {indicator}
    while indicator in slices:
        relation = slices[indicator]
        fixed = fixed | {(relation.dimension, relation.value)}
        indicator = relation.of
        if indicator in seen:
            break
        seen.add(indicator)
    return (indicator, fixed)


def read_release(
    release: Sequence[PublishedTable], nestings: Sequence[Nesting] = (), relations: Sequence[Relation] = ()
) -> _Knowledge:
    """What a reader of the release knows (the true values kept aside, for scoring only).

    nestings: public maps of values within values (each agency in one region): a cell fixing a
    region is the sum of the same cells fixing each of its agencies instead.
    relations: what the published definitions say of the indicators (a slice counts the same
    persons as the wider indicator's cells with one value fixed; a subset's cell is at most the
    same cell of the wider indicator).
    """
    knowledge = _Knowledge({}, [], {}, {}, {}, [], [])
    held = {published.table.indicator_id for published in release}
    relations = [r for r in relations if r.indicator in held and r.of in held]

    def _key(published: PublishedTable, row: str, column: str) -> Key:
        return _sliced(_own_key(published, row, column), relations)

    own_keys: set[Key] = set()
    for published in release:
        table = published.table
        rows = (*table.rows, TOTAL)
        columns = (*table.columns, TOTAL)
        for r in rows:
            for c in columns:
                own_keys.add(_own_key(published, r, c))
                key = _key(published, r, c)
                knowledge.truth[key] = table.count(r, c)
                knowledge.where.setdefault(key, (table.table_id, (r, c)))
                shown = published.shown(r, c)
                if shown is None:
                    knowledge.reason[key] = published.suppressed[(r, c)]
                else:
                    knowledge.known[key] = shown
        if table.columns:
            for r in rows:
                if table.column_overlap:
                    knowledge.at_most += [(_key(published, r, c), _key(published, r, TOTAL)) for c in table.columns]
                else:
                    equation: dict[Key, int] = defaultdict(int)
                    for c in table.columns:
                        equation[_key(published, r, c)] += 1
                    equation[_key(published, r, TOTAL)] -= 1
                    knowledge.equations.append(dict(equation))
        if table.rows:
            for c in columns:
                if table.row_overlap:
                    knowledge.at_most += [(_key(published, r, c), _key(published, TOTAL, c)) for r in table.rows]
                else:
                    equation = defaultdict(int)
                    for r in table.rows:
                        equation[_key(published, r, c)] += 1
                    equation[_key(published, TOTAL, c)] -= 1
                    knowledge.equations.append(dict(equation))
    every_key = set(knowledge.truth)
    for nesting in nestings:
        for indicator, fixed in sorted(every_key, key=repr):
            values = dict(fixed)
            region = values.get(nesting.coarse)
            if region is None:
                continue
            agency = values.get(nesting.fine)
            without = frozenset((d, v) for d, v in fixed if d != nesting.coarse)
            if agency is not None:
                # Both given: the same persons as the agency alone, or nobody.
                if nesting.parent.get(agency) != region:
                    knowledge.equations.append({(indicator, fixed): 1})
                elif (indicator, without) in every_key:
                    knowledge.equations.append({(indicator, fixed): 1, (indicator, without): -1})
                continue
            parts = [
                (indicator, without | {(nesting.fine, a)}) for a, r in sorted(nesting.parent.items()) if r == region
            ]
            if parts and all(part in every_key for part in parts):
                equation = {part: 1 for part in parts}
                equation[(indicator, fixed)] = -1
                knowledge.equations.append(equation)
    for relation in relations:
        if isinstance(relation, Subset):
            for indicator, fixed in sorted(own_keys, key=repr):
                if indicator == relation.indicator and (relation.of, fixed) in own_keys:
                    narrow = _sliced((indicator, fixed), relations)
                    wide = _sliced((relation.of, fixed), relations)
                    if narrow != wide:
                        knowledge.at_most.append((narrow, wide))
    # A cell suppressed in one table but shown in another is simply known.
    knowledge.unknown = sorted((key for key in knowledge.reason if key not in knowledge.known), key=repr)
    return knowledge


def shown_elsewhere(release: Sequence[PublishedTable], relations: Sequence[Relation] = ()) -> list[Finding]:
    """Suppressed cells that another table of the release shows (the same persons)."""
    knowledge = read_release(release, (), relations)
    findings = []
    for key in knowledge.reason:
        if key in knowledge.known:
            table_id, cell = knowledge.where[key]
            value = float(knowledge.known[key])
            findings.append(Finding(table_id, cell, knowledge.truth[key], value, value, "shown elsewhere"))
    return findings


def eliminate(
    release: Sequence[PublishedTable], nestings: Sequence[Nesting] = (), relations: Sequence[Relation] = ()
) -> list[Finding]:
    """Suppressed cells determined by the equations alone (exact rational arithmetic)."""
    knowledge = read_release(release, nestings, relations)
    unknown = set(knowledge.unknown)
    rows: list[dict[Key, Fraction]] = []
    for equation in knowledge.equations:
        row: dict[Key, Fraction] = {}
        constant = Fraction(0)
        for key, coefficient in equation.items():
            if key in unknown:
                row[key] = row.get(key, Fraction(0)) + coefficient
            else:
                constant -= coefficient * knowledge.known[key]
        row = {k: v for k, v in row.items() if v}
        if row:
            row[("", frozenset())] = constant  # the right-hand side, kept under a key no cell has
            rows.append(row)
    rhs: Key = ("", frozenset())
    pivots: dict[Key, dict[Key, Fraction]] = {}
    for row in rows:
        # Reduce by the pivots found so far, then make this row a pivot of its first unknown.
        for var in [k for k in row if k != rhs and k in pivots]:
            if var not in row:
                continue
            factor = row[var]
            for k, v in pivots[var].items():
                row[k] = row.get(k, Fraction(0)) - factor * v
            row = {k: v for k, v in row.items() if v or k == rhs}
        variables = sorted((k for k in row if k != rhs), key=repr)
        if not variables:
            continue
        pivot = variables[0]
        scale = row[pivot]
        row = {k: v / scale for k, v in row.items()}
        for other in pivots.values():
            if pivot in other:
                factor = other[pivot]
                for k, v in row.items():
                    other[k] = other.get(k, Fraction(0)) - factor * v
                for k in [k for k, v in other.items() if not v and k != rhs]:
                    del other[k]
        pivots[pivot] = row
    findings = []
    for var, row in pivots.items():
        if all(k in (var, rhs) for k in row):
            value = row.get(rhs, Fraction(0))
            table_id, cell = knowledge.where[var]
            findings.append(Finding(table_id, cell, knowledge.truth[var], float(value), float(value), "elimination"))
    return findings


def bounds(
    release: Sequence[PublishedTable],
    *,
    minimum_cell: int,
    zeros_disclosive: bool,
    reasons_known: bool,
    integer: bool = False,
    nestings: Sequence[Nesting] = (),
    relations: Sequence[Relation] = (),
) -> dict[tuple[str, tuple[str, str]], tuple[int, float, float, Suppression]]:
    """For every suppressed cell: its true value, the least and greatest value consistent with
    the release (linear program; integer program when asked), and its mark."""
    knowledge = read_release(release, nestings, relations)
    unknown = knowledge.unknown
    if not unknown:
        return {}
    position = {key: n for n, key in enumerate(unknown)}
    lowest = 0 if zeros_disclosive else 1
    lower = np.zeros(len(unknown))
    # Unbounded above is represented by a bound no count reaches (HiGHS then always finds an optimum).
    upper = np.full(len(unknown), float(UNBOUNDED))
    for n, key in enumerate(unknown):
        lower[n] = lowest
        if reasons_known and knowledge.reason[key] is Suppression.PRIMARY:
            upper[n] = minimum_cell - 1
        elif reasons_known:
            lower[n] = minimum_cell
    starts, indices, values, row_lower, row_upper = [0], [], [], [], []
    for equation in knowledge.equations:
        constant = 0.0
        terms: dict[int, float] = defaultdict(float)
        for key, coefficient in equation.items():
            if key in position:
                terms[position[key]] += coefficient
            else:
                constant -= coefficient * knowledge.known[key]
        if not any(terms.values()):
            continue
        for n, v in sorted(terms.items()):
            indices.append(n)
            values.append(v)
        starts.append(len(indices))
        row_lower.append(constant)
        row_upper.append(constant)
    for small, large in knowledge.at_most:
        terms = defaultdict(float)
        constant = 0.0
        for key, coefficient in ((small, 1.0), (large, -1.0)):
            if key in position:
                terms[position[key]] += coefficient
            else:
                constant -= coefficient * knowledge.known[key]
        if not any(terms.values()):
            continue
        for n, v in sorted(terms.items()):
            indices.append(n)
            values.append(v)
        starts.append(len(indices))
        row_lower.append(-highspy.kHighsInf)
        row_upper.append(constant)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_ = len(unknown)
    lp.num_row_ = len(row_lower)
    lp.col_cost_ = np.zeros(len(unknown))
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.array(row_lower, dtype=float)
    lp.row_upper_ = np.array(row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(indices, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(values, dtype=float)
    highs.passModel(lp)
    if integer:
        kinds = np.array([highspy.HighsVarType.kInteger] * len(unknown))
        highs.changeColsIntegrality(len(unknown), np.arange(len(unknown), dtype=np.int32), kinds)
    result = {}
    for n, key in enumerate(unknown):
        ends = []
        for sense in (1.0, -1.0):
            costs = np.zeros(len(unknown))
            costs[n] = sense
            highs.changeColsCost(len(unknown), np.arange(len(unknown), dtype=np.int32), costs)
            highs.run()
            status = highs.getModelStatus()
            assert status == highspy.HighsModelStatus.kOptimal, (key, highs.modelStatusToString(status))
            end = sense * highs.getInfo().objective_function_value
            ends.append(math.inf if end >= UNBOUNDED - 1 else end)
        result[knowledge.where[key]] = (knowledge.truth[key], ends[0], ends[1], knowledge.reason[key])
    return result


def attack(
    release: Sequence[PublishedTable],
    *,
    minimum_cell: int = 10,
    zeros_disclosive: bool = False,
    reasons_known: bool = False,
    protection: int = 1,
    integer: bool = False,
    nestings: Sequence[Nesting] = (),
    relations: Sequence[Relation] = (),
) -> list[Finding]:
    """Every suppressed cell the attacker recovers exactly, or pins closer than promised.

    A cell is recovered when its feasible range holds a single whole number; a primary cell is
    also reported when no consistent table puts it `protection` or more away from its value.
    """
    findings = shown_elsewhere(release, relations) + eliminate(release, nestings, relations)
    tolerance = 1e-6
    for (table_id, cell), (truth, low, high, reason) in bounds(
        release,
        minimum_cell=minimum_cell,
        zeros_disclosive=zeros_disclosive,
        reasons_known=reasons_known,
        integer=integer,
        nestings=nestings,
        relations=relations,
    ).items():
        if high != math.inf and math.floor(high + tolerance) <= math.ceil(low - tolerance):
            findings.append(Finding(table_id, cell, truth, low, high, "exact"))
        elif (
            reason is Suppression.PRIMARY
            and high < truth + protection - tolerance
            and low > truth - protection + tolerance
        ):
            findings.append(Finding(table_id, cell, truth, low, high, "narrow"))
    return findings
