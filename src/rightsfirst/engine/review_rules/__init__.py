"""Review: check a measure against the obligations, rule by rule.

Each rule states when it fires, the verdict (violation, requires_justification) and the
provisions it rests on. A rule may be declared an exception to another: when the exception
fires, the general rule's verdict is set aside (e.g. a person who freely asks to go home may
leave during the reflection period). A measure no rule objects to is `ok`. The rules live in
one module per topic; importing this package registers them all.
"""

from rightsfirst.engine.review_rules import (  # noqa: F401 - imported to register their rules
    children,
    detention,
    disclosure,
    identification,
    justice,
    movement,
    prosecution,
    residence,
    returns,
    support,
)
from rightsfirst.engine.review_rules.conclusion import _conclude, review, review_context
from rightsfirst.engine.review_rules.registry import JUSTIFY, OK, RULES, VIOLATION, Context, Rule, Verdict, rule

__all__ = [
    "JUSTIFY",
    "OK",
    "RULES",
    "VIOLATION",
    "Context",
    "Rule",
    "Verdict",
    "_conclude",
    "review",
    "review_context",
    "rule",
]
