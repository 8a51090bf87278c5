"""Agencies, the people who work in them, and their roles."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rightsfirst.web.roles import ROLE_CHOICES


class Agency(models.Model):
    class Kind(models.TextChoices):
        POLICE = "police", _("Police")
        LABOUR_INSPECTION = "labour_inspection", _("Labour inspection")
        BORDER = "border", _("Border service")
        NGO = "ngo", _("Non-governmental organisation")
        SHELTER = "shelter", _("Shelter")
        LEGAL_AID = "legal_aid", _("Legal aid")
        GUARDIANSHIP = "guardianship", _("Guardianship service")
        REFERRAL_MECHANISM = "referral_mechanism", _("National referral mechanism")
        MONITORING = "monitoring", _("Monitoring body")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    region = models.CharField(_("region"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's agency and role: what they may do and which cases they may see."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(_("role"), max_length=30, choices=ROLE_CHOICES)

    class Meta:
        verbose_name = _("membership")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.agency})"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """An API token. Only its hash is stored; the token itself is shown once, when created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(cls, user: object, name: str) -> tuple[ApiToken, str]:
        """Create a token for the user; returns the record and the token (to show once)."""
        token = "rf_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, token_hash=_hash_token(token)), token

    @classmethod
    def find(cls, token: str) -> ApiToken | None:
        """The live token record for a presented token, if any."""
        return (
            cls.objects.select_related("user", "user__membership")
            .filter(token_hash=_hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
