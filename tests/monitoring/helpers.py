"""Hand-made monitoring records for tests: rows as dicts, every other column null."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from rightsfirst.monitoring.records import MonitoringRecords, case_schema, measure_schema, service_schema

LIST_COLUMNS = {"forms", "violated_rules"}


def _table(rows: Sequence[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    for row in rows:
        unknown = set(row) - set(schema.names)
        assert not unknown, f"not a column: {unknown}"
    columns = {name: [row.get(name, [] if name in LIST_COLUMNS else None) for row in rows] for name in schema.names}
    return pa.table(columns, schema=schema)


def make_records(
    cases: Sequence[dict[str, Any]],
    measures: Sequence[dict[str, Any]] = (),
    services: Sequence[dict[str, Any]] = (),
) -> MonitoringRecords:
    """Records from rows; measure facts are given without the `fact_` prefix under "facts"."""
    measure_rows = []
    for measure in measures:
        row = {key: value for key, value in measure.items() if key != "facts"}
        row.update({f"fact_{name}": value for name, value in measure.get("facts", {}).items()})
        row.setdefault("outcome", "ok")
        row.setdefault("overridden", False)
        measure_rows.append(row)
    records = MonitoringRecords(
        _table(cases, case_schema()),
        _table(measure_rows, measure_schema()),
        _table(services, service_schema()),
        source="fictional test rows",
    )
    records.check()
    return records
