"""The "your rights" sheet: the person's entitlements, written for the person, in their language.

The engine decides which entitlements apply and by when; this module only says each one in
plain words addressed to the person ("you"), so that it can be read aloud or handed over.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Entitlement id (the engine's) -> (heading, what it means for you).
PLAIN_WORDS: dict[str, tuple[Promise, Promise]] = {
    "information_on_rights": (
        _("To be told your rights"),
        _("You will be told what your rights are, what help you can get and how, in a language you understand."),
    ),
    "immediate_safety": (
        _("To be safe"),
        _("You will be helped to get away from danger. We will also think about the safety of your family."),
    ),
    "identification_decision": (
        _("A quick decision about your situation"),
        _("Trained staff will decide quickly whether you are recognised as someone who was trafficked."),
    ),
    "non_criminalisation": (
        _("Not to be punished"),
        _(
            "You will not be locked up or punished for how you entered or stayed in the country, or for things "
            "you were forced to do because you were trafficked."
        ),
    ),
    "privacy": (
        _("Privacy"),
        _("Your name and story will not be made public. Information about you is shared only when needed."),
    ),
    "medical_and_psychological_care": (
        _("Health care"),
        _(
            "You can see a doctor and get help for your health and feelings. It is free, private and your choice. "
            "Nobody can force you to take a test."
        ),
    ),
    "asylum_and_non_refoulement": (
        _("Protection if it is not safe to go back"),
        _("You can ask for asylum. You will not be sent to a place where you would be in serious danger."),
    ),
    "safe_shelter": (
        _("A safe place to stay"),
        _(
            "You can have a safe place to stay. It is not a prison, and you do not have to speak to the police "
            "to get it."
        ),
    ),
    "legal_assistance_and_interpreter": (
        _("A lawyer and an interpreter"),
        _("You can get advice from a lawyer and an interpreter, free of charge if you cannot pay."),
    ),
    "consular_access_information": (
        _("Contact with your country's consulate"),
        _("You can be put in touch with your country's consulate if you want. It is your choice."),
    ),
    "recovery_and_reflection_period": (
        _("Time to rest and decide"),
        _(
            "You have time to rest, recover and think about what you want to do, with support. You cannot be "
            "sent away during this time."
        ),
    ),
    "initial_temporary_residence": (
        _("Permission to stay for now"),
        _("You can get permission to stay in the country for a while, whether or not you help the police."),
    ),
    "compensation_information": (
        _("Money for what you lost and suffered"),
        _(
            "You can ask for compensation, for example unpaid wages and harm done to you. You will get help to "
            "do it, whatever your papers say."
        ),
    ),
    "safe_return_if_wished": (
        _("Going home safely, if you want to"),
        _("If you want to go home, you will be helped to return safely and to rebuild your life there."),
    ),
    "residence_during_proceedings": (
        _("Staying during a court case"),
        _("If there is a court case, you can stay in the country while it goes on."),
    ),
    "participation_in_proceedings": (
        _("Taking part in a court case"),
        _("If there is a court case, you will be kept informed, your views will be heard, and you can have help."),
    ),
    "witness_protection": (
        _("Protection as a witness"),
        _("If you give evidence, you and your family will be protected."),
    ),
    "notification_of_suspect_release": (
        _("To be warned"),
        _("You will be told before a person who exploited you is let out of custody."),
    ),
    "treatment_as_child": (
        _("Treated as a child"),
        _("If you may be under 18, you will be treated as a child until your age is known."),
    ),
    "guardian": (
        _("A guardian"),
        _("You will have a guardian: an adult whose job is to look after your interests and go with you to meetings."),
    ),
    "best_interests_determination": (
        _("What is best for you comes first"),
        _("Every decision about you will be made by thinking first about what is best for you."),
    ),
    "family_tracing": (
        _("Finding your family"),
        _("We can look for your family, if it is safe and if you want us to."),
    ),
    "child_views_heard": (
        _("Your views count"),
        _("You will be asked what you think, and your views will count in decisions about you."),
    ),
    "care_for_children": (
        _("Care, school and support"),
        _("You will get care, schooling, a place to live and health care, like other children here."),
    ),
}

ALWAYS = (
    _("You do not have to help the police to get this help."),
    _("Saying no to one kind of help will not take any other help away from you."),
    _("You can ask questions at any time."),
)


DONE = ("delivered", "not_applicable", "refused")


def in_panel_order(entitlements: Iterable[Any]) -> list[Any]:
    """Overdue first, then what is still open (earliest due date first), then what is done;
    the engine's order otherwise. A worker at 2 a.m. sees what needs doing at the top."""
    items = list(entitlements)

    def key(pair: tuple[int, Any]) -> tuple[int, str, int]:
        position, item = pair
        rank = 0 if item.overdue else 2 if item.status in DONE else 1
        return (rank, item.due.isoformat() if item.due else "9999", position)

    return [item for _position, item in sorted(enumerate(items), key=key)]
