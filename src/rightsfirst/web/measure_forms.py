"""Forms for measures and decisions, built from the engine's own specification of each type.

The engine's MEASURE_SPECS is the one declaration of what each measure's facts are: the forms
here are derived from it, so a fact the engine starts to review appears in the form without a
second list to keep in step. What the engine does not review (dates of proceedings, heads of
damage, a reintegration plan ...) is asked for in per-type "details" and stored beside the facts.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rightsfirst import engine
from rightsfirst.engine.measures import MEASURE_SPECS
from rightsfirst.engine.spec import FieldSpec
from rightsfirst.web import adapter, two_factor
from rightsfirst.web.limits import MAX_PERIOD, MAX_TEXT, BoundedDateField
from rightsfirst.web.models import Agency
from rightsfirst.web.widgets import IsoDateInput

YES, NO, UNKNOWN = "yes", "no", "unknown"
NOT_KNOWN = gettext_lazy("Not known")
BOOL_CHOICES = [(YES, gettext_lazy("Yes")), (NO, gettext_lazy("No")), (UNKNOWN, gettext_lazy("I don't know"))]

# Free text in a measure form, as long as the API allows (limits.MAX_TEXT).
TEXT_MAX_LENGTH = MAX_TEXT

# The engine's common `date` is asked as `decided_on`; its `justification` keeps its name.
COMMON_FACTS = frozenset({"date", "justification"})

TYPE_LABELS: dict[str, Any] = {
    "identification_decision": gettext_lazy("Identification decision"),
    "detention": gettext_lazy("Detention or holding in a closed place"),
    "prosecution": gettext_lazy("Prosecution or penalty for an offence"),
    "support_offer": gettext_lazy("Offer of support or a service"),
    "testing": gettext_lazy("Medical test"),
    "disclosure": gettext_lazy("Disclosure of identifying information"),
    "reflection_period": gettext_lazy("Recovery and reflection period"),
    "residence_permit": gettext_lazy("Residence permit"),
    "return": gettext_lazy("Return to another country"),
    "investigation": gettext_lazy("Investigation of suspected traffickers"),
    "compensation": gettext_lazy("Claim for compensation or another remedy"),
    "age_assessment": gettext_lazy("Age assessment"),
    "guardian_appointment": gettext_lazy("Guardian appointment"),
    "family_tracing": gettext_lazy("Family tracing"),
    "best_interests_determination": gettext_lazy("Best-interests determination"),
    "child_views": gettext_lazy("Hearing the child's views"),
    "witness_protection": gettext_lazy("Protection as a witness"),
    "suspect_release_notification": gettext_lazy("Release of a suspect from custody"),
    "emigration_restriction": gettext_lazy("Restriction on leaving the country"),
    "legal_proceedings": gettext_lazy("Legal proceedings"),
}

# Grouped as case workers think of them, not as the law's chapters are ordered.
GROUPS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    (
        "status",
        gettext_lazy("Decisions on status"),
        ("identification_decision", "reflection_period", "residence_permit"),
    ),
    ("liberty", gettext_lazy("Liberty and penalties"), ("detention", "prosecution", "emigration_restriction")),
    ("support", gettext_lazy("Support"), ("support_offer",)),
    ("health", gettext_lazy("Health and privacy"), ("testing", "disclosure")),
    (
        "justice",
        gettext_lazy("Legal proceedings and remedies"),
        ("legal_proceedings", "witness_protection", "suspect_release_notification", "investigation", "compensation"),
    ),
    ("return", gettext_lazy("Return and durable solution"), ("return",)),
    (
        "children",
        gettext_lazy("Children"),
        ("age_assessment", "guardian_appointment", "best_interests_determination", "family_tracing", "child_views"),
    ),
)
GROUP_OF = {measure_type: key for key, _label, types in GROUPS for measure_type in types}

FIELD_LABELS: dict[str, Any] = {
    "alternatives_offered": gettext_lazy("Were legal alternatives to return (residence, resettlement) offered?"),
    "amount_awarded": gettext_lazy("Amount awarded"),
    "amount_claimed": gettext_lazy("Amount claimed"),
    "amount_paid": gettext_lazy("Amount paid"),
    "appointed": gettext_lazy("Was a guardian appointed?"),
    "asylum_claim_pending": gettext_lazy("Is an asylum claim pending?"),
    "audience": gettext_lazy("Who receives the information?"),
    "barred_by_immigration_status": gettext_lazy(
        "Is the claim refused or blocked because of the person's immigration status?"
    ),
    "basis": gettext_lazy("Is it a routine practice, or decided for this person?"),
    "benefit_of_doubt": gettext_lazy("Is any doubt in the result resolved in favour of the person being a child?"),
    "best_interests": gettext_lazy("For a child: is it shown, case by case, to be in the child's best interests?"),
    "best_interests_determination": gettext_lazy(
        "For a child: does a best-interests determination support the return?"
    ),
    "can_leave": gettext_lazy("For accommodation: is the person free to leave?"),
    "capable_of_forming_views": gettext_lazy("Is the child able to form views?"),
    "character_evidence_used": gettext_lazy("Is the person's past, 'character' or occupation used against them?"),
    "child_consulted": gettext_lazy("Was the child consulted?"),
    "child_views_heard": gettext_lazy("Were the child's views heard?"),
    "compelled": gettext_lazy("Was the person compelled to commit the offence?"),
    "conditional_on_cooperation": gettext_lazy("Is it made to depend on cooperating with the authorities?"),
    "conditional_on_testimony": gettext_lazy("Is it made to depend on giving evidence or testifying?"),
    "conducted": gettext_lazy("Was the determination carried out?"),
    "confidential": gettext_lazy("Is it kept strictly confidential?"),
    "consent": gettext_lazy("Did the person give informed consent?"),
    "counselling": gettext_lazy("Is counselling given before and after the test?"),
    "days": gettext_lazy("Days granted"),
    "decision": gettext_lazy("Decision"),
    "depends_on_cooperation": gettext_lazy(
        "Was the decision made to depend on the person's cooperation with the authorities?"
    ),
    "depends_on_victim_testimony": gettext_lazy(
        "Does the investigation rely on, or wait for, the person's testimony alone?"
    ),
    "destination": gettext_lazy("Returned to"),
    "direct_consequence": gettext_lazy("Was the offence a direct consequence of the person being trafficked?"),
    "due_process": gettext_lazy("Could the person present reasons against removal to a competent authority?"),
    "due_weight": gettext_lazy("Were the views given weight according to the child's age and maturity?"),
    "duration_days": gettext_lazy("Length of the detention (days)"),
    "duress_defence_available": gettext_lazy("Can the person raise duress or coercion as a defence?"),
    "during_reflection_period": gettext_lazy("Does the return fall within the recovery and reflection period?"),
    "exceptional_circumstances": gettext_lazy("For a child: do exceptional circumstances justify it?"),
    "facility": gettext_lazy("Where is the person held?"),
    "fair_trial_necessity": gettext_lazy("Is it needed for an accused person's right to a fair trial?"),
    "family_protected": gettext_lazy("Are family members at risk protected too?"),
    "granted": gettext_lazy("Was it granted?"),
    "grounds": gettext_lazy("Grounds for the permit"),
    "heard": gettext_lazy("Were the child's views heard?"),
    "identity_protected": gettext_lazy("Is the person's identity protected in the proceedings?"),
    "identity_revealed": gettext_lazy("Does the information identify the person (name, image, location, details)?"),
    "independent": gettext_lazy("Is it independent?"),
    "information_given": gettext_lazy("Was the information given in a way the person understands?"),
    "informed_agreement_to_leave_during_proceedings": gettext_lazy(
        "Does the person, informed of the pending proceedings, agree to leave?"
    ),
    "informed_of_progress": gettext_lazy("Is the person told of the scope, timing, progress and outcome?"),
    "interpreter": gettext_lazy("Is a qualified interpreter provided?"),
    "invasive": gettext_lazy("Is the method medically invasive (for example X-rays or an intimate examination)?"),
    "judicial_oversight": gettext_lazy(
        "Does a court (or an independent body) oversee whether it stays lawful and necessary?"
    ),
    "justification": gettext_lazy("Justification"),
    "legal_assistance": gettext_lazy("Does the person have legal assistance for the claim?"),
    "legal_basis": gettext_lazy("Does a law provide for it?"),
    "legal_representation": gettext_lazy("Does the person have legal representation (free if they cannot pay)?"),
    "legality": gettext_lazy("Is it provided for by law?"),
    "mandatory": gettext_lazy("Is the person required to accept it?"),
    "method": gettext_lazy("Method"),
    "months": gettext_lazy("Length of the permit (months)"),
    "multidisciplinary": gettext_lazy("Did it involve the relevant professionals and the guardian?"),
    "necessary": gettext_lazy("Is it strictly necessary?"),
    "necessity": gettext_lazy("Is it shown to be necessary, as a last resort (a credible and specific threat)?"),
    "no_alternative": gettext_lazy("For a child: is it shown that no reasonable alternative exists?"),
    "non_discriminatory": gettext_lazy("Does it avoid singling people out by sex, ethnicity or another status?"),
    "notified_before_release": gettext_lazy("Was the person told before the release?"),
    "offence": gettext_lazy("Offence"),
    "officials_implicated": gettext_lazy("Are public officials alleged to be involved?"),
    "opened": gettext_lazy("Was an investigation opened?"),
    "outcome_age": gettext_lazy("Assessed age"),
    "paid_from_confiscated_assets": gettext_lazy("Was it paid from traffickers' confiscated assets?"),
    "person_can_remain": gettext_lazy("Can the person stay in the country until the claim is decided?"),
    "proceeding": gettext_lazy("Kind of proceeding"),
    "proceedings_pending": gettext_lazy(
        "Are proceedings involving the person (criminal, civil, labour, compensation) pending?"
    ),
    "proportionality": gettext_lazy("Is it proportionate to its aim, and as short as possible?"),
    "proportionate": gettext_lazy("Is it proportionate to its aim?"),
    "protection_on_arrival": gettext_lazy("Is protection on arrival arranged with the country of return?"),
    "protection_provided": gettext_lazy("Are protection measures in place?"),
    "provided_by_law": gettext_lazy("Is it provided for by law?"),
    "punitive_consequence": gettext_lazy("Does a positive result lead to a punitive or restrictive measure?"),
    "purpose": gettext_lazy("What does it decide?"),
    "reason": gettext_lazy("Why is the person held?"),
    "reason_if_negative": gettext_lazy("If the person was not identified: why?"),
    "refusal_affects_other_support": gettext_lazy("Does refusing it take away other support or status?"),
    "reintegration_support": gettext_lazy("Is reintegration support arranged?"),
    "requested_by_person": gettext_lazy("Did the person ask for it?"),
    "requires_conviction": gettext_lazy("Is compensation made to depend on a trafficker's conviction?"),
    "reunification": gettext_lazy("Does it reunite the child with the family?"),
    "right_to_challenge": gettext_lazy("Can the person challenge it before a court?"),
    "right_to_work": gettext_lazy("Does the permit allow the person to work?"),
    "risk_assessed": gettext_lazy("Was the risk to the person and the family assessed?"),
    "risk_assessment": gettext_lazy("Was a risk assessment made first?"),
    "risks_explained": gettext_lazy("Was the person warned beforehand of the limits of identity protection?"),
    "role": gettext_lazy("The person's role"),
    "safety_considered": gettext_lazy("Was the safety of the person and the family weighed in the release decision?"),
    "safety_subordinated_to_prosecution": gettext_lazy(
        "Was the person's safety put below the interests of the prosecution?"
    ),
    "serious_risk": gettext_lazy(
        "Is there a serious risk of persecution, torture, ill-treatment, reprisals or re-trafficking?"
    ),
    "service": gettext_lazy("Service"),
    "sexual_violence": gettext_lazy("Did the person suffer sexual violence?"),
    "special_measures": gettext_lazy("Can evidence be given in camera or by other protective means?"),
    "targets": gettext_lazy("Who does it apply to?"),
    "test": gettext_lazy("Test"),
    "treated_as_child_pending": gettext_lazy("Is the person treated as a child until the result?"),
    "views_presented": gettext_lazy("Can the person's views and concerns be presented?"),
    "voluntary": gettext_lazy("Does the person want to return (an informed and free agreement)?"),
}

# The same fact name means something slightly different in a few measure types.
TYPE_FIELD_LABELS: dict[tuple[str, str], Any] = {
    ("age_assessment", "consent"): gettext_lazy("Was informed consent given, by the person and a guardian?"),
    ("disclosure", "consent"): gettext_lazy("Did the person (or a child's guardian) give informed consent?"),
    ("disclosure", "legal_basis"): gettext_lazy("Does a law provide for the disclosure?"),
    ("return", "legal_basis"): gettext_lazy("Is the removal in accordance with the law?"),
    ("return", "risk_assessment"): gettext_lazy("Was an individual pre-return risk and safety assessment made?"),
    ("return", "child_views_heard"): gettext_lazy("For a child: were the child's views heard and weighed?"),
    ("testing", "confidential"): gettext_lazy("Are the test and its result kept strictly confidential?"),
    ("testing", "mandatory"): gettext_lazy("Is the person required to take the test?"),
    ("family_tracing", "confidential"): gettext_lazy(
        "Is the child's whereabouts kept from people who could harm them?"
    ),
    ("guardian_appointment", "independent"): gettext_lazy(
        "Is the guardian independent of the authorities deciding on the child's case?"
    ),
    ("investigation", "independent"): gettext_lazy("Is the investigation independent of the officials implicated?"),
    ("compensation", "information_given"): gettext_lazy(
        "Was the person told about remedies in a language they understand?"
    ),
    ("child_views", "information_given"): gettext_lazy("Did the child receive information suited to their age?"),
    ("reflection_period", "granted"): gettext_lazy("Was the period granted?"),
    ("residence_permit", "granted"): gettext_lazy("Was the permit granted?"),
}

CHOICE_LABELS: dict[str, Any] = {
    "administrative": gettext_lazy("Administrative"),
    "authorities_destination": gettext_lazy("Authorities of the country of destination"),
    "authorities_origin": gettext_lazy("Authorities of the country of origin"),
    "begging": gettext_lazy("Begging"),
    "care": gettext_lazy("Care"),
    "child_welfare_facility": gettext_lazy("Child welfare facility"),
    "children": gettext_lazy("Children"),
    "civil": gettext_lazy("Civil"),
    "closed_shelter": gettext_lazy("Closed shelter"),
    "complainant": gettext_lazy("Complainant"),
    "consent": gettext_lazy("The person consented"),
    "cooperation": gettext_lazy("To secure cooperation"),
    "counselling": gettext_lazy("Counselling"),
    "country_of_origin": gettext_lazy("Country of origin"),
    "court": gettext_lazy("A court"),
    "criminal": gettext_lazy("Criminal"),
    "defendant": gettext_lazy("Defendant"),
    "documents": gettext_lazy("Documents"),
    "drug_offence": gettext_lazy("Drug offence"),
    "drugs": gettext_lazy("Drugs"),
    "durable_solution": gettext_lazy("Durable solution"),
    "education": gettext_lazy("Education"),
    "employer": gettext_lazy("An employer"),
    "employment": gettext_lazy("Employment"),
    "ethnic_group": gettext_lazy("An ethnic group"),
    "everyone": gettext_lazy("Everyone"),
    "false_documents": gettext_lazy("False documents"),
    "family": gettext_lazy("Family"),
    "financial_support": gettext_lazy("Financial support"),
    "girls": gettext_lazy("Girls"),
    "hiv": gettext_lazy("HIV"),
    "hospital": gettext_lazy("Hospital"),
    "housing": gettext_lazy("Housing"),
    "humanitarian": gettext_lazy("Humanitarian"),
    "identified": gettext_lazy("Identified as a trafficked person"),
    "illegal_entry": gettext_lazy("Irregular entry"),
    "illegal_stay": gettext_lazy("Irregular stay"),
    "illegal_work": gettext_lazy("Work without a permit"),
    "immigration_detention": gettext_lazy("Immigration detention"),
    "immigration_status": gettext_lazy("Immigration status"),
    "individual": gettext_lazy("Decided for this person"),
    "insufficient_evidence": gettext_lazy("Not enough evidence"),
    "interpretation": gettext_lazy("Interpretation"),
    "interview": gettext_lazy("Interview"),
    "labour": gettext_lazy("Labour"),
    "legal_assistance": gettext_lazy("Legal assistance"),
    "media": gettext_lazy("The media"),
    "medical": gettext_lazy("Medical examination"),
    "medical_care": gettext_lazy("Medical care"),
    "multidisciplinary": gettext_lazy("Multidisciplinary"),
    "no_border_crossing": gettext_lazy("No border was crossed"),
    "no_exploitation_yet": gettext_lazy("No exploitation had happened yet"),
    "no_means": gettext_lazy("No means (force, deception ...) shown"),
    "no_movement": gettext_lazy("The person was not moved"),
    "no_valid_visa": gettext_lazy("No valid visa"),
    "not_cooperating": gettext_lazy("The person did not cooperate"),
    "not_identified": gettext_lazy("Not identified"),
    "other": gettext_lazy("Other"),
    "other_agency": gettext_lazy("Another agency"),
    "other_disease": gettext_lazy("Another disease"),
    "party": gettext_lazy("Party"),
    "petty_crime": gettext_lazy("Petty crime"),
    "placement": gettext_lazy("Placement"),
    "police_cell": gettext_lazy("Police cell"),
    "pregnancy": gettext_lazy("Pregnancy"),
    "presumed_victim": gettext_lazy("Presumed victim (reasonable grounds)"),
    "prison": gettext_lazy("Prison"),
    "proceedings": gettext_lazy("Proceedings"),
    "prostitution": gettext_lazy("Prostitution"),
    "protection": gettext_lazy("Protection"),
    "psychological_care": gettext_lazy("Psychological care"),
    "public": gettext_lazy("The public"),
    "public_order": gettext_lazy("Public order"),
    "reflection": gettext_lazy("Reflection period"),
    "remedy": gettext_lazy("Pursuing a remedy"),
    "return": gettext_lazy("Return"),
    "routine": gettext_lazy("Routine practice"),
    "sexually_transmitted_infection": gettext_lazy("Sexually transmitted infection"),
    "shelter": gettext_lazy("Shelter"),
    "solicitation": gettext_lazy("Solicitation"),
    "status_offence": gettext_lazy("An offence linked to being trafficked"),
    "third_country": gettext_lazy("A third country"),
    "unauthorised_departure": gettext_lazy("Leaving the country without permission"),
    "unrelated_offence": gettext_lazy("An unrelated offence"),
    "victim": gettext_lazy("Victim"),
    "violent_offence": gettext_lazy("Violent offence"),
    "witness": gettext_lazy("Witness"),
    "women": gettext_lazy("Women"),
    "women_and_girls": gettext_lazy("Women and girls"),
}

CLAIM_KINDS = [
    ("restitution", gettext_lazy("Restitution")),
    ("compensation", gettext_lazy("Compensation")),
    ("rehabilitation", gettext_lazy("Rehabilitation")),
]
HEADS_OF_DAMAGE = (
    ("unpaid_wages", gettext_lazy("Unpaid wages")),
    ("lost_earnings", gettext_lazy("Lost earnings")),
    ("physical_harm", gettext_lazy("Physical harm")),
    ("psychological_harm", gettext_lazy("Psychological harm")),
    ("costs", gettext_lazy("Costs (medical, legal, travel ...)")),
    ("other", gettext_lazy("Other damage")),
)
PAID_BY = [
    ("trafficker", gettext_lazy("The trafficker or exploiter")),
    ("state_fund", gettext_lazy("A state compensation fund")),
    ("confiscated_assets", gettext_lazy("Confiscated assets")),
    ("other", gettext_lazy("Other")),
]
CONFISCATED = "confiscated_assets"
CENTS = Decimal("0.01")

DETAIL_LABELS: dict[str, Any] = {
    "started_on": gettext_lazy("Started on"),
    "ended_on": gettext_lazy("Ended on"),
    "protection_measures": gettext_lazy("Protection measures in the proceedings"),
    "claim_kind": gettext_lazy("Kind of claim"),
    "heads_of_damage": gettext_lazy("Heads of damage"),
    "currency": gettext_lazy("Currency"),
    "paid_by": gettext_lazy("Paid by"),
    "reintegration_plan": gettext_lazy("Reintegration plan"),
    "non_refoulement_check": gettext_lazy("Non-refoulement check done"),
    "destination_country": gettext_lazy("Country of return"),
    "guardian_agency": gettext_lazy("Guardian's agency"),
    "notes": gettext_lazy("Notes"),
}
NO_IDENTITY_HINT = gettext_lazy("Leave out names and addresses: they belong in the identity record only.")


def humanize(value: str) -> str:
    """A code such as `women_and_girls` as plain words, when no label was written for it."""
    return value.replace("_", " ").capitalize()


def type_label(measure_type: str) -> str:
    """The measure type's name in plain words, translated."""
    return str(TYPE_LABELS.get(measure_type) or humanize(measure_type))


def _lazy_field_label(measure_type: str, name: str) -> Any:
    # Form classes are built once per process: their labels must stay lazy to follow the user's language.
    return TYPE_FIELD_LABELS.get((measure_type, name)) or FIELD_LABELS.get(name) or humanize(name)


def _lazy_choice_label(value: str) -> Any:
    return CHOICE_LABELS.get(value) or humanize(value)


def field_label(measure_type: str, name: str) -> str:
    """The question or label for one of a measure type's facts, translated."""
    return str(_lazy_field_label(measure_type, name))


def choice_label(value: str) -> str:
    """A choice value in plain words, translated."""
    return str(_lazy_choice_label(value))


FIELD_HELP: dict[tuple[str, str], Any] = {
    ("compensation", "amount_claimed"): gettext_lazy("Leave it empty to add up the heads of damage below."),
    ("detention", "basis"): gettext_lazy("Routine means a general policy or practice applied to everyone alike."),
}


def _fact_field(measure_type: str, spec: FieldSpec) -> forms.Field:
    field = _bare_fact_field(measure_type, spec)
    if (measure_type, spec.name) in FIELD_HELP:
        field.help_text = FIELD_HELP[(measure_type, spec.name)]
    return field


def _bare_fact_field(measure_type: str, spec: FieldSpec) -> forms.Field:
    label = _lazy_field_label(measure_type, spec.name)
    if spec.kind == "bool":
        return forms.ChoiceField(
            label=label, choices=BOOL_CHOICES, widget=forms.RadioSelect, required=False, initial=UNKNOWN
        )
    if spec.kind == "choice":
        choices = [("", NOT_KNOWN), *((value, _lazy_choice_label(value)) for value in spec.choices)]
        return forms.ChoiceField(label=label, choices=choices, required=False)
    if spec.kind == "choices":
        return forms.MultipleChoiceField(
            label=label,
            choices=[(value, _lazy_choice_label(value)) for value in spec.choices],
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )
    if spec.kind == "number":
        bounds = {"min_value": spec.minimum, "max_value": spec.maximum}
        if spec.name.startswith("amount_"):
            return forms.DecimalField(label=label, required=False, max_digits=14, decimal_places=2, **bounds)
        # Days and months (the engine sets no upper bound): kept to what the date arithmetic can take.
        bounds["max_value"] = spec.maximum if spec.maximum is not None else MAX_PERIOD
        return forms.IntegerField(label=label, required=False, **bounds)
    if spec.kind == "date":
        return BoundedDateField(label=label, required=False, widget=IsoDateInput(attrs={"type": "date"}))
    if spec.kind == "text":
        return forms.CharField(
            label=label, required=False, max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
        )
    if spec.kind == "texts":
        return forms.CharField(
            label=label,
            required=False,
            max_length=TEXT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=gettext_lazy("One per line."),
        )
    raise ValueError(f"no form field for facts of kind {spec.kind!r} ({measure_type}.{spec.name})")


def _date_field(label: Any) -> forms.DateField:
    return BoundedDateField(label=label, required=False, widget=IsoDateInput(attrs={"type": "date"}))


def _money_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=0, max_digits=14, decimal_places=2)


def _notes_field() -> forms.CharField:
    return forms.CharField(
        label=DETAIL_LABELS["notes"],
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NO_IDENTITY_HINT,
    )


def _detail_fields(measure_type: str) -> dict[str, forms.Field]:
    """The details the engine does not review, by measure type (form field name -> field)."""
    if measure_type == "legal_proceedings":
        return {
            "started_on": _date_field(DETAIL_LABELS["started_on"]),
            "ended_on": _date_field(DETAIL_LABELS["ended_on"]),
            "protection_measures": forms.CharField(
                label=DETAIL_LABELS["protection_measures"],
                required=False,
                max_length=TEXT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=gettext_lazy("For example: screens, testimony by video link, a separate waiting room."),
            ),
        }
    if measure_type == "compensation":
        fields: dict[str, forms.Field] = {
            "claim_kind": forms.ChoiceField(
                label=DETAIL_LABELS["claim_kind"], choices=[("", NOT_KNOWN), *CLAIM_KINDS], required=False
            ),
        }
        for head, label in HEADS_OF_DAMAGE:
            fields[f"damage_{head}"] = _money_field(label)
        fields["currency"] = forms.RegexField(
            label=DETAIL_LABELS["currency"],
            regex=r"^[A-Za-z]{3}$",
            required=False,
            max_length=3,
            help_text=gettext_lazy("Three-letter code, e.g. EUR, USD, NGN."),
            error_messages={"invalid": gettext_lazy("Use a three-letter currency code such as EUR.")},
        )
        fields["paid_by"] = forms.ChoiceField(
            label=DETAIL_LABELS["paid_by"], choices=[("", NOT_KNOWN), *PAID_BY], required=False
        )
        return fields
    if measure_type == "return":
        return {
            "reintegration_plan": forms.CharField(
                label=DETAIL_LABELS["reintegration_plan"],
                required=False,
                max_length=TEXT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=gettext_lazy("Health care, housing, education, work: what is arranged, and by whom."),
            ),
            "non_refoulement_check": forms.ChoiceField(
                label=gettext_lazy("Was it checked that the person will not be sent back to persecution or harm?"),
                choices=BOOL_CHOICES,
                widget=forms.RadioSelect,
                required=False,
                initial=UNKNOWN,
            ),
            "destination_country": forms.RegexField(
                label=DETAIL_LABELS["destination_country"],
                regex=r"^[A-Za-z]{2}$",
                required=False,
                max_length=2,
                help_text=gettext_lazy("Two-letter country code, e.g. NG, RO, VN."),
                error_messages={"invalid": gettext_lazy("Use a two-letter country code such as NG, RO or VN.")},
            ),
        }
    if measure_type == "guardian_appointment":
        return {
            "guardian_agency": forms.ModelChoiceField(
                label=DETAIL_LABELS["guardian_agency"],
                queryset=Agency.objects.order_by("name"),
                required=False,
                empty_label=NOT_KNOWN,
            ),
        }
    if measure_type in ("family_tracing", "best_interests_determination", "child_views"):
        return {"notes": _notes_field()}
    return {}


def _number(value: Decimal | int) -> int | float:
    # The engine takes JSON numbers; whole amounts stay integers so they read as they were typed.
    if isinstance(value, int):
        return value
    return int(value) if value == value.to_integral_value() else float(value)


class MeasureForm(forms.Form):
    """A measure of one type: the facts the engine reviews, the date, a justification, and details.

    Build one with `measure_form_class(measure_type)`.
    """

    measure_type = ""
    fact_specs: tuple[FieldSpec, ...] = ()
    detail_names: tuple[str, ...] = ()

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        started, ended = cleaned.get("started_on"), cleaned.get("ended_on")
        if started and ended and ended < started:
            self.add_error("ended_on", _("The end date is before the start date."))
        if "paid_by" in self.fields:
            confiscated = cleaned.get("paid_from_confiscated_assets")
            if cleaned.get("paid_by") == CONFISCATED and confiscated == NO:
                self.add_error(
                    "paid_by", _("This says confiscated assets paid, but the answer above says they did not.")
                )
        if not self.errors:
            self._check_with_engine()
        return cleaned

    def _check_with_engine(self) -> None:
        # The engine is the final word on what its facts may hold; its complaint lands on the field it names.
        try:
            engine.measure_from_data(adapter.measure_data(self.measure_type, self.decided_on(), self.facts()))
        except engine.InputError as error:
            name = "decided_on" if error.path == "date" else error.path
            message = _("The rules engine cannot use this value: %(problem)s") % {"problem": error.problem}
            self.add_error(name if name in self.fields else None, message)

    def decided_on(self) -> dt.date | None:
        """The date the measure was (or is to be) taken."""
        value: dt.date | None = self.cleaned_data.get("decided_on")
        return value

    def facts(self) -> dict[str, Any]:
        """The facts in the engine's measure schema; answers left unknown are left out."""
        data = self.cleaned_data
        facts: dict[str, Any] = {}
        for spec in self.fact_specs:
            value = data.get(spec.name)
            if spec.kind == "bool":
                if value in (YES, NO):
                    facts[spec.name] = value == YES
            elif spec.kind == "number":
                if value is not None:
                    facts[spec.name] = _number(value)
            elif spec.kind == "date":
                if value is not None:
                    facts[spec.name] = value.isoformat()
            elif spec.kind == "choices":
                if value:
                    facts[spec.name] = list(value)
            elif spec.kind == "texts":
                lines = [line.strip() for line in (value or "").splitlines() if line.strip()]
                if lines:
                    facts[spec.name] = lines
            elif value not in (None, ""):
                facts[spec.name] = value.strip() if isinstance(value, str) else value
        justification = (data.get("justification") or "").strip()
        if justification:
            facts["justification"] = justification
        if self.measure_type == "compensation":
            self._compensation_facts(facts)
        return facts

    def _compensation_facts(self, facts: dict[str, Any]) -> None:
        # Heads of damage add up to the claim when no total was given, and a payment from
        # confiscated assets is the engine's fact too: one answer, not two to keep in step.
        heads = [self.cleaned_data.get(f"damage_{head}") for head, _label in HEADS_OF_DAMAGE]
        if "amount_claimed" not in facts and any(value is not None for value in heads):
            facts["amount_claimed"] = _number(sum((value for value in heads if value is not None), Decimal(0)))
        if self.cleaned_data.get("paid_by") == CONFISCATED and "paid_from_confiscated_assets" not in facts:
            facts["paid_from_confiscated_assets"] = True

    def details(self) -> dict[str, Any]:
        """The details the engine does not review, as JSON-ready data; empty answers left out."""
        data = self.cleaned_data
        details: dict[str, Any] = {}
        heads: dict[str, str] = {}
        for name in self.detail_names:
            value = data.get(name)
            if value in (None, "", UNKNOWN):
                continue
            if name.startswith("damage_"):
                heads[name.removeprefix("damage_")] = str(Decimal(value).quantize(CENTS))
            elif isinstance(value, dt.date):
                details[name] = value.isoformat()
            elif isinstance(value, Agency):
                details["guardian_agency"] = value.name
                details["guardian_agency_id"] = value.pk
            elif name == "non_refoulement_check":
                details[name] = value == YES
            elif name in ("currency", "destination_country"):
                details[name] = value.upper()
            elif isinstance(value, str):
                details[name] = value.strip()
            else:
                details[name] = value
        if heads:
            details["heads_of_damage"] = heads
        return details


@functools.cache
def measure_form_class(measure_type: str) -> type[MeasureForm]:
    """The form class for a measure type, derived from the engine's spec (KeyError for unknown types)."""
    spec = MEASURE_SPECS[measure_type]
    attrs: dict[str, Any] = {
        "decided_on": BoundedDateField(
            label=gettext_lazy("Date of the measure or decision"),
            widget=IsoDateInput(attrs={"type": "date"}),
            help_text=gettext_lazy("When it was taken, or is to be taken."),
        )
    }
    fact_specs = tuple(item for item in spec.fields if item.name not in COMMON_FACTS)
    for item in fact_specs:
        attrs[item.name] = _fact_field(measure_type, item)
    details = _detail_fields(measure_type)
    attrs.update(details)
    attrs["justification"] = forms.CharField(
        label=FIELD_LABELS["justification"],
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Why this measure is necessary and lawful in this person's case. Needed when the review asks for it."
        ),
    )
    attrs.update(measure_type=measure_type, fact_specs=fact_specs, detail_names=tuple(details))
    return type(f"MeasureForm_{measure_type}", (MeasureForm,), attrs)


class OverrideForm(forms.Form):
    """A coordinator's written reasons for recording a measure despite a violation."""

    MIN_LENGTH = 20

    override_justification = forms.CharField(
        label=gettext_lazy("Why must this measure go ahead despite the law?"),
        min_length=MIN_LENGTH,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Say on what authority, and why no lawful alternative exists. At least 20 characters."),
        error_messages={
            "required": gettext_lazy("Write the justification for the override."),
            "min_length": gettext_lazy("Write at least 20 characters: a justification must explain the override."),
        },
    )
    # Asked again at the moment of the override, so an unattended signed-in session is not enough.
    confirmation_code = two_factor.confirmation_field()

    def clean_override_justification(self) -> str:
        value = str(self.cleaned_data["override_justification"]).strip()
        if len(value) < self.MIN_LENGTH:
            raise forms.ValidationError(
                _("Write at least 20 characters: a justification must explain the override."), code="min_length"
            )
        return value


def display_value(spec: FieldSpec | None, value: Any) -> str:
    """A stored fact as plain words."""
    if value is None:
        return _("Not known")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if spec is not None and spec.kind == "choice" and isinstance(value, str):
        return choice_label(value)
    if isinstance(value, list):
        return ", ".join(choice_label(str(item)) for item in value)
    return str(value)


def fact_rows(measure_type: str, facts: dict[str, Any]) -> list[tuple[str, str]]:
    """Each fact the engine reviews for this type, in the spec's order, as (label, value); unknowns say so."""
    spec = MEASURE_SPECS.get(measure_type)
    if spec is None:
        return [(humanize(name), display_value(None, value)) for name, value in facts.items()]
    return [
        (field_label(measure_type, item.name), display_value(item, facts.get(item.name)))
        for item in spec.fields
        if item.name not in COMMON_FACTS
    ]


def detail_rows(details: dict[str, Any]) -> list[tuple[str, str]]:
    """The stored details as (label, value) rows, in plain words."""
    labels = dict(CLAIM_KINDS) | dict(PAID_BY)
    heads = dict(HEADS_OF_DAMAGE)
    rows: list[tuple[str, str]] = []
    order = list(DETAIL_LABELS)
    # Stored JSON may come back with its keys reordered; show them in the form's order.
    ordered = sorted(details.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    for name, value in ordered:
        if name == "guardian_agency_id":
            continue
        label = str(DETAIL_LABELS.get(name) or humanize(name))
        if name == "heads_of_damage" and isinstance(value, dict):
            for head, amount in value.items():
                rows.append((f"{label}: {heads.get(head, humanize(head))}", str(amount)))
        elif isinstance(value, bool):
            rows.append((label, _("Yes") if value else _("No")))
        elif name in ("claim_kind", "paid_by"):
            rows.append((label, str(labels.get(value, value))))
        else:
            rows.append((label, str(value)))
    return rows


def missing_labels(measure_type: str, names: list[str] | tuple[str, ...]) -> list[str]:
    """The facts a finding says are missing, as the questions the form asks."""
    return [field_label(measure_type, name) for name in names]
