"""The attacker against protected releases: it must find nothing, and it must be able to find.

The attacker (suppression_attacker.py, written apart from the disclosure module) tries to
recover every suppressed cell from what a release publishes: exact rational elimination over
all the sum equations, and HiGHS minimising and maximising each suppressed cell under the
equations, non-negativity and (optionally) whole numbers and the suppression reasons.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rightsfirst.monitoring.disclosure import DisclosureError, DisclosurePolicy, Nesting, protect
from rightsfirst.monitoring.tables import TOTAL, CountTable, PublishedTable, Suppression
from tests.conftest import ROOT
from tests.monitoring.disclosure_factory import random_persons, release_from_persons, table_from_persons, two_way
from tests.monitoring.suppression_attacker import attack, bounds, eliminate
from tests.monitoring.test_disclosure import one_way

POLICY = DisclosurePolicy()
CTDC = ROOT.parent / "shared" / "data" / "ctdc" / "CTDC_VPsynthetic_condensed.csv"


def primary_only(published: list[PublishedTable]) -> list[PublishedTable]:
    """The same release with complementary suppression turned off."""
    return [
        PublishedTable(item.table, {c: r for c, r in item.suppressed.items() if r is Suppression.PRIMARY})
        for item in published
    ]


def suppressed_count(published: list[PublishedTable]) -> int:
    return sum(len(item.suppressed) for item in published)


# -- the attacker works ------------------------------------------------------------------------


def test_without_complements_the_attacker_recovers_the_small_cell() -> None:
    table = two_way("t", "ind", "age", "sex", {"a": {"f": 3, "m": 40}, "b": {"f": 30, "m": 50}})
    naive = primary_only(protect([table], POLICY))
    assert naive[0].suppressed == {("a", "f"): Suppression.PRIMARY}
    [finding] = eliminate(naive)
    assert (finding.cell, finding.low, finding.true_value) == (("a", "f"), 3.0, 3)
    assert any(f.how == "exact" for f in attack(naive))


def test_a_pattern_with_two_suppressions_per_line_can_still_leak_through_a_bridge() -> None:
    # Every row and column holds two or more suppressed cells, yet (a, c) joins two separate
    # cycles, so it is the only unknown of a combination of equations.
    matrix = {
        "a": {"a": 5, "b": 6, "c": 4, "d": 30},
        "b": {"a": 7, "b": 8, "c": 40, "d": 50},
        "c": {"a": 60, "b": 70, "c": 3, "d": 2},
        "d": {"a": 80, "b": 90, "c": 6, "d": 7},
    }
    table = two_way("t", "ind", "r", "c", matrix)
    cells = [("a", "a"), ("a", "b"), ("b", "a"), ("b", "b"), ("c", "c"), ("c", "d"), ("d", "c"), ("d", "d"), ("a", "c")]
    hand_made = PublishedTable(table, {cell: Suppression.PRIMARY for cell in cells})
    for line in ("a", "b", "c", "d"):
        assert sum((line, c) in hand_made.suppressed for c in matrix) != 1
        assert sum((r, line) in hand_made.suppressed for r in matrix) != 1
    assert [(f.cell, f.low) for f in eliminate([hand_made])] == [(("a", "c"), 4.0)]
    protected = protect([table], POLICY)
    assert attack(protected) == []


def test_non_negativity_recovers_what_the_equations_alone_do_not() -> None:
    # Column y sums to 0: both its cells are 0, so (a, x) equals its row total.
    table = two_way("t", "ind", "r", "c", {"a": {"x": 3, "y": 0}, "b": {"x": 20, "y": 0}})
    hand_made = PublishedTable(
        table, {cell: Suppression.PRIMARY for cell in [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")]}
    )
    assert eliminate([hand_made]) == []
    recovered = {f.cell for f in attack([hand_made], zeros_disclosive=True)}
    assert ("a", "x") in recovered


def test_the_reasons_can_give_cells_away() -> None:
    # Two primary cells (each at most 9) in a row whose published total is 18: both are 9.
    table = two_way("t", "ind", "r", "c", {"a": {"x": 9, "y": 9}, "b": {"x": 20, "y": 30}})
    hand_made = PublishedTable(
        table,
        {cell: Suppression.PRIMARY for cell in [("a", "x"), ("a", "y")]}
        | {("b", "x"): Suppression.SECONDARY, ("b", "y"): Suppression.SECONDARY},
    )
    assert attack([hand_made], reasons_known=False) == []
    assert {f.cell for f in attack([hand_made], reasons_known=True)} >= {("a", "x"), ("a", "y")}
    assert attack(protect([table], DisclosurePolicy(reasons_public=True)), reasons_known=True) == []


def test_linked_tables_leak_when_each_is_protected_on_its_own() -> None:
    # Alone, the one-way table would hide n5 with n3 (the smallest total), and the table by sex
    # would hide it with n2 (the cheapest path): together they show n3, n2 and so n5.
    matrix = {"n1": {"f": 300, "m": 200}, "n2": {"f": 12, "m": 0}, "n3": {"f": 0, "m": 11}, "n5": {"f": 4, "m": 0}}
    by_sex = two_way("ind/nat_sex", "ind", "nat", "sex", matrix)
    by_nat = one_way("ind/nat", "ind", "nat", {n: sum(row.values()) for n, row in matrix.items()})
    apart = []
    for table in (by_nat, by_sex):
        [alone] = protect([replace(table, indicator_id=table.table_id)], POLICY)
        apart.append(PublishedTable(table, alone.suppressed))
    assert any(f.cell == ("n5", TOTAL) and f.low == 4 for f in eliminate(apart))
    assert attack(protect([by_nat, by_sex], POLICY)) == []


def test_agencies_within_regions_leak_unless_the_nesting_is_declared() -> None:
    # A reader who knows which region each agency is in adds the agencies' cells up into the
    # region's, and reads a one-agency region's cells straight off the agency's.
    parent = {"a1": "r1", "a2": "r1", "a3": "r1", "a4": "r2", "a5": "r3", "a6": "r3"}
    nesting = Nesting("agency", "region", parent)
    dims = {"agency": list(parent), "sex": ["f", "m", "x"], "age": ["y", "z", "w"], "region": ["r1", "r2", "r3"]}
    breakdowns = [
        (None, None),
        ("agency", None),
        ("region", None),
        ("agency", "sex"),
        ("region", "sex"),
        ("region", "age"),
        ("agency", "age"),
        ("region", "agency"),
    ]
    leaked = 0
    for seed in range(12):
        rng = random.Random(seed)
        persons = random_persons(rng, rng.choice([30, 80, 200]), {k: v for k, v in dims.items() if k != "region"})
        for person in persons:
            person["region"] = parent[str(person["agency"])]
        tables = release_from_persons(persons, "ind", dims, breakdowns)
        leaked += bool(attack(protect(tables, POLICY), nestings=[nesting]))
        assert attack(protect(tables, POLICY, nestings=[nesting]), nestings=[nesting]) == [], seed
    assert leaked >= 2


def test_tables_that_disagree_with_a_nesting_are_refused() -> None:
    by_agency = one_way("ind/agency", "ind", "agency", {"a1": 20, "a2": 30, "a3": 10})
    by_region = one_way("ind/region", "ind", "region", {"r1": 49, "r3": 11})
    nesting = Nesting("agency", "region", {"a1": "r1", "a2": "r1"})
    with pytest.raises(DisclosureError, match=r"cell \(r1, TOTAL\) is 49 but the values nested in it add up to 50"):
        protect([by_agency, by_region], POLICY, nestings=[nesting])


# -- the attacker finds nothing in protected releases -------------------------------------------

DIMS = {
    "sex": ["f", "m", "x"],
    "age": ["a", "b", "c", "d", "e"],
    "nat": [f"n{i}" for i in range(9)],
    "form": ["p", "q", "r", "s"],
}
BREAKDOWNS = [
    (None, None),
    ("sex", None),
    ("age", None),
    ("nat", None),
    ("form", None),
    ("age", "sex"),
    ("nat", "sex"),
    ("nat", "age"),
    ("form", "sex"),
    ("form", "nat"),
]


@pytest.mark.parametrize(
    ("policy", "overlap"),
    [
        (POLICY, False),
        (POLICY, True),
        (DisclosurePolicy(protection=3), True),
        (DisclosurePolicy(zeros_disclosive=True), False),
        (DisclosurePolicy(minimum_cell=5, protection=2), True),
    ],
    ids=["default", "overlapping-forms", "protection-3", "zeros-disclosive", "minimum-5"],
)
def test_random_releases_give_nothing_away(policy: DisclosurePolicy, overlap: bool) -> None:
    overlapping = frozenset({"form"}) if overlap else frozenset()
    primary = secondary = 0
    for seed in range(16):
        rng = random.Random(seed)
        persons = random_persons(rng, rng.choice([6, 25, 80, 200, 600]), DIMS, overlapping=overlapping)
        tables = release_from_persons(persons, "ind", DIMS, BREAKDOWNS, overlapping=overlapping)
        tables += release_from_persons(persons[::3], "subgroup", DIMS, BREAKDOWNS[:6], overlapping=overlapping)
        published = protect(tables, policy)
        marks = Counter(r for item in published for r in item.suppressed.values())
        primary += marks[Suppression.PRIMARY]
        secondary += marks[Suppression.SECONDARY]
        findings = attack(
            published,
            minimum_cell=policy.minimum_cell,
            zeros_disclosive=policy.zeros_disclosive,
            protection=policy.protection,
        )
        assert findings == [], (seed, findings[:3])
    assert primary > 500 and secondary > 50  # the releases did have something to protect


def test_with_the_reasons_shown_protected_releases_give_nothing_away() -> None:
    policy = DisclosurePolicy(reasons_public=True)
    checked = 0
    for seed in range(12):
        rng = random.Random(100 + seed)
        persons = random_persons(rng, rng.choice([40, 120, 400]), DIMS)
        tables = release_from_persons(persons, "ind", DIMS, BREAKDOWNS[:8])
        published = protect(tables, policy)
        assert attack(published, reasons_known=True) == []
        checked += suppressed_count(published)
    assert checked > 300


def test_whole_numbers_do_not_help_the_attacker() -> None:
    for seed in range(2):
        rng = random.Random(200 + seed)
        persons = random_persons(rng, 60, DIMS)
        published = protect(release_from_persons(persons, "ind", DIMS, BREAKDOWNS[:6]), POLICY)
        assert suppressed_count(published) > 20
        assert attack(published, integer=True) == []


def test_adversarial_tables_give_nothing_away() -> None:
    cases = {
        # a single small cell in an otherwise large row
        "single": {"a": {"x": 2, "y": 400, "z": 300}, "b": {"x": 300, "y": 200, "z": 100}},
        # a small cell whose row has one other small cell
        "pair": {"a": {"x": 2, "y": 7, "z": 300}, "b": {"x": 30, "y": 20, "z": 100}},
        # a small cell surrounded by zeros
        "zeros": {"a": {"x": 3, "y": 0, "z": 0}, "b": {"x": 0, "y": 15, "z": 0}, "c": {"x": 12, "y": 0, "z": 30}},
        # a row that is all ones
        "ones": {"a": {"x": 1, "y": 1, "z": 1}, "b": {"x": 10, "y": 20, "z": 30}, "c": {"x": 11, "y": 21, "z": 31}},
        # everything small
        "tiny": {"a": {"x": 1, "y": 2, "z": 0}, "b": {"x": 0, "y": 1, "z": 3}},
    }
    for zeros in (False, True):
        policy = DisclosurePolicy(zeros_disclosive=zeros)
        for name, matrix in cases.items():
            table = two_way(f"t/{name}", name, "r", "c", matrix)
            margin = one_way(f"t/{name}/r", name, "r", {r: sum(row.values()) for r, row in matrix.items()})
            published = protect([table, margin], policy)
            assert published[0].suppressed, name
            assert attack(published, zeros_disclosive=zeros) == [], (name, zeros)


@st.composite
def small_tables(draw: st.DrawFn) -> list[CountTable]:
    rows = [f"r{i}" for i in range(draw(st.integers(2, 4)))]
    columns = [f"c{i}" for i in range(draw(st.integers(2, 4)))]
    count = st.one_of(st.integers(0, 12), st.integers(10, 60))
    matrix = {r: {c: draw(count) for c in columns} for r in rows}
    table = two_way("t", "ind", "r", "c", matrix)
    tables = [table, one_way("t/r", "ind", "r", {r: sum(matrix[r].values()) for r in rows})]
    if draw(st.booleans()):
        other = {r: {"u": draw(count)} for r in rows}
        for r in rows:
            other[r]["v"] = table.count(r, TOTAL) - other[r]["u"] if table.count(r, TOTAL) >= other[r]["u"] else 0
            other[r]["u"] = table.count(r, TOTAL) - other[r]["v"]
        tables.append(two_way("t/other", "ind", "r", "k", other))
    return tables


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_tables(), st.booleans())
def test_generated_tables_give_nothing_away(tables: list[CountTable], zeros: bool) -> None:
    published = protect(tables, DisclosurePolicy(zeros_disclosive=zeros))
    assert attack(published, zeros_disclosive=zeros) == []


# -- the CTDC synthetic file ----------------------------------------------------------------------

CTDC_DIMENSIONS = ("yearRegister", "gender", "majorityStatus", "UN_COO_Region", "UN_COE_Region")


def _ctdc_persons(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{dim: row[dim] or "missing" for dim in CTDC_DIMENSIONS} for row in csv.DictReader(handle)]


def _ctdc_tables(persons: list[dict[str, str]], indicator: str, dimensions: tuple[str, ...]) -> list[CountTable]:
    values = {dim: sorted({p[dim] for p in persons}) for dim in dimensions}
    pairs = [(a, b) for i, a in enumerate(dimensions) for b in dimensions[i + 1 :]]
    return [
        table_from_persons(
            persons, indicator, row, column, rows=values.get(row or "", []), columns=values.get(column or "", [])
        )
        for row, column in [(None, None), *((d, None) for d in dimensions), *pairs]
    ]


@pytest.mark.skipif(not CTDC.exists(), reason=f"the CTDC synthetic file is not at {CTDC} (../shared absent)")
def test_the_ctdc_synthetic_data_is_protected() -> None:
    persons = _ctdc_persons(CTDC)
    # The file's README: 21,195 rows; 689 cells over the five dimensions, 351 of them below 10.
    assert len(persons) == 21195
    cells = Counter(tuple(p[d] for d in CTDC_DIMENSIONS) for p in persons)
    assert (len(cells), sum(1 for n in cells.values() if n < 10)) == (689, 351)

    tables = _ctdc_tables(persons, "ctdc_victims", CTDC_DIMENSIONS)
    for band in sorted({p["yearRegister"] for p in persons}):
        group = [p for p in persons if p["yearRegister"] == band]
        tables += _ctdc_tables(group, f"ctdc_registered_{band}", CTDC_DIMENSIONS[1:])
    minors = [p for p in persons if p["majorityStatus"] == "Minor"]
    tables += _ctdc_tables(minors, "ctdc_minors", tuple(d for d in CTDC_DIMENSIONS if d != "majorityStatus"))
    gender_by_age = next(t for t in tables if t.table_id == "ctdc_victims/by_gender_and_majorityStatus")
    assert (gender_by_age.count("Female", "Adult"), gender_by_age.count("missing", "missing")) == (8289, 1736)

    published = protect(tables, POLICY)
    marks = Counter(r for item in published for r in item.suppressed.values())
    assert marks[Suppression.PRIMARY] > 100 and marks[Suppression.SECONDARY] > 0
    assert attack(published) == []
    naive = primary_only(published)
    assert eliminate(naive), "without complements the attacker recovers cells of the CTDC tables"


def test_bounds_reports_every_suppressed_cell() -> None:
    table = two_way("t", "ind", "age", "sex", {"a": {"f": 3, "m": 40}, "b": {"f": 30, "m": 50}})
    published = protect([table], POLICY)
    ranges = bounds(published, minimum_cell=10, zeros_disclosive=False, reasons_known=False)
    assert set(ranges) == {("t", cell) for cell in published[0].suppressed}
    truth, low, high, _ = ranges[("t", ("a", "f"))]
    assert low <= truth - 1 or high >= truth + 1
