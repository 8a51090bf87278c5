"""The person: identity encrypted at rest, field by field, and the few non-identifying facts statistics need."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from rightsfirst.web import crypto
from rightsfirst.web.models.sealed import sealed_column

if TYPE_CHECKING:
    from rightsfirst.web.models.cases import Case

# The identity fields, each sealed on its own. Never stored, logged or shown elsewhere.
IDENTITY_FIELDS = (
    "given_names",
    "family_name",
    "other_names",
    "date_of_birth",
    "phone",
    "email",
    "address",
    "identity_documents",
)
# The parts of identity a consent can let another agency see (SHARED_PARTS), and their fields.
IDENTITY_PARTS = {
    "identity": ("given_names", "family_name", "other_names", "date_of_birth", "identity_documents"),
    "contact": ("phone", "email", "address"),
}
IDENTITY_COLUMNS = tuple(f"{name}_sealed" for name in IDENTITY_FIELDS)
PERSON_TABLE = "casework_person"


class Person(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        NOT_KNOWN = "not_known", _("Not known")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Each identity field is sealed under the data key of the person's case (see crypto.py).
    given_names_sealed = sealed_column()
    family_name_sealed = sealed_column()
    other_names_sealed = sealed_column()
    date_of_birth_sealed = sealed_column()
    phone_sealed = sealed_column()
    email_sealed = sealed_column()
    address_sealed = sealed_column()
    identity_documents_sealed = sealed_column()
    sex = models.CharField(_("sex"), max_length=20, choices=Sex.choices, default=Sex.NOT_KNOWN)
    nationality = models.CharField(
        _("nationality"), max_length=2, blank=True, help_text=_("Two-letter country code, e.g. NG, RO, VN.")
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, default="en", help_text=_("Language code, e.g. en, fr, ro.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person")

    def __str__(self) -> str:
        # Never the name: a person is referred to by their case reference.
        return f"person {self.pk}"

    def _check_case(self, case: Case) -> None:
        if case.person_id is not None and case.person_id != self.pk:
            raise ValueError("this is not the person's case")

    def set_identity(self, case: Case, identity: dict[str, Any]) -> None:
        """Seal every identity field under the case's data key (unknown keys are refused; missing ones
        become empty). Callers save the person, and update the blind index (workflow does both)."""
        unknown = set(identity) - set(IDENTITY_FIELDS)
        if unknown:
            raise ValueError(f"not identity fields: {', '.join(sorted(unknown))}")
        self._check_case(case)
        data_key = case.data_key()
        for name in IDENTITY_FIELDS:
            text = str(identity.get(name) or "")
            setattr(self, f"{name}_sealed", crypto.seal_text(data_key, PERSON_TABLE, name, str(self.pk), text))

    def identity(self, case: Case, fields: Iterable[str] = IDENTITY_FIELDS) -> dict[str, str]:
        """Decrypt the asked-for identity fields and nothing else. Pages go through
        access.reveal_identity, which audits the view first."""
        self._check_case(case)
        data_key = case.data_key()
        found = {}
        for name in fields:
            if name not in IDENTITY_FIELDS:
                raise ValueError(f"not an identity field: {name}")
            stored = getattr(self, f"{name}_sealed")
            found[name] = crypto.open_text(data_key, PERSON_TABLE, name, str(self.pk), stored)
        return found
