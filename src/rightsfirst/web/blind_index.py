"""Finding a person by name or document number without storing either in clear (blind indexes).

The design follows CipherSweet's blind indexes:

- A value is normalised first, so that spellings people actually type find each other: names are
  case-folded, accents and punctuation and spaces removed ("María José Núñez" -> "mariajosenunez"),
  and each part of a name is indexed alone as well ("maria", "jose", "nunez"); document numbers
  are upper-cased without spaces or dashes, and only values with a digit are indexed.
- The token is HMAC-SHA256 of the normalised value under an index key derived with HKDF from the
  index root key, with the table, fields and index name as HKDF info: each index has its own key,
  and the root key is separate from the master key (RIGHTSFIRST_INDEX_KEY or the key file
  `settings.RIGHTSFIRST_INDEX_KEY_FILE`), so the index can be rebuilt under a new key on its own.
- The token is cut to TOKEN_BITS bits on purpose, so that unrelated values share tokens: each
  token is expected to point at a handful of cases, and a search decrypts those candidates (only
  among the cases the user may see) and keeps the true matches. Someone reading the token table
  learns less than equality: two cases sharing a token may or may not share a value.

Choice of TOKEN_BITS = 16 (65,536 distinct tokens). CipherSweet's planner aims for each token to
match at least 2 and at most sqrt(R) of R indexed values. A person gives about four whole-name
values (given names, family name, both orders, other names) and three or four name parts. At
100,000 cases that is some 400,000 values per name index, so a token points at about 6 cases by
coincidence; at a million cases about 60, still far below sqrt(R) (about 2,000) and cheap to check
(a candidate's names decrypt in well under a millisecond). Below about 30,000 cases
(2 x 65,536 values) a rare name may be alone with its token: the price of a working search at
small scale. Document numbers (one to three values per person) reach two per token later still.

What the index still reveals to someone with the database: which cases share a token, and how
often each token occurs (frequency). That is why only names and document numbers are indexed, never
a low-entropy field on its own (sex, nationality, year of birth), and why name parts shorter than
two letters are not indexed.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from rightsfirst.web.keys import read_or_create_key

TOKEN_BITS = 16
NAME_FIELDS = ("given_names", "family_name", "other_names")
DOCUMENT_FIELDS = ("identity_documents",)
# Index name -> what it covers (table|fields|index), the HKDF info of its key.
INDEXES = {
    "name": "casework_person|given_names,family_name,other_names|name",
    "name_part": "casework_person|given_names,family_name,other_names|name_part",
    "document": "casework_person|identity_documents|document",
}
MIN_NAME_PART = 2
MIN_DOCUMENT = 4
# Letters that have no decomposition to a base letter in Unicode but that people type without.
_TRANSLITERATE = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "\u0131": "i", "þ": "th", "æ": "ae", "œ": "oe", "ŧ": "t"}
)
_ALIAS_SEPARATORS = re.compile(r"[,;/\n]+")


# --- Keys --------------------------------------------------------------------------------------


@functools.cache
def root_key() -> bytes:
    """The index root key: from RIGHTSFIRST_INDEX_KEY (base64), else the key file (created on first use)."""
    configured = os.environ.get("RIGHTSFIRST_INDEX_KEY")
    if configured:
        key = base64.b64decode(configured)
    else:
        key = read_or_create_key(Path(settings.RIGHTSFIRST_INDEX_KEY_FILE))
    if len(key) != 32:
        raise ValueError("the index key must be 32 bytes (base64-encoded)")
    return key


def key_id(root: bytes | None = None) -> str:
    """The id of the index root key (a non-secret fingerprint)."""
    return hashlib.sha256(b"rightsfirst-index-key-id" + (root or root_key())).hexdigest()[:16]


@functools.cache
def _index_key(root: bytes, index: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"rightsfirst blind index|{INDEXES[index]}".encode()
    ).derive(root)


def digest(index: str, value: str, root: bytes | None = None) -> bytes:
    """HMAC-SHA256 of one normalised value under the index's own key (before truncation)."""
    return hmac.new(_index_key(root or root_key(), index), value.encode(), hashlib.sha256).digest()


def token(index: str, value: str, root: bytes | None = None) -> int:
    """The blind-index token of one normalised value: its digest cut to TOKEN_BITS bits."""
    return int.from_bytes(digest(index, value, root)[:4], "big") >> (32 - TOKEN_BITS)


# --- Normalisation -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _letters(text: str) -> str:
    # Cached: a search checks many candidates, and names repeat.
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFKC", bare.casefold().translate(_TRANSLITERATE))


def fold(text: str) -> str:
    """A name as compared: case-folded, without accents, punctuation or spaces."""
    return "".join(char for char in _letters(text) if char.isalnum())


def name_parts(text: str) -> list[str]:
    """The parts of a name, each folded (parts of one letter are left out)."""
    parts = re.split(r"[\W_]+", _letters(text))
    return [part for part in parts if len(part) >= MIN_NAME_PART]


def _document(text: str) -> str:
    return fold(text).upper()


def document_numbers(text: str) -> set[str]:
    """Document numbers in a free-text field ("Passport NG A0123-4567; ID 99 88"), normalised.

    Each entry (separated by ; , / or a new line) gives its whole text, the text from its first
    word with a digit on ("A01234567" out of "Passport NG A0123-4567") and each word with a digit,
    upper-cased without spaces or dashes; only values with a digit and at least four characters.
    """
    found: set[str] = set()
    for entry in _ALIAS_SEPARATORS.split(text):
        words = entry.split()
        candidates = [entry, *words]
        first = next((number for number, word in enumerate(words) if any(c.isdigit() for c in word)), None)
        if first is not None:
            candidates.append(" ".join(words[first:]))
        for candidate in candidates:
            value = _document(candidate)
            if len(value) >= MIN_DOCUMENT and any(char.isdigit() for char in value):
                found.add(value)
    return found


def index_values(identity: Mapping[str, str], names: bool = True, documents: bool = True) -> dict[str, set[str]]:
    """The normalised values a person is found by, per index (plain text: never stored).

    `names` or `documents` False leaves that group empty (a search needs only what it compares).
    """
    whole: set[str] = set()
    parts: set[str] = set()
    numbers: set[str] = set()
    if names:
        given, family = identity.get("given_names", ""), identity.get("family_name", "")
        whole = {fold(given), fold(family), fold(f"{given} {family}"), fold(f"{family} {given}")}
        parts = set(name_parts(given)) | set(name_parts(family))
        for alias in _ALIAS_SEPARATORS.split(identity.get("other_names", "")):
            whole.add(fold(alias))
            parts.update(name_parts(alias))
    if documents:
        for name in DOCUMENT_FIELDS:
            numbers |= document_numbers(identity.get(name, ""))
    return {
        "name": {value for value in whole if len(value) >= MIN_NAME_PART},
        "name_part": parts,
        "document": numbers,
    }


def tokens_for(identity: Mapping[str, str], root: bytes | None = None) -> set[tuple[str, int]]:
    """The (index, token) pairs to store for a person's identity."""
    return {(index, token(index, value, root)) for index, values in index_values(identity).items() for value in values}


@dataclass(frozen=True)
class Query:
    """What a search term is compared with: the whole name, every part of it, or a document number."""

    whole: str
    parts: frozenset[str]
    documents: frozenset[str]

    @classmethod
    def of(cls, term: str) -> Query:
        whole = fold(term)
        return cls(
            whole if len(whole) >= MIN_NAME_PART else "",
            frozenset(name_parts(term)),
            frozenset(document_numbers(term)),
        )

    def __bool__(self) -> bool:
        return bool(self.whole or self.parts or self.documents)

    def matches(self, values: Mapping[str, set[str]]) -> bool:
        """Whether a person's normalised values answer this query (the exact check after the tokens)."""
        return (
            (bool(self.whole) and self.whole in values["name"])
            or (bool(self.parts) and self.parts <= values["name_part"])
            or bool(self.documents & values["document"])
        )


# --- Storing and searching ---------------------------------------------------------------------


def index_case(case: Any, identity: Mapping[str, str]) -> None:
    """Replace the case's search tokens with those of this identity, under the current index key."""
    from rightsfirst.web.models import Case, SearchToken

    root = root_key()
    with transaction.atomic():
        SearchToken.objects.filter(case=case).delete()
        SearchToken.objects.bulk_create(
            SearchToken(case=case, index=index, token=value) for index, value in sorted(tokens_for(identity, root))
        )
        case.index_key_id = key_id(root)
        Case.objects.filter(pk=case.pk).update(index_key_id=case.index_key_id)


@dataclass(frozen=True)
class Found:
    """Cases that matched, newest first; `more` if more matched than were kept, `stopped` if the
    search gave up after MAX_CANDIDATES possible matches (a term too common, or an unlucky token)."""

    cases: list[Any]
    more: bool
    stopped: bool = False


# The most candidates one search decrypts: about a millisecond each, so a search stays under a few seconds.
MAX_CANDIDATES = 2000


def search(visible: QuerySet[Any], term: str, limit: int = 50) -> Found:
    """The cases among `visible` whose person the term finds (at most `limit`).

    Token lookups first (restricted to `visible` in the same query, so a case the user may not see
    is never a candidate and never decrypted), then each candidate's names or documents - only
    what the term is compared with - are decrypted and checked exactly.
    """
    from rightsfirst.web import crypto
    from rightsfirst.web.models import Case, SearchToken
    from rightsfirst.web.models.people import PERSON_TABLE

    query = Query.of(term)
    if not query:
        return Found([], False)
    whole = token("name", query.whole) if query.whole else None
    parts = {token("name_part", part) for part in query.parts}
    documents = {token("document", number) for number in query.documents}
    wanted = Q(pk__in=[])
    if whole is not None:
        wanted |= Q(index="name", token=whole)
    if parts:
        wanted |= Q(index="name_part", token__in=parts)
    if documents:
        wanted |= Q(index="document", token__in=documents)
    held: dict[int, set[tuple[str, int]]] = {}
    rows = SearchToken.objects.filter(wanted, case__in=visible.values("pk")).values_list("case_id", "index", "token")
    for case_id, index, value in rows:
        held.setdefault(case_id, set()).add((index, value))
    candidates = [
        case_id
        for case_id, found in held.items()
        if (whole is not None and ("name", whole) in found)
        or (parts and parts <= {value for index, value in found if index == "name_part"})
        or any(index == "document" for index, _value in found)
    ]
    by_names = bool(query.whole or query.parts)
    fields = (*(NAME_FIELDS if by_names else ()), *(DOCUMENT_FIELDS if query.documents else ()))
    # Newest first, at most MAX_CANDIDATES; then read in small batches (a long IN list joined with
    # the person table makes SQLite pick a slow plan), as plain values rather than model instances.
    ordered = list(Case.objects.filter(pk__in=candidates).order_by("-updated_at", "-pk").values_list("pk", flat=True))
    stopped = len(ordered) > MAX_CANDIDATES
    columns: tuple[str, ...] = ("pk", "reference", "wrapped_data_key", "master_key_id", "person_id")
    columns += tuple(f"person__{name}_sealed" for name in fields)
    matched: list[int] = []
    for start in range(0, min(len(ordered), MAX_CANDIDATES), 500):
        chunk = ordered[start : min(start + 500, MAX_CANDIDATES)]
        rows = {row[0]: row for row in Case.objects.filter(pk__in=chunk).values_list(*columns)}
        for pk in chunk:
            _pk, reference, wrapped, master_id, person_id, *sealed = rows[pk]
            data_key = crypto.unwrap_data_key(bytes(wrapped), Case.owner_for(reference), master_id)
            identity = {
                name: crypto.open_text(data_key, PERSON_TABLE, name, str(person_id), value)
                for name, value in zip(fields, sealed, strict=True)
            }
            if query.matches(index_values(identity, names=by_names, documents=bool(query.documents))):
                if len(matched) == limit:
                    return _found(matched, more=True, stopped=False)
                matched.append(pk)
    return _found(matched, more=False, stopped=stopped)


def _found(matched: list[int], more: bool, stopped: bool) -> Found:
    from rightsfirst.web.models import Case

    found = Case.objects.in_bulk(matched)
    return Found([found[pk] for pk in matched], more, stopped)
