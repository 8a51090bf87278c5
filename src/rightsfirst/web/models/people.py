"""The person: identity encrypted at rest, and the few non-identifying facts statistics need."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from rightsfirst.web import crypto

# The identity fields, all held in one encrypted field. Never stored, logged or shown elsewhere.
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


class Person(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        NOT_KNOWN = "not_known", _("Not known")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    identity_ciphertext = models.BinaryField(editable=False)
    wrapped_data_key = models.BinaryField(editable=False)
    key_id = models.CharField(max_length=32, editable=False)
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

    def set_identity(self, identity: dict[str, Any]) -> None:
        """Encrypt and store the identity fields (unknown keys are refused)."""
        unknown = set(identity) - set(IDENTITY_FIELDS)
        if unknown:
            raise ValueError(f"not identity fields: {', '.join(sorted(unknown))}")
        if not self.wrapped_data_key:
            self.wrapped_data_key, self.key_id = crypto.new_wrapped_data_key(str(self.pk))
        data_key = crypto.unwrap_data_key(self.wrapped_data_key, str(self.pk), self.key_id)
        clean = {name: str(identity.get(name) or "") for name in IDENTITY_FIELDS}
        self.identity_ciphertext = crypto.encrypt_fields(
            data_key, "person", "identity", str(self.pk), self.key_id, clean
        )

    def identity(self) -> dict[str, str]:
        """Decrypt the identity. Callers go through access.reveal_identity, which audits the view."""
        data_key = crypto.unwrap_data_key(self.wrapped_data_key, str(self.pk), self.key_id)
        stored = crypto.decrypt_fields(
            data_key, "person", "identity", str(self.pk), self.key_id, self.identity_ciphertext
        )
        return {name: str(stored.get(name, "")) for name in IDENTITY_FIELDS}
