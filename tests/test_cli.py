"""The `rightsfirst` command: readable reports, JSON, exit codes, and clear errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rightsfirst.cli import main
from tests.conftest import EXAMPLES


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(tmp_path: Path, text: str, name: str = "input.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_it_screens_an_example_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "screen", str(EXAMPLES / "01-child-recruited-for-begging.yaml"))
    assert code == 0
    assert "ESTABLISHED" in out
    assert "TIP.3c" in out


def test_it_prints_json_for_machines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "screen", "--json", str(EXAMPLES / "03-smuggled-migrant-no-exploitation.yaml"))
    assert code == 0
    assert json.loads(out)["finding"] == "smuggling_only"


def test_it_assesses_with_a_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "assess", "--json", "--at", "2026-02-20", str(EXAMPLES / "01-child-recruited-for-begging.yaml")
    )
    assert code == 0
    result = json.loads(out)
    assert result["at"] == "2026-02-20"
    guardian = next(item for item in result["entitlements"]["entitlements"] if item["id"] == "guardian")
    assert guardian["overdue"] is False


def test_fail_on_violation_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "06-presumed-victim-in-immigration-detention.yaml")
    assert run(capsys, "review", path)[0] == 0
    assert run(capsys, "review", "--fail-on", "violation", path)[0] == 1
    assert run(capsys, "assess", "--fail-on", "violation", path)[0] == 1
    ok_path = str(EXAMPLES / "21-going-home-by-choice-during-reflection.yaml")
    assert run(capsys, "review", "--fail-on", "violation", ok_path)[0] == 0


def test_it_reads_standard_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    situation = '{"person": {"age": 12}, "actions": ["receipt"], "purposes": ["forced_labour"]}'
    monkeypatch.setattr("sys.stdin", io.StringIO(situation))
    code, out, _ = run(capsys, "screen", "--json", "--at", "2026-03-02", "-")
    assert code == 0
    assert json.loads(out)["finding"] == "established"


def test_it_reviews_a_bare_measure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, "type: testing\ntest: hiv\nmandatory: true\n")
    code, out, _ = run(capsys, "review", "--json", "--at", "2026-03-02", path)
    assert code == 0
    [result] = json.loads(out)  # always a list, one result per measure
    assert result["outcome"] == "violation"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("actions: [kidnapping]\n", ["actions[0]", "'kidnapping' is not a known value", "recruitment"]),
        ("person: {age: old}\n", ["person.age", "expected a number"]),
        ("purpose: [forced_labour]\n", ["purpose", "unknown field", "purposes"]),
        ("means: coercion\n", ["means", "expected a list"]),
        ("person: {age_range: [20, 15]}\n", ["person.age_range", "above the maximum"]),
        ("type: detention\nfacility: dungeon\n", ["facility", "immigration_detention"]),
        ("type: teleport\n", ["type", "not a known measure type", "detention"]),
        ("situation: {}\ncase: {referred_on: yesterday}\n", ["case.referred_on", "YYYY-MM-DD"]),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, expected: list[str]
) -> None:
    command = "review" if text.startswith("type") else "assess"
    code, out, err = run(capsys, command, write(tmp_path, text))
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    for fragment in expected:
        assert fragment in err


def test_broken_yaml_names_the_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "screen", write(tmp_path, "actions: [recruitment\nmeans: []\n"))
    assert code == 2
    assert "line" in err and "not valid YAML" in err


def test_a_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "screen", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "no such file" in err


def test_a_date_before_the_law_existed_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "screen", "--at", "1980-01-01", str(EXAMPLES / "04-internal-trafficking.yaml"))
    assert code == 2
    assert "age_of_majority" in err and "no value before" in err


def test_a_bad_date_argument_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as error:
        main(["screen", "--at", "March", str(EXAMPLES / "04-internal-trafficking.yaml")])
    assert error.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_framework_check_passes_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "framework", "check")
    assert code == 0
    assert "Check passed." in out
    assert "17 of 17" in out and "93 of 93" in out and "29 of 29" in out


def test_framework_show_and_search(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "framework", "show", "RPG.P7")
    assert code == 0 and "RPG.P7" in out and "prohibition" in out
    code, out, _ = run(capsys, "framework", "search", "testing", "hiv")
    assert code == 0 and "RPG.G6.2" in out
    code, _, err = run(capsys, "framework", "show", "RPG.P99")
    assert code == 2 and "no provision RPG.P99" in err


def test_a_broken_profile_file_names_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    profile = write(
        tmp_path,
        "id: broken\ntitle: Broken\nextends: international\nparameters:\n  age_of_majority:\n"
        "    values:\n      - valid_from: 2000-01-01\n        value: 18\n",
        "broken.yaml",
    )
    code, _, err = run(capsys, "screen", "--profile", profile, str(EXAMPLES / "04-internal-trafficking.yaml"))
    assert code == 2
    assert "broken.yaml:7" in err and "reference" in err


def test_schema_prints_every_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert "situation.v1.json" in json.loads(out)


def test_an_internal_error_is_reported_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("rightsfirst.cli.screen", broken)
    monkeypatch.delenv("RIGHTSFIRST_DEBUG", raising=False)
    code, _, err = run(capsys, "screen", str(EXAMPLES / "04-internal-trafficking.yaml"))
    assert code == 3
    assert "internal error" in err and "boom" in err and "Traceback" not in err


@pytest.mark.parametrize("text", ["", "42\n", "- just\n- a list of words\n"])
def test_input_of_the_wrong_shape_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str) -> None:
    code, _, err = run(capsys, "assess", write(tmp_path, text))
    assert code == 2
    assert "Traceback" not in err


def test_conflicting_person_facts_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = "person: {age: 15}\nsituation:\n  person: {age: 30}\n  actions: [recruitment]\n"
    code, _, err = run(capsys, "assess", write(tmp_path, text))
    assert code == 2
    assert "person.age" in err and "conflicts" in err


def test_entitlements_read_the_person_as_assess_does(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (
        "person: {non_national: true}\nsituation:\n  person: {age: 15}\n  actions: [recruitment]\n"
        "  purposes: [forced_labour]\ncase: {referred_on: 2026-02-23}\n"
    )
    code, out, _ = run(capsys, "entitlements", "--json", "--at", "2026-03-02", write(tmp_path, text))
    assert code == 0
    result = json.loads(out)
    assert result["treated_as_child"] is True
    assert any(item["id"] == "guardian" and item["applies"] for item in result["entitlements"])


@pytest.mark.parametrize(
    "text",
    [
        "name: a test\nexpected_finding: established\nperson: {age: 12}\nactions: [receipt]\npurposes: [slavery]\n",
        "scenario: a test\nexpected: {finding: established}\nsituation:\n  person: {age: 12}\n"
        "  actions: [receipt]\n  purposes: [slavery]\n",
    ],
)
def test_descriptive_and_expected_keys_are_ignored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    code, out, err = run(capsys, "screen", "--json", "--at", "2026-03-02", write(tmp_path, text))
    assert code == 0, err
    assert json.loads(out)["finding"] == "established"


def test_a_misspelt_fact_is_still_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "screen", write(tmp_path, "name: typo\npurpose: [slavery]\n"))
    assert code == 2 and "purpose" in err and "purposes" in err
