"""Entitlements: what the person is owed now and next, with basis, duty bearer and timing.

`declarations` holds the entitlements themselves; `evaluation` applies them to a person and a
case on a date.
"""

from rightsfirst.engine.entitlement_rules.declarations import (
    ALL_ENTITLEMENT_IDS,
    ALL_RULES,
    CHILDREN,
    GENERAL,
    PROCEEDINGS,
    EntitlementRule,
)
from rightsfirst.engine.entitlement_rules.evaluation import _PLANS, entitlements, victim_status

__all__ = [
    "ALL_ENTITLEMENT_IDS",
    "ALL_RULES",
    "CHILDREN",
    "GENERAL",
    "PROCEEDINGS",
    "_PLANS",
    "EntitlementRule",
    "entitlements",
    "victim_status",
]
