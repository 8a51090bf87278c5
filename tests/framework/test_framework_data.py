"""The shipped framework data is complete, consistent, in our own words and free of blaming language."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

import rightsfirst.engine  # noqa: F401  (importing the engine fills CITED with every rule's citations)
from rightsfirst.engine.citations import CITED
from rightsfirst.framework.check import FS36_SECTIONS, run_check
from rightsfirst.framework.model import Framework
from tests.conftest import SEEDS

MIN_SUMMARY_WORDS = 8
MAX_TITLE_CHARS = 70
COPY_RUN_WORDS = 12
ENGINE_DATE = dt.date(2026, 3, 2)


def test_engine_declares_citations() -> None:
    assert CITED, "importing rightsfirst.engine should register the rules' citations"


def test_check_finds_no_problems_and_the_expected_counts(framework: Framework) -> None:
    lines, problems = run_check(framework, CITED)
    assert problems == []
    assert all(line.ok for line in lines)
    found = {line.label: line.found for line in lines}
    assert found["Recommended Principles (RPG.P1-P17)"] == 17
    assert found["Guideline opening statements (RPG.G1-G11)"] == 11
    assert found["Guideline paragraphs (RPG.Gn.m)"] == 93
    assert found["1999 Standards, State responsibilities (HRS.1-29)"] == 29
    assert found["1999 Standards, definitions (HRS.DEF.*)"] == 3
    assert found["Trafficking Protocol article 3 (TIP.3a-3d)"] == 4


def test_expected_ids_are_present(framework: Framework) -> None:
    ids = set(framework.provisions)
    assert {f"RPG.P{number}" for number in range(1, 18)} <= ids
    assert {f"RPG.G{number}" for number in range(1, 12)} <= ids
    assert len([i for i in ids if re.fullmatch(r"RPG\.G\d+\.\d+", i)]) == 93
    assert {f"HRS.{number}" for number in range(1, 30)} <= ids
    assert {"HRS.DEF.trafficking", "HRS.DEF.trafficked-person", "HRS.DEF.trafficker"} <= ids
    assert {"TIP.3a", "TIP.3b", "TIP.3c", "TIP.3d"} <= ids


@pytest.mark.parametrize("section", ["III.C", "III.D", "III.E", "III.F", "III.G", "III.H", "IV.E"])
def test_every_fs36_chapter_has_provisions(framework: Framework, section: str) -> None:
    assert section in FS36_SECTIONS
    assert any(provision_id.startswith(f"FS36.{section}.") for provision_id in framework.provisions)


def test_summaries_are_substantial(framework: Framework) -> None:
    short = {
        provision.id: provision.summary
        for provision in framework.provisions.values()
        if len(provision.summary.split()) < MIN_SUMMARY_WORDS
    }
    assert short == {}


def test_titles_are_short(framework: Framework) -> None:
    long = {
        provision.id: provision.title
        for provision in framework.provisions.values()
        if not provision.title.strip() or len(provision.title) > MAX_TITLE_CHARS
    }
    assert long == {}


def test_every_related_id_exists(framework: Framework) -> None:
    dangling = [
        (provision.id, related)
        for provision in framework.provisions.values()
        for related in provision.related
        if related not in framework.provisions
    ]
    assert dangling == []


def test_every_parameter_value_has_a_reference(framework: Framework) -> None:
    for parameter in framework.profile.parameters.values():
        assert parameter.values, parameter.name
        for value in parameter.values:
            assert value.reference.strip(), f"{parameter.name} from {value.valid_from} has no reference"
            for citation in value.citations:
                assert citation in framework.provisions, f"{parameter.name} cites unknown {citation}"


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months = []
    day = first
    while day <= last:
        months.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def test_every_parameter_has_a_value_every_month(framework: Framework) -> None:
    """Coverage only: every international parameter has *some* value on the first of every month
    from 2008-02-01 to 2035-12-01. It does not check what the values are."""
    assert framework.profile.id == "international"
    months = _months(dt.date(2008, 2, 1), dt.date(2035, 12, 1))
    assert len(months) == 335
    for parameter in framework.profile.parameters.values():
        for month in months:
            assert parameter.value_at(month).value is not None, f"{parameter.name} on {month}"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _seed_runs() -> set[tuple[str, ...]]:
    if not SEEDS.is_dir():
        pytest.skip(f"source documents not found at {SEEDS}")
    seed_files = sorted(SEEDS.glob("*.txt"))
    if not seed_files:
        pytest.skip(f"no source text files in {SEEDS}")
    runs: set[tuple[str, ...]] = set()
    for path in seed_files:
        words = _words(path.read_text(encoding="utf-8", errors="replace"))
        runs.update(tuple(words[i : i + COPY_RUN_WORDS]) for i in range(len(words) - COPY_RUN_WORDS + 1))
    return runs


def test_no_summary_or_title_copies_a_run_of_words_from_the_sources(framework: Framework) -> None:
    runs = _seed_runs()
    copied = []
    for provision in framework.provisions.values():
        for field, text in (("title", provision.title), ("summary", provision.summary)):
            words = _words(text)
            for i in range(len(words) - COPY_RUN_WORDS + 1):
                if tuple(words[i : i + COPY_RUN_WORDS]) in runs:
                    copied.append(f"{provision.id} {field}: {' '.join(words[i : i + COPY_RUN_WORDS])}")
                    break
    assert copied == []


def test_no_file_of_the_project_copies_a_run_of_words_from_the_sources() -> None:
    """Whole files, not just summaries: paragraph locators, docs and examples count too."""
    runs = _seed_runs()
    root = Path(__file__).resolve().parents[2]
    copied = []
    for folder in ("src", "docs", "examples", "tests", "benchmarks"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in {".py", ".yaml", ".md", ".json", ".txt"} or not path.is_file():
                continue
            words = _words(path.read_text(encoding="utf-8", errors="replace"))
            hits = sum(
                1 for i in range(len(words) - COPY_RUN_WORDS + 1) if tuple(words[i : i + COPY_RUN_WORDS]) in runs
            )
            if hits:
                copied.append(f"{path.relative_to(root)}: {hits} runs")
    for name in ("README.md", "CHANGELOG.md"):
        words = _words((root / name).read_text(encoding="utf-8"))
        if any(tuple(words[i : i + COPY_RUN_WORDS]) in runs for i in range(len(words) - COPY_RUN_WORDS + 1)):
            copied.append(name)
    assert copied == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [("age_of_majority", 18), ("recovery_reflection_min_days", 30), ("initial_temporary_residence_months", 6)],
)
def test_engine_parameters_at_the_reference_date(framework: Framework, name: str, expected: int) -> None:
    assert framework.parameter(name, ENGINE_DATE) == expected


BLAMING_WORDS = {
    "illegal immigrant": re.compile(r"\billegal\s+immigrants?\b"),
    "illegal alien": re.compile(r"\billegal\s+aliens?\b"),
    "illegals": re.compile(r"\billegals\b"),
    # the person, not the offence: "exploitation of the prostitution of others" is the Protocol's wording
    "prostitute": re.compile(r"\bprostitutes?\b"),
    "victim's fault": re.compile(r"\bvictims?['\u2019]s?\s+(own\s+)?fault\b"),
}


def test_no_blaming_or_dehumanising_words(framework: Framework) -> None:
    found = [
        (provision.id, field, word)
        for provision in framework.provisions.values()
        for field, text in (("title", provision.title), ("summary", provision.summary))
        for word, pattern in BLAMING_WORDS.items()
        if pattern.search(text.lower())
    ]
    assert found == []


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("An Illegal Immigrant was found", "illegal immigrant"),
        ("the illegals were detained", "illegals"),
        ("she was treated as a prostitute", "prostitute"),
        ("it was the victim's fault", "victim's fault"),
    ],
)
def test_blaming_word_patterns_do_match(text: str, word: str) -> None:
    assert BLAMING_WORDS[word].search(text.lower())


def test_prostitution_of_others_is_not_flagged() -> None:
    text = "the exploitation of the prostitution of others".lower()
    assert not any(pattern.search(text) for pattern in BLAMING_WORDS.values())
