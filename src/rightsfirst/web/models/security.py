"""Security records: recovery codes (stored only as hashes), security keys (WebAuthn), approvals
of dangerous acts by a second person, and alerts for the oversight role.

Recovery codes:

django-otp's own static-token device keeps its codes in clear; a recovery code is as good as a
second factor, so a stolen database must not hold usable ones. Each code is 80 random bits, so
an unsalted SHA-256 is enough to make the stored hash useless (no dictionary can cover them).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin
from django_otp_webauthn.models import AbstractWebAuthnAttestation, AbstractWebAuthnCredential

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
