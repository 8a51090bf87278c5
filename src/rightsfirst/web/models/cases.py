"""Cases, referrals between agencies, and the history of stage changes.

The case owns the data key that seals its person's identity and its narrative records (see
rightsfirst.web.crypto for why the key lives here).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rightsfirst.web import crypto
from rightsfirst.web.lifecycle import STAGE_CHOICES, Stage
from rightsfirst.web.models.organisation import Agency
from rightsfirst.web.models.people import Person
from rightsfirst.web.models.sealed import SealedRecord, sealed_column

# Crockford base32 without look-alikes: easy to read aloud over a bad phone line.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A random pseudonymous case reference such as RF-7K3Q-9PXD (carries no personal data)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"RF-{chars[:4]}-{chars[4:]}"


class Case(models.Model):
    reference = models.CharField(_("case reference"), max_length=20, unique=True, default=new_reference)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    holding_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="cases")
    stage = models.CharField(_("stage"), max_length=30, choices=STAGE_CHOICES, default=Stage.REFERRED.value)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The dates the entitlements' due dates run from (the engine's case facts).
    referred_on = models.DateField(_("referred on"))
    reasonable_grounds_on = models.DateField(_("reasonable grounds decided on"), null=True, blank=True)
    identified_on = models.DateField(_("identified on"), null=True, blank=True)
    reflection_period_started_on = models.DateField(_("reflection period started on"), null=True, blank=True)
    reflection_period_days = models.PositiveIntegerField(_("reflection period granted (days)"), null=True, blank=True)

    # Kept up to date from the latest screening and assessment, for lists, dashboards and statistics.
    finding = models.CharField(_("screening finding"), max_length=30, blank=True)
    treated_as_child = models.BooleanField(_("treated as a child"), default=False)
    forms_of_exploitation = models.CharField(_("forms of exploitation"), max_length=300, blank=True)
    overdue_count = models.PositiveIntegerField(default=0)
    next_due = models.DateField(null=True, blank=True)

    # Legal hold: while set, the case is not erased, whatever its age or a request (see erasure.py).
    legal_hold = models.BooleanField(_("on legal hold"), default=False)
    legal_hold_reason = models.TextField(_("reason for the legal hold"), blank=True)
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    legal_hold_at = models.DateTimeField(null=True, blank=True)
    # Erasure: when identity and notes were destroyed. What is left is anonymised, for statistics.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    # Kept instead of exact ages once a case is erased (set by erasure.coarsen).
    age_band = models.CharField(_("age band"), max_length=10, blank=True)

    # Written only by the legal-hold and erasure acts (erasure.py), as updates under a row lock:
    # saving a copy of the case loaded before them must not undo a hold or an erasure.
    ACT_FIELDS = frozenset(
        {"legal_hold", "legal_hold_reason", "legal_hold_by", "legal_hold_at", "erased_at", "age_band"}
    )
    # The case's data key, wrapped by the master key with this id (never the key itself in clear).
    wrapped_data_key = models.BinaryField(default=b"", blank=True, editable=False)
    master_key_id = models.CharField(max_length=16, blank=True, editable=False, db_index=True)
    # The blind-index key the case's search tokens were computed with (see blind_index.py).
    index_key_id = models.CharField(max_length=16, blank=True, editable=False, db_index=True)

    # Not stored: the emergency access through which access.case_for opened this case for the
    # current user, if that is how (pages then show it read-only, and say until when).
    emergency_grant: Any = None

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["holding_agency", "-updated_at"]),
            models.Index(fields=["stage"]),
            models.Index(fields=["next_due"]),
        ]
        verbose_name = _("case")

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; a new case gets its data key first. An existing case's save leaves the hold and
        erasure fields as they are stored (only the acts in erasure.py change them)."""
        if self.erased_at is None:
            self.ensure_data_key()
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.ACT_FIELDS
            ]
        super().save(*args, **kwargs)

    @staticmethod
    def owner_for(reference: str) -> str:
        """What a case's wrapped data key is bound to: its reference, fixed for the case's life
        and known before the row is first saved (so bulk inserts can seal before they write)."""
        return f"case|{reference}"

    def key_owner(self) -> str:
        """What this case's wrapped data key is bound to (see owner_for)."""
        return self.owner_for(self.reference)

    def ensure_data_key(self) -> None:
        """Give the case its data key, wrapped by the active master key, if it has none yet."""
        if self.wrapped_data_key:
            return
        data_key = crypto.new_data_key()
        self.wrapped_data_key, self.master_key_id = crypto.wrap_data_key(data_key, self.key_owner())
        self.__dict__["_data_key"] = (bytes(self.wrapped_data_key), data_key)

    def data_key(self) -> bytes:
        """The case's data key, unwrapped once per instance (DecryptionError if it cannot be)."""
        if self.erased_at is not None:
            raise crypto.DecryptionError("the case was erased: its data key was destroyed")
        if not self.wrapped_data_key:
            self.ensure_data_key()
        wrapped = bytes(self.wrapped_data_key)
        cached = self.__dict__.get("_data_key")
        if cached is None or cached[0] != wrapped:
            cached = (wrapped, crypto.unwrap_data_key(wrapped, self.key_owner(), self.master_key_id))
            self.__dict__["_data_key"] = cached
        key: bytes = cached[1]
        return key


class Referral(SealedRecord):
    """A case shared with another agency, under a recorded consent (and, for a child, a best-interests decision)."""

    SEALED = ("purpose",)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals_received")
    consent = models.ForeignKey("casework.Consent", on_delete=models.PROTECT, related_name="referrals")
    best_interests = models.ForeignKey(
        "casework.Measure", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    purpose_sealed = sealed_column()
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["to_agency", "ended_at"])]

    @property
    def purpose(self) -> str:
        """Why the case was shared (narrative: sealed under the case's key)."""
        return self.opened("purpose")

    @purpose.setter
    def purpose(self, value: str) -> None:
        self.set_plain("purpose", value)


class StageChange(SealedRecord):
    SEALED = ("note",)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=30, choices=STAGE_CHOICES)
    to_stage = models.CharField(max_length=30, choices=STAGE_CHOICES)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    note_sealed = sealed_column()

    class Meta:
        ordering = ["changed_at"]

    @property
    def note(self) -> str:
        """The note given with the move (narrative: sealed under the case's key)."""
        return self.opened("note")

    @note.setter
    def note(self, value: str) -> None:
        self.set_plain("note", value)


class CaseRestriction(models.Model):
    """Keeps a case from a named agency or user, whatever their role: for a case that alleges the
    involvement of officials, or any other risk that someone with an account may be the danger."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="restrictions")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agency__isnull=False, user__isnull=True)
                | models.Q(agency__isnull=True, user__isnull=False),
                name="restriction_names_one_agency_or_one_user",
            )
        ]
