"""CTDC Victim-Perpetrator import: every count of the fixture's README, every bad row reported."""

from __future__ import annotations

import json

import pytest

from rightsfirst import cli
from rightsfirst.monitoring.ctdc import COLUMNS, CtdcError, read_ctdc, read_ctdc_file, summarise, to_monitoring
from tests.conftest import ROOT

FIXTURE = ROOT.parent / "shared" / "data" / "ctdc" / "CTDC_VPsynthetic_condensed.csv"
needs_fixture = pytest.mark.skipif(
    not FIXTURE.exists(),
    reason=f"the CTDC synthetic file is not at {FIXTURE} (the shared data folder beside the repository; "
    "it is not shipped with the project)",
)
HEADER = ",".join(column.name for column in COLUMNS)
E = None  # an empty cell

# Every count in shared/data/ctdc/README.md ("Counts computed from the CSV"), empty as None.
README_COUNTS: dict[str, dict[str | None, int]] = {
    "yearRegister": {"2005-2013": 2531, "2014-2018": 6274, "2019": 2398, "2020": 2002, "2021-2022": 4335, E: 3655},
    "gender": {"Female": 9589, "Male": 7995, E: 3611},
    "majorityStatus": {"Adult": 16379, "Minor": 1212, E: 3604},
    "isForcedLabour": {"1": 12248, E: 8947},
    "isSexualExploit": {"1": 2775, E: 18420},
    "UN_COO_Region": {"Asia": 6139, "Europe": 5887, "Africa": 5282, "Americas/Oceania": 277, E: 3610},
    "UN_COE_Region": {"Europe": 6432, "Asia": 6281, "Africa": 4271, "Americas/Oceania": 212, E: 3999},
    "IP_Exploiter": {"1": 9458, E: 11737},
    "IP_Gender": {"Male": 9820, "Female": 3515, "Female;Male": 2452, E: 5408},
    "IP_ageBroad": {
        "39--47": 1293,
        "30--38": 1196,
        "48+": 356,
        "0--29": 306,
        "30--38;39--47": 18,
        "0--29;39--47": 18,
        "0--29;30--38": 8,
        "39--47;48+": 4,
        "30--38;48+": 3,
        E: 17993,
    },
    "IP_citizen_UNRegion": {
        "Asia": 5069,
        "Europe": 4368,
        "Africa": 3799,
        "Africa;Asia": 420,
        "Asia;Europe": 382,
        "Americas/Oceania": 200,
        "Americas/Oceania;Asia": 6,
        "Africa;Americas/Oceania": 4,
        "Americas/Oceania;Europe": 1,
        E: 6946,
    },
    "IP_Relation": {
        "StrangerUnknownOther": 8321,
        "FriendAcquaintance": 4617,
        "FamilyIntimatePartner": 967,
        "FriendAcquaintance;StrangerUnknownOther": 588,
        "FamilyIntimatePartner;StrangerUnknownOther": 73,
        "FamilyIntimatePartner;FriendAcquaintance": 6,
        E: 6623,
    },
    "IP_PayMoney": {"No": 11075, "Yes": 3136, "No;Yes": 944, E: 6040},
    "IP_RecruiterBroker": {"1": 11865, E: 9330},
    "IP_TransactionProcess": {"1": 7344, E: 13851},
    "IP_ControlAbuseKidnap": {"1": 2078, E: 19117},
}
# gender x majorityStatus (rows gender, columns Adult / Minor / empty).
README_CROSS = {
    ("Female", "Adult"): 8289,
    ("Female", "Minor"): 511,
    ("Female", E): 789,
    ("Male", "Adult"): 6449,
    ("Male", "Minor"): 467,
    ("Male", E): 1079,
    (E, "Adult"): 1641,
    (E, "Minor"): 234,
    (E, E): 1736,
}


@pytest.fixture(scope="module")
def fixture_table():  # type: ignore[no-untyped-def]
    if not FIXTURE.exists():
        pytest.skip(f"the CTDC synthetic file is not at {FIXTURE}")
    return read_ctdc_file(FIXTURE)


@needs_fixture
def test_the_fixture_has_the_rows_and_every_count_of_its_readme(fixture_table) -> None:  # type: ignore[no-untyped-def]
    summary = summarise(fixture_table)
    assert summary.rows == fixture_table.num_rows == 21_195
    assert set(summary.counts) == set(README_COUNTS)
    for name, expected in README_COUNTS.items():
        assert dict(summary.counts[name]) == expected, name
        assert sum(expected.values()) == 21_195, name
    assert dict(summary.gender_by_majority) == README_CROSS
    # The README's margins follow from the cells.
    assert sum(count for (gender, _), count in README_CROSS.items() if gender == "Female") == 9589
    assert sum(count for (_, majority), count in README_CROSS.items() if majority == "Minor") == 1212


@needs_fixture
def test_the_fixture_maps_to_monitoring_records(fixture_table) -> None:  # type: ignore[no-untyped-def]
    records = to_monitoring(fixture_table)
    records.check()
    cases = records.cases
    assert cases.num_rows == 21_195
    sexes = cases.column("sex").to_pylist()
    assert (sexes.count("female"), sexes.count("male"), sexes.count(None)) == (9589, 7995, 3611)
    child = cases.column("child").to_pylist()
    assert (child.count(True), child.count(False), child.count(None)) == (1212, 16379, 3604)
    regions = cases.column("region").to_pylist()
    assert regions.count("Europe") == 6432 and regions.count(None) == 3999
    forms = cases.column("forms").to_pylist()
    assert sum(1 for found in forms if found and "forced_labour" in found) == 12248
    assert sum(1 for found in forms if found and "sexual_exploitation" in found) == 2775
    # No nationality, age band or date is invented.
    for name in ("nationality", "age_band", "referred_on", "stage", "finding"):
        assert cases.column(name).null_count == 21_195, name


@needs_fixture
def test_the_command_prints_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ctdc", "summary", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CTDC Victim-Perpetrator file")
    assert "21,195 rows" in out
    assert "gender: Female: 9,589; Male: 7,995; (empty): 3,611" in out
    assert "    Female     8,289       511       789     9,589" in out
    assert cli.main(["ctdc", "summary", str(FIXTURE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"] == 21_195
    assert data["counts"]["IP_PayMoney"] == {"No": 11075, "Yes": 3136, "No;Yes": 944, "": 6040}


def row(**cells: str) -> str:
    return ",".join(cells.get(column.name, "") for column in COLUMNS)


def test_every_bad_row_is_reported_with_line_and_column_and_nothing_is_returned() -> None:
    data = "\n".join(
        [
            HEADER,
            row(gender="Female", majorityStatus="Adult", isForcedLabour="1"),
            row(gender="Woman"),  # line 3
            row(isForcedLabour="0", UN_COO_Region="Oceania"),  # line 4: two problems
            row(gender="Female;Male"),  # line 5: one value only
            row(IP_Gender="Male;Female"),  # fine: stored in the format's order
            row(IP_PayMoney="Yes;Yes"),  # line 7
            "1,2,3",  # line 8
        ]
    )
    with pytest.raises(CtdcError) as caught:
        read_ctdc(data, source="vp.csv")
    problems = [str(problem) for problem in caught.value.problems]
    assert problems == [
        "line 3, gender: 'Woman' is not a value of gender; allowed: Female, Male",
        "line 4, isForcedLabour: '0' is not allowed: a flag is 1 or empty",
        "line 4, UN_COO_Region: 'Oceania' is not a value of UN_COO_Region; allowed: Africa, Americas/Oceania, "
        "Asia, Europe",
        "line 5, gender: 'Female;Male' is not a value of gender; allowed: Female, Male",
        "line 7, IP_PayMoney: a value is repeated in 'Yes;Yes'",
        "line 8: 3 cells, but the header names 16 columns",
    ]
    assert caught.value.report().splitlines()[0] == "vp.csv: 6 problems on 5 lines"


def test_multi_valued_cells_are_stored_in_one_order_and_flags_as_booleans() -> None:
    table = read_ctdc("\n".join([HEADER, row(IP_Gender="Male;Female", IP_Exploiter="1", gender="Male")]) + "\n")
    assert table.to_pylist()[0]["IP_Gender"] == "Female;Male"
    assert table.to_pylist()[0]["IP_Exploiter"] is True
    assert table.to_pylist()[0]["isForcedLabour"] is None


def test_columns_in_another_order_are_read() -> None:
    names = [column.name for column in reversed(COLUMNS)]
    cells = ["" if name != "gender" else "Female" for name in names]
    table = read_ctdc(",".join(names) + "\n" + ",".join(cells) + "\n")
    assert table.column_names == [column.name for column in COLUMNS]
    assert table.column("gender").to_pylist() == ["Female"]


def test_a_wrong_header_names_what_is_missing_and_unknown() -> None:
    with pytest.raises(CtdcError) as caught:
        read_ctdc("yearRegister,gender,citizenship\n2019,Female,RO\n")
    (problem,) = caught.value.problems
    assert problem.line == 1
    assert "missing: majorityStatus, isForcedLabour" in problem.message
    assert "not CTDC Victim-Perpetrator columns: 'citizenship'" in problem.message


def test_not_utf8_and_empty_files_are_refused() -> None:
    with pytest.raises(CtdcError, match="line 2: not UTF-8"):
        read_ctdc(HEADER.encode() + b"\n\xff\n")
    with pytest.raises(CtdcError, match="the file is empty"):
        read_ctdc(b"")


def test_the_command_reports_problems_without_a_traceback(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n" + row(gender="Woman") + "\n", encoding="utf-8")
    assert cli.main(["ctdc", "summary", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "1 problem on 1 line" in err
    assert "line 2, gender: 'Woman' is not a value of gender" in err
    assert "Traceback" not in err
    assert cli.main(["ctdc", "summary", str(tmp_path / "absent.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
