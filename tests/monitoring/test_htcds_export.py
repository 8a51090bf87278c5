"""The de-identified HTCDS export: k-anonymity recounted, allowed columns only, DuckDB = pandas, round trip."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from rightsfirst.monitoring.generator import generate
from rightsfirst.monitoring.htcds import _row_keys, export_htcds, read_htcds, write_csv, write_jsonl
from rightsfirst.monitoring.htcds_baseline import compare_with_pandas, export_htcds_with_pandas, same_export
from rightsfirst.monitoring.htcds_codes import CODE_LISTS, EXTENSION_FIELDS, FIELDS
from rightsfirst.monitoring.htcds_mapping import (
    EXPORT_COLUMNS,
    FORM_TO_EXPLOITATION,
    QUASI_IDENTIFIER_GROUPS,
    ExportResult,
    KAnonymityPolicy,
)
from rightsfirst.monitoring.records import FORMS, STAGES, MonitoringRecords, case_schema, empty_records

# The only columns an export may ever have: coded HTCDS fields that identify no one, and our
# four extension columns. Anything else (a name, a birth date, a phone ...) is a defect.
ALLOWED = {
    "prs_Gender",
    "prs_Citizenship",
    "vic_TypeOfExploitation",
    "vic_TraffickingStatus",
    "cas_Status",
    "ext_ReferralYear",
    "ext_Region",
    "ext_AgeBand",
    "ext_MajorityStatus",
}


def generated(n: int, seed: int) -> MonitoringRecords:
    """n fictional cases from the monitoring generator (skewed like real caseloads: a few
    nationalities and forms dominate, many are rare, so k-anonymisation has values to suppress)."""
    return generate(n, seed=seed, start=dt.date(2022, 1, 1), end=dt.date(2025, 12, 31))


def recount(result: ExportResult) -> Counter[tuple[Any, ...]]:
    """The size of every equivalence class, counted afresh from the exported rows."""
    columns = result.policy.quasi_identifier_columns()
    rows = result.table.to_pylist()
    return Counter(tuple(row[name] for name in columns) for row in rows)


def case(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {column.name: None for column in case_schema()}
    row.update(case_key=0, referred_on=dt.date(2025, 3, 1), forms=[])
    row.update(values)
    return row


def records_of(rows: list[dict[str, Any]]) -> MonitoringRecords:
    for number, row in enumerate(rows):
        row["case_key"] = number
    empty = empty_records("test (fictional)")
    return MonitoringRecords(
        pa.Table.from_pylist(rows, schema=case_schema()), empty.measures, empty.services, "test (fictional)"
    )


@pytest.mark.parametrize(("n", "seed", "k"), [(5_000, 1, 10), (5_000, 2, 5), (2_000, 3, 25), (800, 4, 10)])
def test_every_class_of_the_output_holds_at_least_k_records(n: int, seed: int, k: int) -> None:
    result = export_htcds(generated(n, seed), KAnonymityPolicy(k=k))
    classes = recount(result)
    assert classes, "nothing was exported"
    assert min(classes.values()) >= k
    assert sum(classes.values()) == result.table.num_rows == n - result.rows_dropped
    # The data is skewed on purpose: without suppression there are classes below k.
    assert result.generalised_age + sum(result.suppressed.values()) > 0


def test_the_synthetic_data_would_not_be_k_anonymous_without_the_export() -> None:
    # Proves the recount can fail: the same recount on the export's columns before k-anonymisation.
    result = export_htcds(generated(2_000, 5), KAnonymityPolicy(k=1))
    assert min(recount(result).values()) < 10


def test_no_column_outside_the_allowed_list_appears() -> None:
    assert set(EXPORT_COLUMNS) == ALLOWED
    records = generated(1_000, 6)
    for groups in [tuple(QUASI_IDENTIFIER_GROUPS), ("age", "gender"), ("citizenship",), ()]:
        policy = KAnonymityPolicy(k=5, quasi_identifiers=groups)
        table = export_htcds(records, policy).table
        assert set(table.column_names) <= ALLOWED
        assert tuple(table.column_names) == policy.columns()
        # A group not chosen as a quasi-identifier is not exported at all.
        chosen = {column for group in groups for column in QUASI_IDENTIFIER_GROUPS[group]}
        assert set(table.column_names) == chosen | {"vic_TraffickingStatus", "cas_Status"}
        assert all(field.type == pa.string() for field in table.schema)


def test_every_exported_column_is_a_standard_field_or_one_of_our_extension_columns() -> None:
    for name in EXPORT_COLUMNS:
        assert name in FIELDS or name in EXTENSION_FIELDS, name
    for name in EXPORT_COLUMNS:
        if name in FIELDS:
            assert FIELDS[name].table in ("prs", "vic", "cas")


@pytest.mark.parametrize(
    ("seed", "policy"),
    [
        (7, KAnonymityPolicy()),
        (8, KAnonymityPolicy(k=3)),
        (9, KAnonymityPolicy(k=20, quasi_identifiers=("age", "gender", "citizenship"))),
        (10, KAnonymityPolicy(k=1)),
        (11, KAnonymityPolicy(k=4, quasi_identifiers=())),
    ],
)
def test_duckdb_and_pandas_give_the_same_export(seed: int, policy: KAnonymityPolicy) -> None:
    records = generated(3_000, seed)
    first, second = export_htcds(records, policy), export_htcds_with_pandas(records, policy)
    assert first.table.schema == second.table.schema
    assert first.table.equals(second.table)
    assert same_export(first, second)
    assert (first.rows_dropped, first.generalised_age, dict(first.suppressed)) == (
        second.rows_dropped,
        second.generalised_age,
        dict(second.suppressed),
    )


def test_a_rare_citizenship_is_withheld_and_a_common_one_kept() -> None:
    rows = [case(sex="female", nationality="RO") for _ in range(12)]
    rows.append(case(sex="female", nationality="IS"))
    rows += [case(sex="female", nationality=None) for _ in range(9)]
    policy = KAnonymityPolicy(k=10, quasi_identifiers=("gender", "citizenship"))
    result = export_htcds(records_of(rows), policy)
    citizenships = result.table.column("prs_Citizenship").to_pylist()
    assert citizenships[:12] == ["RO"] * 12
    # The person from the rare country stays in the file, among those whose citizenship is not given.
    assert citizenships[12:] == [None] * 10
    assert result.suppressed["prs_Citizenship"] == 1
    assert result.rows_dropped == 0
    # Alone in their class with fewer than k like them, they would have been left out.
    alone = export_htcds(records_of(rows[:13]), policy)
    assert alone.table.column("prs_Citizenship").to_pylist() == ["RO"] * 12
    assert alone.rows_dropped == 1


def test_a_rare_age_band_is_generalised_to_minor_or_adult() -> None:
    rows = [case(sex="male", age_band="30--38") for _ in range(10)]
    rows += [case(sex="male", age_band="39--47") for _ in range(4)]
    rows += [case(sex="male", age_band="48+") for _ in range(6)]
    result = export_htcds(records_of(rows), KAnonymityPolicy(k=10, quasi_identifiers=("age", "gender")))
    table = result.table.to_pylist()
    assert [row["ext_AgeBand"] for row in table[:10]] == ["30--38"] * 10
    assert all(row["ext_AgeBand"] is None and row["ext_MajorityStatus"] == "Adult" for row in table[10:])
    assert result.generalised_age == 10
    assert result.rows_dropped == 0
    assert min(recount(result).values()) >= 10


def test_records_still_alone_with_every_quasi_identifier_blank_are_left_out() -> None:
    rows = [case(sex="female", nationality="NG") for _ in range(4)]
    result = export_htcds(records_of(rows), KAnonymityPolicy(k=10))
    assert result.table.num_rows == 0
    assert result.rows_dropped == 4
    assert tuple(result.table.column_names) == KAnonymityPolicy().columns()


def test_the_export_of_no_records_is_an_empty_table_with_the_columns() -> None:
    result = export_htcds(empty_records())
    assert result.table.num_rows == 0
    assert tuple(result.table.column_names) == KAnonymityPolicy().columns()


def test_status_and_stage_map_as_documented() -> None:
    day = dt.date(2025, 3, 1)
    later = dt.date(2025, 5, 1)
    rows = [
        case(identified_on=later, not_identified_on=day, stage="support"),  # identified after a refusal
        case(identified_on=day, not_identified_on=later, stage="closed"),  # the later decision is negative
        case(presumed_on=day, stage="durable_solution"),
        case(finding="established", stage="screening"),
        case(finding="not_established", stage="screening"),  # never "not a victim" from a screening
        case(finding="insufficient_information", stage="referred"),
    ]
    table = export_htcds(records_of(rows), KAnonymityPolicy(k=1)).table.to_pylist()
    assert [row["vic_TraffickingStatus"] for row in table] == [
        "ActualVictimOfTrafficking",
        "NotAVictimOfTrafficking",
        "PossibleVictimOfTrafficking",
        "PossibleVictimOfTrafficking",
        None,
        None,
    ]
    assert [row["cas_Status"] for row in table] == ["Active", "Closed", "FollowUp", "Active", "Active", "Active"]


def test_gender_citizenship_exploitation_and_region_cells() -> None:
    rows = [
        case(sex="female", nationality="ro", forms=["forced_labour", "sexual_exploitation", "forced_services"]),
        case(sex="male", nationality="XXX", forms=["forced_criminality", "debt_bondage"]),
        case(sex="other", forms=None, region='=HYPERLINK("x")'),
        case(sex=None, region="North"),
    ]
    table = export_htcds(records_of(rows), KAnonymityPolicy(k=1)).table.to_pylist()
    assert [row["prs_Gender"] for row in table] == ["Feminine", "Masculine", "NonConforming", "NonSpecifiedUnknown"]
    assert [row["prs_Citizenship"] for row in table] == ["RO", None, None, None]
    # Codes in the standard's order, each once.
    assert table[0]["vic_TypeOfExploitation"] == "ForcedLabour;SexualExploitation"
    assert table[1]["vic_TypeOfExploitation"] == "Servitude;Other"
    assert table[2]["vic_TypeOfExploitation"] is None
    # A region a spreadsheet would run as a formula is written as text.
    assert table[2]["ext_Region"] == '\'=HYPERLINK("x")'
    assert table[3]["ext_Region"] == "North"


def test_every_engine_form_maps_to_a_code_of_the_standard() -> None:
    assert set(FORM_TO_EXPLOITATION) == set(FORMS)
    assert set(FORM_TO_EXPLOITATION.values()) <= set(CODE_LISTS["vic_TypeOfExploitation"])


def expected_row(source: dict[str, Any]) -> dict[str, Any]:
    """What the export should say about one case, worked out here record by record (k = 1)."""
    band = source["age_band"]
    majority = None
    if source["child"] or band in ("0--8", "9--17"):
        majority = "Minor"
    elif band is not None:
        majority = "Adult"
    forms = {FORM_TO_EXPLOITATION[form] for form in source["forms"] or []}
    identified, refused = source["identified_on"], source["not_identified_on"]
    if identified and (refused is None or identified >= refused):
        status = "ActualVictimOfTrafficking"
    elif refused:
        status = "NotAVictimOfTrafficking"
    elif source["presumed_on"] or source["finding"] in ("established", "presumed"):
        status = "PossibleVictimOfTrafficking"
    else:
        status = None
    return {
        "ext_ReferralYear": source["referred_on"].year,
        "ext_Region": source["region"],
        "ext_AgeBand": band,
        "ext_MajorityStatus": majority,
        "prs_Gender": {"female": "Feminine", "male": "Masculine", "other": "NonConforming"}.get(
            source["sex"], "NonSpecifiedUnknown"
        ),
        "prs_Citizenship": (source["nationality"],) if source["nationality"] else None,
        "vic_TypeOfExploitation": tuple(code for code in CODE_LISTS["vic_TypeOfExploitation"] if code in forms) or None,
        "vic_TraffickingStatus": status,
        "cas_Status": {"closed": "Closed", "durable_solution": "FollowUp"}.get(source["stage"], "Active")
        if source["stage"] in STAGES
        else None,
    }


def test_round_trip_records_export_parse_gives_the_same_coded_values() -> None:
    records = generated(2_000, 12)
    result = export_htcds(records, KAnonymityPolicy(k=1))
    assert result.rows_dropped == 0 and result.generalised_age == 0 and not any(result.suppressed.values())
    buffer = io.BytesIO()
    write_csv(result.table, buffer)
    parsed = read_htcds(buffer.getvalue(), source="export.csv")
    assert parsed.columns == EXPORT_COLUMNS
    sources = records.cases.to_pylist()
    assert len(parsed.rows) == len(sources)
    for row, source in zip(parsed.rows, sources, strict=True):
        expected = {name: value for name, value in expected_row(source).items() if value is not None}
        assert dict(row.values) == expected, row.line


def test_json_lines_hold_the_same_rows() -> None:
    result = export_htcds(generated(500, 13), KAnonymityPolicy(k=5))
    buffer = io.BytesIO()
    write_jsonl(result.table, buffer)
    lines = buffer.getvalue().decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == result.table.to_pylist()


def test_the_csv_has_a_plain_header_and_empty_cells_for_withheld_values() -> None:
    result = export_htcds(records_of([case(sex="female", stage="support") for _ in range(3)]), KAnonymityPolicy(k=1))
    buffer = io.BytesIO()
    write_csv(result.table, buffer)
    lines = buffer.getvalue().decode("utf-8").splitlines()
    assert lines[0] == ",".join(KAnonymityPolicy().columns())
    assert lines[1:] == ['"2025",,,,"Feminine",,,,"Active"'] * 3


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_a_bad_k_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="k must be a whole number"):
        KAnonymityPolicy(k=bad)


def test_an_unknown_quasi_identifier_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="allowed: referral_year, region, age"):
        KAnonymityPolicy(quasi_identifiers=("birthdate",))


def test_100000_records_are_exported_within_10_seconds() -> None:
    records = generated(100_000, 14)
    started = time.perf_counter()
    result = export_htcds(records)
    elapsed = time.perf_counter() - started
    assert result.table.num_rows + result.rows_dropped == 100_000
    assert min(recount(result).values()) >= 10
    assert elapsed <= 10, f"{elapsed:.1f} s"


def test_the_comparison_reports_both_times_and_agreement() -> None:
    comparison = compare_with_pandas(generated(2_000, 15), repeats=1)
    assert comparison.identical
    assert comparison.records == 2_000
    assert comparison.duckdb_seconds > 0 and comparison.pandas_seconds > 0
    assert comparison.ratio == comparison.pandas_seconds / comparison.duckdb_seconds


@pytest.mark.parametrize("radix", [8, 2**31])
def test_rows_of_codes_get_equal_keys_exactly_when_they_are_equal(radix: int) -> None:
    # 8: the codes are packed into one 64-bit number; 2**31: too large for that, compared column by column.
    rows = np.array([[0, 5, -1], [0, 5, -1], [1, 2, 3], [-1, -1, -1], [0, 5, 0], [1, 2, 3]], dtype=np.int64)
    keys = _row_keys(rows, [radix, radix, radix])
    for first in range(len(rows)):
        for second in range(len(rows)):
            assert (keys[first] == keys[second]) == bool((rows[first] == rows[second]).all())
