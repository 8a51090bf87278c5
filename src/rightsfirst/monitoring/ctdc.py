"""CTDC import: the Global Victim-Perpetrator Synthetic Dataset format (16 columns, 1 Dec 2022 release).

The Counter-Trafficking Data Collaborative (CTDC, run by IOM) publishes this file as differentially
private synthetic data: no row is a real person. Every cell is checked against the column's values
(the file's data dictionary); problems are collected for the whole file with their lines and raised
together (`CtdcError`), so a caller gets every row or none. The checked rows become an Arrow table
(`read_ctdc`), its counts a summary (`summarise`), and what maps to our vocabulary monitoring
records (`to_monitoring`).

The format: UTF-8, commas, a header row; empty = missing; flags are "1" or empty (never "0");
multi-valued cells are joined with ";" (stored here in one order, the values' order below).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from tqdm import tqdm

from rightsfirst.monitoring.exchange import FileProblems, Problem
from rightsfirst.monitoring.records import MonitoringRecords, case_schema, measure_schema, service_schema

# UN regions, with the Americas and Oceania merged as CTDC does in this file.
REGIONS = ("Africa", "Americas/Oceania", "Asia", "Europe")


@dataclass(frozen=True)
class Column:
    """One column of the file: its values, and whether a cell may hold several (joined with ";")."""

    name: str
    values: tuple[str, ...]  # for a flag: ("1",)
    several: bool = False
    meaning: str = ""

    @property
    def flag(self) -> bool:
        return self.values == ("1",)


COLUMNS: tuple[Column, ...] = (
    Column("yearRegister", ("2005-2013", "2014-2018", "2019", "2020", "2021-2022"), meaning="year registered, banded"),
    Column("gender", ("Female", "Male"), meaning="the victim's gender"),
    Column("majorityStatus", ("Adult", "Minor"), meaning="the victim was an adult or a minor"),
    Column("isForcedLabour", ("1",), meaning="forced labour"),
    Column("isSexualExploit", ("1",), meaning="sexual exploitation"),
    Column("UN_COO_Region", REGIONS, meaning="UN region of the victim's citizenship"),
    Column("UN_COE_Region", REGIONS, meaning="UN region of the country of exploitation"),
    Column("IP_Exploiter", ("1",), meaning="a perpetrator who exploited the victim"),
    Column("IP_Gender", ("Female", "Male"), several=True, meaning="the perpetrators' genders"),
    Column("IP_ageBroad", ("0--29", "30--38", "39--47", "48+"), several=True, meaning="the perpetrators' age bands"),
    Column("IP_citizen_UNRegion", REGIONS, several=True, meaning="UN regions of the perpetrators' citizenship"),
    Column(
        "IP_Relation",
        ("FamilyIntimatePartner", "FriendAcquaintance", "StrangerUnknownOther"),
        several=True,
        meaning="the perpetrators' relation to the victim",
    ),
    Column("IP_PayMoney", ("No", "Yes"), several=True, meaning="money paid to a perpetrator"),
    Column("IP_RecruiterBroker", ("1",), meaning="a perpetrator recruited or brokered"),
    Column("IP_TransactionProcess", ("1",), meaning="a perpetrator took part in a transaction (sale, transfer)"),
    Column("IP_ControlAbuseKidnap", ("1",), meaning="a perpetrator controlled, abused or abducted the victim"),
)
COLUMN_BY_NAME: Mapping[str, Column] = {column.name: column for column in COLUMNS}
# CTDC's gender words -> our sex codes; its majority status -> treated as a child.
SEX: Mapping[str, str] = {"Female": "female", "Male": "male"}
CHILD: Mapping[str, bool] = {"Minor": True, "Adult": False}
FORM_FLAGS: Mapping[str, str] = {"isForcedLabour": "forced_labour", "isSexualExploit": "sexual_exploitation"}
SOURCE = "CTDC Global Victim-Perpetrator Synthetic Dataset (2022), synthetic"


class CtdcError(FileProblems):
    """The file does not have the CTDC Victim-Perpetrator format: every problem found."""


def schema() -> pa.Schema:
    """The Arrow schema of a read file: flags are booleans (true or null), the rest strings."""
    return pa.schema([pa.field(column.name, pa.bool_() if column.flag else pa.string()) for column in COLUMNS])


def _cell(column: Column, raw: str) -> str | bool:
    """The checked value of a non-empty cell; ValueError says what is allowed."""
    if column.flag:
        if raw == "1":
            return True
        raise ValueError(f"{raw[:40]!r} is not allowed: a flag is 1 or empty")
    parts = [part.strip() for part in raw.split(";")] if column.several else [raw]
    unknown = [part for part in parts if part not in column.values]
    if unknown:
        several = " (several may be joined with ';')" if column.several else ""
        raise ValueError(
            f"{unknown[0][:40]!r} is not a value of {column.name}; allowed: {', '.join(column.values)}{several}"
        )
    if len(set(parts)) != len(parts):
        raise ValueError(f"a value is repeated in {raw[:40]!r}")
    return ";".join(value for value in column.values if value in parts)


def read_ctdc(data: bytes | str, *, source: str = "file", progress: bool = False) -> pa.Table:
    """Read and check a CTDC Victim-Perpetrator file; the rows as an Arrow table (schema()).

    Raises CtdcError with every problem (line and column) if any row is wrong.
    """
    if isinstance(data, bytes):
        try:
            text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise CtdcError([Problem(line, None, "not UTF-8 text; save the file as CSV UTF-8")], source) from None
    else:
        text = data
    if not text.strip():
        raise CtdcError([Problem(0, None, "the file is empty")], source)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    try:
        header = next(reader)
    except csv.Error as error:
        raise CtdcError([Problem(1, None, f"the CSV is malformed ({error})")], source) from None
    names = [cell.strip() for cell in header]
    missing = [column.name for column in COLUMNS if column.name not in names]
    unknown = [name for name in names if name not in COLUMN_BY_NAME]
    if missing or unknown or len(set(names)) != len(names):
        detail = []
        if missing:
            detail.append(f"missing: {', '.join(missing)}")
        if unknown:
            detail.append(f"not CTDC Victim-Perpetrator columns: {', '.join(repr(name[:40]) for name in unknown)}")
        if len(set(names)) != len(names):
            detail.append("a column is named twice")
        raise CtdcError(
            [Problem(1, None, f"the header is not the 16 columns of the format ({'; '.join(detail)})")], source
        )
    order = [COLUMN_BY_NAME[name] for name in names]
    values: dict[str, list[str | bool | None]] = {column.name: [] for column in COLUMNS}
    total_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    with tqdm(total=total_lines, unit=" lines", file=sys.stderr, disable=not progress, leave=False) as bar:
        consumed = reader.line_num
        bar.update(consumed)
        while True:
            start = consumed + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                problems.append(Problem(start, None, f"the CSV is malformed ({error}); reading stopped here"))
                break
            bar.update(reader.line_num - consumed)
            consumed = reader.line_num
            if len(cells) != len(order):
                problems.append(Problem(start, None, f"{len(cells)} cells, but the header names {len(order)} columns"))
                continue
            row: dict[str, str | bool | None] = {}
            for column, raw in zip(order, cells, strict=True):
                cell = raw.strip()
                if not cell:
                    row[column.name] = None
                    continue
                try:
                    row[column.name] = _cell(column, cell)
                except ValueError as error:
                    problems.append(Problem(start, column.name, str(error)))
            if len(row) == len(order):
                for name, value in row.items():
                    values[name].append(value)
    if problems:
        raise CtdcError(problems, source)
    return pa.table({name: pa.array(column, type=schema().field(name).type) for name, column in values.items()})


def read_ctdc_file(path: str | Path, *, progress: bool = False) -> pa.Table:
    """read_ctdc on a file; the report names the file."""
    return read_ctdc(Path(path).read_bytes(), source=str(path), progress=progress)


@dataclass(frozen=True)
class Summary:
    """The counts of a CTDC table: rows, each column's values (None = empty) and gender x majority."""

    rows: int
    counts: Mapping[str, Mapping[str | None, int]]
    gender_by_majority: Mapping[tuple[str | None, str | None], int]

    def text(self) -> str:
        """The counts in plain text, one column a line, then the cross-table."""
        lines = [f"{self.rows:,} rows"]
        for name, counted in self.counts.items():
            shown = "; ".join(f"{_label(value)}: {count:,}" for value, count in counted.items())
            lines.append(f"{name}: {shown}")
        genders = [*COLUMN_BY_NAME["gender"].values, None]
        majorities = [*COLUMN_BY_NAME["majorityStatus"].values, None]
        lines += [
            "",
            "gender x majorityStatus",
            "".join(f"{_label(m):>10}" for m in ["", *majorities]) + f"{'total':>10}",
        ]
        for gender in genders:
            cells = [self.gender_by_majority.get((gender, majority), 0) for majority in majorities]
            lines.append(f"{_label(gender):>10}" + "".join(f"{cell:>10,}" for cell in cells) + f"{sum(cells):>10,}")
        totals = [sum(self.gender_by_majority.get((g, m), 0) for g in genders) for m in majorities]
        lines.append(f"{'total':>10}" + "".join(f"{cell:>10,}" for cell in totals) + f"{sum(totals):>10,}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        """The counts as JSON-ready data (empty as "")."""
        return {
            "rows": self.rows,
            "counts": {
                name: {value or "": count for value, count in counted.items()} for name, counted in self.counts.items()
            },
            "gender_by_majority": [
                {"gender": gender or "", "majorityStatus": majority or "", "count": count}
                for (gender, majority), count in self.gender_by_majority.items()
            ],
        }


def _label(value: str | None) -> str:
    return "(empty)" if value is None else value


def summarise(table: pa.Table) -> Summary:
    """Count every column's values (most frequent first, empty last) and gender x majorityStatus."""
    counts: dict[str, dict[str | None, int]] = {}
    for name in table.column_names:
        grouped = table.group_by(name).aggregate([([], "count_all")]).to_pylist()
        found = {_key(row[name]): int(row["count_all"]) for row in grouped}
        ordered = sorted(
            (item for item in found.items() if item[0] is not None), key=lambda item: (-item[1], item[0] or "")
        )
        if None in found:
            ordered.append((None, found[None]))
        counts[name] = dict(ordered)
    cross = table.group_by(["gender", "majorityStatus"]).aggregate([([], "count_all")]).to_pylist()
    return Summary(
        rows=table.num_rows,
        counts=counts,
        gender_by_majority={(row["gender"], row["majorityStatus"]): int(row["count_all"]) for row in cross},
    )


def _key(value: object) -> str | None:
    if value is None:
        return None
    if value is True:
        return "1"
    return str(value)


def to_monitoring(table: pa.Table) -> MonitoringRecords:
    """The victims as monitoring cases, with what maps: sex, child (minor), forms, region.

    region is the UN region of exploitation (where the person was identified or assisted, as CTDC
    uses it). Nationality, age band, dates, stage and finding are not in the file: null. The forms
    follow CTDC's rule for flags: an empty flag is "no" when another flag of the group is 1, and
    not known (null) when all are empty.
    """
    rows = table.num_rows
    sex = [SEX.get(value) if value else None for value in table.column("gender").to_pylist()]
    child = [CHILD.get(value) if value else None for value in table.column("majorityStatus").to_pylist()]
    flags = {name: table.column(name).to_pylist() for name in FORM_FLAGS}
    forms: list[list[str] | None] = []
    for index in range(rows):
        found = [form for name, form in FORM_FLAGS.items() if flags[name][index]]
        forms.append(found or None)
    columns: dict[str, pa.Array] = {
        "case_key": pa.array(range(rows), type=pa.int64()),
        "region": table.column("UN_COE_Region").combine_chunks(),
        "child": pa.array(child, type=pa.bool_()),
        "sex": pa.array(sex, type=pa.string()),
        "forms": pa.array(forms, type=pa.list_(pa.string())),
    }
    cases = pa.table(
        {field.name: columns.get(field.name, pa.nulls(rows, type=field.type)) for field in case_schema()},
        schema=case_schema(),
    )
    return MonitoringRecords(cases, measure_schema().empty_table(), service_schema().empty_table(), SOURCE)
