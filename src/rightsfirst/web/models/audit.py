"""The audit log: who did or saw what, when and why. Rows are only ever added."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit entries cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries cannot be deleted")


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=30, blank=True)
    agency = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    case_reference = models.CharField(max_length=20, blank=True, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    fields = models.CharField(max_length=300, blank=True)
    reason = models.TextField(blank=True)
    # Tamper evidence: entries are numbered without gaps, and each carries a keyed hash (HMAC,
    # key outside the database) of its own content and of the previous entry's hash.
    sequence = models.PositiveBigIntegerField(unique=True, null=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # For the oversight alerts: one user's recent entries.
        indexes = [models.Index(fields=["username", "at"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit entries cannot be changed")
        if self.sequence is None or not self.entry_hash:
            raise PermissionError("audit entries are written through rightsfirst.web.audit.record (the hash chain)")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries cannot be deleted")
