"""Security records: recovery codes (stored only as hashes), security keys (WebAuthn), approvals
of dangerous acts by a second person, emergency access to a case, and alerts for the oversight role.

Recovery codes:

django-otp's own static-token device keeps its codes in clear; a recovery code is as good as a
second factor, so a stolen database must not hold usable ones. Each code is 80 random bits, so
an unsalted SHA-256 is enough to make the stored hash useless (no dictionary can cover them).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin
from django_otp_webauthn.models import AbstractWebAuthnAttestation, AbstractWebAuthnCredential

from rightsfirst.web.models.sealed import SealedRecord, sealed_column

# Crockford's base32 without I, L, O and U: no two characters a tired reader can confuse.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
CODES_PER_SET = 10


def normalise_code(code: str) -> str:
    """A recovery code as typed (any case, spaces or dashes) in its canonical form."""
    return "".join(character for character in code.upper() if character.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(("rightsfirst-recovery|" + normalise_code(code)).encode()).hexdigest()


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """A set of single-use recovery codes, for when the authenticator app is lost."""

    class Meta:
        verbose_name = "recovery code set"

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    def replace_codes(self) -> list[str]:
        """Retire every earlier code and make a new set; returns the codes (to show once, never stored)."""
        codes = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(CODES_PER_SET)]
        with transaction.atomic():
            self.codes.all().delete()
            RecoveryCode.objects.bulk_create(RecoveryCode(device=self, code_hash=hash_code(code)) for code in codes)
        return [f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}" for code in codes]

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()

    def verify_token(self, token: str) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        if len(normalise_code(str(token))) != CODE_LENGTH:
            self.throttle_increment()
            return False
        # One UPDATE marks the code used only if it was unused: two simultaneous sign-ins
        # cannot both spend the same code.
        used = self.codes.filter(code_hash=hash_code(str(token)), used_at__isnull=True).update(used_at=timezone.now())
        if used:
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["device", "code_hash"])]


class SecurityKey(AbstractWebAuthnCredential):
    """A security key (WebAuthn credential) the user registered: a django-otp device.

    Only the public key, the credential id, the signature counter and the name the user gave it
    are kept; the private key never leaves the key. The fields come from django-otp-webauthn's
    abstract model, so that its verification helper works on this table (settings name it as
    OTP_WEBAUTHN_CREDENTIAL_MODEL) while every column stays in this application's inventory.
    """

    class Meta(AbstractWebAuthnCredential.Meta):
        verbose_name = _("security key")
        verbose_name_plural = _("security keys")


class SecurityKeyAttestation(AbstractWebAuthnAttestation):
    """What the browser sent when the key was registered (attestation "none": no make or model)."""

    credential = models.OneToOneField(SecurityKey, on_delete=models.CASCADE, related_name="attestation", editable=False)


class Approval(models.Model):
    """A dangerous act asked for by one person and approved (or refused) by another.

    The requester can never approve their own request; an approval is good for one use and
    expires (settings.RIGHTSFIRST_APPROVAL_HOURS after the decision).
    """

    class Kind(models.TextChoices):
        SHARE_WITH_AUTHORITY = "share_with_authority", _("Share a case with an authority")
        BULK_EXPORT = "bulk_export", _("Export the list of cases")
        ROLE_GRANT = "role_grant", _("Give a user a role")
        REVEAL_LOCATION = "reveal_location", _("See where the person lives")
        EMERGENCY_ACCESS = "emergency_access", _("Emergency access beyond the limit")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    kind = models.CharField(_("what"), max_length=40, choices=Kind.choices)
    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    agency = models.ForeignKey("casework.Agency", on_delete=models.CASCADE, related_name="+")
    # What exactly is approved: the receiving agency's id, or "username|agency id|role" for a role grant.
    target = models.CharField(max_length=300, blank=True)
    reason = models.TextField(_("why"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["agency", "decision"])]

    @property
    def usable(self) -> bool:
        return (
            self.decision == self.Decision.APPROVED
            and self.used_at is None
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )


class OversightAlert(models.Model):
    """A pattern an insider looking for someone would leave, for the oversight role to look into."""

    class Kind(models.TextChoices):
        MASS_VIEWS = "mass_views", _("Many cases or identities opened in a short time")
        OFF_HOURS = "off_hours", _("Identity opened outside working hours")
        SEARCH_WITHOUT_CASE = "search_without_case", _("Searches for people without a case of one's own")
        APPROVAL = "approval", _("A dangerous act was approved")
        EMERGENCY_ACCESS = "emergency_access", _("Emergency access to a case")
        EMERGENCY_REFUSED = "emergency_refused", _("Emergency access asked for a case kept from the user")
        EMERGENCY_MISUSE = "emergency_misuse", _("Emergency access flagged as misuse")

    kind = models.CharField(max_length=40, choices=Kind.choices)
    username = models.CharField(max_length=150)
    agency = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=300)
    at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["username", "kind", "at"])]


class EmergencyAccess(SealedRecord):
    """One use of emergency ("break-glass") access: a user opened, by its full reference, a case
    they could not otherwise see, read-only, until `expires_at` (see rightsfirst.web.emergency).

    The explanation and the reviewer's note describe the person's situation, so both are sealed
    under the case's key. A coordinator of the agency holding the case, never the user, reviews
    every use; flagging it as misuse ends it at once.
    """

    SEALED = ("explanation", "review_note")

    class Reason(models.TextChoices):
        CHILD = "child_guardian", _("A child: who is the guardian or responsible adult")
        SAFETY = "safety_risk", _("A risk to the person's safety or of reprisals")
        MEDICAL = "medical_needs", _("Medical or mental health needs")
        OTHER = "other_urgent", _("Another urgent need of the person (explain below)")

    class Review(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        JUSTIFIED = "justified", _("Justified")
        MISUSE = "misuse", _("Misuse")

    case = models.ForeignKey("casework.Case", on_delete=models.CASCADE, related_name="emergency_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The user's agency when the case was opened (a later move does not rewrite who asked from where).
    agency = models.ForeignKey("casework.Agency", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    explanation_sealed = sealed_column()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Set when a reviewer flags the use as misuse while it is still running.
    ended_at = models.DateTimeField(null=True, blank=True)
    # The second person's approval spent because the user had reached their limit.
    approval = models.ForeignKey(Approval, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    review = models.CharField(max_length=20, choices=Review.choices, default=Review.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note_sealed = sealed_column()

    class Meta:
        ordering = ["-granted_at"]
        indexes = [
            models.Index(fields=["user", "expires_at"]),
            models.Index(fields=["review", "case"]),
        ]

    @property
    def explanation(self) -> str:
        """What the emergency is, in the user's words (narrative: sealed under the case's key)."""
        return self.opened("explanation")

    @explanation.setter
    def explanation(self, value: str) -> None:
        self.set_plain("explanation", value)

    @property
    def review_note(self) -> str:
        """What the reviewer found (narrative: sealed under the case's key)."""
        return self.opened("review_note")

    @review_note.setter
    def review_note(self, value: str) -> None:
        self.set_plain("review_note", value)

    @property
    def label(self) -> str:
        """How audit entries name this use; every view made under it carries the same label."""
        return f"emergency access #{self.pk}"

    @property
    def ends_at(self) -> Any:
        """When the access ended or will end: expiry, or earlier if it was ended as misuse."""
        return self.ended_at if self.ended_at is not None and self.ended_at < self.expires_at else self.expires_at

    @property
    def running(self) -> bool:
        return self.ended_at is None and self.expires_at > timezone.now()
