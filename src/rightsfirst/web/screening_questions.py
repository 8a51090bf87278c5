"""The guided screening: one plain-language question per fact of the engine's situation schema.

What each question asks for (its kind, choices and bounds) comes from the engine's field specs;
only the wording is written here, for a responder who may be talking to the person at 2 a.m.
Answers go into a situation dict in the engine's shape: "I don't know" leaves the key out (not
known), "None of these" stores an empty list (looked for, none found).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rightsfirst import engine
from rightsfirst.engine.inputs import MINORITY_INDICATIONS_KNOWN, SITUATION_SPEC
from rightsfirst.engine.spec import FieldSpec, ObjectSpec
from rightsfirst.framework.model import IndicatorCatalogue

# Answer values for the two options every question offers besides the facts themselves.
DONT_KNOW = "dont_know"
NONE_OF_THESE = "none_of_these"

# Lazily translated text (django's Promise) or plain text.
Label: TypeAlias = str | Promise
Condition = Callable[[dict[str, Any], engine.ScreeningResult], bool]


def _leaves(spec: ObjectSpec, prefix: str = "") -> Iterator[tuple[str, FieldSpec]]:
    for item in spec.fields:
        if item.kind == "object" and item.obj is not None:
            yield from _leaves(item.obj, f"{prefix}{item.name}.")
        else:
            yield f"{prefix}{item.name}", item


# Every fact the engine accepts, by its path in the situation (e.g. "person.stated_age").
SPEC_FIELDS: dict[str, FieldSpec] = dict(_leaves(SITUATION_SPEC))

BOOL_CHOICES: tuple[tuple[str, Label], ...] = (("yes", _("Yes")), ("no", _("No")), (DONT_KNOW, _("I don't know")))

CHOICE_LABELS: dict[str, dict[str, Label]] = {
    "actions": {
        "recruitment": _("Recruited (for example offered work, travel or marriage)"),
        "transportation": _("Taken from one place to another"),
        "transfer": _("Handed over, sold or passed on to someone else"),
        "harbouring": _("Kept or housed somewhere"),
        "receipt": _("Received or picked up by someone"),
    },
    "means": {
        "threat": _("Threatened"),
        "use_of_force": _("Hit, held or otherwise physically forced"),
        "coercion": _("Pressured or forced in other ways"),
        "abduction": _("Kidnapped or taken away"),
        "fraud": _("Cheated (for example false papers or contracts)"),
        "deception": _("Lied to or tricked"),
        "abuse_of_power": _("Someone with power over them misused it"),
        "abuse_of_position_of_vulnerability": _(
            "Their difficult situation was used against them (for example no money, no papers, nowhere else to go)"
        ),
        "payments_to_person_in_control": _("Someone in charge of them was paid or given something"),
        "debt_bondage": _("Kept by a debt they had to work off"),
    },
    "purposes": {
        "sexual_exploitation": _("Sexual exploitation"),
        "exploitation_of_prostitution": _("Made to sell sex for someone else's profit"),
        "forced_labour": _("Forced work"),
        "forced_services": _("Forced services (for example domestic work or care)"),
        "slavery": _("Treated as someone's property"),
        "practices_similar_to_slavery": _("Practices similar to slavery"),
        "servitude": _("Made to live and work entirely under someone's control"),
        "removal_of_organs": _("Removal of organs"),
        "forced_marriage": _("Forced marriage"),
        "forced_begging": _("Forced begging"),
        "forced_criminality": _("Made to commit crimes (for example theft or selling drugs)"),
        "debt_bondage": _("Working off a debt that never ends"),
        "other_exploitation": _("Another kind of exploitation"),
    },
    "person.indications_of_minority": {
        "appearance": _("Looks like a child"),
        "documents_doubtful": _("Documents seem false or doubtful"),
        "no_documents": _("Has no identity documents"),
        "says_is_a_child": _("Says they are under 18"),
        "others_say_is_a_child": _("Others say they are under 18"),
        "behaviour": _("Behaves like a child"),
        "school_or_birth_record": _("A school or birth record suggests it"),
        "professional_opinion": _("A professional thinks so (for example a doctor or social worker)"),
    },
}


def _not_child(situation: dict[str, Any], result: engine.ScreeningResult) -> bool:
    return not result.treated_as_child


def _child(situation: dict[str, Any], result: engine.ScreeningResult) -> bool:
    return result.treated_as_child


def _condition(path: str, test: Callable[[Any], bool]) -> Condition:
    return lambda situation, result: test(get(situation, path))


@dataclass(frozen=True)
class Question:
    """One question: the fact it fills in, its wording, and when it is worth asking."""

    path: str
    text: Label
    label: Label
    hint: Label = ""
    # The engine's name for what this answers in its missing facts (action, means, purpose, age):
    # such a question is asked only while the engine says the answer could change the finding.
    element: str | None = None
    # For the other questions: when they are worth asking at all.
    asked_when: Condition | None = None
    spec: FieldSpec = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", SPEC_FIELDS[self.path])

    @property
    def input(self) -> str:
        """How it is answered: number, range, yes_no, choices or indicators."""
        if self.path == "indicators":
            return "indicators"
        return {"number": "number", "number_range": "range", "bool": "yes_no"}.get(self.spec.kind, "choices")

    def choices(self, catalogue: IndicatorCatalogue | None = None) -> list[tuple[str, Label]]:
        """The options offered, each with a plain label (without "None of these" / "I don't know")."""
        if self.input == "yes_no":
            return [choice for choice in BOOL_CHOICES if choice[0] != DONT_KNOW]
        if self.input == "indicators":
            if catalogue is None:
                return []
            return [(item.id, item.label) for item in catalogue.indicators.values()]
        values = self.spec.choices or (
            MINORITY_INDICATIONS_KNOWN if self.path == "person.indications_of_minority" else ()
        )
        labels = CHOICE_LABELS.get(self.path, {})
        return [(value, labels.get(value, value.replace("_", " ").capitalize())) for value in values]

    def applies(self, situation: dict[str, Any], result: engine.ScreeningResult) -> bool:
        """Whether the question is worth asking for these answers (ignoring the engine's missing facts)."""
        return self.asked_when is None or self.asked_when(situation, result)

    def apply(self, situation: dict[str, Any], answer: Any) -> dict[str, Any]:
        """A copy of the situation with this answer in it (DONT_KNOW removes the fact)."""
        updated = copy.deepcopy(situation)
        if answer == DONT_KNOW:
            _remove(updated, self.path)
        else:
            _put(updated, self.path, answer)
        return updated

    def describe(self, situation: Mapping[str, Any], catalogue: IndicatorCatalogue | None = None) -> str:
        """The answer in plain words, for summaries and history."""
        return describe_value(self, get(situation, self.path), catalogue)


QUESTIONS: tuple[Question, ...] = (
    # Age first: a child needs no means, so it decides which questions follow.
    Question(
        "person.stated_age",
        _("How old does the person say they are?"),
        _("Age the person gives"),
        _("In years. If they are not sure, or you have not been told, choose “I don't know”."),
        element="age",
    ),
    Question(
        "person.indications_of_minority",
        _("Is there any reason to think the person might be under 18?"),
        _("Reasons to think the person may be a child"),
        _("Tick all that apply. If there is any doubt, the person is treated as a child until their age is known."),
        element="age",
    ),
    Question(
        "person.age",
        _("What age has been confirmed by documents or an age assessment?"),
        _("Confirmed age"),
        _(
            "Only an age from reliable documents or a completed age assessment. If there is none yet, "
            "choose “I don't know”."
        ),
        element="age",
    ),
    Question(
        "person.age_range",
        _("If you had to estimate, between which ages is the person?"),
        _("Estimated age range"),
        _("Your best guess in years, from the youngest to the oldest they could be."),
        element="age",
    ),
    Question(
        "actions",
        _("Did someone do any of these to the person?"),
        _("What was done"),
        _("Tick everything that applies. The person does not need to have been moved or to have crossed a border."),
        element="action",
    ),
    Question(
        "purposes",
        _("What was the person used for, or meant to be used for?"),
        _("What it was for"),
        _("Tick everything that applies. It counts even if it had not started yet."),
        element="purpose",
    ),
    Question(
        "means",
        _("How did they get control over the person?"),
        _("How it was done"),
        _("Tick everything the person or others describe."),
        element="means",
    ),
    # Asked after means, and only for an adult: someone who was under 18 when it started was
    # trafficked as a child, which is rare enough not to hold up the questions above.
    Question(
        "person.age_at_action",
        _("How old was the person when this started?"),
        _("Age when it started"),
        _("Only if it is known for sure, for example from documents."),
        asked_when=_not_child,
    ),
    # A child's agreement never counts, so a child is not asked.
    Question(
        "consent_to_exploitation",
        _("Did the person agree, at the start, to the work or activity they were exploited in?"),
        _("Agreed at the start"),
        _(
            "This decides nothing on its own: agreement does not count once someone was tricked, pressured or "
            "forced. There is no wrong answer."
        ),
        asked_when=_not_child,
    ),
    Question(
        "crossed_border",
        _("Was the person taken across a border between countries?"),
        _("Crossed a border"),
        _("Trafficking can also happen inside one country."),
    ),
    Question(
        "smuggling.facilitated_irregular_entry",
        _("Did someone arrange for the person to enter a country without the usual permission or papers?"),
        _("Helped to enter a country without permission"),
        asked_when=_condition("crossed_border", lambda value: value is not False),
    ),
    Question(
        "smuggling.for_profit",
        _("Was that person paid, or did they gain something, for arranging it?"),
        _("Paid for arranging the entry"),
        asked_when=_condition("smuggling.facilitated_irregular_entry", lambda value: value is True),
    ),
    Question(
        "person.non_national",
        _("Is the person outside the country they are a citizen or resident of?"),
        _("Outside their own country"),
    ),
    Question(
        "person.asylum_seeker",
        _("Has the person asked for asylum, or do they want to?"),
        _("Asylum"),
        _("Asking for asylum is a right; it never counts against the person."),
        asked_when=_condition("person.non_national", lambda value: value is not False),
    ),
    Question(
        "person.unaccompanied",
        _("Is the child here without a parent or legal guardian?"),
        _("Without a parent or guardian"),
        _("If so, a guardian must be appointed without delay."),
        asked_when=_child,
    ),
    Question(
        "person.needs_interpreter",
        _("Does the person need an interpreter to understand what is said to them?"),
        _("Needs an interpreter"),
        _("The person must be told about their rights in a language they understand."),
    ),
    Question(
        "indicators",
        _("Did you notice any of these signs? (optional)"),
        _("Signs noticed"),
        _("Tick what you saw or were told. Signs can point to facts not yet recorded; they never replace them."),
    ),
)
BY_PATH: dict[str, Question] = {question.path: question for question in QUESTIONS}


def get(situation: Mapping[str, Any], path: str) -> Any:
    """The answer at a dotted path, or None when it is not known."""
    value: Any = situation
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _put(situation: dict[str, Any], path: str, value: Any) -> None:
    *parents, name = path.split(".")
    target = situation
    for part in parents:
        target = target.setdefault(part, {})
    target[name] = value


def _remove(situation: dict[str, Any], path: str) -> None:
    *parents, name = path.split(".")
    chain = [situation]
    for part in parents:
        child = chain[-1].get(part)
        if not isinstance(child, dict):
            return
        chain.append(child)
    chain[-1].pop(name, None)
    # An emptied "person" or "smuggling" says nothing; leave no empty shell behind.
    for part, holder in zip(reversed(parents), reversed(chain[:-1]), strict=True):
        if holder.get(part) == {}:
            del holder[part]


def answered_in(situation: Mapping[str, Any]) -> list[str]:
    """The questions the situation already answers (an unknown fact is not an answer)."""
    return [question.path for question in QUESTIONS if get(situation, question.path) is not None]


def remaining(
    situation: dict[str, Any], answered: set[str] | list[str], result: engine.ScreeningResult
) -> list[Question]:
    """The questions still worth asking, the next one first.

    A question about the definition's elements or the person's age is asked only while the
    engine lists it among the missing facts, i.e. while its answer could change the finding.
    """
    missing_elements = {fact.element for fact in result.missing_facts}
    missing_fields = {fact.field for fact in result.missing_facts}
    ages: list[Question] = []
    others: list[Question] = []
    for question in QUESTIONS:
        if question.path in answered:
            continue
        if question.element == "age":
            # Once the presumption of age applies, only a confirmed age can change anything.
            if "age" in missing_elements and (not result.treated_as_child or question.path in missing_fields):
                ages.append(question)
        elif question.element is not None:
            if question.element in missing_elements:
                others.append(question)
        elif question.applies(situation, result):
            others.append(question)
    # The stated age opens the questions; after it, the age fact the engine names comes first.
    ages.sort(key=lambda item: (item.path != "person.stated_age", item.path not in missing_fields))
    return ages + others


def why(question: Question, result: engine.ScreeningResult) -> str:
    """The engine's reason this question matters now, if it gives one."""
    for fact in result.missing_facts:
        if fact.field == question.path or (question.element is not None and fact.element == question.element):
            return fact.why
    return ""


def describe_value(question: Question, value: Any, catalogue: IndicatorCatalogue | None = None) -> str:
    """A stored answer in plain words."""
    if value is None:
        return str(_("Not known"))
    if question.input == "yes_no":
        return str(_("Yes") if value else _("No"))
    if question.input == "number":
        return _number_text(value)
    if question.input == "range":
        return f"{_number_text(value[0])}\N{EN DASH}{_number_text(value[1])}"
    if not value:
        return str(_("None of these"))
    labels = dict(question.choices(catalogue))
    return "; ".join(str(labels.get(item, item)) for item in value)


def _number_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def answers(situation: Mapping[str, Any], catalogue: IndicatorCatalogue | None = None) -> list[dict[str, Any]]:
    """Every question with its answer in plain words (unknown facts included, as "Not known")."""
    return [
        {
            "question": question,
            "known": get(situation, question.path) is not None,
            "text": question.describe(situation, catalogue),
        }
        for question in QUESTIONS
    ]


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any], catalogue: IndicatorCatalogue | None = None
) -> list[dict[str, Any]]:
    """The questions whose answers differ between two situations, with both answers in plain words."""
    found = []
    for question in QUESTIONS:
        old, new = get(before, question.path), get(after, question.path)
        if _comparable(old) != _comparable(new):
            found.append(
                {
                    "question": question,
                    "before": describe_value(question, old, catalogue),
                    "after": describe_value(question, new, catalogue),
                }
            )
    return found


def _comparable(value: Any) -> Any:
    # Order within a list carries no meaning (the engine sorts), and 19 equals 19.0.
    if isinstance(value, list):
        return sorted(value, key=str)
    return value
