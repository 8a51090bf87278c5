"""HTCDS 2.0 exchange: a validating reader, and a k-anonymous export of the monitoring records.

Reading (`read_htcds`): every cell of every row is checked against the field's type and code list
(htcds_codes.py); aliases and known misspellings are accepted and stored under the standard's
names. Problems are collected for the whole file, each with its line and field, and raised together
(`HtcdsError`): a caller stores nothing unless the whole file is clean. Values of identity fields
and free text are never repeated in a problem: a report may be shown or logged.

Exporting (`export_htcds`): one row per case with only coded, non-identifying columns (see
htcds_mapping.py), made k-anonymous over the chosen quasi-identifiers. The mapping runs in DuckDB
over the Arrow tables, the suppression on whole columns of Arrow dictionary codes: a fixed number
of column-wide steps whatever the number of records, no loop over rows. htcds_baseline.py does the
same in pandas, and a test proves both give the same table.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import math
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pycountry
from tqdm import tqdm

from rightsfirst.monitoring.ages import AGE_BANDS, CHILD_AGE_BANDS
from rightsfirst.monitoring.exchange import FileProblems, Problem
from rightsfirst.monitoring.htcds_codes import (
    CHECKBOX,
    CODE_LISTS,
    COUNTRIES,
    COUNTRY,
    DATE,
    EMAIL,
    EXTENSION_FIELDS,
    FIELDS,
    IDENTITY_FIELDS,
    LANGUAGE,
    LATITUDE,
    LONG_TEXT,
    LONGITUDE,
    MULTISELECT,
    NUMBER,
    PHONE,
    PICKLIST,
    TEXT,
    Field,
    allowed_values,
    header_lookup,
    normalised,
    value_lookup,
)
from rightsfirst.monitoring.htcds_mapping import (
    ACTUAL,
    ADULT,
    ADULT_AGE_BANDS,
    FORM_TO_EXPLOITATION,
    FORMULA_STARTS,
    GENDER_NOT_KNOWN,
    MINOR,
    NOT_A_VICTIM,
    POSSIBLE,
    PRESUMING_FINDINGS,
    SEX_TO_GENDER,
    STAGE_TO_CASE_STATUS,
    STATUS_COLUMNS,
    ExportResult,
    KAnonymityPolicy,
)
from rightsfirst.monitoring.records import MonitoringRecords

Value = str | tuple[str, ...] | dt.date | float | int | bool

# Longest cell accepted, by kind (Salesforce's limits for the standard's text and long text fields).
TEXT_LIMIT = 255
LONG_TEXT_LIMIT = 32_768
# Whole numbers and their plausible range.
WHOLE_NUMBERS: Mapping[str, tuple[int, int]] = {
    "vic_AgeWhenTrafficked": (0, 130),
    "prs_NumberOfChildren": (0, 50),
    "ext_ReferralYear": (1900, 2100),
}
# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Kosovo's code: user-assigned in ISO 3166, used by the EU, IOM and UN agencies alike.
EXTRA_COUNTRIES = frozenset({"XK"})
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TRUE_WORDS, FALSE_WORDS = frozenset({"true", "yes", "1", "y"}), frozenset({"false", "no", "0", "n"})


# ---- Reading ---------------------------------------------------------------------------------------


class HtcdsError(FileProblems):
    """The file cannot be read as HTCDS: every problem found, in file order."""


@dataclass(frozen=True)
class HtcdsRow:
    """One row: its line and its non-empty values, by field name, as checked and normalised."""

    line: int
    values: Mapping[str, Value]

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return value if isinstance(value, str) else None

    def codes(self, name: str) -> tuple[str, ...]:
        """A picklist's or multiselect's values (a single value becomes a one-item tuple)."""
        value = self.values.get(name)
        if isinstance(value, tuple):
            return value
        return (value,) if isinstance(value, str) else ()

    def date(self, name: str) -> dt.date | None:
        value = self.values.get(name)
        return value if isinstance(value, dt.date) else None


@dataclass(frozen=True)
class HtcdsFile:
    """A checked HTCDS file: its columns (field names, in file order) and rows."""

    columns: tuple[str, ...]
    rows: tuple[HtcdsRow, ...]
    # Headers written otherwise than the standard spells them -> the field they were read as.
    renamed: Mapping[str, str] = field(default_factory=dict)


class _Bad(Exception):
    """A cell's value is not allowed; the message says why and what is."""


def _shown(spec: Field, raw: str) -> str:
    """The value as a report may repeat it: never identity or free text, always short."""
    if spec.name in IDENTITY_FIELDS or spec.free_text:
        return "the value"
    text = raw if len(raw) <= 40 else raw[:37] + "..."
    return repr(text)


def _listed(values: Sequence[str], most: int = 12) -> str:
    if len(values) <= most:
        return ", ".join(values)
    return ", ".join(values[:most]) + f" ... ({len(values)} in all)"


_LOOKUPS: dict[str, dict[str, str]] = {}


def _code(spec: Field, raw: str) -> str:
    lookup = _LOOKUPS.get(spec.name)
    if lookup is None:
        lookup = _LOOKUPS[spec.name] = value_lookup(spec)
    found = lookup.get(normalised(raw))
    if found is None:
        raise _Bad(f"{_shown(spec, raw)} is not a value of {spec.name} (allowed: {_listed(allowed_values(spec))})")
    return found


def _country(spec: Field, raw: str) -> str:
    text = raw.strip().upper()
    if text in EXTRA_COUNTRIES:
        return text
    country = None
    if len(text) == 2 and text.isalpha():
        country = pycountry.countries.get(alpha_2=text)
    elif len(text) == 3 and text.isalpha():
        country = pycountry.countries.get(alpha_3=text)
    if country is None:
        raise _Bad(f"{_shown(spec, raw)} is not an ISO 3166-1 country code (two letters, e.g. RO, NG, VN)")
    return str(country.alpha_2)


def _language(spec: Field, raw: str) -> str:
    text = raw.strip().lower()
    language = None
    if len(text) == 3 and text.isalpha():
        language = (
            pycountry.languages.get(alpha_3=text)
            or pycountry.languages.get(bibliographic=text)
            or pycountry.language_families.get(alpha_3=text)
        )
    elif len(text) == 2 and text.isalpha():
        language = pycountry.languages.get(alpha_2=text)
    if language is None:
        raise _Bad(f"{_shown(spec, raw)} is not an ISO 639-2 language code (three letters, e.g. eng, fra, ron)")
    return str(language.alpha_3)


def _number(spec: Field, raw: str) -> float | int:
    try:
        number = float(raw.replace(",", "."))
    except ValueError:
        raise _Bad(f"{_shown(spec, raw)} is not a number") from None
    if not math.isfinite(number):
        raise _Bad(f"{_shown(spec, raw)} is not a number")
    if spec.kind == LATITUDE and not -90 <= number <= 90:
        raise _Bad(f"{_shown(spec, raw)}: a latitude is between -90 and 90")
    if spec.kind == LONGITUDE and not -180 <= number <= 180:
        raise _Bad(f"{_shown(spec, raw)}: a longitude is between -180 and 180")
    bounds = WHOLE_NUMBERS.get(spec.name)
    if bounds is not None:
        low, high = bounds
        if not number.is_integer() or not low <= number <= high:
            raise _Bad(f"{_shown(spec, raw)}: a whole number from {low} to {high}")
        return int(number)
    return number


def _parse_date(spec: Field, raw: str) -> dt.date:
    text = raw.strip()
    if ISO_DATE.fullmatch(text):
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise _Bad(f"{_shown(spec, raw)} is not a day of the calendar") from None
        if value.year >= 1900:
            return value
        raise _Bad(f"{_shown(spec, raw)} is before 1900")
    raise _Bad(f"{_shown(spec, raw)} is not a date written YYYY-MM-DD (e.g. 2026-03-02)")


def parse_value(spec: Field, raw: str) -> Value:
    """Check one non-empty cell of a field and return its normalised value; _Bad says what is wrong."""
    kind = spec.kind
    if kind in (TEXT, LONG_TEXT):
        limit = TEXT_LIMIT if kind == TEXT else LONG_TEXT_LIMIT
        if len(raw) > limit:
            raise _Bad(f"longer than {limit:,} characters ({len(raw):,})")
        if raw.startswith(FORMULA_STARTS):
            raise _Bad(
                f"starts with {raw[0]!r}, which a spreadsheet would run as a formula; remove that first character"
            )
        return raw
    if len(raw) > 2_000:
        raise _Bad(f"longer than 2,000 characters ({len(raw):,})")
    if kind == PICKLIST:
        return _code(spec, raw)
    if kind == MULTISELECT:
        codes = {_code(spec, part.strip()) for part in raw.split(";") if part.strip()}
        return tuple(value for value in allowed_values(spec) if value in codes)
    if kind == COUNTRIES:
        found = [_country(spec, part) for part in raw.split(";") if part.strip()]
        return tuple(dict.fromkeys(found))
    if kind == COUNTRY:
        return _country(spec, raw)
    if kind == LANGUAGE:
        return _language(spec, raw)
    if kind == DATE:
        return _parse_date(spec, raw)
    if kind in (NUMBER, LATITUDE, LONGITUDE):
        return _number(spec, raw)
    if kind == CHECKBOX:
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _Bad(f"{_shown(spec, raw)} is not a yes/no value (true or false)")
    if kind == PHONE:
        compact = re.sub(r"[\s\-.()]", "", raw)
        if not E164.fullmatch(compact):
            raise _Bad("not a phone number in E.164 form: +, the country code and the number, at most 15 digits")
        return compact
    if kind == EMAIL:
        if not EMAIL_SHAPE.fullmatch(raw.strip()):
            raise _Bad("not an e-mail address (name@domain)")
        return raw.strip()
    raise AssertionError(f"no check for kind {kind}")  # pragma: no cover


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text (a byte-order mark is allowed); every line that is not UTF-8 is named."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    problems = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(
                Problem(
                    number,
                    None,
                    f"not UTF-8 text (byte 0x{line[error.start]:02x} at column {error.start + 1}); "
                    "save the file as CSV UTF-8",
                )
            )
    raise HtcdsError(problems, source)


def _header(cells: list[str]) -> tuple[list[str | None], dict[str, str], list[Problem]]:
    """The field each column holds and the problems of the header.

    A column with no name is "" (a value in it is a problem of its row); one whose name is already
    reported as a problem is None (its cells are not looked at).
    """
    lookup = header_lookup()
    problems: list[Problem] = []
    columns: list[str | None] = []
    renamed: dict[str, str] = {}
    if len(cells) == 1 and any(mark in cells[0] for mark in (";", "\t", "|")):
        mark = next(mark for mark in (";", "\t", "|") if mark in cells[0])
        shown = "a tab" if mark == "\t" else repr(mark)
        raise HtcdsError(
            [
                Problem(
                    1,
                    None,
                    f"the fields are separated by {shown}, not by commas. Save the file as CSV with commas "
                    "(in HTCDS a ';' separates the values of a field that takes several)",
                )
            ]
        )
    known = [lookup.get(normalised(cell)) for cell in cells]
    if not any(known):
        raise HtcdsError(
            [
                Problem(
                    1,
                    None,
                    "no header row: the first line must name the HTCDS fields, e.g. "
                    "cas_IncomingReferralDate,prs_Gender,prs_Citizenship,vic_TypeOfExploitation",
                )
            ]
        )
    names = [*FIELDS, *EXTENSION_FIELDS]
    for position, (cell, name) in enumerate(zip(cells, known, strict=True), start=1):
        header = cell.strip()
        if not header:
            columns.append("")
            continue
        if name is None:
            guess = difflib.get_close_matches(header, names, n=1, cutoff=0.6)
            hint = f"; did you mean {guess[0]}?" if guess else ""
            shown = header if len(header) <= 60 else header[:57] + "..."
            problems.append(Problem(1, None, f"column {position}: {shown!r} is not an HTCDS field{hint}"))
            columns.append(None)
            continue
        if name in columns:
            problems.append(Problem(1, name, f"column {position} repeats a column already in the header"))
            columns.append(None)
            continue
        if header != name:
            renamed[header] = name
        columns.append(name)
    return columns, renamed, problems


def _line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def read_htcds(
    data: bytes | str,
    *,
    source: str = "file",
    required: Sequence[str] = (),
    progress: bool = False,
) -> HtcdsFile:
    """Read and check an HTCDS CSV file (UTF-8, commas, a header row naming the fields).

    `required`: fields every row must fill. Raises HtcdsError with every problem found; returns
    the checked rows only when there is none. `progress` shows a bar on standard error.
    """
    checked, problems = check_htcds(data, source=source, required=required, progress=progress)
    if problems:
        raise HtcdsError(problems, source)
    return checked


def check_htcds(
    data: bytes | str,
    *,
    source: str = "file",
    required: Sequence[str] = (),
    progress: bool = False,
) -> tuple[HtcdsFile, list[Problem]]:
    """The rows without a problem, and every problem found (for callers that check more).

    Raises HtcdsError only when the file cannot be read as a table at all (not UTF-8, empty, no
    header, another separator); a caller must store nothing while the problem list is not empty.
    """
    text = _decode(data, source) if isinstance(data, bytes) else data
    if not text.strip():
        raise HtcdsError([Problem(0, None, "the file is empty")], source)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[Problem] = []
    rows: list[HtcdsRow] = []
    bar = tqdm(total=_line_count(text), unit=" lines", file=sys.stderr, disable=not progress, leave=False)
    try:
        try:
            header_cells = next(reader)
        except csv.Error as error:
            raise HtcdsError([Problem(1, None, _csv_problem(error))], source) from None
        try:
            columns, renamed, problems = _header(header_cells)
        except HtcdsError as error:
            raise HtcdsError(error.problems, source) from None
        problems += [
            Problem(1, name, "this column is required and missing from the header")
            for name in required
            if name not in columns
        ]
        specs = {name: FIELDS.get(name) or EXTENSION_FIELDS[name] for name in columns if name}
        consumed = reader.line_num
        bar.update(consumed)
        for line, cells in _records(reader, problems):
            bar.update(reader.line_num - consumed)
            consumed = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row = _row(line, cells, columns, specs, required, problems)
            if row is not None:
                rows.append(row)
    finally:
        bar.close()
    return HtcdsFile(tuple(name for name in columns if name), tuple(rows), renamed), problems


def _csv_problem(error: csv.Error) -> str:
    message = str(error)
    if "field larger than field limit" in message:
        return (
            f"a cell is longer than {csv.field_size_limit():,} characters (the longest a field takes is "
            f"{LONG_TEXT_LIMIT:,}); reading stopped here"
        )
    return f"the CSV is malformed ({message}); reading stopped here. Check the quotes on this line"


def _records(reader: Iterator[list[str]], problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, its cells); a malformed record ends the reading with a problem."""
    line_num = getattr(reader, "line_num", 0)
    while True:
        start = line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problems.append(Problem(start, None, _csv_problem(error)))
            return
        line_num = getattr(reader, "line_num", start)
        yield start, cells


def _row(
    line: int,
    cells: list[str],
    columns: list[str | None],
    specs: Mapping[str, Field],
    required: Sequence[str],
    problems: list[Problem],
) -> HtcdsRow | None:
    before = len(problems)
    if len(cells) != len(columns):
        extra = cells[len(columns) :]
        if len(cells) < len(columns) or any(cell.strip() for cell in extra):
            problems.append(Problem(line, None, f"{len(cells)} cells, but the header names {len(columns)} columns"))
            return None
    values: dict[str, Value] = {}
    for name, raw in zip(columns, cells, strict=False):
        cell = raw.strip()
        if not cell:
            continue
        if name is None:
            continue
        if not name:
            problems.append(Problem(line, None, "a value in a column whose header is empty"))
            continue
        spec = specs[name]
        control = CONTROL_CHARACTERS.search(cell)
        if control:
            problems.append(Problem(line, name, f"contains a control character (U+{ord(control.group()):04X})"))
            continue
        try:
            value = parse_value(spec, cell)
        except _Bad as bad:
            problems.append(Problem(line, name, str(bad)))
            continue
        if value != ():
            values[name] = value
    for name in required:
        if name in specs and name not in values:
            problems.append(Problem(line, name, "required, and empty"))
    return HtcdsRow(line, values) if len(problems) == before else None


def read_htcds_file(path: str | Path, *, required: Sequence[str] = (), progress: bool = False) -> HtcdsFile:
    """read_htcds on a file's bytes; the report names the file."""
    return read_htcds(Path(path).read_bytes(), source=str(path), required=required, progress=progress)


# ---- Exporting -------------------------------------------------------------------------------------


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_literal(value) for value in values) + "]"


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(_literal(value) for value in values) + ")"


# The same characters as FORMULA_STARTS, as a regular expression (RE2 and Python alike).
FORMULA_PATTERN = r"^[=+@\t\r-]"


def _mapping_sql() -> str:
    """SELECT turning the cases table into the export's columns (before any k-anonymisation)."""
    exploitation = []
    for code in CODE_LISTS["vic_TypeOfExploitation"]:
        forms = [form for form, mapped in FORM_TO_EXPLOITATION.items() if mapped == code]
        if forms:
            exploitation.append(f"CASE WHEN list_has_any(forms, {_text_list(forms)}) THEN {_literal(code)} END")
    gender = " ".join(f"WHEN {_literal(sex)} THEN {_literal(code)}" for sex, code in SEX_TO_GENDER.items())
    status = " ".join(f"WHEN {_literal(stage)} THEN {_literal(code)}" for stage, code in STAGE_TO_CASE_STATUS.items())
    # Built only from our own constants (code lists and mapping tables, quoted); no outside text.
    return f"""
        SELECT
            rn,
            CAST(year(referred_on) AS VARCHAR) AS ext_ReferralYear,
            CASE
                WHEN regexp_matches(region, {_literal(FORMULA_PATTERN)}) THEN '''' || region
                ELSE NULLIF(region, '')
            END AS ext_Region,
            CASE WHEN age_band IN {_in(AGE_BANDS)} THEN age_band END
                AS ext_AgeBand,
            CASE
                WHEN child OR age_band IN {_in(sorted(CHILD_AGE_BANDS))} THEN {_literal(MINOR)}
                WHEN age_band IN {_in(ADULT_AGE_BANDS)} THEN {_literal(ADULT)}
            END AS ext_MajorityStatus,
            CASE sex {gender} ELSE {_literal(GENDER_NOT_KNOWN)} END AS prs_Gender,
            CASE WHEN regexp_matches(upper(nationality), '^[A-Z]{{2}}$') THEN upper(nationality) END
                AS prs_Citizenship,
            NULLIF(concat_ws(';', {", ".join(exploitation)}), '') AS vic_TypeOfExploitation,
            CASE
                WHEN identified_on IS NOT NULL AND (not_identified_on IS NULL OR identified_on >= not_identified_on)
                    THEN {_literal(ACTUAL)}
                WHEN not_identified_on IS NOT NULL THEN {_literal(NOT_A_VICTIM)}
                WHEN presumed_on IS NOT NULL OR finding IN {_in(PRESUMING_FINDINGS)} THEN {_literal(POSSIBLE)}
            END AS vic_TraffickingStatus,
            CASE stage {status} END AS cas_Status
        FROM cases
    """  # nosec B608  # built from our own constants only (see above)


def _with_row_numbers(cases: pa.Table) -> pa.Table:
    return cases.append_column("rn", pa.array(np.arange(cases.num_rows, dtype=np.int64)))


def _fetch(connection: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    result: pa.Table = connection.sql(sql).arrow().read_all()
    return result


def export_htcds(records: MonitoringRecords, policy: KAnonymityPolicy | None = None) -> ExportResult:
    """The cases as HTCDS rows, k-anonymous over the policy's quasi-identifiers.

    1. Map each case to the export's coded columns (htcds_mapping.py), in DuckDB.
    2. Rare values: a quasi-identifier value held by fewer than k records is blanked (an age band
       is generalised: minor/adult stays). Such a value can never be in a class of k.
    3. Each record still in a class (the records sharing all quasi-identifier values, empty
       counting as a value) smaller than k loses one quasi-identifier after another, in
       SUPPRESSION_ORDER, the class sizes counted afresh after each step.
    4. Records whose class is still smaller than k once every quasi-identifier is blank are left out.
    The rows keep the cases' order.

    Steps 2 to 4 work on whole columns of small integer codes (Arrow's dictionary encoding) and on
    the distinct combinations of codes with their number of records (a few thousand rows however
    many cases): records with the same values are always treated alike, so this gives the same
    result as going record by record (htcds_baseline.py does, in pandas; a test compares them).
    """
    policy = policy or KAnonymityPolicy()
    mapped = _mapped(records.cases)
    qis = policy.quasi_identifier_columns()
    dictionaries: list[pa.Array] = []
    codes: list[np.ndarray] = []
    for name in qis:
        encoded = pc.dictionary_encode(mapped.column(name)).combine_chunks()
        dictionaries.append(encoded.dictionary)
        codes.append(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64))
    rows = mapped.num_rows
    matrix = np.column_stack(codes) if codes else np.zeros((rows, 0), dtype=np.int64)
    radices = [len(dictionary) + 1 for dictionary in dictionaries]
    first, of_record = _groups(matrix, radices)
    original = matrix[first]
    weights = np.bincount(of_record, minlength=len(first))
    kept, final = _k_anonymous(original, weights, radices, policy)
    record_kept = kept[of_record]
    columns: dict[str, pa.Array] = {}
    withheld: dict[str, int] = {}
    for index, name in enumerate(qis):
        values = final[of_record[record_kept], index]
        columns[name] = dictionaries[index].take(pa.array(values, mask=values < 0))
        before = int(weights[kept & (original[:, index] >= 0)].sum())
        withheld[name] = before - int(weights[kept & (final[:, index] >= 0)].sum())
    chosen = pa.array(record_kept)
    for name in STATUS_COLUMNS:
        columns[name] = mapped.column(name).filter(chosen).combine_chunks()
    table = pa.table({name: columns[name] for name in policy.columns()})
    return ExportResult(
        table=_as_strings(table, policy),
        policy=policy,
        rows_in=rows,
        rows_dropped=rows - table.num_rows,
        generalised_age=withheld.pop("ext_AgeBand", 0),
        suppressed=withheld,
    )


def _mapped(cases: pa.Table) -> pa.Table:
    """Every case with the export's columns, in the cases' order (DuckDB)."""
    connection = duckdb.connect()
    try:
        connection.register("cases", _with_row_numbers(cases))
        sql = f"SELECT * EXCLUDE (rn) FROM ({_mapping_sql()}) ORDER BY rn"  # nosec B608  # our constants only
        return _fetch(connection, sql)
    finally:
        connection.close()


def _row_keys(matrix: np.ndarray, radices: Sequence[int]) -> np.ndarray:
    """One integer per row of codes, equal exactly when the rows are equal.

    The codes (-1 to radix - 2 in each column) are read as the digits of one number; when the
    number could be too large for 64 bits, the rows are compared column by column instead.
    """
    if matrix.shape[1] == 0:
        return np.zeros(matrix.shape[0], dtype=np.int64)
    if math.prod(radices) < 2**62:
        multipliers = np.cumprod([1, *radices[:-1]], dtype=np.int64)
        keys: np.ndarray = ((matrix + 1) * multipliers).sum(axis=1)
        return keys
    _, keys = np.unique(matrix, axis=0, return_inverse=True)
    return keys.reshape(-1).astype(np.int64)


def _groups(matrix: np.ndarray, radices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The index of the first row of each distinct row of codes, and the group of every row."""
    _, first, group = np.unique(_row_keys(matrix, radices), return_index=True, return_inverse=True)
    return first, group.reshape(-1)


def _class_sizes(combinations: np.ndarray, weights: np.ndarray, radices: Sequence[int]) -> np.ndarray:
    """For each combination, the number of records in its class (the same codes, -1 included)."""
    _, group = _groups(combinations, radices)
    sizes: np.ndarray = np.bincount(group, weights=weights)[group]
    return sizes


def _k_anonymous(
    original: np.ndarray, weights: np.ndarray, radices: Sequence[int], policy: KAnonymityPolicy
) -> tuple[np.ndarray, np.ndarray]:
    """Steps 2 to 4 on the combinations: which are kept, and their codes after suppression (-1 = blank)."""
    k = policy.k
    final = original.copy()
    qis = policy.quasi_identifier_columns()
    for index in range(final.shape[1]):
        column = final[:, index]
        present = column >= 0
        totals = np.bincount(column[present], weights=weights[present]) if present.any() else np.zeros(0)
        rare = np.zeros(len(column), dtype=bool)
        rare[present] = totals[column[present]] < k
        column[rare] = -1
    for name in policy.suppression_order():
        small = _class_sizes(final, weights, radices) < k
        final[small, qis.index(name)] = -1
    kept: np.ndarray = _class_sizes(final, weights, radices) >= k
    return kept, final


def _as_strings(table: pa.Table, policy: KAnonymityPolicy) -> pa.Table:
    """The export's schema: every column a string, in the policy's order."""
    schema = pa.schema([pa.field(name, pa.string()) for name in policy.columns()])
    return table.select(list(policy.columns())).cast(schema)


def write_csv(table: pa.Table, target: IO[bytes]) -> None:
    """The table as an HTCDS CSV: UTF-8, a header of field names, empty cells for no value."""
    target.write((",".join(table.column_names) + "\n").encode("utf-8"))
    pa_csv.write_csv(table, target, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))


def write_jsonl(table: pa.Table, target: IO[bytes]) -> None:
    """The table as JSON lines: one object a row, null for no value."""
    for batch in table.to_batches(max_chunksize=10_000):
        lines = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in batch.to_pylist())
        target.write(("\n".join(lines) + "\n").encode("utf-8"))
