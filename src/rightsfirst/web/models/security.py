"""Sign-in security: single-use recovery codes, stored only as hashes.

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
from django_otp.models import Device, ThrottlingMixin

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
