"""The privacy budget ledger in the database: spending is checked and recorded in one step."""

from __future__ import annotations

from typing import Any

import pytest

from rightsfirst.monitoring import dp
from rightsfirst.monitoring.tables import TOTAL, CountTable
from rightsfirst.web.models import DatabaseLedger, PrivacySpend

pytestmark = pytest.mark.django_db


def _table() -> CountTable:
    cells = {("a", TOTAL): 40, ("b", TOTAL): 60, (TOTAL, TOTAL): 100}
    return CountTable("t", "persons_referred", "sex", None, ("a", "b"), (TOTAL,), cells)


def test_spending_adds_up_and_stops_at_the_limit(users: dict[str, Any]) -> None:
    ledger = DatabaseLedger(users["monitor"])
    ledger.spend("national", 0.4, "first release", limit=1.0)
    ledger.spend("national", 0.6, "second release", limit=1.0)
    assert ledger.spent("national") == pytest.approx(1.0)
    with pytest.raises(dp.BudgetExceeded) as refused:
        ledger.spend("national", 0.1, "third release", limit=1.0)
    assert "national" in str(refused.value) and "nothing was released" in str(refused.value)
    # The refused spend left no trace that could later be mistaken for budget spent.
    assert PrivacySpend.objects.count() == 2
    assert list(PrivacySpend.objects.values_list("note", "spent_by__username")) == [
        ("first release", "monitor"),
        ("second release", "monitor"),
    ]
    assert ledger.spent("another budget") == 0


def test_a_release_is_charged_before_any_noisy_number_exists() -> None:
    ledger = DatabaseLedger()
    tables = dp.release_with_budget([_table()], 0.5, ledger=ledger, budget_id="b", budget=1.0)
    assert len(tables) == 1 and ledger.spent("b") == pytest.approx(0.5)
    dp.release_with_budget([_table()], 0.5, ledger=ledger, budget_id="b", budget=1.0)
    with pytest.raises(dp.BudgetExceeded):
        dp.release_with_budget([_table()], 0.5, ledger=ledger, budget_id="b", budget=1.0)
    assert ledger.spent("b") == pytest.approx(1.0)


@pytest.mark.parametrize("epsilon", [0.0, -1.0, float("nan"), float("inf")])
def test_a_meaningless_epsilon_is_refused(epsilon: float) -> None:
    with pytest.raises(ValueError):
        DatabaseLedger().spend("b", epsilon, "bad")
    assert not PrivacySpend.objects.exists()
