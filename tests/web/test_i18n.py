"""The French translation: complete, compiled from the current catalogue, and shown to French users."""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.text import unescape_string_literal

import rightsfirst.web
from rightsfirst.web.rights_sheet import ALWAYS, PLAIN_WORDS
from tests.web.conftest import ADULT_SITUATION, CHILD_UNCERTAIN_AGE

WEB_DIR = Path(rightsfirst.web.__file__).resolve().parent
CATALOGUE = WEB_DIR / "locale" / "fr" / "LC_MESSAGES"
PO = CATALOGUE / "django.po"
MO = CATALOGUE / "django.mo"

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
MakeCase = Callable[..., Any]
ClientFor = Callable[[str], Client]
_PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sdgf]|%[sdgf]")


@dataclass
class Entry:
    """One message of a .po file, as far as these checks need it."""

    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    # A .po string is C-like: only these escapes appear in what makemessages writes.
    body = text.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], body)


def read_po(path: Path) -> list[Entry]:
    """The active (non-obsolete) entries of a .po file, header first.

    A small reader so the checks run on machines without gettext installed.
    """
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = Entry(line=number)
        if line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"{path}:{number}: continuation line outside a message"
            kind, index = target
            if kind == "msgid":
                current.msgid += _unquote(line)
            elif kind == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + _unquote(line)
            else:
                current.msgstr[index] += _unquote(line)
        else:
            keyword, _, value = line.partition(" ")
            plural_form = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if keyword == "msgid":
                current.msgid, target = _unquote(value), ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = _unquote(value), ("msgid_plural", 0)
            elif keyword == "msgstr":
                current.msgstr[0], target = _unquote(value), ("msgstr", 0)
            elif plural_form:
                index = int(plural_form.group(1))
                current.msgstr[index], target = _unquote(value), ("msgstr", index)
            else:
                raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    entries = read_po(PO)
    assert entries and entries[0].msgid == "", "the catalogue starts with its header"
    return entries


@pytest.fixture(scope="module")
def messages(po_entries: list[Entry]) -> list[Entry]:
    return po_entries[1:]


def test_the_catalogue_is_french_with_french_plural_rules(po_entries: list[Entry]) -> None:
    header = po_entries[0].msgstr[0]
    assert "Language: fr\n" in header
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header
    assert "fuzzy" not in po_entries[0].flags


def test_every_message_is_translated_and_none_is_fuzzy(messages: list[Entry]) -> None:
    # Hundreds of messages: a short catalogue means makemessages was not run on the whole application.
    assert len(messages) > 900
    fuzzy = [entry.msgid for entry in messages if "fuzzy" in entry.flags]
    untranslated = [
        entry.msgid
        for entry in messages
        if not entry.msgstr
        or any(not text.strip() for text in entry.msgstr.values())
        or (entry.msgid_plural is not None and sorted(entry.msgstr) != [0, 1])
    ]
    assert fuzzy == []
    assert untranslated == []


def test_translations_keep_every_placeholder(messages: list[Entry]) -> None:
    broken = []
    for entry in messages:
        wanted = sorted(_PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in entry.msgstr.values():
            if sorted(_PLACEHOLDER.findall(text)) != wanted:
                broken.append((entry.msgid, text))
    assert broken == []


def test_the_compiled_catalogue_matches_the_po_file(messages: list[Entry]) -> None:
    # A stale .mo (the .po edited but not compiled again) is what users would actually see.
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert compiled.info().get("language") == "fr"
    stale = []
    for entry in messages:
        if entry.msgid_plural is None:
            if compiled.gettext(entry.msgid) != entry.msgstr[0]:
                stale.append(entry.msgid)
        else:
            # French: the singular form serves 0 and 1, the plural form 2 and more.
            forms = (compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2))
            if list(forms) != [entry.msgstr[0], entry.msgstr[1]]:
                stale.append(entry.msgid)
    assert stale == []


_TRANSLATE_LITERAL = re.compile(r"""\{%\s*translate\s+("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def test_every_translate_tag_in_the_templates_has_a_translation(messages: list[Entry]) -> None:
    # Catches a string added to a template after the catalogue was last brought up to date.
    known = {entry.msgid for entry in messages}
    templates = sorted((WEB_DIR / "templates").rglob("*.html"))
    assert templates
    missing = []
    for template in templates:
        for found in _TRANSLATE_LITERAL.finditer(template.read_text(encoding="utf-8")):
            # The msgid Django looks up at run time, escapes resolved.
            msgid = unescape_string_literal(found.group(1))
            if msgid not in known:
                missing.append(f"{template.relative_to(WEB_DIR)}: {msgid}")
    assert missing == []


def _french(text: str) -> str:
    with translation.override("fr"):
        return str(translation.gettext(text))


def test_the_login_page_is_in_french_when_the_browser_asks_for_it(db: None) -> None:
    response = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="fr")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in page
    assert "Se connecter" in page
    assert "Mot de passe" in page
    assert "Nom d'utilisateur" in page
    assert "Sign in" not in page and "Password" not in page


def test_the_login_page_stays_in_english_by_default(db: None) -> None:
    page = Client().get("/login/").content.decode()
    assert '<html lang="en">' in page
    assert "Sign in" in page and "Se connecter" not in page


def test_the_language_chosen_in_the_header_applies_to_the_case_page(make_case: MakeCase, client_for: ClientFor) -> None:
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    chosen = client.post("/i18n/setlang/", {"language": "fr", "next": f"/cases/{case.reference}/"})
    assert chosen.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"

    response = client.get(f"/cases/{case.reference}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in page
    assert "Se déconnecter" in page
    assert "Droits de la personne" in page
    assert "Sign out" not in page
    assert "Rights of the person" not in page


def test_the_language_cookie_alone_switches_the_case_list(make_case: MakeCase, client_for: ClientFor) -> None:
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get("/cases/").content.decode()
    assert case.reference in page
    assert "Dossiers" in page and "Se déconnecter" in page


def test_the_rights_sheet_in_french_speaks_to_the_person_in_french(make_case: MakeCase, client_for: ClientFor) -> None:
    case = make_case(CHILD_UNCERTAIN_AGE)
    response = client_for("guardian").get(f"/cases/{case.reference}/your-rights/?lang=fr")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<article class="rights-sheet" lang="fr">' in page
    assert "Vos droits" in page
    assert escape("Vous pouvez poser des questions à tout moment.") in page

    rights = response.context["rights"]
    assert rights, "a screened case has rights to list"
    headings = {right["heading"] for right in rights}
    assert escape(_french("A guardian")) in page and _french("A guardian") in headings
    english = {str(heading) for heading, _text in PLAIN_WORDS.values()}
    for right in rights:
        assert right["heading"] not in english
        assert escape(right["heading"]) in page and escape(right["text"]) in page
    for line in ALWAYS:
        assert escape(_french(str(line))) in page
        assert str(line) not in page


def test_the_rights_sheet_can_be_in_english_for_a_french_user(make_case: MakeCase, client_for: ClientFor) -> None:
    case = make_case(ADULT_SITUATION)
    client = client_for("case_worker")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(f"/cases/{case.reference}/your-rights/?lang=en").content.decode()
    assert '<article class="rights-sheet" lang="en">' in page
    assert "<h1>Your rights</h1>" in page
    assert "You do not have to help the police to get this help." in page
    assert "Vos droits" not in page
