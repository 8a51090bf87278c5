"""Measures: decisions or acts concerning the person, and their specification (version 1).

Every measure has a `type` and the facts that the obligations about it turn on. As with
situations, a fact left out means "not known"; the review then asks for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from rightsfirst.engine.spec import FieldSpec, InputError, ObjectSpec, parse_object

MEASURE_SCHEMA_VERSION = "1"


def _b(name: str, description: str) -> FieldSpec:
    return FieldSpec(name, "bool", description)


def _c(name: str, description: str, choices: tuple[str, ...]) -> FieldSpec:
    return FieldSpec(name, "choice", description, choices=choices)


BEST_INTERESTS = _b("best_interests", "For a child: shown, case by case, to be in the child's best interests.")

TYPE_FIELDS: dict[str, tuple[str, tuple[FieldSpec, ...]]] = {
    "identification_decision": (
        "A decision on whether the person is a presumed or identified victim.",
        (
            _c("decision", "The decision taken.", ("presumed_victim", "identified", "not_identified")),
            _c(
                "reason_if_negative",
                "Why the person was not identified.",
                (
                    "no_means",
                    "no_movement",
                    "no_border_crossing",
                    "consent",
                    "no_exploitation_yet",
                    "not_cooperating",
                    "insufficient_evidence",
                    "other",
                ),
            ),
            _b(
                "depends_on_cooperation",
                "The decision was made to depend on the person's cooperation with the authorities.",
            ),
        ),
    ),
    "detention": (
        "Any deprivation of liberty: prisons, police cells, immigration detention, shelters or "
        "other facilities the person may not leave.",
        (
            _c(
                "facility",
                "Where the person is held.",
                (
                    "immigration_detention",
                    "police_cell",
                    "prison",
                    "closed_shelter",
                    "child_welfare_facility",
                    "hospital",
                    "other",
                ),
            ),
            _c(
                "basis", "Routine (a general policy or practice) or decided for this person.", ("routine", "individual")
            ),
            _c(
                "reason",
                "Why the person is held.",
                (
                    "immigration_status",
                    "status_offence",
                    "unrelated_offence",
                    "protection",
                    "cooperation",
                    "public_order",
                    "other",
                ),
            ),
            _b("necessity", "Shown to be necessary (a last resort, e.g. a credible and specific threat)."),
            _b("legality", "Provided for by law."),
            _b("proportionality", "Proportionate to its aim and as short as possible."),
            _b(
                "judicial_oversight",
                "Under judicial (or independent) oversight of its continuing legality and necessity.",
            ),
            _b("right_to_challenge", "The person can challenge it before a court."),
            BEST_INTERESTS,
            _b("no_alternative", "For a child: shown that no reasonable alternative exists."),
            FieldSpec("duration_days", "number", "Length of the detention in days.", minimum=0),
        ),
    ),
    "prosecution": (
        "Charging or prosecuting the person for an offence.",
        (
            _c(
                "offence",
                "The offence.",
                (
                    "illegal_entry",
                    "illegal_stay",
                    "illegal_work",
                    "no_valid_visa",
                    "false_documents",
                    "prostitution",
                    "solicitation",
                    "begging",
                    "petty_crime",
                    "drug_offence",
                    "unauthorised_departure",
                    "violent_offence",
                    "other",
                ),
            ),
            _b("direct_consequence", "The offence was a direct consequence of the person being trafficked."),
            _b("compelled", "The person was compelled to commit it."),
            _b("duress_defence_available", "The person can raise duress or coercion as a defence."),
        ),
    ),
    "support_offer": (
        "An offer of support or a service (shelter, care, counselling, legal help, …).",
        (
            _c(
                "service",
                "The service.",
                (
                    "shelter",
                    "medical_care",
                    "psychological_care",
                    "counselling",
                    "legal_assistance",
                    "interpretation",
                    "financial_support",
                    "housing",
                    "education",
                    "employment",
                    "other",
                ),
            ),
            _b("conditional_on_cooperation", "Made to depend on cooperating with the authorities."),
            _b("conditional_on_testimony", "Made to depend on giving evidence or testifying."),
            _b("mandatory", "The person is required to accept it."),
            _b("can_leave", "For accommodation: the person is free to leave."),
            _b("refusal_affects_other_support", "Refusing it takes away other support or status."),
            BEST_INTERESTS,
        ),
    ),
    "testing": (
        "A medical test (HIV, sexually transmitted infections, other diseases, drugs, pregnancy).",
        (
            _c(
                "test",
                "The test.",
                ("hiv", "sexually_transmitted_infection", "other_disease", "pregnancy", "drugs", "other"),
            ),
            _b("mandatory", "The person is required to take it."),
            _b("requested_by_person", "The person asked for it."),
            _b("consent", "The person gave informed consent."),
            _b("counselling", "Counselling is given before and after the test."),
            _b("confidential", "The test and its result are kept strictly confidential."),
            _b("punitive_consequence", "A positive result leads to a punitive or restrictive measure."),
            BEST_INTERESTS,
        ),
    ),
    "disclosure": (
        "Disclosing information that identifies the person.",
        (
            _c(
                "audience",
                "Who receives it.",
                (
                    "public",
                    "media",
                    "court",
                    "authorities_destination",
                    "authorities_origin",
                    "family",
                    "other_agency",
                    "employer",
                    "other",
                ),
            ),
            _b("identity_revealed", "The information identifies the person (name, image, location, details)."),
            _b("consent", "The person (or a child's guardian) gave informed consent."),
            _b("risks_explained", "The person was warned in advance of the limits of identity protection."),
            _b("fair_trial_necessity", "Needed for an accused person's right to a fair trial."),
            _b("legal_basis", "A law provides for the disclosure."),
            _b("exceptional_circumstances", "For a child: exceptional circumstances justify it."),
            BEST_INTERESTS,
        ),
    ),
    "reflection_period": (
        "A decision on a recovery and reflection period.",
        (
            _b("granted", "The period was granted."),
            FieldSpec("days", "number", "Length granted, in days.", minimum=0),
            _b("conditional_on_cooperation", "Made to depend on cooperation."),
        ),
    ),
    "residence_permit": (
        "A decision on a residence permit.",
        (
            _b("granted", "The permit was granted."),
            FieldSpec("months", "number", "Length of the permit in months.", minimum=0),
            _b("right_to_work", "The permit allows the person to work."),
            _b("conditional_on_cooperation", "Made to depend on cooperation."),
            _c("grounds", "Grounds for the permit.", ("reflection", "proceedings", "humanitarian", "remedy", "other")),
            _b(
                "proceedings_pending",
                "Proceedings involving the person (criminal, civil, labour, compensation) are pending.",
            ),
        ),
    ),
    "return": (
        "Return or removal of the person to their country of origin or a third country.",
        (
            _b("voluntary", "The person wants to return (informed, free agreement)."),
            _b("risk_assessment", "An individual pre-return risk and safety assessment was made."),
            _b(
                "serious_risk",
                "There is a serious risk of persecution, torture, ill-treatment, reprisals or re-trafficking.",
            ),
            _b(
                "proceedings_pending",
                "Proceedings involving the person (criminal, civil, labour, compensation) are pending.",
            ),
            _b(
                "informed_agreement_to_leave_during_proceedings",
                "The person, informed of the pending proceedings, agrees to leave.",
            ),
            _b("asylum_claim_pending", "An asylum claim is pending."),
            _b("best_interests_determination", "For a child: a best-interests determination supports the return."),
            _b("child_views_heard", "For a child: the child's views were heard and weighed."),
            _b("legal_basis", "The removal is in accordance with the law."),
            _b("due_process", "The person could present reasons against removal to a competent authority."),
            _b("reintegration_support", "Reintegration support is arranged."),
            _b("alternatives_offered", "Legal alternatives to return (residence, resettlement) were offered."),
            _b("protection_on_arrival", "Protection on arrival is arranged with the country of return."),
            _b("during_reflection_period", "The return falls within the recovery and reflection period."),
            _c("destination", "Where the person is returned to.", ("country_of_origin", "third_country")),
        ),
    ),
    "investigation": (
        "The investigation of suspected traffickers.",
        (
            _b("opened", "An investigation was opened."),
            _b(
                "depends_on_victim_testimony",
                "The investigation relies on, or waits for, the person's testimony alone.",
            ),
            _b("officials_implicated", "Public officials are alleged to be involved."),
            _b("independent", "The investigation is independent of the implicated officials."),
        ),
    ),
    "compensation": (
        "A compensation claim or other remedy.",
        (
            _b("information_given", "The person was told about remedies in a language they understand."),
            _b("legal_assistance", "The person has legal assistance for the claim."),
            _b(
                "barred_by_immigration_status",
                "The claim is refused or blocked because of the person's immigration status.",
            ),
            _b("requires_conviction", "Compensation is made to depend on a trafficker's conviction."),
            _b("person_can_remain", "The person can stay in the country until the claim is decided."),
            FieldSpec("amount_claimed", "number", "Amount claimed.", minimum=0),
            FieldSpec("amount_awarded", "number", "Amount awarded.", minimum=0),
            FieldSpec("amount_paid", "number", "Amount paid.", minimum=0),
            _b("paid_from_confiscated_assets", "Paid from confiscated assets of traffickers."),
        ),
    ),
    "age_assessment": (
        "An assessment of the person's age.",
        (
            _c(
                "method",
                "How the age is assessed.",
                ("documents", "interview", "medical", "multidisciplinary", "other"),
            ),
            _b("treated_as_child_pending", "The person is treated as a child until the result."),
            _b("consent", "Informed consent was given (by the person and a guardian)."),
            _b("invasive", "The method is medically invasive (e.g. X-rays, intimate examination)."),
            _b("benefit_of_doubt", "Any doubt in the result is resolved in favour of the person being a child."),
            FieldSpec("outcome_age", "number", "The assessed age.", minimum=0, maximum=130),
        ),
    ),
    "guardian_appointment": (
        "Appointment of a guardian for a child.",
        (
            _b("appointed", "A guardian was appointed."),
            _b("independent", "The guardian is independent of the authorities deciding on the child's case."),
        ),
    ),
    "family_tracing": (
        "Tracing a child's family, and any reunion.",
        (
            _b("risk_assessment", "A risk assessment was made first."),
            _b("child_consulted", "The child was consulted."),
            _b("reunification", "The measure reunites the child with the family."),
            BEST_INTERESTS,
            _b("confidential", "The tracing does not reveal the child's whereabouts to people who could harm them."),
        ),
    ),
    "best_interests_determination": (
        "A determination of the child's best interests.",
        (
            _b("conducted", "The determination was carried out."),
            _b("child_views_heard", "The child's views were heard."),
            _b("multidisciplinary", "It involved the relevant professionals and the guardian."),
            _c(
                "purpose",
                "What it decides.",
                ("return", "placement", "care", "proceedings", "durable_solution", "other"),
            ),
        ),
    ),
    "child_views": (
        "Hearing the child's views in a decision about them.",
        (
            _b("heard", "The child's views were heard."),
            _b("capable_of_forming_views", "The child is able to form views."),
            _b("information_given", "The child received information suited to their age."),
            _b("due_weight", "The views were given weight according to age and maturity."),
        ),
    ),
    "witness_protection": (
        "Protection of the person (and family) as a witness or complainant.",
        (
            _b("risk_assessed", "The risk to the person and family was assessed."),
            _b("protection_provided", "Protection measures are in place."),
            _b("family_protected", "Family members at risk are protected too."),
            _b("identity_protected", "The person's identity is protected in the proceedings."),
            _b("conditional_on_testimony", "Protection depends on testifying."),
            _b(
                "safety_subordinated_to_prosecution",
                "The person's safety was put below the interests of the prosecution.",
            ),
        ),
    ),
    "suspect_release_notification": (
        "Release from custody of a person arrested for, or convicted of, exploiting the person.",
        (
            _b("notified_before_release", "The person was told before the release."),
            _b("safety_considered", "The person's and family's safety was weighed in the release decision."),
        ),
    ),
    "emigration_restriction": (
        "A restriction on leaving the country, adopted to prevent trafficking.",
        (
            _c(
                "targets",
                "Who the restriction applies to.",
                ("women", "girls", "women_and_girls", "children", "ethnic_group", "everyone", "other"),
            ),
            _b("provided_by_law", "It is provided for by law."),
            _b("necessary", "It is strictly necessary."),
            _b("proportionate", "It is proportionate to its aim."),
            _b("non_discriminatory", "It does not single out people by sex, ethnicity or another status."),
        ),
    ),
    "legal_proceedings": (
        "The person's participation in a legal proceeding.",
        (
            _c("proceeding", "The kind of proceeding.", ("criminal", "civil", "labour", "administrative")),
            _c("role", "The person's role.", ("witness", "complainant", "party", "defendant", "victim")),
            _b("interpreter", "A qualified interpreter is provided."),
            _b("legal_representation", "The person has legal representation (free if unable to pay)."),
            _b("informed_of_progress", "The person is told of the scope, timing, progress and outcome."),
            _b("views_presented", "The person's views and concerns can be presented."),
            _b("character_evidence_used", "The person's past, 'character' or occupation is used against them."),
            _b("sexual_violence", "The person suffered sexual violence."),
            _b("special_measures", "Evidence can be given in camera or by other protective means."),
        ),
    ),
}

ALIASES = {
    "removal": "return",
    "deportation": "return",
    "repatriation": "return",
    "penalty": "prosecution",
    "service": "support_offer",
    "support": "support_offer",
    "remedy": "compensation",
    "guardian": "guardian_appointment",
}

COMMON_FIELDS = (
    FieldSpec("date", "date", "When the measure was (or is to be) taken."),
    FieldSpec(
        "justification",
        "text",
        "The recorded reasons for the measure, where a review asks for a justification.",
    ),
)
COMMON_IGNORED = frozenset({"type", "id", "title", "description", "notes", "decided_by"})

MEASURE_SPECS: dict[str, ObjectSpec] = {
    measure_type: ObjectSpec(
        f"measure ({measure_type})",
        description,
        COMMON_FIELDS + fields,
        ignored_keys=COMMON_IGNORED,
        descriptive=True,
    )
    for measure_type, (description, fields) in TYPE_FIELDS.items()
}
MEASURE_TYPES = tuple(MEASURE_SPECS)


@dataclass(frozen=True, slots=True)
class Measure:
    """A decision or act concerning the person, with the facts the review needs."""

    type: str
    date: dt.date | None
    facts: Mapping[str, Any]

    def flag(self, name: str) -> bool | None:
        """A yes/no fact: True, False, or None when not known."""
        # Types were checked when the measure was parsed.
        return self.facts.get(name)

    def choice(self, name: str) -> str | None:
        """A chosen value, or None when not known."""
        return self.facts.get(name)

    def number(self, name: str) -> float | None:
        """A number, or None when not known."""
        return self.facts.get(name)


def measure_from_data(data: Any, path: str = "") -> Measure:
    """Validate raw data as a measure of a known type and build the typed object."""
    if not isinstance(data, dict):
        raise InputError(path, "expected a mapping with a `type` and the measure's facts")
    raw_type = data.get("type")
    type_path = f"{path}.type" if path else "type"
    if raw_type is None:
        raise InputError(type_path, "every measure needs a type", MEASURE_TYPES)
    if not isinstance(raw_type, str):
        raise InputError(type_path, "the type must be text", MEASURE_TYPES)
    measure_type = ALIASES.get(raw_type, raw_type)
    if measure_type not in MEASURE_SPECS:
        raise InputError(type_path, f"{raw_type!r} is not a known measure type", MEASURE_TYPES)
    parsed = parse_object(MEASURE_SPECS[measure_type], data, path)
    date = parsed.pop("date")
    return Measure(measure_type, date, MappingProxyType(parsed))
