"""The engine's input types and their specifications (situation v1, person, case, document).

A key that is left out (or null) means "not known"; an empty list means "looked for, none
found". The engine relies on that difference to say which question to ask next.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from rightsfirst.engine.spec import FieldSpec, InputError, ObjectSpec, parse_object

SITUATION_SCHEMA_VERSION = "1"

ACTIONS = ("recruitment", "transportation", "transfer", "harbouring", "receipt")
MEANS = (
    "threat",
    "use_of_force",
    "coercion",
    "abduction",
    "fraud",
    "deception",
    "abuse_of_power",
    "abuse_of_position_of_vulnerability",
    "payments_to_person_in_control",
    "debt_bondage",
)
PURPOSES = (
    "sexual_exploitation",
    "exploitation_of_prostitution",
    "forced_labour",
    "forced_services",
    "slavery",
    "practices_similar_to_slavery",
    "servitude",
    "removal_of_organs",
    "forced_marriage",
    "forced_begging",
    "forced_criminality",
    "debt_bondage",
    # The Protocol's list is a minimum (TIP.3a "at a minimum"; FS36.I.B.all-persons): other forms count.
    "other_exploitation",
)
# Other words people use for the same things; accepted and recorded under the names above.
ACTION_ALIASES = {
    "recruiting": "recruitment",
    "transport": "transportation",
    "transporting": "transportation",
    "transferring": "transfer",
    "purchase": "transfer",
    "sale": "transfer",
    "buying": "transfer",
    "selling": "transfer",
    "harboring": "harbouring",
    "receiving": "receipt",
}
MEANS_ALIASES = {
    "threats": "threat",
    "force": "use_of_force",
    "abuse_of_vulnerability": "abuse_of_position_of_vulnerability",
    "abuse_of_a_position_of_vulnerability": "abuse_of_position_of_vulnerability",
    "payments": "payments_to_person_in_control",
    "giving_or_receiving_payments": "payments_to_person_in_control",
}
PURPOSE_ALIASES = {
    "forced_labor": "forced_labour",
    "prostitution": "exploitation_of_prostitution",
    "organ_removal": "removal_of_organs",
    "slavery_like_practices": "practices_similar_to_slavery",
    "begging": "forced_begging",
    "forced_crime": "forced_criminality",
    "bonded_labour": "debt_bondage",
    "other": "other_exploitation",
}
MINORITY_INDICATIONS_KNOWN = (
    "appearance",
    "documents_doubtful",
    "no_documents",
    "says_is_a_child",
    "others_say_is_a_child",
    "behaviour",
    "school_or_birth_record",
    "professional_opinion",
)
LIFECYCLE_STAGES = (
    "referred",
    "screening",
    "presumed_victim",
    "identified",
    "recovery_and_reflection",
    "support",
    "legal_proceedings",
    "durable_solution",
    "closed",
)
VICTIM_STATUSES = ("identified", "presumed", "possible", "not_established")
PROCEEDING_KINDS = ("criminal", "civil", "labour", "administrative")
PROCEEDING_ROLES = ("witness", "complainant", "party", "defendant", "victim")
SERVICE_STATUSES = ("pending", "offered", "accepted", "refused", "delivered", "not_applicable")


PERSON_SPEC = ObjectSpec(
    "person",
    "The person whose situation is assessed. Identity is never needed by the engine.",
    (
        FieldSpec(
            "age",
            "number",
            "Established age in years (documents or a completed age assessment).",
            minimum=0,
            maximum=130,
        ),
        FieldSpec("stated_age", "number", "The age the person says they are.", minimum=0, maximum=130),
        FieldSpec(
            "age_at_action",
            "number",
            "Established age when the action took place (recruitment, transport, harbouring ...), if the "
            "person was younger then: a person recruited as a child was trafficked as a child.",
            minimum=0,
            maximum=130,
        ),
        FieldSpec("age_range", "number_range", "Estimated age as [min, max] years.", minimum=0, maximum=130),
        FieldSpec(
            "indications_of_minority",
            "texts",
            "Reasons to believe the person may be a child, e.g. "
            + ", ".join(MINORITY_INDICATIONS_KNOWN)
            + ". An empty list means looked for, none found.",
        ),
        FieldSpec("non_national", "bool", "The person is outside their country of nationality or residence."),
        FieldSpec("asylum_seeker", "bool", "The person has applied for or wishes to apply for asylum."),
        FieldSpec("unaccompanied", "bool", "A child without parents or a legal guardian present."),
        FieldSpec("needs_interpreter", "bool", "The person does not understand the local language well enough."),
    ),
)

SMUGGLING_SPEC = ObjectSpec(
    "smuggling",
    "Facts about facilitated irregular entry (migrant smuggling).",
    (
        FieldSpec(
            "facilitated_irregular_entry", "bool", "Someone arranged the person's irregular entry into a country."
        ),
        FieldSpec("for_profit", "bool", "The facilitator did it for a financial or material benefit."),
    ),
)

SITUATION_SPEC = ObjectSpec(
    "situation",
    f"The facts about one person relevant to the international definition (version {SITUATION_SCHEMA_VERSION}). "
    "Leave a key out (or null) when it is not known; use [] when it was looked for and none was found.",
    (
        FieldSpec("person", "object", "The person.", obj=PERSON_SPEC),
        FieldSpec(
            "actions",
            "choices",
            "What was done to the person (the action element, TIP.3a).",
            choices=ACTIONS,
            aliases=ACTION_ALIASES,
        ),
        FieldSpec(
            "means", "choices", "How it was done (the means element, TIP.3a).", choices=MEANS, aliases=MEANS_ALIASES
        ),
        FieldSpec(
            "purposes",
            "choices",
            "The intended purpose (exploitation need not have happened yet). The list is open: use "
            "other_exploitation for a form not named here.",
            choices=PURPOSES,
            aliases=PURPOSE_ALIASES,
        ),
        FieldSpec("consent_to_exploitation", "bool", "The person agreed to the intended exploitation (TIP.3b)."),
        FieldSpec("crossed_border", "bool", "The person was moved across an international border."),
        FieldSpec("smuggling", "object", "Migrant smuggling facts.", obj=SMUGGLING_SPEC),
        FieldSpec("indicators", "texts", "Ids of observed indicators from the engine's catalogue."),
    ),
    ignored_keys=frozenset({"schema_version"}),
    descriptive=True,
)

PROCEEDING_SPEC = ObjectSpec(
    "proceeding",
    "A legal proceeding the person is involved in.",
    (
        FieldSpec("kind", "choice", "Kind of proceeding.", choices=PROCEEDING_KINDS, required=True),
        FieldSpec("role", "choice", "The person's role in it.", choices=PROCEEDING_ROLES),
        FieldSpec("started_on", "date", "When it started."),
        FieldSpec("ended_on", "date", "When it ended, including any appeal; leave out while it is pending."),
    ),
)

SERVICE_SPEC = ObjectSpec(
    "service",
    "What has happened so far with one entitlement.",
    (
        FieldSpec("entitlement", "text", "The entitlement id (see `rightsfirst entitlements`).", required=True),
        FieldSpec("status", "choice", "Its status.", choices=SERVICE_STATUSES, required=True),
        FieldSpec("date", "date", "When it reached that status."),
    ),
)

CASE_SPEC = ObjectSpec(
    "case",
    "The case: the record of what is done with and for the person. Dates drive due dates.",
    (
        FieldSpec("stage", "choice", "Lifecycle stage of the case.", choices=LIFECYCLE_STAGES),
        FieldSpec(
            "victim_status",
            "choice",
            "The person's status as decided so far; if left out it follows from the dates below "
            "or from the screening finding.",
            choices=VICTIM_STATUSES,
        ),
        FieldSpec("referred_on", "date", "When the person first came to the attention of a responder."),
        FieldSpec(
            "reasonable_grounds_on",
            "date",
            "When it was decided that there are reasonable grounds to believe the person is trafficked.",
        ),
        FieldSpec("identified_on", "date", "When the person was formally identified as trafficked."),
        FieldSpec(
            "reflection_period_started_on",
            "date",
            "When the recovery and reflection period started (defaults to reasonable_grounds_on, else identified_on).",
        ),
        FieldSpec(
            "reflection_period_days",
            "number",
            "The length granted, in days, when longer than the profile's minimum.",
            minimum=0,
        ),
        FieldSpec("proceedings", "objects", "Legal proceedings.", obj=PROCEEDING_SPEC),
        FieldSpec("services", "objects", "Status of entitlements already acted on.", obj=SERVICE_SPEC),
    ),
    ignored_keys=frozenset({"reference", "notes"}),
)


class Person(NamedTuple):
    """Age facts and the few personal circumstances the rules depend on."""

    age: float | None = None
    stated_age: float | None = None
    age_at_action: float | None = None
    age_range: tuple[float, float] | None = None
    indications_of_minority: tuple[str, ...] | None = None
    non_national: bool | None = None
    asylum_seeker: bool | None = None
    unaccompanied: bool | None = None
    needs_interpreter: bool | None = None


class Smuggling(NamedTuple):
    """Facts about facilitated irregular entry."""

    facilitated_irregular_entry: bool | None = None
    for_profit: bool | None = None


class Situation(NamedTuple):
    """Situation v1. None means not known; an empty tuple means looked for, none found."""

    person: Person = Person()
    actions: tuple[str, ...] | None = None
    means: tuple[str, ...] | None = None
    purposes: tuple[str, ...] | None = None
    consent_to_exploitation: bool | None = None
    crossed_border: bool | None = None
    smuggling: Smuggling | None = None
    indicators: tuple[str, ...] | None = None


class Proceeding(NamedTuple):
    """A legal proceeding the person is part of."""

    kind: str
    role: str | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None

    def pending_on(self, at: dt.date) -> bool:
        """Whether it has started (or has no start date) and not yet ended on `at`."""
        started = self.started_on is None or self.started_on <= at
        return started and (self.ended_on is None or self.ended_on > at)


class ServiceRecord(NamedTuple):
    """The status an entitlement has reached."""

    entitlement: str
    status: str
    date: dt.date | None = None


class Case(NamedTuple):
    """The case facts the entitlements and reviews depend on."""

    stage: str | None = None
    victim_status: str | None = None
    referred_on: dt.date | None = None
    reasonable_grounds_on: dt.date | None = None
    identified_on: dt.date | None = None
    reflection_period_started_on: dt.date | None = None
    reflection_period_days: float | None = None
    proceedings: tuple[Proceeding, ...] = ()
    services: tuple[ServiceRecord, ...] = ()

    def pending_proceedings(self, at: dt.date) -> tuple[Proceeding, ...]:
        """Proceedings still running on `at`."""
        return tuple(item for item in self.proceedings if item.pending_on(at))

    def pending_against_exploiters(self, at: dt.date) -> tuple[Proceeding, ...]:
        """Running proceedings in which the person is not the accused: the ones they may stay for."""
        return tuple(item for item in self.pending_proceedings(at) if item.role != "defendant")

    def service_status(self, entitlement: str, at: dt.date) -> ServiceRecord | None:
        """The latest status recorded for an entitlement on or before `at`, if any."""
        found = None
        for record in self.services:
            if record.entitlement != entitlement or (record.date is not None and record.date > at):
                continue
            if found is None or (record.date or dt.date.min) >= (found.date or dt.date.min):
                found = record
        return found


def person_from(data: dict[str, Any] | None) -> Person:
    """Build a Person from parsed data."""
    return Person(**data) if data else Person()


def situation_from_data(data: Any, path: str = "") -> Situation:
    """Validate raw data as situation v1 and build the typed object."""
    parsed = parse_object(SITUATION_SPEC, data, path)
    smuggling = parsed["smuggling"]
    return Situation(
        person=person_from(parsed["person"]),
        actions=parsed["actions"],
        means=parsed["means"],
        purposes=parsed["purposes"],
        consent_to_exploitation=parsed["consent_to_exploitation"],
        crossed_border=parsed["crossed_border"],
        smuggling=Smuggling(**smuggling) if smuggling is not None else None,
        indicators=parsed["indicators"],
    )


def person_from_data(data: Any, path: str = "person") -> Person:
    """Validate raw data as a person and build the typed object."""
    return person_from(parse_object(PERSON_SPEC, data, path))


def case_from_data(data: Any, path: str = "case") -> Case:
    """Validate raw data as a case and build the typed object."""
    parsed = parse_object(CASE_SPEC, data, path)
    return Case(
        stage=parsed["stage"],
        victim_status=parsed["victim_status"],
        referred_on=parsed["referred_on"],
        reasonable_grounds_on=parsed["reasonable_grounds_on"],
        identified_on=parsed["identified_on"],
        reflection_period_started_on=parsed["reflection_period_started_on"],
        reflection_period_days=parsed["reflection_period_days"],
        proceedings=tuple(Proceeding(**item) for item in parsed["proceedings"] or ()),
        services=tuple(ServiceRecord(**item) for item in parsed["services"] or ()),
    )


PERSON_FIELDS = tuple(spec.name for spec in PERSON_SPEC.fields)


def merge_person(first: Person, second: Person) -> Person:
    """Fill the unknown fields of `first` from `second` (used when a document gives both).

    A fact both give differently is refused: silently choosing one could, for instance, treat a
    child as an adult.
    """
    if first == second:
        return first
    for name in PERSON_FIELDS:
        mine, theirs = getattr(first, name), getattr(second, name)
        if mine is not None and theirs is not None and mine != theirs:
            raise InputError(
                f"person.{name}",
                f"{mine!r} conflicts with situation.person.{name} {theirs!r}; give it once, or the same in both",
            )
    values = {
        name: getattr(first, name) if getattr(first, name) is not None else getattr(second, name)
        for name in PERSON_FIELDS
    }
    return Person(**values)


__all__ = [
    "ACTIONS",
    "MEANS",
    "PURPOSES",
    "Case",
    "InputError",
    "Person",
    "Proceeding",
    "ServiceRecord",
    "Situation",
    "Smuggling",
]
