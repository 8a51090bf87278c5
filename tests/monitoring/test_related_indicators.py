"""Disclosure control across indicators whose definitions tie them together.

Children detained are the detained persons whose `child` is `yes` (a *slice*); the persons
detained are among the presumed victims (a *subset*: a share's count and its denominator). A
reader of the published definitions knows both, so the attacker of these tests is told them,
and a release protected one indicator at a time must be shown to leak through them.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from rightsfirst.monitoring.disclosure import DisclosureError, DisclosurePolicy, Slice, Subset, protect
from rightsfirst.monitoring.tables import TOTAL, PublishedTable, Suppression
from tests.monitoring.disclosure_factory import random_persons, release_from_persons, table_from_persons
from tests.monitoring.suppression_attacker import attack, eliminate
from tests.monitoring.test_disclosure import one_way

POLICY = DisclosurePolicy()
CHILDREN_DETAINED = Slice("children_detained", of="detained", dimension="child", value="yes")
DETAINED_AMONG_PROTECTED = Subset("detained", of="protected")
CHILDREN_AMONG_PROTECTED_CHILDREN = Subset("children_detained", of="children_protected")
CHILDREN_PROTECTED = Slice("children_protected", of="protected", dimension="child", value="yes")
RELATIONS = (CHILDREN_DETAINED, DETAINED_AMONG_PROTECTED, CHILDREN_PROTECTED, CHILDREN_AMONG_PROTECTED_CHILDREN)


def _mark(published: list[PublishedTable], table_id: str, cell: tuple[str, str]) -> Suppression | None:
    [item] = [item for item in published if item.table.table_id == table_id]
    return item.suppressed.get(cell)


def test_a_slice_protected_on_its_own_gives_the_wider_table_away() -> None:
    # 12 children detained hide 3 persons of unknown age in the table by child; the children's
    # own table (5 girls, 7 boys) publishes its total, 12, and so gives the 3 away.
    by_child = one_way("detained/by_child", "detained", "child", {"yes": 12, "no": 50, "unknown": 3})
    children = one_way("children_detained/by_sex", "children_detained", "sex", {"f": 5, "m": 7})
    apart = protect([by_child, children], POLICY)
    assert _mark(apart, "detained/by_child", ("yes", TOTAL)) is Suppression.SECONDARY
    assert _mark(apart, "children_detained/by_sex", (TOTAL, TOTAL)) is None
    leaked = eliminate(apart, relations=[CHILDREN_DETAINED])
    assert any(f.table_id == "detained/by_child" and f.cell == ("unknown", TOTAL) and f.low == 3 for f in leaked)

    together = protect([by_child, children], POLICY, relations=[CHILDREN_DETAINED])
    # The same persons carry the same mark in both tables.
    assert _mark(together, "children_detained/by_sex", (TOTAL, TOTAL)) == _mark(
        together, "detained/by_child", ("yes", TOTAL)
    )
    assert attack(together, relations=[CHILDREN_DETAINED]) == []


def test_a_subset_protected_on_its_own_gives_its_wider_population_away() -> None:
    # 15 presumed victims, 1 woman; 14 detained, all men: at least 14 presumed victims were men,
    # so the one woman is known however the table of presumed victims is suppressed on its own.
    protected = one_way("protected/by_sex", "protected", "sex", {"f": 1, "m": 14})
    detained = one_way("detained/by_sex", "detained", "sex", {"f": 0, "m": 14})
    apart = protect([protected, detained], POLICY)
    assert _mark(apart, "protected/by_sex", ("f", TOTAL)) is Suppression.PRIMARY
    assert _mark(apart, "detained/by_sex", ("m", TOTAL)) is None
    leaked = attack(apart, relations=[DETAINED_AMONG_PROTECTED])
    assert any(f.table_id == "protected/by_sex" and f.cell == ("f", TOTAL) and f.high == 1 for f in leaked)

    together = protect([protected, detained], POLICY, relations=[DETAINED_AMONG_PROTECTED])
    # The men presumed stay published, so something else must hide how many were women.
    assert _mark(together, "protected/by_sex", ("m", TOTAL)) is None
    assert sum(len(item.suppressed) for item in together) > 1
    assert attack(together, relations=[DETAINED_AMONG_PROTECTED]) == []


def test_a_cell_equal_to_its_wider_cell_is_still_protected() -> None:
    # One child protected and that child detained: moving either alone breaks "at most";
    # the witness moves both.
    protected = one_way("protected/by_nat", "protected", "nat", {"n1": 1, "n2": 40, "n3": 30})
    detained = one_way("detained/by_nat", "detained", "nat", {"n1": 1, "n2": 20, "n3": 12})
    published = protect([protected, detained], POLICY, relations=[DETAINED_AMONG_PROTECTED])
    assert _mark(published, "detained/by_nat", ("n1", TOTAL)) is Suppression.PRIMARY
    assert attack(published, relations=[DETAINED_AMONG_PROTECTED], integer=True) == []


DIMS = {
    "child": ["yes", "no", "unknown"],
    "sex": ["f", "m", "x"],
    "nat": [f"n{i}" for i in range(7)],
}
WIDE = [(None, None), ("child", None), ("sex", None), ("nat", None), ("child", "sex"), ("nat", "child"), ("nat", "sex")]
SLICED = [(None, None), ("sex", None), ("nat", None), ("nat", "sex")]


@pytest.mark.parametrize("policy", [POLICY, DisclosurePolicy(protection=2)], ids=["default", "protection-2"])
def test_random_families_of_indicators_give_nothing_away(policy: DisclosurePolicy) -> None:
    marks: Counter[Suppression] = Counter()
    leaky_apart = 0
    for seed in range(10):
        rng = random.Random(500 + seed)
        protected_persons = random_persons(rng, rng.choice([40, 120, 300]), DIMS)
        detained_persons = [person for person in protected_persons if rng.random() < 0.45]
        tables = release_from_persons(protected_persons, "protected", DIMS, WIDE)
        tables += release_from_persons(detained_persons, "detained", DIMS, WIDE)
        for name, persons in (("children_protected", protected_persons), ("children_detained", detained_persons)):
            children = [person for person in persons if person["child"] == "yes"]
            tables += release_from_persons(children, name, DIMS, SLICED)
        published = protect(tables, policy, relations=RELATIONS)
        marks.update(mark for item in published for mark in item.suppressed.values())
        findings = attack(published, protection=policy.protection, relations=RELATIONS)
        assert findings == [], (seed, findings[:3])
        # The same tables protected one indicator at a time: the relations give cells away.
        apart = protect(tables, policy)
        leaky_apart += bool(attack(apart, protection=policy.protection, relations=RELATIONS))
    assert marks[Suppression.PRIMARY] > 200 and marks[Suppression.SECONDARY] > 50
    assert leaky_apart >= 3


def test_tables_that_contradict_a_relation_are_refused() -> None:
    detained = one_way("detained/by_sex", "detained", "sex", {"f": 3, "m": 14})
    protected = one_way("protected/by_sex", "protected", "sex", {"f": 4, "m": 12})
    with pytest.raises(DisclosureError, match=r"counts only persons 'protected' counts.*is 14.*only 12"):
        protect([detained, protected], POLICY, relations=[DETAINED_AMONG_PROTECTED])
    by_child = one_way("detained/by_child", "detained", "child", {"yes": 12, "no": 5})
    children = one_way("children_detained/by_sex", "children_detained", "sex", {"f": 5, "m": 8})
    with pytest.raises(DisclosureError, match="the same persons are"):
        protect([by_child, children], POLICY, relations=[CHILDREN_DETAINED])


def test_a_slice_cannot_be_broken_down_by_what_it_fixes() -> None:
    persons = [{"child": "yes", "sex": "f"}] * 12
    children = table_from_persons(persons, "children_detained", "child", None, rows=("yes", "no"))
    wider = table_from_persons(persons, "detained", "sex", None, rows=("f", "m"))
    with pytest.raises(DisclosureError, match="broken down by 'child'"):
        protect([children, wider], POLICY, relations=[CHILDREN_DETAINED])


def test_slices_in_a_circle_are_refused() -> None:
    a = one_way("a/by_sex", "a", "sex", {"f": 12, "m": 20})
    b = one_way("b/by_sex", "b", "sex", {"f": 12, "m": 20})
    circle = [Slice("a", of="b", dimension="child", value="yes"), Slice("b", of="a", dimension="child", value="yes")]
    with pytest.raises(DisclosureError, match="slices"):
        protect([a, b], POLICY, relations=circle)


def test_relations_of_indicators_not_in_the_release_are_left_aside() -> None:
    detained = one_way("detained/by_sex", "detained", "sex", {"f": 3, "m": 14})
    alone = protect([detained], POLICY)
    assert protect([detained], POLICY, relations=RELATIONS) == alone
