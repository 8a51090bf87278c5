"""The loader refuses broken framework files and says which file, which line and what is wrong.

Every broken input is written to `tmp_path`; expected line numbers are computed from the
fixture text with `line_of`, never typed in by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from rightsfirst.framework.loader import load_framework, load_indicators, load_profile, load_provisions
from rightsfirst.framework.model import Parameter, ParameterNotDefined, ParameterValue, Provision
from rightsfirst.framework.yamlsource import FrameworkError


def line_of(text: str, needle: str, occurrence: int | None = None) -> int:
    """The 1-based line of `text` holding `needle`; unique unless `occurrence` (1-based) is given."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    if occurrence is None:
        assert len(hits) == 1, f"{needle!r} is on lines {hits}, expected exactly one"
        return hits[0]
    return hits[occurrence - 1]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --- provisions -------------------------------------------------------------------------------

VALID_TIP = """\
# Article 3 of the Trafficking Protocol, cut down for tests.
instrument: TIP
provisions:
  - id: TIP.3a
    paragraph: Article 3(a)
    title: Action, means and purpose
    summary: An adult is trafficked only when an action, a means and a purpose come together.
    kind: definition
    duty_bearer: none
    protects: [all]
    tags: [definition]
    related: [TIP.3b]
  - id: TIP.3b
    paragraph: Article 3(b)
    title: Consent does not matter once a means was used
    summary: Apparent agreement to the exploitation is no defence once any listed means was used.
    kind: definition
    duty_bearer: none
    protects: [all]
    tags:
      - definition
      - consent
    related: [TIP.3a]
"""


def load_broken_provisions(tmp_path: Path, text: str, name: str = "tip.yaml") -> tuple[Path, FrameworkError]:
    path = write(tmp_path, name, text)
    with pytest.raises(FrameworkError) as caught:
        load_provisions(tmp_path)
    return path, caught.value


def test_valid_provision_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "tip.yaml", VALID_TIP)
    provisions = load_provisions(tmp_path)
    assert set(provisions) == {"TIP.3a", "TIP.3b"}
    second = provisions["TIP.3b"]
    assert isinstance(second, Provision)
    assert second.instrument == "TIP"
    assert second.tags == ("definition", "consent")
    assert second.related == ("TIP.3a",)
    assert second.file == str(path)
    assert second.line == line_of(VALID_TIP, "- id: TIP.3b")


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = VALID_TIP.replace(
        "    title: Consent does not matter once a means was used\n",
        "    title: Consent does not matter once a means was used\n    title: A second title\n",
    )
    path, error = load_broken_provisions(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "title: A second title")
    assert "duplicate key 'title'" in error.problem


def test_unknown_provision_key(tmp_path: Path) -> None:
    text = VALID_TIP.replace("    kind: definition\n", "    kind: definition\n    colour: blue\n", 1)
    path, error = load_broken_provisions(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "colour: blue")
    assert "unknown key 'colour'" in error.problem


def test_kind_not_in_vocabulary(tmp_path: Path) -> None:
    text = VALID_TIP.replace("    kind: definition\n", "    kind: opinion\n", 1)
    path, error = load_broken_provisions(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "kind: opinion")
    assert "kind 'opinion' is not one of" in error.problem
    assert "definition" in error.problem  # the message lists what is allowed


def test_tag_not_in_vocabulary(tmp_path: Path) -> None:
    text = VALID_TIP.replace("      - consent\n", "      - gossip\n")
    path, error = load_broken_provisions(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "- gossip")
    assert "'gossip' is not allowed" in error.problem
    assert error.problem.startswith("tags")


def test_related_id_that_does_not_exist_names_file_and_ids(tmp_path: Path) -> None:
    text = VALID_TIP.replace("    related: [TIP.3a]\n", "    related: [TIP.3a, TIP.3d]\n")
    path, error = load_broken_provisions(tmp_path, text)
    assert error.file == str(path)
    assert error.line is not None
    assert "TIP.3b" in error.problem
    assert "related provision 'TIP.3d' does not exist" in error.problem


def test_related_id_that_does_not_exist_is_reported_on_its_line(tmp_path: Path) -> None:
    text = VALID_TIP.replace("    related: [TIP.3a]\n", "    related: [TIP.3a, TIP.3d]\n")
    _, error = load_broken_provisions(tmp_path, text)
    assert error.line == line_of(text, "related: [TIP.3a, TIP.3d]")


def test_same_id_in_two_files_names_the_first_definition(tmp_path: Path) -> None:
    first_path = write(tmp_path, "a_tip.yaml", VALID_TIP)
    second_text = """\
# A second file that defines TIP.3a again.
instrument: TIP
provisions:
  - id: TIP.3c
    paragraph: Article 3(c)
    title: Children need no means
    summary: For a child, an action for the purpose of exploitation is enough on its own.
    kind: definition
    duty_bearer: none
    protects: [children]
    tags: [definition, children]
    related: []
  - id: TIP.3a
    paragraph: Article 3(a)
    title: Defined a second time
    summary: This entry repeats an id that the first file already defines for the same article.
    kind: definition
    duty_bearer: none
    protects: [all]
    tags: [definition]
    related: []
"""
    second_path = write(tmp_path, "b_tip.yaml", second_text)
    with pytest.raises(FrameworkError) as caught:
        load_provisions(tmp_path)
    error = caught.value
    assert error.file == str(second_path)
    assert error.line == line_of(second_text, "- id: TIP.3a")
    assert "duplicate id TIP.3a" in error.problem
    assert f"first defined at {first_path}:{line_of(VALID_TIP, '- id: TIP.3a')}" in error.problem


def test_id_that_does_not_fit_its_instrument_pattern(tmp_path: Path) -> None:
    text = VALID_TIP.replace("  - id: TIP.3b\n", "  - id: TIP.4b\n")
    path, error = load_broken_provisions(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "id: TIP.4b")
    assert "'TIP.4b' does not fit the TIP id pattern" in error.problem


def test_id_of_another_instrument_does_not_fit(tmp_path: Path) -> None:
    text = VALID_TIP.replace("  - id: TIP.3b\n", "  - id: HRS.17\n").replace("[TIP.3b]", "[HRS.17]")
    path, error = load_broken_provisions(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "- id: HRS.17")
    assert "does not fit the TIP id pattern" in error.problem


def test_unknown_instrument(tmp_path: Path) -> None:
    text = VALID_TIP.replace("instrument: TIP\n", "instrument: ECHR\n")
    path, error = load_broken_provisions(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "instrument: ECHR")
    assert "instrument 'ECHR' is unknown" in error.problem


def test_invalid_yaml_syntax(tmp_path: Path) -> None:
    text = VALID_TIP.replace("    title: Action, means and purpose\n", "    title: Action: means: purpose\n")
    path, error = load_broken_provisions(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "title: Action: means: purpose")
    assert "not valid YAML" in error.problem


def test_invalid_yaml_indentation(tmp_path: Path) -> None:
    text = VALID_TIP.replace("      - consent\n", "     - consent\n")
    path, error = load_broken_provisions(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "     - consent")
    assert "not valid YAML" in error.problem


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing but a comment\n"], ids=["empty", "blank", "comment-only"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    write(tmp_path, "a_tip.yaml", VALID_TIP)
    path, error = load_broken_provisions(tmp_path, text, name="b_empty.yaml")
    assert error.file == str(path)
    assert error.line is None  # an empty file has no line to point at
    assert error.problem == "the file is empty"
    assert str(error) == f"{path}: the file is empty"


def test_directory_without_provision_files(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError) as caught:
        load_provisions(tmp_path)
    assert caught.value.file == str(tmp_path)
    assert "no provision files" in caught.value.problem


def test_error_message_shows_file_and_line(tmp_path: Path) -> None:
    text = VALID_TIP.replace("    kind: definition\n", "    kind: opinion\n", 1)
    path, error = load_broken_provisions(tmp_path, text)
    assert str(error).startswith(f"{path}:{line_of(text, 'kind: opinion')}: ")


# --- profiles ---------------------------------------------------------------------------------

PROFILE = """\
# A stand-alone test profile.
id: testland
title: Testland
description: A profile used only by the tests.
parameters:
  age_of_majority:
    description: Below this age a person is a child.
    unit: years
    values:
      - valid_from: 2000-01-01
        value: 18
        reference: Test reference for the age of majority.
        citations: [TIP.3d]
  recovery_reflection_min_days:
    unit: days
    values:
      - valid_from: 2008-02-01
        value: 30
        reference: First reference for the reflection period.
      - valid_from: 2020-07-01
        value: 45
        reference: Second reference for the reflection period.
        note: Raised.
      - valid_from: 2030-01-01
        value: null
        reference: The parameter is repealed.
"""


@pytest.fixture(scope="module")
def provisions() -> dict[str, Provision]:
    return load_provisions()


def load_broken_profile(
    tmp_path: Path, text: str, provisions: dict[str, Provision], name: str = "testland.yaml"
) -> tuple[Path, FrameworkError]:
    path = write(tmp_path, name, text)
    with pytest.raises(FrameworkError) as caught:
        load_profile(str(path), provisions)
    return path, caught.value


def test_valid_profile_loads(tmp_path: Path, provisions: dict[str, Provision]) -> None:
    path = write(tmp_path, "testland.yaml", PROFILE)
    profile = load_profile(str(path), provisions)
    assert profile.id == "testland"
    assert profile.extends is None
    assert set(profile.parameters) == {"age_of_majority", "recovery_reflection_min_days"}
    age = profile.parameter("age_of_majority")
    assert age.unit == "years"
    assert age.profile == "testland"
    assert age.values[0].citations == ("TIP.3d",)
    reflection = profile.parameter("recovery_reflection_min_days")
    assert [value.value for value in reflection.values] == [30, 45, None]
    assert reflection.values[1].note == "Raised."
    assert reflection.at(dt.date(2025, 1, 1)) == 45
    with pytest.raises(ParameterNotDefined, match="ended on 2030-01-01"):
        reflection.value_at(dt.date(2030, 1, 1))


def test_parameter_value_without_reference(tmp_path: Path, provisions: dict[str, Provision]) -> None:
    text = PROFILE.replace("        reference: Test reference for the age of majority.\n", "")
    path, error = load_broken_profile(tmp_path, text, provisions)
    assert error.file == str(path)
    assert error.line == line_of(text, "- valid_from: 2000-01-01")
    assert "missing reference" in error.problem
    assert "age_of_majority" in error.problem


@pytest.mark.parametrize("empty", ['""', "'   '", "null"])
def test_parameter_value_with_empty_reference(tmp_path: Path, provisions: dict[str, Provision], empty: str) -> None:
    text = PROFILE.replace(
        "reference: Second reference for the reflection period.", f"reference: {empty}  # left blank"
    )
    path, error = load_broken_profile(tmp_path, text, provisions)
    assert error.file == str(path)
    assert error.line == line_of(text, "# left blank")
    assert error.problem == "recovery_reflection_min_days: every value needs a reference"


def test_citation_that_does_not_exist(tmp_path: Path, provisions: dict[str, Provision]) -> None:
    text = PROFILE.replace("citations: [TIP.3d]", "citations: [TIP.3d, RPG.G99.1]")
    path, error = load_broken_profile(tmp_path, text, provisions)
    assert error.file == str(path)
    assert error.line == line_of(text, "citations: [TIP.3d, RPG.G99.1]")
    assert "age_of_majority: cited provision 'RPG.G99.1' does not exist" in error.problem


@pytest.mark.parametrize("bad", ["first of May", "2020/07/01", "01-07-2020", "7"])
def test_bad_date(tmp_path: Path, provisions: dict[str, Provision], bad: str) -> None:
    text = PROFILE.replace("- valid_from: 2020-07-01", f"- valid_from: {bad}")
    path, error = load_broken_profile(tmp_path, text, provisions)
    assert error.file == str(path)
    assert error.line == line_of(text, f"- valid_from: {bad}")
    assert "recovery_reflection_min_days.valid_from" in error.problem
    assert "is not a date (YYYY-MM-DD)" in error.problem


@pytest.mark.parametrize("bad", ["2020-02-30", "2020-13-01"])
def test_impossible_calendar_date(tmp_path: Path, provisions: dict[str, Provision], bad: str) -> None:
    text = PROFILE.replace("- valid_from: 2020-07-01", f"- valid_from: {bad}")
    path, error = load_broken_profile(tmp_path, text, provisions)
    assert error.file == str(path)
    assert error.line == line_of(text, f"- valid_from: {bad}")


@pytest.mark.parametrize("second", ["2005-01-01", "2008-02-01"], ids=["earlier", "same-day"])
def test_valid_from_dates_not_increasing(tmp_path: Path, provisions: dict[str, Provision], second: str) -> None:
    text = PROFILE.replace("- valid_from: 2020-07-01", f"- valid_from: {second}  # out of order")
    path, error = load_broken_profile(tmp_path, text, provisions)
    assert error.file == str(path)
    assert error.line is not None
    assert error.problem.startswith("parameter recovery_reflection_min_days: valid_from dates must increase")


def test_valid_from_dates_not_increasing_is_reported_on_its_line(
    tmp_path: Path, provisions: dict[str, Provision]
) -> None:
    text = PROFILE.replace("- valid_from: 2020-07-01", "- valid_from: 2005-01-01  # out of order")
    _, error = load_broken_profile(tmp_path, text, provisions)
    assert error.line == line_of(text, "# out of order")


COUNTRY = """\
# A country profile: only what differs from the international minimum.
id: examplestan
title: Examplestan
extends: international
parameters:
  recovery_reflection_min_days:
    description: National law sets a longer period.
    unit: days
    values:
      - valid_from: 2015-03-01
        value: 90
        reference: Examplestan Anti-Trafficking Act 2015, section 12.
"""


def test_country_profile_overrides_a_known_parameter(tmp_path: Path, provisions: dict[str, Provision]) -> None:
    path = write(tmp_path, "examplestan.yaml", COUNTRY)
    profile = load_profile(str(path), provisions)
    international = load_profile("international", provisions)
    assert profile.id == "examplestan"
    assert profile.extends == "international"
    assert set(profile.parameters) == set(international.parameters)
    reflection = profile.parameter("recovery_reflection_min_days")
    assert reflection.profile == "examplestan"
    assert reflection.at(dt.date(2026, 3, 2)) == 90
    assert reflection.values[0].reference == "Examplestan Anti-Trafficking Act 2015, section 12."
    with pytest.raises(ParameterNotDefined, match="2015-03-01"):
        reflection.value_at(dt.date(2010, 1, 1))  # the override replaces the whole history
    for name, parameter in international.parameters.items():
        if name != "recovery_reflection_min_days":
            assert profile.parameter(name) == parameter  # inherited unchanged
            assert profile.parameter(name).profile == "international"


def test_load_framework_accepts_a_country_profile_path(tmp_path: Path) -> None:
    path = write(tmp_path, "examplestan.yaml", COUNTRY)
    framework = load_framework(str(path))
    assert framework.profile.id == "examplestan"
    assert framework.parameter("recovery_reflection_min_days", dt.date(2026, 3, 2)) == 90
    assert framework.parameter("age_of_majority", dt.date(2026, 3, 2)) == 18
    assert str(path) in framework.files


def test_country_profile_with_an_unknown_parameter(tmp_path: Path, provisions: dict[str, Provision]) -> None:
    text = COUNTRY + (
        "  national_hotline_hours:\n"
        "    values:\n"
        "      - valid_from: 2015-03-01\n"
        "        value: 24\n"
        "        reference: Examplestan Anti-Trafficking Act 2015, section 3.\n"
    )
    path, error = load_broken_profile(tmp_path, text, provisions, name="examplestan.yaml")
    assert error.file == str(path)
    assert error.line is not None
    assert "parameter 'national_hotline_hours' is not defined by the profile it extends (international)" in (
        error.problem
    )
    assert "age_of_majority" in error.problem  # the message lists the known names


def test_country_profile_unknown_parameter_is_reported_on_its_name(
    tmp_path: Path, provisions: dict[str, Provision]
) -> None:
    text = COUNTRY + (
        "  national_hotline_hours:\n"
        "    values:\n"
        "      - valid_from: 2015-03-01\n"
        "        value: 24\n"
        "        reference: Examplestan Anti-Trafficking Act 2015, section 3.\n"
    )
    _, error = load_broken_profile(tmp_path, text, provisions, name="examplestan.yaml")
    assert error.line == line_of(text, "national_hotline_hours:")


# --- Parameter.value_at -----------------------------------------------------------------------


def make_parameter(*values: tuple[str, int | None]) -> Parameter:
    return Parameter(
        name="reflection",
        description="",
        unit="days",
        values=tuple(
            ParameterValue(dt.date.fromisoformat(valid_from), value, f"reference {index}", ())
            for index, (valid_from, value) in enumerate(values)
        ),
        profile="test",
    )


def test_value_before_the_first_date_is_not_defined() -> None:
    parameter = make_parameter(("2010-01-01", 30), ("2020-07-01", 45))
    with pytest.raises(ParameterNotDefined) as caught:
        parameter.value_at(dt.date(2009, 12, 31))
    message = str(caught.value)
    assert "'reflection'" in message
    assert "no value before 2010-01-01" in message
    assert "2009-12-31" in message


def test_null_value_ends_the_parameter() -> None:
    parameter = make_parameter(("2010-01-01", 30), ("2015-01-01", None))
    assert parameter.at(dt.date(2014, 12, 31)) == 30
    for day in (dt.date(2015, 1, 1), dt.date(2040, 1, 1)):
        with pytest.raises(ParameterNotDefined, match="ended on 2015-01-01"):
            parameter.value_at(day)


def test_parameter_can_come_back_after_ending() -> None:
    parameter = make_parameter(("2010-01-01", 30), ("2015-01-01", None), ("2018-01-01", 60))
    with pytest.raises(ParameterNotDefined):
        parameter.value_at(dt.date(2017, 12, 31))
    assert parameter.at(dt.date(2018, 1, 1)) == 60


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2010, 1, 1), 30),  # on the first date
        (dt.date(2020, 6, 30), 30),  # the day before the change
        (dt.date(2020, 7, 1), 45),  # the day of the change: the new value is in force
        (dt.date(2020, 7, 2), 45),  # after the change
        (dt.date(2099, 1, 1), 45),  # the last value stays in force
    ],
)
def test_value_is_picked_by_date(day: dt.date, expected: int) -> None:
    parameter = make_parameter(("2010-01-01", 30), ("2020-07-01", 45))
    value = parameter.value_at(day)
    assert value.value == expected
    assert value.reference == ("reference 0" if expected == 30 else "reference 1")
    assert parameter.at(day) == expected


# --- indicators -------------------------------------------------------------------------------

CATALOGUE = """\
# A small indicator catalogue for tests.
source: Test source
sets:
  AL: {title: "Adults, labour exploitation", grades_verified: true}
  CL: {title: "Children, labour exploitation"}
dimensions:
  - id: D1
    title: Deceptive recruitment
    phase: recruitment
    bears_on: means
    means: [deception]
    purposes: []
indicators:
  - id: dec_job_nature
    dimension: D1
    label: Deceived about the kind of work
    grades: {AL: S, CL: S}
    forced_labour: deception
  - id: dec_housing
    dimension: D1
    label: Deceived about housing
    grades:
      AL: M
      CL: W
    forced_labour: null
"""


def load_broken_indicators(tmp_path: Path, text: str) -> tuple[Path, FrameworkError]:
    path = write(tmp_path, "indicators.yaml", text)
    with pytest.raises(FrameworkError) as caught:
        load_indicators(path)
    return path, caught.value


def test_valid_catalogue_loads(tmp_path: Path) -> None:
    catalogue = load_indicators(write(tmp_path, "indicators.yaml", CATALOGUE))
    assert set(catalogue.sets) == {"AL", "CL"}
    assert catalogue.verified_sets == frozenset({"AL"})
    assert set(catalogue.indicators) == {"dec_job_nature", "dec_housing"}
    assert catalogue.indicators["dec_housing"].grades == {"AL": "M", "CL": "W"}
    assert catalogue.indicators["dec_housing"].forced_labour is None


def test_unknown_set_in_grades(tmp_path: Path) -> None:
    text = CATALOGUE.replace("      CL: W\n", "      CS: W\n")
    path, error = load_broken_indicators(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "CS: W")
    assert error.problem == "dec_housing: unknown set 'CS'"


@pytest.mark.parametrize("grade", ["X", "s", "strong", "1"])
def test_grade_other_than_s_m_w(tmp_path: Path, grade: str) -> None:
    text = CATALOGUE.replace("      AL: M\n", f"      AL: {grade}\n")
    path, error = load_broken_indicators(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, f"AL: {grade}")
    assert error.problem == "dec_housing: grade must be S, M or W"


def test_unknown_dimension(tmp_path: Path) -> None:
    text = CATALOGUE.replace("  - id: dec_housing\n    dimension: D1\n", "  - id: dec_housing\n    dimension: D7\n")
    path, error = load_broken_indicators(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "dimension: D7")
    assert error.problem == "unknown dimension 'D7'"


def test_duplicate_indicator_id(tmp_path: Path) -> None:
    text = CATALOGUE.replace("  - id: dec_housing\n", "  - id: dec_job_nature\n")
    path, error = load_broken_indicators(tmp_path, text)
    assert error.file == str(path)
    assert error.line == line_of(text, "- id: dec_job_nature", occurrence=2)
    assert error.problem == "duplicate indicator id dec_job_nature"
