"""The measures of the synthetic records: one block per measure type, built with numpy.

Rates and shapes are assumptions (see generator.py): detention for a small minority, support
offers mostly unconditional, compensation claimed for a minority of identified persons and
paid to fewer. A measure whose recorded facts breach an obligation is marked as a violation of
the matching engine rule and, like a measure the application saved, almost always overridden.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rightsfirst.monitoring.generator_blocks import FACT_CHOICES, Block, Blocks, Draw

Facts = dict[str, tuple[np.ndarray, np.ndarray]]
Violations = list[tuple[np.ndarray, str]]  # (which measures, rule label), first match wins


def _choice(
    draw: Draw, name: str, weights: Mapping[str, float], size: int, recorded: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    names = tuple(weights)
    codes = np.array([FACT_CHOICES[name].index(value) for value in names])[draw.choice(names, weights, size)]
    return codes, draw.rng.random(size) < recorded


def _is(fact: tuple[np.ndarray, np.ndarray], value: object = True) -> np.ndarray:
    values, recorded = fact
    return np.asarray(recorded & (values == value), dtype=bool)


def _block(
    blocks: Blocks,
    draw: Draw,
    measure_type: str,
    case_index: np.ndarray,
    decided_on: np.ndarray,
    end: int,
    facts: Facts,
    violations: Violations,
) -> None:
    rule = np.full(len(case_index), -1)
    for mask, label in reversed(violations):
        rule[mask] = blocks.rule_code(measure_type, label)
    keep = decided_on <= end
    blocks.add(
        Block(
            measure_type,
            case_index[keep],
            decided_on[keep],
            {name: (values[keep], recorded[keep]) for name, (values, recorded) in facts.items()},
            (rule >= 0)[keep],
            rule[keep],
        )
    )


def _some(draw: Draw, mask: np.ndarray, rate: float) -> np.ndarray:
    return np.flatnonzero(mask & (draw.rng.random(len(mask)) < rate))


def add_measures(
    blocks: Blocks, draw: Draw, state: Mapping[str, np.ndarray], end: int, agencies: tuple[str, ...]
) -> None:
    """Every measure type's block for the cases described by `state` (generator._cases)."""
    blocks.draw, blocks.agencies, blocks.agency_of_case = draw, agencies, state["agency"]
    rng, n = draw.rng, len(state["referred"])
    everyone = np.ones(n, dtype=bool)

    # Identification decisions: the presumption, the identification, negative decisions.
    for mask, day, decision in (
        (state["presumed"], state["presumed_on"], "presumed_victim"),
        (state["identified"], state["identified_on"], "identified"),
        (state["negative"], state["negative_on"], "not_identified"),
    ):
        cases = np.flatnonzero(mask)
        size = len(cases)
        depends = draw.flag(size, 0.02, 0.80)
        reasons = {
            "insufficient_evidence": 40,
            "no_means": 15,
            "consent": 5,
            "not_cooperating": 5,
            "other": 20,
            "no_movement": 5,
            "no_border_crossing": 5,
            "no_exploitation_yet": 5,
        }
        reason = _choice(draw, "reason_if_negative", reasons, size, 1.0 if decision == "not_identified" else 0.0)
        facts = {
            "decision": _choice(draw, "decision", {decision: 1}, size),
            "reason_if_negative": reason,
            "depends_on_cooperation": depends,
        }
        not_cooperating = _is(reason, FACT_CHOICES["reason_if_negative"].index("not_cooperating"))
        consent = _is(reason, FACT_CHOICES["reason_if_negative"].index("consent"))
        violations = [
            (_is(depends) | not_cooperating, "not_conditional_on_cooperation"),
            (consent, "consent_irrelevant"),
        ]
        _block(blocks, draw, "identification_decision", cases, day[cases], end, facts, violations)

    # Support offers: about one and a half per presumed victim, mostly without conditions.
    cases = np.repeat(np.arange(n), np.where(state["presumed"], rng.poisson(1.5, n), 0))
    size = len(cases)
    services = {
        "shelter": 20,
        "medical_care": 15,
        "psychological_care": 12,
        "counselling": 12,
        "legal_assistance": 12,
        "interpretation": 8,
        "financial_support": 8,
        "housing": 5,
        "education": 3,
        "employment": 3,
        "other": 2,
    }
    facts = {
        "service": _choice(draw, "service", services, size),
        "conditional_on_cooperation": draw.flag(size, 0.03, 0.80),
        "conditional_on_testimony": draw.flag(size, 0.01, 0.80),
        "mandatory": draw.flag(size, 0.01, 0.90),
        "can_leave": draw.flag(size, 0.90, 0.03),
    }
    conditional = _is(facts["conditional_on_cooperation"]) | _is(facts["conditional_on_testimony"])
    violations = [
        (conditional, "conditional_on_cooperation"),
        (_is(facts["mandatory"]), "forced_support"),
        (_is(facts["can_leave"], False), "closed_accommodation"),
    ]
    day = state["presumed_on"][cases] + rng.integers(0, 120, size)
    _block(blocks, draw, "support_offer", cases, day, end, facts, violations)

    # Detention: a small minority, some before any presumption, some after a negative decision.
    cases = _some(draw, everyone, 0.06)
    size = len(cases)
    facilities = {
        "immigration_detention": 35,
        "police_cell": 20,
        "prison": 10,
        "closed_shelter": 20,
        "child_welfare_facility": 5,
        "hospital": 5,
        "other": 5,
    }
    reasons = {
        "immigration_status": 40,
        "status_offence": 10,
        "unrelated_offence": 10,
        "protection": 25,
        "cooperation": 5,
        "public_order": 5,
        "other": 5,
    }
    facts = {
        "facility": _choice(draw, "facility", facilities, size),
        "basis": _choice(draw, "basis", {"routine": 40, "individual": 60}, size, 0.9),
        "reason": _choice(draw, "reason", reasons, size, 0.95),
        "necessity": draw.flag(size, 0.3, 0.4),
        "judicial_oversight": draw.flag(size, 0.4, 0.3),
        "duration_days": (rng.geometric(1 / 12, size).astype(float), rng.random(size) < 0.8),
    }
    immigration = _is(facts["facility"], FACT_CHOICES["facility"].index("immigration_detention"))
    violations = [
        (immigration, "immigration_detention"),
        (_is(facts["basis"], FACT_CHOICES["basis"].index("routine")), "routine_detention"),
        (rng.random(size) < 0.3, "case_by_case_justification"),
    ]
    day = state["referred"][cases] + rng.integers(-15, 180, size)
    _block(blocks, draw, "detention", cases, day, end, facts, violations)

    # Prosecution or penalties.
    cases = _some(draw, everyone, 0.03)
    size = len(cases)
    offences = {
        "illegal_stay": 20,
        "illegal_entry": 10,
        "illegal_work": 15,
        "false_documents": 10,
        "no_valid_visa": 5,
        "prostitution": 8,
        "solicitation": 3,
        "begging": 5,
        "petty_crime": 10,
        "drug_offence": 6,
        "violent_offence": 4,
        "unauthorised_departure": 1,
        "other": 3,
    }
    facts = {"offence": _choice(draw, "offence", offences, size), "direct_consequence": draw.flag(size, 0.5, 0.3)}
    status = np.isin(
        facts["offence"][0],
        [
            FACT_CHOICES["offence"].index(o)
            for o in (
                "illegal_stay",
                "illegal_entry",
                "illegal_work",
                "false_documents",
                "no_valid_visa",
                "prostitution",
                "solicitation",
            )
        ],
    )
    violations = [(status, "status_offence"), (_is(facts["direct_consequence"]), "consequence_of_trafficking")]
    _block(
        blocks,
        draw,
        "prosecution",
        cases,
        state["referred"][cases] + rng.integers(-30, 240, size),
        end,
        facts,
        violations,
    )

    # Medical tests; some required of the person.
    cases = _some(draw, everyone, 0.08)
    size = len(cases)
    tests = {
        "hiv": 30,
        "sexually_transmitted_infection": 25,
        "other_disease": 20,
        "pregnancy": 10,
        "drugs": 10,
        "other": 5,
    }
    facts = {
        "test": _choice(draw, "test", tests, size),
        "mandatory": draw.flag(size, 0.12, 0.80),
        "consent": draw.flag(size, 0.8, 0.1),
    }
    violations = [(_is(facts["mandatory"]), "mandatory_testing")]
    _block(blocks, draw, "testing", cases, state["referred"][cases] + rng.integers(0, 60, size), end, facts, violations)

    _later_measures(blocks, draw, state, end)


def _later_measures(blocks: Blocks, draw: Draw, state: Mapping[str, np.ndarray], end: int) -> None:
    rng, n = draw.rng, len(state["referred"])
    everyone = np.ones(n, dtype=bool)

    # Recovery and reflection periods for presumed victims.
    cases = _some(draw, state["presumed"], 0.45)
    size = len(cases)
    granted = draw.flag(size, 0.88, 0.10)
    days = np.array([30.0, 45.0, 60.0, 90.0, 180.0])[
        draw.choice((0, 1, 2, 3, 4), {0: 15, 1: 20, 2: 35, 3: 20, 4: 10}, size)
    ]
    facts = {
        "granted": granted,
        "days": (days, _is(granted) & (rng.random(size) < 0.95)),
        "conditional_on_cooperation": draw.flag(size, 0.02, 0.85),
    }
    violations = [
        (_is(granted, False), "reflection_period_refused"),
        (_is(facts["conditional_on_cooperation"]), "reflection_period_conditional"),
    ]
    _block(
        blocks,
        draw,
        "reflection_period",
        cases,
        state["presumed_on"][cases] + rng.integers(0, 10, size),
        end,
        facts,
        violations,
    )

    # Residence permits for identified victims.
    cases = _some(draw, state["identified"], 0.22)
    size = len(cases)
    grounds = {"reflection": 15, "proceedings": 40, "humanitarian": 25, "remedy": 5, "other": 15}
    facts = {
        "granted": draw.flag(size, 0.78, 0.2),
        "grounds": _choice(draw, "grounds", grounds, size, 0.95),
        "proceedings_pending": draw.flag(size, 0.45, 0.40),
        "conditional_on_cooperation": draw.flag(size, 0.10, 0.75),
        "right_to_work": draw.flag(size, 0.7, 0.2),
        "months": (rng.choice([6.0, 12.0, 24.0], size), rng.random(size) < 0.7),
    }
    refused_pending = _is(facts["granted"], False) & _is(facts["proceedings_pending"])
    violations = [
        (refused_pending, "refused_during_proceedings"),
        (_is(facts["conditional_on_cooperation"]), "conditional_on_cooperation"),
    ]
    _block(
        blocks,
        draw,
        "residence_permit",
        cases,
        state["identified_on"][cases] + rng.integers(0, 120, size),
        end,
        facts,
        violations,
    )

    # Returns.
    cases = _some(draw, everyone, 0.08)
    size = len(cases)
    facts = {
        "voluntary": draw.flag(size, 0.60, 0.30),
        "risk_assessment": draw.flag(size, 0.55, 0.25),
        "serious_risk": draw.flag(size, 0.05, 0.6),
        "destination": _choice(draw, "destination", {"country_of_origin": 92, "third_country": 8}, size, 0.9),
    }
    violations = [
        (_is(facts["serious_risk"]) & ~_is(facts["voluntary"]), "non_refoulement"),
        (_is(facts["risk_assessment"], False), "risk_assessment"),
    ]
    _block(
        blocks, draw, "return", cases, state["referred"][cases] + rng.integers(30, 400, size), end, facts, violations
    )

    # Investigations of the suspected traffickers.
    cases = _some(draw, state["presumed"], 0.35)
    size = len(cases)
    facts = {"opened": draw.flag(size, 0.85, 0.10), "depends_on_victim_testimony": draw.flag(size, 0.05, 0.6)}
    violations = [(_is(facts["depends_on_victim_testimony"]), "reliance_on_victim_testimony")]
    _block(
        blocks,
        draw,
        "investigation",
        cases,
        state["presumed_on"][cases] + rng.integers(0, 200, size),
        end,
        facts,
        violations,
    )

    # Compensation: claimed for a minority of identified persons, awarded to half, paid to fewer.
    cases = _some(draw, state["identified"], 0.12)
    size = len(cases)
    claimed = np.round(rng.lognormal(np.log(8000), 1.0, size))
    awarded = np.round(claimed * rng.uniform(0.2, 1.0, size))
    paid = np.round(awarded * rng.uniform(0.3, 1.0, size))
    is_awarded = rng.random(size) < 0.5
    is_paid = is_awarded & (rng.random(size) < 0.6)
    facts = {
        "amount_claimed": (claimed, rng.random(size) < 0.9),
        "amount_awarded": (awarded, is_awarded),
        "amount_paid": (paid, is_paid),
        "paid_from_confiscated_assets": (rng.random(size) < 0.25, is_paid),
        "barred_by_immigration_status": draw.flag(size, 0.03, 0.7),
    }
    violations = [(_is(facts["barred_by_immigration_status"]), "status_no_bar")]
    _block(
        blocks,
        draw,
        "compensation",
        cases,
        state["identified_on"][cases] + rng.integers(30, 500, size),
        end,
        facts,
        violations,
    )

    # Guardians for children, most within days of referral.
    cases = _some(draw, state["child"], 0.85)
    size = len(cases)
    facts = {"appointed": draw.flag(size, 0.95, 0.03), "independent": draw.flag(size, 0.8, 0.1)}
    violations = [(_is(facts["appointed"], False), "guardian_required")]
    _block(
        blocks,
        draw,
        "guardian_appointment",
        cases,
        state["referred"][cases] + rng.geometric(1 / 3, size) - 1,
        end,
        facts,
        violations,
    )

    # Participation in legal proceedings.
    cases = _some(draw, state["identified"], 0.2)
    size = len(cases)
    facts = {
        "proceeding": _choice(
            draw, "proceeding", {"criminal": 60, "civil": 15, "labour": 15, "administrative": 10}, size
        ),
        "role": _choice(draw, "role", {"witness": 50, "complainant": 25, "party": 10, "victim": 15}, size),
        "interpreter": draw.flag(size, 0.8, 0.1),
    }
    _block(
        blocks,
        draw,
        "legal_proceedings",
        cases,
        state["identified_on"][cases] + rng.integers(30, 300, size),
        end,
        facts,
        [],
    )
