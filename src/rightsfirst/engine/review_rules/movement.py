"""Review rules for restrictions on leaving the country (freedom of movement, non-discrimination)."""

from __future__ import annotations

from rightsfirst.engine.measures import Measure
from rightsfirst.engine.review_rules.registry import (
    VIOLATION,
    Context,
    Verdict,
    required,
    rule,
)

# --- Emigration restrictions ---------------------------------------------------------------


@rule(
    "emigration_restriction",
    "discriminatory_restriction",
    "HRS.2",
    "RPG.G1.4",
    "RPG.G1.5",
    "RPG.G7.6",
    "FS36.III.H.freedom-of-movement",
    "FS36.III.H.non-discrimination",
)
def _discriminatory_restriction(measure: Measure, context: Context) -> Verdict | None:
    if (
        measure.choice("targets") in {"women", "girls", "women_and_girls", "ethnic_group"}
        or measure.flag("non_discriminatory") is False
    ):
        return Verdict(
            VIOLATION,
            "A restriction on leaving the country aimed at women and girls (or an ethnic group) "
            "discriminates and infringes freedom of movement.",
        )
    return None


@rule("emigration_restriction", "lawful_restriction", "FS36.III.H.freedom-of-movement", "RPG.G1.5", "HRS.2")
def _lawful_restriction(measure: Measure, context: Context) -> Verdict | None:
    if _discriminatory_restriction(measure, context) is not None:
        return None  # already a violation; the proportionality test adds nothing
    return required(
        measure,
        ("provided_by_law", "necessary", "proportionate", "non_discriminatory"),
        "A restriction on freedom of movement must be provided by law, strictly necessary, proportionate "
        "and non-discriminatory.",
    )
