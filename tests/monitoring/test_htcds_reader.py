"""The validating HTCDS reader: every problem with its line and field, hostile files refused clearly.

All names, numbers and addresses below are fictional.
"""

from __future__ import annotations

import datetime as dt

import pytest

from rightsfirst.monitoring.htcds import HtcdsError, HtcdsFile, read_htcds

HEADER = "cas_IncomingReferralDate,prs_FirstName,prs_Gender,prs_Citizenship,prs_MobilePhone,vic_TypeOfExploitation"


def problems_of(data: bytes | str, **options: object) -> list[str]:
    with pytest.raises(HtcdsError) as caught:
        read_htcds(data, **options)  # type: ignore[arg-type]
    return [str(problem) for problem in caught.value.problems]


def test_a_clean_file_is_read_and_normalised() -> None:
    data = (
        "\ufeff" + HEADER + ",vic_MethodsOfControl,prs_PrimaryLanguage,vic_RelationshipToTrafficker\n"
        "2026-01-15,Amarel (fictional),Feminine,RO;md,+40 712 345 678,Forced labour;SEXUAL_EXPLOITATION,"
        "Threats;DebtBondage\u00a0;RestrictsMovement,ron,Unacquainted\n"
        '2026-02-01,"Belina, (fictional)",Not Specified/Unknown,VNM,,forced_labour,,fre,\n'
    ).encode("utf-8")
    parsed = read_htcds(data)
    assert isinstance(parsed, HtcdsFile)
    first, second = parsed.rows
    assert first.line == 2 and second.line == 3
    assert first.values == {
        "cas_IncomingReferralDate": dt.date(2026, 1, 15),
        "prs_FirstName": "Amarel (fictional)",
        "prs_Gender": "Feminine",
        "prs_Citizenship": ("RO", "MD"),
        "prs_MobilePhone": "+40712345678",
        "vic_TypeOfExploitation": ("ForcedLabour", "SexualExploitation"),
        "vic_MethodsOfControl": ("PhysicalThreats", "DebtBondage", "RestrictsMovement"),
        "prs_PrimaryLanguage": "ron",
        "vic_RelationshipToTrafficker": "Unaquainted",
    }
    assert second.values["prs_Gender"] == "NonSpecifiedUnknown"
    assert second.values["prs_Citizenship"] == ("VN",)
    assert second.values["prs_PrimaryLanguage"] == "fra"
    assert "prs_MobilePhone" not in second.values


def test_template_headers_are_read_under_the_standards_names() -> None:
    parsed = read_htcds("prs_First_Name,vic_TraffickinStatusDecisionMakingOrg,vic_Methods_of_Control\nA,NGO,Threats\n")
    assert parsed.columns == ("prs_FirstName", "vic_TraffickingStatusDecisionMakingOrg", "vic_MethodsOfControl")
    assert parsed.renamed == {
        "prs_First_Name": "prs_FirstName",
        "vic_TraffickinStatusDecisionMakingOrg": "vic_TraffickingStatusDecisionMakingOrg",
        "vic_Methods_of_Control": "vic_MethodsOfControl",
    }


def test_every_bad_row_is_reported_with_its_line_and_field() -> None:
    data = (
        HEADER + "\n"
        "2026-01-15,Amarel,Female,RO,+40712345678,ForcedLabour\n"  # line 2: gender
        "2026-01-15,Belina,Feminine,RO,0712345678,ForcedLabour\n"  # line 3: phone
        "15/01/2026,Corvia,Feminine,ZZ,,Slavery\n"  # line 4: date, country, exploitation
        "2026-01-15,Dalen,Feminine,RO,,ForcedLabour\n"  # line 5: fine
        "2026-02-30,Esmira,Masculine,RO,,ForcedLabour\n"  # line 6: no such day
    )
    with pytest.raises(HtcdsError) as caught:
        read_htcds(data, source="people.csv")
    error = caught.value
    assert error.bad_lines() == (2, 3, 4, 6)
    found = [(problem.line, problem.field) for problem in error.problems]
    assert found == [
        (2, "prs_Gender"),
        (3, "prs_MobilePhone"),
        (4, "cas_IncomingReferralDate"),
        (4, "prs_Citizenship"),
        (4, "vic_TypeOfExploitation"),
        (6, "cas_IncomingReferralDate"),
    ]
    report = error.report()
    assert report.splitlines()[0] == "people.csv: 6 problems on 4 lines"
    assert "line 2, prs_Gender: 'Female' is not a value of prs_Gender (allowed: Feminine, Masculine" in report
    assert "line 3, prs_MobilePhone: not a phone number in E.164 form" in report
    assert "line 4, cas_IncomingReferralDate: '15/01/2026' is not a date written YYYY-MM-DD" in report
    assert "line 4, prs_Citizenship: 'ZZ' is not an ISO 3166-1 country code" in report
    assert "line 6, cas_IncomingReferralDate: '2026-02-30' is not a day of the calendar" in report
    # Identity values are never repeated in a report.
    assert "0712345678" not in report


def test_identity_and_free_text_values_are_never_echoed() -> None:
    data = "prs_FirstName,prs_Birthdate,prs_Email,prs_IdentityNumber\n=Zorana,05/04/2011,zorana at example,@X1\n"
    report = "\n".join(problems_of(data))
    for secret in ("Zorana", "05/04/2011", "zorana at example", "X1"):
        assert secret not in report
    assert "line 2, prs_FirstName: starts with '='" in report
    assert "line 2, prs_Birthdate: the value is not a date" in report
    assert "line 2, prs_Email: not an e-mail address" in report
    assert "line 2, prs_IdentityNumber: starts with '@'" in report


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formula_injection_in_text_is_refused(start: str) -> None:
    found = problems_of(f"prs_FirstName,cas_IncomingReferralDetails\nAmarel,\"{start}cmd|' /C calc'!A0\"\n")
    assert found == [
        f"line 2, cas_IncomingReferralDetails: starts with {start!r}, which a spreadsheet would run as a formula; "
        "remove that first character"
    ]


def test_a_huge_cell_is_refused_with_the_limit() -> None:
    long_name = "A" * 300
    assert problems_of(f"prs_FirstName\n{long_name}\n") == ["line 2, prs_FirstName: longer than 255 characters (300)"]
    huge = "B" * 200_000
    found = problems_of(f"prs_FirstName,cas_IncomingReferralDetails\nAmarel,{huge}\n")
    assert len(found) == 1
    assert found[0].startswith("line 2: a cell is longer than 131,072 characters")


def test_invalid_utf8_names_every_bad_line() -> None:
    data = b"prs_FirstName,prs_Gender\nAmarel,Feminine\nBel\xe9na,Feminine\nCorvia,Feminine\nD\xff,Masculine\n"
    found = problems_of(data)
    assert found == [
        "line 3: not UTF-8 text (byte 0xe9 at column 4); save the file as CSV UTF-8",
        "line 5: not UTF-8 text (byte 0xff at column 2); save the file as CSV UTF-8",
    ]


@pytest.mark.parametrize(("separator", "named"), [(";", "';'"), ("\t", "a tab")])
def test_the_wrong_separator_is_named(separator: str, named: str) -> None:
    data = separator.join(["prs_FirstName", "prs_Gender", "cas_IncomingReferralDate"]) + "\nA;Feminine;2026-01-01\n"
    found = problems_of(data)
    assert len(found) == 1
    assert found[0].startswith(f"line 1: the fields are separated by {named}, not by commas")


def test_a_missing_header_is_named() -> None:
    found = problems_of("2026-01-15,Amarel,Feminine,RO\n2026-01-16,Belina,Feminine,NG\n")
    assert found == [
        "line 1: no header row: the first line must name the HTCDS fields, e.g. "
        "cas_IncomingReferralDate,prs_Gender,prs_Citizenship,vic_TypeOfExploitation"
    ]
    # The data of the first line, taken for a header, is not repeated.
    assert "Amarel" not in found[0]


def test_unknown_and_repeated_columns_are_named_with_a_suggestion() -> None:
    found = problems_of("prs_Gendre,prs_Gender,prs_gender,Favourite colour\nFeminine,Feminine,Feminine,blue\n")
    assert found == [
        "line 1: column 1: 'prs_Gendre' is not an HTCDS field; did you mean prs_Gender?",
        "line 1, prs_Gender: column 3 repeats a column already in the header",
        "line 1: column 4: 'Favourite colour' is not an HTCDS field",
    ]


def test_required_fields_are_checked_in_the_header_and_in_every_row() -> None:
    assert problems_of("prs_Gender\nFeminine\n", required=("cas_IncomingReferralDate",)) == [
        "line 1, cas_IncomingReferralDate: this column is required and missing from the header"
    ]
    found = problems_of(
        "cas_IncomingReferralDate,prs_Gender\n2026-01-01,Feminine\n,Masculine\n", required=("cas_IncomingReferralDate",)
    )
    assert found == ["line 3, cas_IncomingReferralDate: required, and empty"]


def test_rows_with_the_wrong_number_of_cells_are_named() -> None:
    found = problems_of("prs_Gender,prs_Citizenship\nFeminine\nFeminine,RO,extra\nFeminine,RO,\n")
    assert found == [
        "line 2: 1 cells, but the header names 2 columns",
        "line 3: 3 cells, but the header names 2 columns",
    ]


def test_line_numbers_count_lines_inside_quoted_cells() -> None:
    data = 'cas_IncomingReferralDetails,prs_Gender\n"two\nlines",Feminine\n"three\nlines\nhere",Male\nok,Female\n'
    found = problems_of(data)
    assert found == [
        "line 4, prs_Gender: 'Male' is not a value of prs_Gender (allowed: Feminine, Masculine, TransgenderFeminine, "
        "TransgenderMasculine, NonConforming, NonSpecifiedUnknown)",
        "line 7, prs_Gender: 'Female' is not a value of prs_Gender (allowed: Feminine, Masculine, "
        "TransgenderFeminine, TransgenderMasculine, NonConforming, NonSpecifiedUnknown)",
    ]


def test_broken_quotes_stop_the_reading_with_the_line() -> None:
    found = problems_of('prs_Gender,prs_FirstName\nFeminine,"Amarel" x\nMasculine,B\n')
    assert len(found) == 1
    assert found[0].startswith("line 2: the CSV is malformed")


def test_empty_files_and_blank_lines() -> None:
    assert problems_of(b"") == ["file: the file is empty"]
    assert problems_of("  \n\n") == ["file: the file is empty"]
    parsed = read_htcds("prs_Gender\n\nFeminine\n,\n")
    assert [row.line for row in parsed.rows] == [3]


def test_control_characters_are_refused() -> None:
    assert problems_of("prs_FirstName\nAma\x00rel\n") == [
        "line 2, prs_FirstName: contains a control character (U+0000)"
    ]


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("prs_MobilePhone", "+0712345678", "not a phone number in E.164 form"),
        ("prs_HomePhone", "+1234567890123456", "not a phone number in E.164 form"),
        ("prs_Citizenship", "RO;Romania", "'Romania' is not an ISO 3166-1 country code"),
        ("prs_PrimaryLanguage", "xx", "'xx' is not an ISO 639-2 language code"),
        ("vic_AgeWhenTrafficked", "15.5", "'15.5': a whole number from 0 to 130"),
        ("vic_AgeWhenTrafficked", "nan", "'nan' is not a number"),
        ("prs_MailingLatitude", "91", "a latitude is between -90 and 90"),
        ("con_Consent", "maybe", "'maybe' is not a yes/no value"),
        ("prs_Birthdate", "1850-01-01", "the value is before 1900"),
        ("vic_TypeOfExploitation", "ForcedLabour;Slavery", "'Slavery' is not a value of vic_TypeOfExploitation"),
    ],
)
def test_each_kind_of_value_is_checked(header: str, value: str, message: str) -> None:
    found = problems_of(f"{header}\n{value}\n")
    assert len(found) == 1
    assert found[0].startswith(f"line 2, {header}: ")
    assert message in found[0]


@pytest.mark.parametrize(
    ("header", "value", "parsed"),
    [
        ("prs_MobilePhone", "+44 (20) 7946-0000", "+442079460000"),
        ("prs_Citizenship", "XK", ("XK",)),
        ("prs_MailingCountry", "fra", "FR"),
        ("vic_AgeWhenTrafficked", "15", 15),
        ("con_Consent", "Yes", True),
        ("vic_ForcedLabourIndustry", "A;Construction", ("A_AgricultureForestryAndFishing", "F_Construction")),
        ("prs_MailingLongitude", "-12,5", -12.5),
    ],
)
def test_accepted_forms(header: str, value: str, parsed: object) -> None:
    data = f'{header}\n"{value}"\n'
    assert read_htcds(data).rows[0].values[header] == parsed


def test_progress_is_shown_on_standard_error_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    read_htcds("prs_Gender\n" + "Feminine\n" * 50, progress=True)
    assert "lines" in capsys.readouterr().err
    read_htcds("prs_Gender\n" + "Feminine\n" * 50)
    assert capsys.readouterr().err == ""
