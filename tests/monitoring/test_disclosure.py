"""Disclosure control: primary and complementary suppression across the tables of a release."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from rightsfirst.monitoring.disclosure import DisclosureError, DisclosurePolicy, protect, suppressed_cells
from rightsfirst.monitoring.tables import TOTAL, CountTable, PublishedTable, Suppression
from tests.monitoring.disclosure_factory import random_persons, release_from_persons, table_from_persons, two_way
from tests.monitoring.suppression_attacker import attack

POLICY = DisclosurePolicy()


def one_way(
    table_id: str, indicator: str, dimension: str, counts: dict[str, int], *, overlap: bool = False
) -> CountTable:
    cells = {(value, TOTAL): count for value, count in counts.items()}
    cells[(TOTAL, TOTAL)] = sum(counts.values()) if not overlap else max(counts.values()) + 1
    return CountTable(table_id, indicator, dimension, None, tuple(counts), (), cells, row_overlap=overlap)


def pattern(published: list[PublishedTable]) -> dict[str, dict[tuple[str, str], Suppression]]:
    return {item.table.table_id: dict(item.suppressed) for item in published}


def lines_with_one_suppressed(item: PublishedTable) -> list[str]:
    """Rows or columns of a table (margins included) holding exactly one suppressed cell."""
    table = item.table
    found = []
    for r in (*table.rows, TOTAL):
        if table.columns and sum((r, c) in item.suppressed for c in (*table.columns, TOTAL)) == 1:
            found.append(f"row {r}")
    for c in (*table.columns, TOTAL):
        if table.rows and sum((r, c) in item.suppressed for r in (*table.rows, TOTAL)) == 1:
            found.append(f"column {c}")
    return found


def test_a_small_cell_is_suppressed_with_complements_in_its_row_and_column() -> None:
    table = two_way(
        "t",
        "ind",
        "age",
        "sex",
        {"a": {"f": 3, "m": 40, "x": 25}, "b": {"f": 30, "m": 50, "x": 12}, "c": {"f": 22, "m": 18, "x": 60}},
    )
    [item] = protect([table], POLICY)
    assert item.suppressed[("a", "f")] is Suppression.PRIMARY
    assert item.shown("a", "f") is None
    assert set(item.suppressed.values()) == {Suppression.PRIMARY, Suppression.SECONDARY}
    assert lines_with_one_suppressed(item) == []
    # The cheapest cycle: the smallest cells that close a rectangle with (a, f).
    assert set(item.suppressed) == {("a", "f"), ("a", "x"), ("b", "f"), ("b", "x")}
    assert all(item.shown(*cell) is not None for cell in table.cells if cell not in item.suppressed)
    assert attack([item]) == []


def test_margins_below_the_minimum_are_suppressed_too() -> None:
    table = two_way("t", "ind", "age", "sex", {"a": {"f": 4, "m": 3}, "b": {"f": 30, "m": 50}, "c": {"f": 22, "m": 18}})
    [item] = protect([table], POLICY)
    assert item.suppressed[("a", TOTAL)] is Suppression.PRIMARY
    assert item.suppressed[("a", "f")] is Suppression.PRIMARY
    assert attack([item]) == []


def test_zeros_are_published_or_suppressed_as_the_policy_says() -> None:
    table = two_way(
        "t", "ind", "age", "sex", {"a": {"f": 0, "m": 40}, "b": {"f": 30, "m": 50}, "c": {"f": 22, "m": 18}}
    )
    [published] = protect([table], POLICY)
    assert published.suppressed == {}
    assert published.shown("a", "f") == 0
    [hidden] = protect([table], DisclosurePolicy(zeros_disclosive=True))
    assert hidden.suppressed[("a", "f")] is Suppression.PRIMARY
    assert attack([hidden], zeros_disclosive=True) == []


def test_the_minimum_cell_size_is_configurable() -> None:
    table = two_way("t", "ind", "age", "sex", {"a": {"f": 6, "m": 40}, "b": {"f": 4, "m": 50}, "c": {"f": 22, "m": 18}})
    [ten] = protect([table], POLICY)
    [five] = protect([table], DisclosurePolicy(minimum_cell=5))
    assert ten.suppressed[("a", "f")] is Suppression.PRIMARY
    assert five.suppressed.get(("a", "f")) is not Suppression.PRIMARY
    assert five.suppressed[("b", "f")] is Suppression.PRIMARY
    assert attack([five], minimum_cell=5) == []


def test_linked_cells_share_their_status_across_the_tables_of_an_indicator() -> None:
    rng = random.Random(7)
    dims = {"age": ["a", "b", "c", "d"], "sex": ["f", "m", "x"], "nat": [f"n{i}" for i in range(6)]}
    persons = random_persons(rng, 90, dims)
    breakdowns = [
        (None, None),
        ("age", None),
        ("sex", None),
        ("nat", None),
        ("age", "sex"),
        ("nat", "sex"),
        ("sex", "age"),
    ]
    tables = release_from_persons(persons, "ind", dims, breakdowns)
    tables[-1] = replace(tables[-1], table_id="ind/transposed")
    published = protect(tables, POLICY)
    by_id = {item.table.table_id: item for item in published}
    grand = {item.suppressed.get((TOTAL, TOTAL)) for item in published}
    assert len(grand) == 1
    one_way_age = by_id["ind/by_age_and_none"]
    crossed = by_id["ind/by_age_and_sex"]
    transposed = by_id["ind/transposed"]
    for age in dims["age"]:
        assert one_way_age.suppressed.get((age, TOTAL)) == crossed.suppressed.get((age, TOTAL))
        assert crossed.suppressed.get((age, TOTAL)) == transposed.suppressed.get((TOTAL, age))
        for sex in dims["sex"]:
            assert crossed.suppressed.get((age, sex)) == transposed.suppressed.get((sex, age))
    nationality = by_id["ind/by_nat_and_none"]
    for nat in dims["nat"]:
        assert nationality.suppressed.get((nat, TOTAL)) == by_id["ind/by_nat_and_sex"].suppressed.get((nat, TOTAL))
    assert any(item.suppressed for item in published)
    assert attack(published) == []


def test_a_suppressed_margin_is_protected_in_every_table_crossing_its_dimension() -> None:
    # Nationality n5 has 4 persons: its total is suppressed, and each table by nationality must
    # hide a second nationality's row so that the one-way table's sum cannot give it back.
    base = {"n1": {"f": 40, "m": 35}, "n2": {"f": 20, "m": 25}, "n3": {"f": 15, "m": 30}, "n5": {"f": 3, "m": 1}}
    by_sex = two_way("ind/nat_sex", "ind", "nat", "sex", base)
    by_age = two_way(
        "ind/nat_age",
        "ind",
        "nat",
        "age",
        {"n1": {"a": 50, "b": 25}, "n2": {"a": 20, "b": 25}, "n3": {"a": 30, "b": 15}, "n5": {"a": 2, "b": 2}},
    )
    one = one_way("ind/nat", "ind", "nat", {n: sum(row.values()) for n, row in base.items()})
    published = protect([by_sex, by_age, one], POLICY)
    by_id = {item.table.table_id: item for item in published}
    assert by_id["ind/nat"].suppressed[("n5", TOTAL)] is Suppression.PRIMARY
    partners = {cell[0] for cell in by_id["ind/nat"].suppressed}
    assert len(partners) == 2  # n5 and the nationality its total was moved against
    for table_id in ("ind/nat_sex", "ind/nat_age"):
        assert lines_with_one_suppressed(by_id[table_id]) == []
        assert {r for r, c in by_id[table_id].suppressed if c == TOTAL} == partners
    assert attack(published) == []


def test_an_overlapping_dimension_gives_no_sum_to_protect_against() -> None:
    # Forms overlap (a person can have several), so the total is no sum of the forms: one small
    # form count alone is safe and needs no complement.
    table = one_way("ind/form", "ind", "form", {"labour": 40, "sexual": 25, "organs": 2}, overlap=True)
    [item] = protect([table], POLICY)
    assert item.suppressed == {("organs", TOTAL): Suppression.PRIMARY}
    assert attack([item]) == []
    # Without the overlap the same numbers would give the small count away.
    plain = one_way("ind/form", "ind", "form", {"labour": 40, "sexual": 25, "organs": 2})
    [complemented] = protect([plain], POLICY)
    assert len(complemented.suppressed) == 2


def _release(seed: int) -> list[CountTable]:
    rng = random.Random(seed)
    dims = {"age": ["a", "b", "c", "d"], "sex": ["f", "m", "x"], "nat": [f"n{i}" for i in range(8)]}
    persons = random_persons(rng, 150, dims)
    breakdowns = [(None, None), ("age", None), ("nat", None), ("age", "sex"), ("nat", "sex"), ("nat", "age")]
    # A second indicator of a subgroup, and a tiny third one (its grand total below the
    # minimum: protected through the integer program).
    return (
        release_from_persons(persons, "ind", dims, breakdowns)
        + release_from_persons(persons[:60], "other", dims, [("sex", None), ("nat", "sex")])
        + release_from_persons(persons[:7], "tiny", dims, [(None, None), ("age", None), ("age", "sex")])
    )


def _shuffled(table: CountTable, rng: random.Random) -> CountTable:
    rows, columns = list(table.rows), list(table.columns)
    rng.shuffle(rows)
    rng.shuffle(columns)
    cells = list(table.cells.items())
    rng.shuffle(cells)
    return replace(table, rows=tuple(rows), columns=tuple(columns), cells=dict(cells))


def test_the_pattern_is_deterministic_and_independent_of_the_order_of_tables_rows_and_columns() -> None:
    tables = _release(3)
    expected = pattern(protect(tables, POLICY))
    assert any(expected.values())
    assert pattern(protect(tables, POLICY)) == expected
    rng = random.Random(11)
    for _ in range(3):
        shuffled = [_shuffled(table, rng) for table in tables]
        rng.shuffle(shuffled)
        published = protect(shuffled, POLICY)
        assert [item.table.table_id for item in published] == [t.table_id for t in shuffled]  # input order kept
        assert pattern(published) == expected


def test_a_previous_pattern_is_kept_when_the_counts_move_a_little() -> None:
    # Period 1: (a, f) = 3 is protected with the cheapest rectangle through column m's small
    # cells. Period 2: counts drift so that, alone, another rectangle would be cheaper.
    first = two_way("t", "ind", "age", "sex", {"a": {"f": 3, "m": 20, "x": 21}, "b": {"f": 30, "m": 22, "x": 23}})
    second = two_way("t", "ind", "age", "sex", {"a": {"f": 4, "m": 22, "x": 21}, "b": {"f": 29, "m": 23, "x": 22}})
    before = protect([first], POLICY)
    alone = protect([second], POLICY)
    kept = protect([second], POLICY, previous=suppressed_cells(before))
    assert set(before[0].suppressed) == {("a", "f"), ("a", "m"), ("b", "f"), ("b", "m")}
    assert set(alone[0].suppressed) == {("a", "f"), ("a", "x"), ("b", "f"), ("b", "x")}
    assert set(kept[0].suppressed) == set(before[0].suppressed)
    assert attack(kept) == []


def test_patterns_are_stable_over_consecutive_periods_of_a_whole_release() -> None:
    rng = random.Random(5)
    dims = {"age": ["a", "b", "c", "d"], "sex": ["f", "m", "x"], "nat": [f"n{i}" for i in range(8)]}
    persons = random_persons(rng, 200, dims)
    breakdowns = [(None, None), ("age", None), ("nat", None), ("age", "sex"), ("nat", "sex"), ("nat", "age")]
    period_one = release_from_persons(persons, "ind", dims, breakdowns)
    # The next period: a few persons more, none of them changing which cells are small.
    newcomers = [p for p in random_persons(rng, 400, dims) if p["nat"] in ("n0", "n1") and p["age"] in ("a", "b")][:6]
    period_two = release_from_persons([*persons, *newcomers], "ind", dims, breakdowns)
    first = protect(period_one, POLICY)
    small = {t.table_id: {c for c, n in t.cells.items() if POLICY.is_primary(n)} for t in period_one}
    assert small == {t.table_id: {c for c, n in t.cells.items() if POLICY.is_primary(n)} for t in period_two}
    second = protect(period_two, POLICY, previous=suppressed_cells(first))
    assert pattern(second) == pattern(first)
    assert attack(second) == []


def test_inconsistent_tables_are_refused_with_the_place_named() -> None:
    good = two_way("t", "ind", "age", "sex", {"a": {"f": 3, "m": 40}, "b": {"f": 30, "m": 50}})
    wrong_sum = replace(good, cells={**good.cells, ("a", TOTAL): 44})
    with pytest.raises(DisclosureError, match=r"table 't': row a adds up to 43 but its total is 44"):
        protect([wrong_sum], POLICY)
    other = one_way("u", "ind", "age", {"a": 44, "b": 80})
    with pytest.raises(
        DisclosureError, match=r"table 'u' cell \(a, TOTAL\) is 44 but the same persons are 43 in table 't'"
    ):
        protect([good, other], POLICY)
    with pytest.raises(DisclosureError, match="appears twice"):
        protect([good, good], POLICY)
    missing = replace(good, cells={k: v for k, v in good.cells.items() if k != ("b", "m")})
    with pytest.raises(DisclosureError, match=r"cell \(b, m\) is missing"):
        protect([missing], POLICY)
    negative = replace(good, cells={**good.cells, ("a", "f"): -1})
    with pytest.raises(DisclosureError, match=r"cell \(a, f\) is -1"):
        protect([negative], POLICY)


def test_the_policy_is_checked() -> None:
    with pytest.raises(ValueError, match="minimum_cell"):
        DisclosurePolicy(minimum_cell=0)
    with pytest.raises(ValueError, match="protection can be at most 4"):
        DisclosurePolicy(protection=5, reasons_public=True)
    assert DisclosurePolicy(protection=5).protection == 5


def test_nine_ones_cannot_be_protected_when_the_reasons_are_shown() -> None:
    # Nine nationalities with one person each in age band a, whose total (9) is below ten: a
    # reader who sees nine primary cells (each at least 1, zeros being published) and a primary
    # total (at most 9) knows every one of them.
    nationalities = [f"n{i}" for i in range(9)]
    matrix = {n: {"a": 1, "b": 20 + i} for i, n in enumerate(nationalities)}
    table = two_way("t", "ind", "nat", "age", matrix)
    with pytest.raises(DisclosureError, match="cannot be protected"):
        protect([table], DisclosurePolicy(reasons_public=True))
    published = protect([table], POLICY)
    assert attack(published) == []


def test_a_tiny_indicator_is_protected_through_its_grand_total() -> None:
    rng = random.Random(2)
    dims = {"age": ["a", "b", "c"], "sex": ["f", "m"]}
    persons = random_persons(rng, 6, dims)
    tables = release_from_persons(persons, "tiny", dims, [(None, None), ("age", None), ("sex", None), ("age", "sex")])
    published = protect(tables, POLICY)
    assert all(item.suppressed.get((TOTAL, TOTAL)) is Suppression.PRIMARY for item in published)
    assert attack(published) == []


def test_a_higher_protection_keeps_every_primary_cell_further_from_reach() -> None:
    tables = _release(8)
    for protection in (1, 3):
        published = protect(tables, DisclosurePolicy(protection=protection))
        assert attack(published, protection=protection) == []
    wide = protect(tables, DisclosurePolicy(protection=3))
    narrow = protect(tables, POLICY)
    assert sum(len(i.suppressed) for i in wide) >= sum(len(i.suppressed) for i in narrow)


def test_tables_of_different_indicators_are_protected_apart() -> None:
    dims = {"sex": ["f", "m"]}
    persons = [{"sex": "f"}] * 30 + [{"sex": "m"}] * 4
    first = table_from_persons(persons, "one", "sex", None, rows=dims["sex"])
    second = table_from_persons(persons[:25] + persons[-3:], "two", "sex", None, rows=dims["sex"])
    published = protect([first, second], POLICY)
    assert published[0].suppressed[("m", TOTAL)] is Suppression.PRIMARY
    assert published[1].suppressed[("m", TOTAL)] is Suppression.PRIMARY
    assert attack(published) == []
