"""The privacy budget spent on differentially private releases of statistics.

Each release of noisy counts spends part of a budget (epsilon); once a budget is spent, no
further release is made under it (rightsfirst.monitoring.dp). The ledger is kept here, beside
the data it protects, so that every process and every command sees the same total.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _


class PrivacyBudget(models.Model):
    """One budget id; its row is locked while a spend is checked and recorded."""

    budget_id = models.CharField(_("budget"), max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.budget_id


class PrivacySpend(models.Model):
    """Epsilon spent on one release, never changed afterwards."""

    budget = models.ForeignKey(PrivacyBudget, on_delete=models.PROTECT, related_name="spends")
    epsilon = models.FloatField()
    note = models.CharField(max_length=300)
    spent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    spent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["spent_at", "pk"]


class DatabaseLedger:
    """The dp.PrivacyLedger kept in the database: a spend checks and records in one transaction,
    with the budget's row locked, so two releases cannot both take the last of a budget."""

    def __init__(self, user: object | None = None) -> None:
        self.user = user

    def spent(self, budget_id: str) -> float:
        return math.fsum(PrivacySpend.objects.filter(budget__budget_id=budget_id).values_list("epsilon", flat=True))

    def spend(self, budget_id: str, epsilon: float, note: str, *, limit: float | None = None) -> None:
        from rightsfirst.monitoring import dp  # OpenDP only where a noisy release is made

        with transaction.atomic():
            budget, _created = PrivacyBudget.objects.get_or_create(budget_id=budget_id)
            PrivacyBudget.objects.select_for_update().filter(pk=budget.pk).get()
            already = self.spent(budget_id)
            if not math.isfinite(epsilon) or epsilon <= 0:
                raise ValueError(f"epsilon to spend must be a positive number, not {epsilon!r}")
            if limit is not None and already + epsilon > limit + dp.TOLERANCE:
                raise dp.BudgetExceeded(budget_id, limit, already, epsilon)
            user = self.user if getattr(self.user, "is_authenticated", False) else None
            PrivacySpend.objects.create(budget=budget, epsilon=epsilon, note=note[:300], spent_by=user)
