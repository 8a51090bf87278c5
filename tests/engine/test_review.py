"""Review rules, one row per rule (and per branch that matters), against the public `review` call.

Each row of CASES names the rule it expects to fire and the outcome of that rule's finding;
ABSENT_CASES show facts that keep a rule from firing. `test_every_rule_is_covered` fails when a
rule is registered without a row, so every new rule needs a test here.
"""

from __future__ import annotations

from typing import Any

import pytest

from rightsfirst.engine import (
    MEASURE_TYPES,
    ReviewResult,
    ScreeningResult,
    case_from_data,
    measure_from_data,
    person_from_data,
    review,
    screen,
    situation_from_data,
)
from rightsfirst.engine.results import OUTCOME_RANK
from rightsfirst.engine.review_rules import RULES
from rightsfirst.framework.model import Framework
from tests.conftest import AT

VIOLATION = "violation"
JUSTIFY = "requires_justification"
OK = "ok"

Data = dict[str, Any]
# (id, measure, person, case, rule expected to fire, outcome of that rule's finding)
Row = tuple[str, Data, Data | None, Data | None, str, str]
# (id, measure, person, case, rules that must not fire, overall outcome)
AbsentRow = tuple[str, Data, Data | None, Data | None, tuple[str, ...], str]

ADULT: Data = {"age": 30, "non_national": True}
NATIONAL_ADULT: Data = {"age": 30, "non_national": False}
CHILD: Data = {"age": 15, "non_national": True}
MAYBE_CHILD: Data = {"stated_age": 16, "non_national": True}  # no established age: presumption of age
ASYLUM_SEEKER: Data = {"age": 30, "non_national": True, "asylum_seeker": True}

PRESUMED: Data = {"victim_status": "presumed"}
IDENTIFIED: Data = {"victim_status": "identified"}
GROUNDS: Data = {"reasonable_grounds_on": "2026-02-01"}  # presumed victim from the date
POSSIBLE: Data = {"victim_status": "possible"}
NOT_ESTABLISHED: Data = {"victim_status": "not_established"}
PENDING_TRIAL: Data = {
    "victim_status": "presumed",
    "proceedings": [{"kind": "criminal", "role": "witness", "started_on": "2026-01-10"}],
}
ENDED_TRIAL: Data = {
    "victim_status": "presumed",
    "proceedings": [{"kind": "criminal", "role": "witness", "started_on": "2025-06-01", "ended_on": "2026-02-01"}],
}
REFERRED: Data = {"victim_status": "presumed", "referred_on": "2026-02-02"}  # a Monday

SAFEGUARDS: Data = {
    "necessity": True,
    "legality": True,
    "proportionality": True,
    "judicial_oversight": True,
    "right_to_challenge": True,
}
CHILD_SAFEGUARDS: Data = {**SAFEGUARDS, "best_interests": True, "no_alternative": True}
SHELTER: Data = {"type": "detention", "facility": "closed_shelter", "basis": "individual", "reason": "protection"}


def _m(measure_type: str, **facts: Any) -> Data:
    return {"type": measure_type, **facts}


CASES: list[Row] = [
    # --- identification_decision -----------------------------------------------------------
    (
        "child refused for lack of means",
        _m("identification_decision", decision="not_identified", reason_if_negative="no_means"),
        CHILD,
        POSSIBLE,
        "identification_decision.child_needs_no_means",
        VIOLATION,
    ),
    (
        "presumed child (stated age) refused for lack of means",
        _m("identification_decision", decision="not_identified", reason_if_negative="no_means"),
        MAYBE_CHILD,
        POSSIBLE,
        "identification_decision.child_needs_no_means",
        VIOLATION,
    ),
    (
        "refused because not moved",
        _m("identification_decision", decision="not_identified", reason_if_negative="no_movement"),
        ADULT,
        POSSIBLE,
        "identification_decision.movement_not_required",
        VIOLATION,
    ),
    (
        "refused because no border crossed",
        _m("identification_decision", decision="not_identified", reason_if_negative="no_border_crossing"),
        NATIONAL_ADULT,
        POSSIBLE,
        "identification_decision.movement_not_required",
        VIOLATION,
    ),
    (
        "refused because an adult consented, means not yet known",
        _m("identification_decision", decision="not_identified", reason_if_negative="consent"),
        ADULT,
        POSSIBLE,
        "identification_decision.consent_irrelevant",
        JUSTIFY,
    ),
    (
        "refused because a child consented",
        _m("identification_decision", decision="not_identified", reason_if_negative="consent"),
        CHILD,
        POSSIBLE,
        "identification_decision.consent_irrelevant",
        VIOLATION,
    ),
    (
        "refused because exploitation had not happened yet",
        _m("identification_decision", decision="not_identified", reason_if_negative="no_exploitation_yet"),
        ADULT,
        POSSIBLE,
        "identification_decision.exploitation_need_not_have_happened",
        VIOLATION,
    ),
    (
        "refused for not cooperating",
        _m("identification_decision", decision="not_identified", reason_if_negative="not_cooperating"),
        ADULT,
        POSSIBLE,
        "identification_decision.not_conditional_on_cooperation",
        VIOLATION,
    ),
    (
        "identified, but made to depend on cooperation",
        _m("identification_decision", decision="identified", depends_on_cooperation=True),
        ADULT,
        POSSIBLE,
        "identification_decision.not_conditional_on_cooperation",
        VIOLATION,
    ),
    (
        "decision after 5 working days",
        _m("identification_decision", decision="presumed_victim", date="2026-02-20"),
        ADULT,
        REFERRED,
        "identification_decision.prompt_decision",
        JUSTIFY,
    ),
    # --- detention ---------------------------------------------------------------------------
    (
        "presumed victim held for immigration status",
        _m("detention", facility="police_cell", basis="individual", reason="immigration_status"),
        ADULT,
        PRESUMED,
        "detention.status_related_detention",
        VIOLATION,
    ),
    (
        "victim (reasonable grounds) held for a status offence",
        _m("detention", facility="prison", basis="individual", reason="status_offence"),
        ADULT,
        GROUNDS,
        "detention.status_related_detention",
        VIOLATION,
    ),
    (
        "presumed victim in immigration detention",
        _m("detention", facility="immigration_detention", **SAFEGUARDS),
        ADULT,
        PRESUMED,
        "detention.immigration_detention",
        VIOLATION,
    ),
    (
        "identified victim in immigration detention",
        _m("detention", facility="immigration_detention"),
        ADULT,
        IDENTIFIED,
        "detention.immigration_detention",
        VIOLATION,
    ),
    (
        "routine closed shelter for a presumed victim",
        {**SHELTER, "basis": "routine", **SAFEGUARDS},
        ADULT,
        PRESUMED,
        "detention.routine_detention",
        VIOLATION,
    ),
    (
        "held to secure cooperation",
        {**SHELTER, "reason": "cooperation", **SAFEGUARDS},
        ADULT,
        PRESUMED,
        "detention.detention_to_secure_cooperation",
        VIOLATION,
    ),
    (
        "child victim in a police cell",
        _m("detention", facility="police_cell", basis="individual", reason="protection", **CHILD_SAFEGUARDS),
        CHILD,
        PRESUMED,
        "detention.child_in_law_enforcement_facility",
        VIOLATION,
    ),
    (
        "possible child victim in prison",
        _m("detention", facility="prison", basis="individual", reason="unrelated_offence"),
        MAYBE_CHILD,
        POSSIBLE,
        "detention.child_in_law_enforcement_facility",
        VIOLATION,
    ),
    (
        "adult closed shelter, only necessity and legality shown",
        {**SHELTER, "necessity": True, "legality": True},
        ADULT,
        PRESUMED,
        "detention.case_by_case_justification",
        JUSTIFY,
    ),
    (
        "child closed shelter with the five adult safeguards only",
        {**SHELTER, **SAFEGUARDS},
        CHILD,
        PRESUMED,
        "detention.case_by_case_justification",
        JUSTIFY,
    ),
    (
        "possible child victim in a closed shelter without safeguards",
        SHELTER,
        MAYBE_CHILD,
        POSSIBLE,
        "detention.case_by_case_justification",
        JUSTIFY,
    ),
    (
        "possible victim held before identification is finished",
        _m("detention", facility="immigration_detention", reason="immigration_status"),
        ADULT,
        POSSIBLE,
        "detention.identification_incomplete",
        JUSTIFY,
    ),
    # --- prosecution -------------------------------------------------------------------------
    (
        "presumed victim charged with illegal entry",
        _m("prosecution", offence="illegal_entry"),
        ADULT,
        PRESUMED,
        "prosecution.status_offence",
        VIOLATION,
    ),
    (
        "identified victim charged with false documents",
        _m("prosecution", offence="false_documents"),
        ADULT,
        IDENTIFIED,
        "prosecution.status_offence",
        VIOLATION,
    ),
    (
        "returned victim punished for leaving without permission",
        _m("prosecution", offence="unauthorised_departure"),
        NATIONAL_ADULT,
        PRESUMED,
        "prosecution.unauthorised_departure",
        VIOLATION,
    ),
    (
        "petty crime as a direct consequence of trafficking",
        _m("prosecution", offence="petty_crime", direct_consequence=True),
        ADULT,
        PRESUMED,
        "prosecution.consequence_of_trafficking",
        VIOLATION,
    ),
    (
        "compelled to beg",
        _m("prosecution", offence="begging", compelled=True),
        ADULT,
        PRESUMED,
        "prosecution.consequence_of_trafficking",
        VIOLATION,
    ),
    (
        "petty crime, link to trafficking not examined",
        _m("prosecution", offence="petty_crime"),
        ADULT,
        PRESUMED,
        "prosecution.consequence_of_trafficking",
        JUSTIFY,
    ),
    (
        "defendant without a duress defence",
        _m("prosecution", offence="drug_offence", direct_consequence=False),
        ADULT,
        PRESUMED,
        "prosecution.defendant_rights",
        JUSTIFY,
    ),
    (
        "possible victim charged with illegal stay",
        _m("prosecution", offence="illegal_stay"),
        ADULT,
        POSSIBLE,
        "prosecution.identification_incomplete",
        JUSTIFY,
    ),
    # --- support_offer -----------------------------------------------------------------------
    (
        "shelter only for those who cooperate",
        _m("support_offer", service="shelter", conditional_on_cooperation=True),
        ADULT,
        PRESUMED,
        "support_offer.conditional_on_cooperation",
        VIOLATION,
    ),
    (
        "counselling only for those who testify",
        _m("support_offer", service="counselling", conditional_on_testimony=True),
        ADULT,
        PRESUMED,
        "support_offer.conditional_on_cooperation",
        VIOLATION,
    ),
    (
        "adult required to accept care",
        _m("support_offer", service="psychological_care", mandatory=True),
        ADULT,
        PRESUMED,
        "support_offer.forced_support",
        VIOLATION,
    ),
    (
        "refusal takes away other support",
        _m("support_offer", service="medical_care", refusal_affects_other_support=True),
        ADULT,
        PRESUMED,
        "support_offer.forced_support",
        VIOLATION,
    ),
    (
        "child required to receive care, best interests not shown",
        _m("support_offer", service="medical_care", mandatory=True),
        CHILD,
        PRESUMED,
        "support_offer.child_care_without_consent",
        JUSTIFY,
    ),
    (
        "shelter the person may not leave",
        _m("support_offer", service="shelter", can_leave=False),
        ADULT,
        PRESUMED,
        "support_offer.closed_accommodation",
        JUSTIFY,
    ),
    # --- testing -----------------------------------------------------------------------------
    (
        "mandatory drug test for an adult",
        _m("testing", test="drugs", mandatory=True),
        ADULT,
        PRESUMED,
        "testing.mandatory_testing",
        VIOLATION,
    ),
    (
        "pregnancy test without consent",
        _m("testing", test="pregnancy", consent=False),
        ADULT,
        PRESUMED,
        "testing.mandatory_testing",
        VIOLATION,
    ),
    (
        "mandatory HIV test for a child",
        _m("testing", test="hiv", mandatory=True, best_interests=True),
        CHILD,
        PRESUMED,
        "testing.mandatory_testing",
        VIOLATION,
    ),
    (
        "mandatory drug test for a child, best interests not shown",
        _m("testing", test="drugs", mandatory=True),
        CHILD,
        PRESUMED,
        "testing.child_testing_best_interests",
        JUSTIFY,
    ),
    (
        "HIV result leads to a punitive measure",
        _m("testing", test="hiv", requested_by_person=True, punitive_consequence=True),
        ADULT,
        PRESUMED,
        "testing.hiv_test_only_on_request",
        VIOLATION,
    ),
    (
        "STI result not kept confidential",
        _m("testing", test="sexually_transmitted_infection", requested_by_person=True, confidential=False),
        ADULT,
        PRESUMED,
        "testing.hiv_test_only_on_request",
        VIOLATION,
    ),
    (
        "HIV test the person did not ask for, though they agreed",
        _m("testing", test="hiv", requested_by_person=False, consent=True),
        ADULT,
        PRESUMED,
        "testing.hiv_test_only_on_request",
        JUSTIFY,
    ),
    (
        "HIV test the person neither asked for nor agreed to",
        _m("testing", test="hiv", requested_by_person=False, consent=False),
        ADULT,
        PRESUMED,
        "testing.hiv_test_only_on_request",
        VIOLATION,
    ),
    (
        "requested HIV test without counselling",
        _m("testing", test="hiv", requested_by_person=True, confidential=True, consent=True),
        ADULT,
        PRESUMED,
        "testing.hiv_test_only_on_request",
        JUSTIFY,
    ),
    # --- disclosure --------------------------------------------------------------------------
    (
        "identity given to the media without consent",
        _m("disclosure", audience="media", identity_revealed=True),
        ADULT,
        PRESUMED,
        "disclosure.public_disclosure",
        VIOLATION,
    ),
    (
        "identity made public with consent",
        _m("disclosure", audience="public", identity_revealed=True, consent=True),
        ADULT,
        PRESUMED,
        "disclosure.public_disclosure",
        JUSTIFY,
    ),
    (
        "child identity made public",
        _m("disclosure", audience="media", identity_revealed=True, consent=True),
        CHILD,
        PRESUMED,
        "disclosure.child_public_disclosure",
        VIOLATION,
    ),
    (
        "child identity made public in exceptional circumstances",
        _m("disclosure", audience="public", exceptional_circumstances=True, best_interests=True),
        CHILD,
        PRESUMED,
        "disclosure.child_public_disclosure",
        JUSTIFY,
    ),
    (
        "family told without consent",
        _m("disclosure", audience="family", identity_revealed=True, consent=False),
        ADULT,
        PRESUMED,
        "disclosure.family_without_consent",
        VIOLATION,
    ),
    (
        "asylum seeker's details to the country they fear",
        _m("disclosure", audience="authorities_origin", identity_revealed=True),
        ASYLUM_SEEKER,
        PRESUMED,
        "disclosure.origin_authorities",
        VIOLATION,
    ),
    (
        "details to another agency without consent",
        _m("disclosure", audience="other_agency", identity_revealed=True, consent=False),
        ADULT,
        PRESUMED,
        "disclosure.necessary_disclosure",
        JUSTIFY,
    ),
    (
        "details to a court without a fair-trial need",
        _m("disclosure", audience="court", identity_revealed=True),
        ADULT,
        PRESUMED,
        "disclosure.necessary_disclosure",
        JUSTIFY,
    ),
    # --- reflection_period -------------------------------------------------------------------
    (
        "reflection period refused to a victim from abroad",
        _m("reflection_period", granted=False),
        ADULT,
        PRESUMED,
        "reflection_period.reflection_period_refused",
        VIOLATION,
    ),
    (
        "reflection period refused, nationality not known",
        _m("reflection_period", granted=False),
        None,
        GROUNDS,
        "reflection_period.reflection_period_refused",
        VIOLATION,
    ),
    (
        "reflection period of 20 days",
        _m("reflection_period", granted=True, days=20),
        ADULT,
        PRESUMED,
        "reflection_period.reflection_period_too_short",
        VIOLATION,
    ),
    (
        "reflection period on condition of cooperation",
        _m("reflection_period", granted=True, days=30, conditional_on_cooperation=True),
        ADULT,
        PRESUMED,
        "reflection_period.reflection_period_conditional",
        VIOLATION,
    ),
    # --- residence_permit --------------------------------------------------------------------
    (
        "permit refused while a trial is pending",
        _m("residence_permit", granted=False, date="2026-02-20"),
        ADULT,
        PENDING_TRIAL,
        "residence_permit.refused_during_proceedings",
        VIOLATION,
    ),
    (
        "permit of 3 months",
        _m("residence_permit", granted=True, months=3, right_to_work=True),
        ADULT,
        PRESUMED,
        "residence_permit.initial_period_terms",
        JUSTIFY,
    ),
    (
        "permit without the right to work",
        _m("residence_permit", granted=True, months=6, right_to_work=False),
        ADULT,
        PRESUMED,
        "residence_permit.initial_period_terms",
        JUSTIFY,
    ),
    (
        "permit on condition of cooperation",
        _m("residence_permit", granted=True, months=6, right_to_work=True, conditional_on_cooperation=True),
        ADULT,
        PRESUMED,
        "residence_permit.conditional_on_cooperation",
        JUSTIFY,
    ),
    # --- return ------------------------------------------------------------------------------
    (
        "forced return despite a serious risk",
        _m("return", voluntary=False, serious_risk=True, risk_assessment=True),
        ADULT,
        NOT_ESTABLISHED,
        "return.non_refoulement",
        VIOLATION,
    ),
    (
        "voluntary return despite a serious risk",
        _m("return", voluntary=True, serious_risk=True, risk_assessment=True),
        ADULT,
        PRESUMED,
        "return.non_refoulement",
        JUSTIFY,
    ),
    (
        "return without a risk assessment",
        _m("return", voluntary=True, risk_assessment=False),
        ADULT,
        PRESUMED,
        "return.risk_assessment",
        VIOLATION,
    ),
    (
        "return, risk assessment not recorded",
        _m("return", voluntary=True),
        ADULT,
        PRESUMED,
        "return.risk_assessment",
        JUSTIFY,
    ),
    (
        "return while proceedings are pending (flag)",
        _m("return", voluntary=False, risk_assessment=True, proceedings_pending=True),
        ADULT,
        PRESUMED,
        "return.proceedings_pending",
        VIOLATION,
    ),
    (
        "return while proceedings are pending (case record)",
        _m("return", voluntary=False, risk_assessment=True, date="2026-02-25"),
        ADULT,
        PENDING_TRIAL,
        "return.proceedings_pending",
        VIOLATION,
    ),
    (
        "going home while proceedings are pending, agreement not recorded",
        _m("return", voluntary=True, risk_assessment=True, proceedings_pending=True),
        ADULT,
        PRESUMED,
        "return.proceedings_pending",
        JUSTIFY,
    ),
    (
        "forced removal within the initial residence period",
        _m("return", voluntary=False, risk_assessment=True, legal_basis=True, due_process=True, date="2026-05-01"),
        ADULT,
        {"reasonable_grounds_on": "2026-01-01"},
        "return.initial_residence_period",
        JUSTIFY,
    ),
    (
        "return without reintegration support",
        _m("return", voluntary=True, risk_assessment=True, serious_risk=False, reintegration_support=False),
        ADULT,
        PRESUMED,
        "return.reintegration",
        JUSTIFY,
    ),
    (
        "identity disclosed to an employer",
        _m("disclosure", audience="employer", identity_revealed=True),
        ADULT,
        PRESUMED,
        "disclosure.employer",
        VIOLATION,
    ),
    (
        "initial residence refused with no proceedings",
        _m("residence_permit", granted=False),
        ADULT,
        PRESUMED,
        "residence_permit.initial_residence_refused",
        JUSTIFY,
    ),
    (
        "removal during the reflection period (flag)",
        _m("return", voluntary=False, during_reflection_period=True, legal_basis=True, due_process=True),
        ADULT,
        PRESUMED,
        "return.during_reflection_period",
        VIOLATION,
    ),
    (
        "removal 9 days after reasonable grounds",
        _m("return", voluntary=False, risk_assessment=True, date="2026-03-01"),
        ADULT,
        {"reasonable_grounds_on": "2026-02-20"},
        "return.during_reflection_period",
        VIOLATION,
    ),
    (
        "person asks to go home during the reflection period",
        _m("return", voluntary=True, risk_assessment=True, serious_risk=False, during_reflection_period=True),
        ADULT,
        PRESUMED,
        "return.own_wish_to_go_home",
        OK,
    ),
    (
        "removal while the asylum claim is pending",
        _m("return", voluntary=False, asylum_claim_pending=True, risk_assessment=True),
        ASYLUM_SEEKER,
        NOT_ESTABLISHED,
        "return.asylum_claim_pending",
        VIOLATION,
    ),
    (
        "child returned against a best-interests determination",
        _m("return", voluntary=True, risk_assessment=True, best_interests_determination=False),
        CHILD,
        PRESUMED,
        "return.child_best_interests",
        VIOLATION,
    ),
    (
        "child returned, best-interests determination not recorded",
        _m("return", voluntary=True, risk_assessment=True, child_views_heard=True),
        CHILD,
        PRESUMED,
        "return.child_best_interests",
        JUSTIFY,
    ),
    (
        "child returned, views not recorded",
        _m("return", voluntary=True, risk_assessment=True, best_interests_determination=True),
        CHILD,
        PRESUMED,
        "return.child_views",
        JUSTIFY,
    ),
    (
        "child returned without hearing the child",
        _m("return", voluntary=True, risk_assessment=True, best_interests_determination=True, child_views_heard=False),
        CHILD,
        PRESUMED,
        "return.child_views",
        VIOLATION,
    ),
    (
        "expulsion without legal basis or due process",
        _m("return", voluntary=False, risk_assessment=True, serious_risk=False),
        ADULT,
        NOT_ESTABLISHED,
        "return.forced_return_due_process",
        JUSTIFY,
    ),
    (
        "removal before identification is finished",
        _m("return", voluntary=False, risk_assessment=True, legal_basis=True, due_process=True),
        ADULT,
        POSSIBLE,
        "return.identification_incomplete",
        JUSTIFY,
    ),
    # --- investigation -----------------------------------------------------------------------
    (
        "no investigation opened",
        _m("investigation", opened=False),
        ADULT,
        PRESUMED,
        "investigation.due_diligence",
        JUSTIFY,
    ),
    (
        "investigation waits for the victim's testimony",
        _m("investigation", opened=True, depends_on_victim_testimony=True),
        ADULT,
        PRESUMED,
        "investigation.reliance_on_victim_testimony",
        JUSTIFY,
    ),
    (
        "implicated officials investigate themselves",
        _m("investigation", opened=True, officials_implicated=True, independent=False),
        ADULT,
        PRESUMED,
        "investigation.official_complicity",
        VIOLATION,
    ),
    (
        "implicated officials, independence not shown",
        _m("investigation", opened=True, officials_implicated=True),
        ADULT,
        PRESUMED,
        "investigation.official_complicity",
        JUSTIFY,
    ),
    # --- compensation ------------------------------------------------------------------------
    (
        "claim barred by immigration status",
        _m("compensation", barred_by_immigration_status=True),
        ADULT,
        PRESUMED,
        "compensation.status_no_bar",
        VIOLATION,
    ),
    (
        "compensation only after a conviction",
        _m("compensation", requires_conviction=True),
        ADULT,
        PRESUMED,
        "compensation.status_no_bar",
        JUSTIFY,
    ),
    (
        "no information or legal help for the claim",
        _m("compensation", information_given=False, legal_assistance=False, person_can_remain=True),
        ADULT,
        PRESUMED,
        "compensation.access_to_remedies",
        VIOLATION,
    ),
    (
        "information and legal help for the claim not yet recorded",
        _m("compensation", person_can_remain=True),
        ADULT,
        PRESUMED,
        "compensation.access_to_remedies",
        JUSTIFY,
    ),
    # --- age_assessment ----------------------------------------------------------------------
    (
        "treated as an adult while age is assessed",
        _m("age_assessment", method="interview", treated_as_child_pending=False),
        MAYBE_CHILD,
        PRESUMED,
        "age_assessment.presumption_of_age",
        VIOLATION,
    ),
    (
        "medical age assessment without consent",
        _m("age_assessment", method="medical", treated_as_child_pending=True, benefit_of_doubt=True),
        MAYBE_CHILD,
        PRESUMED,
        "age_assessment.invasive_method",
        JUSTIFY,
    ),
    # --- guardian_appointment ----------------------------------------------------------------
    (
        "no guardian for a child",
        _m("guardian_appointment", appointed=False),
        CHILD,
        PRESUMED,
        "guardian_appointment.guardian_required",
        VIOLATION,
    ),
    (
        "no guardian for a person presumed to be a child",
        _m("guardian_appointment", appointed=False),
        MAYBE_CHILD,
        POSSIBLE,
        "guardian_appointment.guardian_required",
        VIOLATION,
    ),
    (
        "guardian appointed after 3 working days",
        _m("guardian_appointment", appointed=True, date="2026-02-16"),
        CHILD,
        REFERRED,
        "guardian_appointment.guardian_on_time",
        JUSTIFY,
    ),
    # --- family_tracing ----------------------------------------------------------------------
    (
        "reunion without a risk assessment",
        _m("family_tracing", reunification=True, risk_assessment=False, best_interests=True),
        CHILD,
        PRESUMED,
        "family_tracing.reunion_safeguards",
        VIOLATION,
    ),
    (
        "tracing without consulting the child",
        _m("family_tracing", risk_assessment=True, confidential=True),
        CHILD,
        PRESUMED,
        "family_tracing.reunion_safeguards",
        JUSTIFY,
    ),
    # --- best_interests_determination --------------------------------------------------------
    (
        "decision without a best-interests determination",
        _m("best_interests_determination", conducted=False),
        CHILD,
        PRESUMED,
        "best_interests_determination.determination_made",
        VIOLATION,
    ),
    (
        "best-interests determination without the child's views",
        _m("best_interests_determination", conducted=True, child_views_heard=False),
        CHILD,
        PRESUMED,
        "best_interests_determination.determination_made",
        JUSTIFY,
    ),
    # --- child_views -------------------------------------------------------------------------
    (
        "child able to form views not heard",
        _m("child_views", capable_of_forming_views=True, heard=False),
        CHILD,
        PRESUMED,
        "child_views.views_heard",
        VIOLATION,
    ),
    (
        "child heard without information or due weight",
        _m("child_views", heard=True),
        CHILD,
        PRESUMED,
        "child_views.views_heard",
        JUSTIFY,
    ),
    # --- witness_protection ------------------------------------------------------------------
    (
        "safety put below the prosecution",
        _m("witness_protection", risk_assessed=True, protection_provided=True, safety_subordinated_to_prosecution=True),
        ADULT,
        PRESUMED,
        "witness_protection.safety_first",
        VIOLATION,
    ),
    (
        "risk assessed, no protection",
        _m("witness_protection", risk_assessed=True, protection_provided=False),
        ADULT,
        PRESUMED,
        "witness_protection.safety_first",
        VIOLATION,
    ),
    (
        "protection only for those who testify",
        _m("witness_protection", risk_assessed=True, protection_provided=True, conditional_on_testimony=True),
        ADULT,
        PRESUMED,
        "witness_protection.safety_first",
        VIOLATION,
    ),
    (
        "an adult victim held in prison for their protection",
        _m(
            "detention",
            facility="prison",
            basis="individual",
            reason="protection",
            necessity=True,
            legality=True,
            proportionality=True,
            judicial_oversight=True,
            right_to_challenge=True,
        ),
        ADULT,
        PRESUMED,
        "detention.penal_custody",
        VIOLATION,
    ),
    (
        "risk not assessed",
        _m("witness_protection", protection_provided=True),
        ADULT,
        PRESUMED,
        "witness_protection.safety_first",
        JUSTIFY,
    ),
    # --- suspect_release_notification --------------------------------------------------------
    (
        "trafficker released without telling the person",
        _m("suspect_release_notification", notified_before_release=False),
        ADULT,
        PRESUMED,
        "suspect_release_notification.notify_before_release",
        VIOLATION,
    ),
    (
        "release without weighing the person's safety",
        _m("suspect_release_notification", notified_before_release=True),
        ADULT,
        PRESUMED,
        "suspect_release_notification.notify_before_release",
        JUSTIFY,
    ),
    # --- legal_proceedings -------------------------------------------------------------------
    (
        "character evidence used against the person",
        _m("legal_proceedings", character_evidence_used=True),
        ADULT,
        PRESUMED,
        "legal_proceedings.no_character_evidence",
        VIOLATION,
    ),
    (
        "survivor of sexual violence denied protective means",
        _m("legal_proceedings", sexual_violence=True, special_measures=False),
        ADULT,
        PRESUMED,
        "legal_proceedings.protective_means_of_evidence",
        VIOLATION,
    ),
    (
        "family of a witness left unprotected",
        _m("witness_protection", risk_assessed=True, protection_provided=True, family_protected=False),
        ADULT,
        PRESUMED,
        "witness_protection.family_protection",
        JUSTIFY,
    ),
    (
        "proceedings without an interpreter",
        _m(
            "legal_proceedings",
            interpreter=False,
            legal_representation=True,
            informed_of_progress=True,
            views_presented=True,
        ),
        ADULT,
        PRESUMED,
        "legal_proceedings.fair_treatment",
        VIOLATION,
    ),
    # --- emigration_restriction --------------------------------------------------------------
    (
        "exit ban for women and girls",
        _m("emigration_restriction", targets="women_and_girls", provided_by_law=True, necessary=True),
        None,
        None,
        "emigration_restriction.discriminatory_restriction",
        VIOLATION,
    ),
    (
        "exit ban recorded as discriminatory",
        _m("emigration_restriction", targets="other", non_discriminatory=False),
        None,
        None,
        "emigration_restriction.discriminatory_restriction",
        VIOLATION,
    ),
    (
        "exit ban for everyone, necessity not shown",
        _m("emigration_restriction", targets="everyone", provided_by_law=True, non_discriminatory=True),
        None,
        None,
        "emigration_restriction.lawful_restriction",
        JUSTIFY,
    ),
]

ABSENT_CASES: list[AbsentRow] = [
    (
        "adult refused for lack of means",
        _m("identification_decision", decision="not_identified", reason_if_negative="no_means"),
        ADULT,
        POSSIBLE,
        ("identification_decision.child_needs_no_means",),
        OK,
    ),
    (
        "decision on the 5th working day",
        _m("identification_decision", decision="presumed_victim", date="2026-02-09"),
        ADULT,
        REFERRED,
        ("identification_decision.prompt_decision",),
        OK,
    ),
    (
        "adult closed shelter with all five safeguards",
        {**SHELTER, **SAFEGUARDS},
        ADULT,
        PRESUMED,
        ("detention.case_by_case_justification", "detention.routine_detention"),
        OK,
    ),
    (
        "child welfare facility with all seven safeguards",
        {**SHELTER, "facility": "child_welfare_facility", **CHILD_SAFEGUARDS},
        CHILD,
        PRESUMED,
        ("detention.case_by_case_justification", "detention.child_in_law_enforcement_facility"),
        OK,
    ),
    (
        "immigration detention, trafficking not established",
        _m("detention", facility="immigration_detention", reason="immigration_status"),
        ADULT,
        NOT_ESTABLISHED,
        (
            "detention.immigration_detention",
            "detention.status_related_detention",
            "detention.identification_incomplete",
        ),
        OK,
    ),
    (
        "adult possible victim: no case-by-case weighing, only identification first",
        SHELTER,
        ADULT,
        POSSIBLE,
        ("detention.case_by_case_justification", "detention.immigration_detention"),
        JUSTIFY,
    ),
    (
        "immigration detention is not also weighed case by case",
        _m("detention", facility="immigration_detention", reason="immigration_status"),
        ADULT,
        PRESUMED,
        ("detention.case_by_case_justification",),
        VIOLATION,
    ),
    (
        "illegal entry charge, trafficking not established",
        _m("prosecution", offence="illegal_entry"),
        ADULT,
        NOT_ESTABLISHED,
        ("prosecution.status_offence", "prosecution.identification_incomplete"),
        OK,
    ),
    (
        "unrelated drug offence with a duress defence",
        _m("prosecution", offence="drug_offence", direct_consequence=False, duress_defence_available=True),
        ADULT,
        PRESUMED,
        ("prosecution.consequence_of_trafficking", "prosecution.defendant_rights"),
        OK,
    ),
    (
        "support not conditional",
        _m("support_offer", service="shelter", conditional_on_cooperation=False, can_leave=True, mandatory=False),
        ADULT,
        PRESUMED,
        (
            "support_offer.conditional_on_cooperation",
            "support_offer.forced_support",
            "support_offer.closed_accommodation",
        ),
        OK,
    ),
    (
        "child required to receive care in the child's best interests",
        _m("support_offer", service="medical_care", mandatory=True, best_interests=True),
        CHILD,
        PRESUMED,
        ("support_offer.forced_support", "support_offer.child_care_without_consent"),
        OK,
    ),
    (
        "HIV test requested, with counselling, confidential",
        _m("testing", test="hiv", requested_by_person=True, counselling=True, confidential=True, consent=True),
        ADULT,
        PRESUMED,
        ("testing.hiv_test_only_on_request", "testing.mandatory_testing"),
        OK,
    ),
    (
        "child drug test in the child's best interests",
        _m("testing", test="drugs", mandatory=True, best_interests=True),
        CHILD,
        PRESUMED,
        ("testing.mandatory_testing", "testing.child_testing_best_interests"),
        OK,
    ),
    (
        "court disclosure needed for a fair trial",
        _m("disclosure", audience="court", identity_revealed=True, fair_trial_necessity=True),
        ADULT,
        PRESUMED,
        ("disclosure.necessary_disclosure",),
        OK,
    ),
    (
        "anonymised information to the media",
        _m("disclosure", audience="media", identity_revealed=False),
        CHILD,
        PRESUMED,
        ("disclosure.public_disclosure", "disclosure.child_public_disclosure"),
        OK,
    ),
    (
        "details to another agency with consent",
        _m("disclosure", audience="other_agency", identity_revealed=True, consent=True),
        ADULT,
        PRESUMED,
        ("disclosure.necessary_disclosure",),
        OK,
    ),
    (
        "reflection period refused to a national",
        _m("reflection_period", granted=False),
        NATIONAL_ADULT,
        PRESUMED,
        ("reflection_period.reflection_period_refused",),
        OK,
    ),
    (
        "reflection period of 30 days",
        _m("reflection_period", granted=True, days=30),
        ADULT,
        PRESUMED,
        ("reflection_period.reflection_period_too_short",),
        OK,
    ),
    (
        "permit refused after the trial ended",
        _m("residence_permit", granted=False, date="2026-02-20"),
        ADULT,
        ENDED_TRIAL,
        ("residence_permit.refused_during_proceedings",),
        JUSTIFY,
    ),
    (
        "3-month permit on the grounds of proceedings",
        _m("residence_permit", granted=True, months=3, right_to_work=True, grounds="proceedings"),
        ADULT,
        PRESUMED,
        ("residence_permit.initial_period_terms",),
        OK,
    ),
    (
        "own wish to go home sets aside the reflection-period bar",
        _m(
            "return",
            reintegration_support=True,
            voluntary=True,
            risk_assessment=True,
            serious_risk=False,
            during_reflection_period=True,
        ),
        ADULT,
        PRESUMED,
        ("return.during_reflection_period", "return.forced_return_due_process", "return.non_refoulement"),
        OK,
    ),
    (
        "own wish to go home after reasonable grounds (dates)",
        _m(
            "return",
            reintegration_support=True,
            voluntary=True,
            risk_assessment=True,
            serious_risk=False,
            date="2026-03-01",
        ),
        ADULT,
        {"reasonable_grounds_on": "2026-02-20"},
        ("return.during_reflection_period",),
        OK,
    ),
    (
        "removal after the reflection and initial residence periods ended",
        _m(
            "return",
            reintegration_support=True,
            voluntary=False,
            risk_assessment=True,
            serious_risk=False,
            legal_basis=True,
            due_process=True,
            date="2026-08-01",
        ),
        ADULT,
        {"reasonable_grounds_on": "2026-01-01"},
        ("return.during_reflection_period", "return.forced_return_due_process"),
        OK,
    ),
    (
        "informed agreement to leave during proceedings",
        _m(
            "return",
            reintegration_support=True,
            voluntary=True,
            risk_assessment=True,
            proceedings_pending=True,
            informed_agreement_to_leave_during_proceedings=True,
        ),
        ADULT,
        PRESUMED,
        ("return.proceedings_pending",),
        OK,
    ),
    (
        "no risk assessment asked for when trafficking is not established",
        _m("return", voluntary=False, legal_basis=True, due_process=True),
        ADULT,
        NOT_ESTABLISHED,
        ("return.risk_assessment",),
        OK,
    ),
    (
        "voluntary return of a possible victim",
        _m("return", voluntary=True, risk_assessment=True),
        ADULT,
        POSSIBLE,
        ("return.identification_incomplete", "return.asylum_claim_pending"),
        OK,
    ),
    (
        "child return with determination and views",
        _m(
            "return",
            reintegration_support=True,
            voluntary=True,
            risk_assessment=True,
            best_interests_determination=True,
            child_views_heard=True,
        ),
        CHILD,
        PRESUMED,
        ("return.child_best_interests", "return.child_views"),
        OK,
    ),
    (
        "independent investigation of implicated officials",
        _m("investigation", opened=True, officials_implicated=True, independent=True),
        ADULT,
        PRESUMED,
        ("investigation.official_complicity", "investigation.due_diligence"),
        OK,
    ),
    (
        "medical age assessment with consent and benefit of the doubt",
        _m("age_assessment", method="medical", treated_as_child_pending=True, consent=True, benefit_of_doubt=True),
        MAYBE_CHILD,
        PRESUMED,
        ("age_assessment.invasive_method", "age_assessment.presumption_of_age"),
        OK,
    ),
    (
        "no guardian for an adult",
        _m("guardian_appointment", appointed=False),
        ADULT,
        PRESUMED,
        ("guardian_appointment.guardian_required",),
        OK,
    ),
    (
        "guardian appointed on the 3rd working day",
        _m("guardian_appointment", appointed=True, date="2026-02-05"),
        CHILD,
        REFERRED,
        ("guardian_appointment.guardian_on_time",),
        OK,
    ),
    (
        "child not yet able to form views",
        _m("child_views", capable_of_forming_views=False, heard=False),
        {"age": 3},
        PRESUMED,
        ("child_views.views_heard",),
        OK,
    ),
    (
        "discriminatory exit ban is not also weighed for proportionality",
        _m("emigration_restriction", targets="women", provided_by_law=True, necessary=True, proportionate=True),
        None,
        None,
        ("emigration_restriction.lawful_restriction",),
        VIOLATION,
    ),
]

# A measure of every type that no rule objects to, with the person and case it is reviewed for.
CLEAN_MEASURES: dict[str, tuple[Data, Data | None, Data | None]] = {
    "identification_decision": (
        _m("identification_decision", decision="identified", date="2026-02-03"),
        ADULT,
        REFERRED,
    ),
    "detention": ({**SHELTER, **SAFEGUARDS}, ADULT, PRESUMED),
    "prosecution": (
        _m("prosecution", offence="violent_offence", direct_consequence=False, duress_defence_available=True),
        ADULT,
        PRESUMED,
    ),
    "support_offer": (_m("support_offer", service="shelter", can_leave=True), ADULT, PRESUMED),
    "testing": (
        _m("testing", test="hiv", requested_by_person=True, counselling=True, confidential=True, consent=True),
        ADULT,
        PRESUMED,
    ),
    "disclosure": (_m("disclosure", audience="other_agency", identity_revealed=True, consent=True), ADULT, PRESUMED),
    "reflection_period": (_m("reflection_period", granted=True, days=30), ADULT, PRESUMED),
    "residence_permit": (_m("residence_permit", granted=True, months=6, right_to_work=True), ADULT, PRESUMED),
    "return": (
        _m(
            "return",
            reintegration_support=True,
            voluntary=False,
            risk_assessment=True,
            serious_risk=False,
            during_reflection_period=False,
            proceedings_pending=False,
            legal_basis=True,
            due_process=True,
        ),
        ADULT,
        IDENTIFIED,
    ),
    "investigation": (_m("investigation", opened=True, depends_on_victim_testimony=False), ADULT, PRESUMED),
    "compensation": (
        _m("compensation", information_given=True, legal_assistance=True, person_can_remain=True),
        ADULT,
        PRESUMED,
    ),
    "age_assessment": (_m("age_assessment", method="interview", treated_as_child_pending=True), MAYBE_CHILD, PRESUMED),
    "guardian_appointment": (_m("guardian_appointment", appointed=True, date="2026-02-04"), CHILD, REFERRED),
    "family_tracing": (
        _m("family_tracing", risk_assessment=True, child_consulted=True, confidential=True, reunification=False),
        CHILD,
        PRESUMED,
    ),
    "best_interests_determination": (
        _m("best_interests_determination", conducted=True, child_views_heard=True),
        CHILD,
        PRESUMED,
    ),
    "child_views": (_m("child_views", heard=True, information_given=True, due_weight=True), CHILD, PRESUMED),
    "witness_protection": (_m("witness_protection", risk_assessed=True, protection_provided=True), ADULT, PRESUMED),
    "suspect_release_notification": (
        _m("suspect_release_notification", notified_before_release=True, safety_considered=True),
        ADULT,
        PRESUMED,
    ),
    "emigration_restriction": (
        _m(
            "emigration_restriction",
            targets="everyone",
            provided_by_law=True,
            necessary=True,
            proportionate=True,
            non_discriminatory=True,
        ),
        None,
        None,
    ),
    "legal_proceedings": (
        _m(
            "legal_proceedings",
            interpreter=True,
            legal_representation=True,
            informed_of_progress=True,
            views_presented=True,
        ),
        ADULT,
        PRESUMED,
    ),
}

ALL_RULES = {f"{item.measure_type}.{item.label}" for rules in RULES.values() for item in rules}


def _review(
    framework: Framework,
    measure: Data,
    person: Data | None = None,
    case: Data | None = None,
    screening: ScreeningResult | None = None,
) -> ReviewResult:
    return review(
        measure_from_data(measure),
        AT,
        person_from_data(person) if person is not None else None,
        case_from_data(case) if case is not None else None,
        framework,
        screening,
    )


def _worst(result: ReviewResult) -> str:
    return max((finding.outcome for finding in result.findings), key=OUTCOME_RANK.__getitem__)


def _rules(result: ReviewResult) -> dict[str, str]:
    return {finding.rule: finding.outcome for finding in result.findings}


@pytest.mark.parametrize(
    ("measure", "person", "case", "rule", "outcome"),
    [row[1:] for row in CASES],
    ids=[row[0] for row in CASES],
)
def test_it_applies_the_rule(
    framework: Framework, measure: Data, person: Data | None, case: Data | None, rule: str, outcome: str
) -> None:
    result = _review(framework, measure, person, case)
    fired = _rules(result)
    assert rule in fired, f"{rule} did not fire; findings: {fired}"
    assert fired[rule] == outcome, result.explanation
    assert result.outcome == _worst(result)


@pytest.mark.parametrize(
    ("measure", "person", "case", "absent", "outcome"),
    [row[1:] for row in ABSENT_CASES],
    ids=[row[0] for row in ABSENT_CASES],
)
def test_it_does_not_apply_the_rule(
    framework: Framework,
    measure: Data,
    person: Data | None,
    case: Data | None,
    absent: tuple[str, ...],
    outcome: str,
) -> None:
    result = _review(framework, measure, person, case)
    fired = _rules(result)
    for rule in absent:
        assert rule in ALL_RULES, f"{rule} is not a registered rule"
        assert rule not in fired, f"{rule} fired: {result.explanation}"
    assert result.outcome == outcome, result.explanation
    assert result.outcome == _worst(result)


def test_row_ids_are_unique() -> None:
    ids = [row[0] for row in CASES] + [row[0] for row in ABSENT_CASES]
    assert len(ids) == len(set(ids))


# Rules that need a screening result are tested by their own functions below.
COVERED_BY_OWN_TESTS = {"identification_decision.contradicts_recorded_facts"}


def test_every_rule_is_covered() -> None:
    covered = {row[4] for row in CASES} | COVERED_BY_OWN_TESTS
    assert covered == ALL_RULES, f"without a row: {sorted(ALL_RULES - covered)}; unknown: {sorted(covered - ALL_RULES)}"


def test_every_outcome_row_matches_the_rule_kind() -> None:
    # Only exception rules say `ok` when they fire; every other rule objects.
    exceptions = {
        f"{item.measure_type}.{item.label}" for rules in RULES.values() for item in rules if item.exception_to
    }
    assert {row[4] for row in CASES if row[5] == OK} == exceptions


def test_the_exception_sets_the_general_rule_aside(framework: Framework) -> None:
    facts = _m(
        "return",
        voluntary=True,
        risk_assessment=True,
        serious_risk=False,
        during_reflection_period=True,
        reintegration_support=True,
    )
    result = _review(framework, facts, ADULT, PRESUMED)
    assert "return.own_wish_to_go_home" in _rules(result)
    assert "return.during_reflection_period" not in _rules(result)
    forced = _review(
        framework, {**facts, "voluntary": False, "legal_basis": True, "due_process": True}, ADULT, PRESUMED
    )
    assert _rules(forced)["return.during_reflection_period"] == VIOLATION
    assert "return.own_wish_to_go_home" not in _rules(forced)


def test_clean_measures_cover_every_type() -> None:
    assert set(CLEAN_MEASURES) == set(MEASURE_TYPES)


@pytest.mark.parametrize("measure_type", sorted(CLEAN_MEASURES))
def test_a_measure_no_rule_objects_to_is_ok(framework: Framework, measure_type: str) -> None:
    measure, person, case = CLEAN_MEASURES[measure_type]
    result = _review(framework, measure, person, case)
    assert result.outcome == OK, result.explanation
    assert len(result.findings) == 1, result.findings
    (finding,) = result.findings
    assert finding.rule == f"{measure_type}.no_breach"
    assert finding.outcome == OK
    assert finding.citations
    assert result.missing == ()
    assert "No obligation is breached" in result.explanation


def test_without_case_information_the_person_is_presumed_a_victim(framework: Framework) -> None:
    measure = _m("detention", facility="immigration_detention")
    result = _review(framework, measure, ADULT, None)
    assert result.assumptions
    assert any("presumed victim" in note for note in result.assumptions)
    assert _rules(result)["detention.immigration_detention"] == VIOLATION
    assert result.outcome == VIOLATION


def test_with_case_information_no_assumption_is_made(framework: Framework) -> None:
    result = _review(framework, _m("detention", facility="immigration_detention"), ADULT, PRESUMED)
    assert result.assumptions == ()


def test_a_screening_alone_gives_the_status(framework: Framework) -> None:
    screening = screen(situation_from_data({}), AT, framework)
    assert screening.finding == "insufficient_information"
    result = _review(framework, _m("detention", facility="immigration_detention"), ADULT, None, screening)
    assert result.assumptions == ()
    assert _rules(result) == {"detention.identification_incomplete": JUSTIFY}

    established = screen(
        situation_from_data({"actions": ["recruitment"], "means": ["deception"], "purposes": ["forced_labour"]}),
        AT,
        framework,
    )
    result = _review(framework, _m("detention", facility="immigration_detention"), ADULT, None, established)
    assert _rules(result)["detention.immigration_detention"] == VIOLATION


def test_not_established_means_the_protections_were_not_applied(framework: Framework) -> None:
    result = _review(framework, _m("detention", facility="immigration_detention"), ADULT, NOT_ESTABLISHED)
    assert result.outcome == OK
    (finding,) = result.findings
    assert finding.rule == "detention.no_breach"
    assert "protections owed to trafficked persons were not applied" in finding.reason
    assert "FS36.III.C.victim-identification" in finding.citations


def test_missing_names_the_unshown_safeguards(framework: Framework) -> None:
    result = _review(framework, {**SHELTER, "necessity": True, "legality": True}, ADULT, PRESUMED)
    assert result.outcome == JUSTIFY
    assert list(result.missing) == ["judicial_oversight", "proportionality", "right_to_challenge"]
    assert "judicial oversight" in result.explanation

    child = _review(framework, {**SHELTER, **SAFEGUARDS}, CHILD, PRESUMED)
    assert list(child.missing) == ["best_interests", "no_alternative"]


def test_missing_gathers_every_justification(framework: Framework) -> None:
    measure = _m("return", voluntary=True, serious_risk=True)
    result = _review(framework, measure, CHILD, PRESUMED)
    assert result.outcome == JUSTIFY
    assert list(result.missing) == [
        "alternatives_offered",
        "best_interests_determination",
        "child_views_heard",
        "protection_on_arrival",
        "reintegration_support",
        "risk_assessment",
    ]


def test_a_violation_explains_only_the_violations(framework: Framework) -> None:
    result = _review(framework, _m("prosecution", offence="illegal_entry"), ADULT, PRESUMED)
    assert result.outcome == VIOLATION
    assert result.explanation.startswith("This measure breaches the obligations")
    assert [finding.outcome for finding in result.findings] == sorted(
        (finding.outcome for finding in result.findings), key=lambda item: -OUTCOME_RANK[item]
    )


def _all_inputs() -> list[tuple[Data, Data | None, Data | None]]:
    rows = [(row[1], row[2], row[3]) for row in CASES] + [(row[1], row[2], row[3]) for row in ABSENT_CASES]
    return rows + list(CLEAN_MEASURES.values()) + [(_m("detention"), ADULT, NOT_ESTABLISHED)]


def test_every_citation_exists(framework: Framework) -> None:
    for measure, person, case in _all_inputs():
        result = _review(framework, measure, person, case)
        for finding in result.findings:
            assert finding.citations, finding.rule
            unknown = [item for item in finding.citations if item not in framework.provisions]
            assert not unknown, f"{finding.rule} cites unknown provisions {unknown}"
        assert set(result.citations) <= set(framework.provisions)


def test_every_registered_rule_cites_known_provisions(framework: Framework) -> None:
    for rules in RULES.values():
        for item in rules:
            assert item.citations, item.label
            assert all(provision in framework.provisions for provision in item.citations), item.label


def test_routine_detention_of_a_child_who_may_be_a_victim_is_a_violation(framework: Framework) -> None:
    """FS36 III.C: routine detention of suspected victims is always unlawful, never justifiable
    for children, and a child who may be a victim is presumed to be one."""
    result = _review(framework, {**SHELTER, "basis": "routine"}, MAYBE_CHILD, POSSIBLE)
    assert _rules(result) == {"detention.routine_detention": VIOLATION}


def test_consent_is_irrelevant_once_the_screening_shows_a_means(framework: Framework) -> None:
    from rightsfirst.engine import screen, situation_from_data

    situation = situation_from_data(
        {"person": {"age": 30}, "actions": ["recruitment"], "means": ["deception"], "purposes": ["forced_labour"]}
    )
    screening = screen(situation, AT, framework)
    measure = measure_from_data(
        {"type": "identification_decision", "decision": "not_identified", "reason_if_negative": "consent"}
    )
    result = review(measure, AT, situation.person, None, framework, screening)
    assert result.outcome == VIOLATION


def test_prosecution_for_prostitution_is_a_status_offence(framework: Framework) -> None:
    """HRS.6 lists prostitution and soliciting among the offences tied to being trafficked."""
    measure = measure_from_data({"type": "prosecution", "offence": "prostitution"})
    result = review(
        measure, AT, person_from_data({"age": 24}), case_from_data({"victim_status": "presumed"}), framework
    )
    assert _rules(result) == {"prosecution.status_offence": VIOLATION}


def test_prosecution_for_the_exploitation_itself_is_a_direct_consequence(framework: Framework) -> None:
    from rightsfirst.engine import screen, situation_from_data

    situation = situation_from_data({"person": {"age": 12}, "actions": ["recruitment"], "purposes": ["forced_begging"]})
    screening = screen(situation, AT, framework)
    measure = measure_from_data({"type": "penalty", "offence": "begging"})
    with_screening = review(measure, AT, situation.person, None, framework, screening)
    assert with_screening.outcome == VIOLATION
    without = review(measure, AT, situation.person, case_from_data({"victim_status": "presumed"}), framework)
    assert without.outcome == JUSTIFY
    assert "direct_consequence" in without.missing


def test_residence_refused_while_proceedings_are_pending_per_the_measure(framework: Framework) -> None:
    measure = measure_from_data({"type": "residence_permit", "granted": False, "proceedings_pending": True})
    result = review(measure, AT, person_from_data({"age": 30, "non_national": True}), None, framework)
    assert _rules(result) == {"residence_permit.refused_during_proceedings": VIOLATION}


def test_a_negative_decision_that_contradicts_the_screened_facts_is_flagged(framework: Framework) -> None:
    situation = situation_from_data(
        {"person": {"age": 30}, "actions": ["recruitment"], "means": ["deception"], "purposes": ["forced_labour"]}
    )
    screening = screen(situation, AT, framework)
    no_means = measure_from_data(
        {"type": "identification_decision", "decision": "not_identified", "reason_if_negative": "no_means"}
    )
    other = measure_from_data(
        {"type": "identification_decision", "decision": "not_identified", "reason_if_negative": "insufficient_evidence"}
    )
    assert (
        _rules(review(no_means, AT, situation.person, None, framework, screening))[
            "identification_decision.contradicts_recorded_facts"
        ]
        == VIOLATION
    )
    assert _rules(review(other, AT, situation.person, None, framework, screening)) == {
        "identification_decision.contradicts_recorded_facts": JUSTIFY
    }


def test_a_recorded_not_established_cannot_override_facts_that_establish_trafficking(framework: Framework) -> None:
    situation = situation_from_data(
        {"person": {"age": 30}, "actions": ["recruitment"], "means": ["threat"], "purposes": ["forced_labour"]}
    )
    screening = screen(situation, AT, framework)
    detention = measure_from_data({"type": "detention", "facility": "immigration_detention", "basis": "routine"})
    case = case_from_data({"victim_status": "not_established"})
    result = review(detention, AT, situation.person, case, framework, screening)
    assert result.outcome == VIOLATION


def test_everything_a_review_asks_to_record_can_be_recorded(framework: Framework) -> None:
    """Each name in `missing` is a field of that measure type, so a justification can be completed."""
    from rightsfirst.engine.measures import MEASURE_SPECS

    for measure, person, case in _all_inputs():
        result = _review(framework, measure, person, case)
        fields = set(MEASURE_SPECS[result.measure_type].field_names())
        assert set(result.missing) <= fields, (measure, result.missing)


def test_a_recorded_justification_leaves_nothing_missing(framework: Framework) -> None:
    late = {"referred_on": "2026-01-05"}
    decision = _m("identification_decision", decision="presumed_victim", date="2026-02-20")
    assert _review(framework, decision, ADULT, late).missing == ("justification",)
    justified = {**decision, "justification": "The person was in hospital until 16 February."}
    result = _review(framework, justified, ADULT, late)
    assert result.outcome == JUSTIFY
    assert result.missing == ()
