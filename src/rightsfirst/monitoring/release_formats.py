"""A release as data for other tools: one row per published cell (CSV), or a JSON document.

Only what the release publishes goes out: a suppressed cell is written with its status and no
number, shares and statistics only where the release gives them. Row and column values are the
codes of the records (age bands, ISO country codes, the engine's forms of exploitation ...),
with "__total__" for a margin, so that the files join with other data without translation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from rightsfirst.monitoring.release import PublishedResult, Release
from rightsfirst.monitoring.tables import TOTAL

FORMAT = "rightsfirst.monitoring-release/1"
COLUMNS = (
    "indicator",
    "title",
    "kind",
    "unit",
    "breakdown",
    "row_dimension",
    "row",
    "column_dimension",
    "column",
    "status",
    "count",
    "denominator",
    "share",
    "value",
    "citations",
)
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _breakdown_name(result: PublishedResult) -> str:
    names = [dimension for dimension in result.breakdown if dimension is not None]
    return "total" if not names else " x ".join(names)


def cell_rows(release: Release) -> Iterator[dict[str, Any]]:
    """Every cell of every published table, as plain values (None where nothing is published)."""
    for result in release.results:
        indicator = result.indicator
        row_dimension, column_dimension = result.breakdown
        for cell in result.cells():
            suppressed = result.suppressed(cell)
            share = result.share(cell) if indicator.kind == "share" else None
            yield {
                "indicator": indicator.id,
                "title": indicator.title,
                "kind": indicator.kind,
                "unit": indicator.unit,
                "breakdown": _breakdown_name(result),
                "row_dimension": row_dimension or "",
                "row": cell[0],
                "column_dimension": column_dimension or "",
                "column": cell[1],
                "status": "suppressed" if suppressed else "published",
                "count": result.count(cell),
                "denominator": result.base(cell),
                "share": None if share is None else round(share, 6),
                "value": result.value(cell),
                "citations": " ".join(indicator.citations),
            }


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def to_csv(release: Release) -> str:
    """The release as CSV: a header, then one line per cell (see COLUMNS)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in cell_rows(release):
        writer.writerow([_csv_value(row[name]) for name in COLUMNS])
    return out.getvalue()


def to_json(release: Release) -> dict[str, Any]:
    """The release as a JSON-ready document: how it was protected, then each table's cells."""
    tables: list[dict[str, Any]] = []
    for result in release.results:
        indicator = result.indicator
        cells = []
        for cell in result.cells():
            entry: dict[str, Any] = {"row": cell[0], "column": cell[1], "count": result.count(cell)}
            if indicator.kind == "share":
                entry["denominator"] = result.base(cell)
                entry["share"] = result.share(cell)
            if indicator.kind in {"median", "sum"}:
                entry["value"] = result.value(cell)
            entry["suppressed"] = result.suppressed(cell)
            cells.append(entry)
        tables.append(
            {
                "indicator": indicator.id,
                "title": indicator.title,
                "kind": indicator.kind,
                "unit": indicator.unit,
                "citations": list(indicator.citations),
                "rows": result.breakdown[0],
                "columns": result.breakdown[1],
                "cells": cells,
            }
        )
    protection: dict[str, Any]
    if release.noisy is not None:
        protection = {
            "method": "differential_privacy",
            "epsilon_per_table": release.noisy.epsilon_per_table,
            "budget_id": release.noisy.budget_id,
        }
    else:
        protection = {
            "method": "suppression",
            "minimum_cell": release.policy.minimum_cell,
            "zeros_suppressed": release.policy.zeros_disclosive,
        }
    return {
        "format": FORMAT,
        "period": {"start": release.period.start.isoformat(), "end": release.period.end.isoformat()},
        "source": release.source,
        "total": TOTAL,
        "protection": protection,
        "tables": tables,
    }
