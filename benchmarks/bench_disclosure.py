"""Benchmark: disclosure control (protect) over a release the size of a national report.

A release here is N_INDICATORS indicators, each published by 21 breakdowns (the grand total,
8 one-way tables and 12 two-way tables over age band, sex, nationality (60 values, a long
tail), form of exploitation (13 values, overlapping: a person may have several), agency,
region, child and stage). Indicator populations run from a few dozen persons to a million, so
that both large tables with a few small cells and small tables that are mostly suppressed are
in it. The counts come from fictional persons drawn with numpy (fixed seed).

The baseline, timed in the same run on the same tables, is the primary suppression alone
(the threshold rule applied to every cell), so that the ratio survives a noisy machine.

    python benchmarks/bench_disclosure.py              # full run
    python benchmarks/bench_disclosure.py --quick      # fewer indicators and repeats
    python benchmarks/bench_disclosure.py --attack     # also run the LP attacker on the result

Target: protect() over the full release in at most 2 s of processor time (one core). The
verdict uses the process's CPU time because on a shared machine the wall time mostly measures
other people's work; both are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from rightsfirst.monitoring.disclosure import DisclosurePolicy, Nesting, protect
from rightsfirst.monitoring.records import AGE_BANDS, FORMS, SEXES, STAGES
from rightsfirst.monitoring.tables import TOTAL, CountTable

TARGET_SECONDS = 2.0
UNKNOWN = "unknown"
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "age_band": (*AGE_BANDS, UNKNOWN),
    "sex": (*SEXES, UNKNOWN),
    "nationality": tuple(f"N{n:02d}" for n in range(60)),
    "form": FORMS,
    "agency": tuple(f"agency-{n:02d}" for n in range(15)),
    "region": tuple(f"region-{n}" for n in range(6)),
    "child": ("true", "false"),
    "stage": STAGES,
}
REGION_INDEX = (0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5)
NESTINGS = (
    Nesting(
        "agency",
        "region",
        {agency: DIMENSIONS["region"][REGION_INDEX[n]] for n, agency in enumerate(DIMENSIONS["agency"])},
    ),
)
BREAKDOWNS: tuple[tuple[str | None, str | None], ...] = (
    (None, None),
    *((dim, None) for dim in DIMENSIONS),
    ("age_band", "sex"),
    ("nationality", "sex"),
    ("nationality", "age_band"),
    ("form", "sex"),
    ("form", "age_band"),
    ("agency", "sex"),
    ("region", "sex"),
    ("region", "age_band"),
    ("child", "sex"),
    ("stage", "sex"),
    ("nationality", "form"),
    ("stage", "age_band"),
)


def _draw(rng: np.random.Generator, size: int, values: int, skew: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, values + 1) ** skew
    return rng.choice(values, size=size, p=weights / weights.sum())


def indicator_tables(rng: np.random.Generator, indicator_id: str, persons: int) -> list[CountTable]:
    """The 21 tables of one indicator over `persons` fictional persons."""
    codes = {
        "age_band": _draw(rng, persons, len(DIMENSIONS["age_band"]), 0.4),
        "sex": _draw(rng, persons, len(DIMENSIONS["sex"]), 1.5),
        "nationality": _draw(rng, persons, len(DIMENSIONS["nationality"]), 1.3),
        "agency": _draw(rng, persons, len(DIMENSIONS["agency"]), 0.8),
        "child": _draw(rng, persons, 2, 2.5),
        "stage": _draw(rng, persons, len(DIMENSIONS["stage"]), 0.7),
    }
    # Each agency works in one region (regions 0 and 5 have a single agency).
    codes["region"] = np.array([REGION_INDEX[a] for a in range(len(DIMENSIONS["agency"]))])[codes["agency"]]
    # Forms: one drawn for everybody, a second for a quarter of the persons.
    forms = np.zeros((persons, len(FORMS)), dtype=bool)
    forms[np.arange(persons), _draw(rng, persons, len(FORMS), 1.1)] = True
    second = rng.random(persons) < 0.25
    forms[np.nonzero(second)[0], _draw(rng, int(second.sum()), len(FORMS), 1.1)] = True

    def one_way(dim: str) -> np.ndarray:
        if dim == "form":
            return forms.sum(axis=0)
        return np.bincount(codes[dim], minlength=len(DIMENSIONS[dim]))

    def two_way(row: str, column: str) -> np.ndarray:
        if row == "form":
            return two_way(column, row).T
        if column == "form":
            return np.stack(
                [np.bincount(codes[row][forms[:, f]], minlength=len(DIMENSIONS[row])) for f in range(len(FORMS))],
                axis=1,
            )
        size = len(DIMENSIONS[column])
        flat = np.bincount(codes[row] * size + codes[column], minlength=len(DIMENSIONS[row]) * size)
        return flat.reshape(len(DIMENSIONS[row]), size)

    tables = []
    for row, column in BREAKDOWNS:
        rows = DIMENSIONS[row] if row else ()
        columns = DIMENSIONS[column] if column else ()
        cells: dict[tuple[str, str], int] = {(TOTAL, TOTAL): persons}
        if row:
            cells.update({(r, TOTAL): int(n) for r, n in zip(rows, one_way(row), strict=True)})
        if column:
            cells.update({(TOTAL, c): int(n) for c, n in zip(columns, one_way(column), strict=True)})
        if row and column:
            cross = two_way(row, column)
            for i, r in enumerate(rows):
                for j, c in enumerate(columns):
                    cells[(r, c)] = int(cross[i, j])
        tables.append(
            CountTable(
                table_id=f"{indicator_id}/by_{row or 'all'}_{column or 'all'}",
                indicator_id=indicator_id,
                row_dimension=row,
                column_dimension=column,
                rows=rows,
                columns=columns,
                cells=cells,
                row_overlap=row == "form",
                column_overlap=column == "form",
            )
        )
    return tables


def release(indicators: int, seed: int = 0) -> list[CountTable]:
    rng = np.random.default_rng(seed)
    sizes = [1_000_000, *np.exp(rng.uniform(np.log(30), np.log(300_000), indicators - 1)).astype(int)]
    tables: list[CountTable] = []
    for n, size in enumerate(sizes):
        tables += indicator_tables(rng, f"indicator_{n:02d}", int(size))
    return tables


def primary_only(tables: list[CountTable], policy: DisclosurePolicy) -> int:
    return sum(1 for table in tables for count in table.cells.values() if policy.is_primary(count))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--indicators", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--protection", type=int, default=1)
    parser.add_argument("--attack", action="store_true", help="run the LP attacker on the protected release")
    args = parser.parse_args()
    indicators = 8 if args.quick else args.indicators
    repeats = 2 if args.quick else args.repeats
    policy = DisclosurePolicy(protection=args.protection)
    tables = release(indicators)
    cells = sum(len(t.cells) for t in tables)

    protect_times, cpu_times, baseline_times = [], [], []
    published = protect(tables, policy, nestings=NESTINGS)  # warm-up (imports, HiGHS start-up)
    for _ in range(repeats):
        start = time.perf_counter()
        primary_only(tables, policy)
        baseline_times.append(time.perf_counter() - start)
        start, cpu = time.perf_counter(), time.process_time()
        published = protect(tables, policy, nestings=NESTINGS)
        protect_times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
    marks = [reason for item in published for reason in item.suppressed.values()]
    median = statistics.median(protect_times)
    result = {
        "indicators": indicators,
        "tables": len(tables),
        "cells": cells,
        "primary": sum(1 for m in marks if m == "primary"),
        "secondary": sum(1 for m in marks if m == "secondary"),
        "protect_seconds_median": round(median, 3),
        "protect_seconds_all": [round(t, 3) for t in protect_times],
        "protect_cpu_seconds_median": round(statistics.median(cpu_times), 3),
        "primary_only_seconds_median": round(statistics.median(baseline_times), 4),
        "ratio_to_primary_only": round(median / statistics.median(baseline_times), 1),
        "target_seconds": TARGET_SECONDS,
        "met": statistics.median(cpu_times) <= TARGET_SECONDS,
    }
    if args.attack:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.monitoring.suppression_attacker import attack

        start = time.perf_counter()
        by_indicator: dict[str, list] = {}
        for item in published:
            by_indicator.setdefault(item.table.indicator_id, []).append(item)
        findings = [
            f for group in by_indicator.values() for f in attack(group, protection=args.protection, nestings=NESTINGS)
        ]
        result["attack_findings"] = len(findings)
        result["attack_seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps(result, indent=2))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
