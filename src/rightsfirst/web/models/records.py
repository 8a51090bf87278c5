"""What happens in a case: screenings, measures and decisions, services, consents, deadlines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rightsfirst.web.models.cases import Case
from rightsfirst.web.models.organisation import Agency


class Screening(models.Model):
    """One screening of the facts against the definition; a re-screening adds a new one (history kept)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="screenings")
    number = models.PositiveIntegerField()
    situation = models.JSONField(help_text="The facts, in the engine's situation schema.")
    result = models.JSONField(help_text="The engine's screening result, as JSON.")
    finding = models.CharField(max_length=30)
    treated_as_child = models.BooleanField()
    framework_version = models.CharField(max_length=40)
    profile = models.CharField(max_length=60)
    assessed_on = models.DateField()
    screened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="one_number_per_screening")]


class Measure(models.Model):
    """A measure or decision about the person, reviewed by the engine before it was saved."""

    class Outcome(models.TextChoices):
        OK = "ok", _("No problem found")
        REQUIRES_JUSTIFICATION = "requires_justification", _("Justified")
        VIOLATION = "violation", _("Violation")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="measures")
    measure_type = models.CharField(_("measure"), max_length=40)
    decided_on = models.DateField(_("date"))
    facts = models.JSONField(help_text="The facts the engine reviews, in its measure schema.")
    details = models.JSONField(default=dict, blank=True, help_text="Further details the engine does not use.")
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    review = models.JSONField(help_text="The engine's review, as JSON, when the measure was saved.")
    framework_version = models.CharField(max_length=40)
    overridden = models.BooleanField(default=False)
    override_justification = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on", "-recorded_at"]
        indexes = [models.Index(fields=["overridden", "recorded_at"]), models.Index(fields=["measure_type"])]


class ServiceEvent(models.Model):
    """A step for one entitlement (offered, accepted, refused, delivered ...). The latest step is its status."""

    class Status(models.TextChoices):
        # The engine's service statuses (rightsfirst.engine.inputs.SERVICE_STATUSES).
        PENDING = "pending", _("Pending")
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        DELIVERED = "delivered", _("Delivered")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="service_events")
    entitlement = models.CharField(_("entitlement"), max_length=60)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    on = models.DateField(_("date"))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("by agency"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "recorded_at"]


class Consent(models.Model):
    """What the person (or a child's guardian) agreed to, for what purpose, shared with whom. Withdrawable."""

    class Purpose(models.TextChoices):
        REFERRAL = "referral", _("Referral to another agency")
        SUPPORT = "support", _("Support and assistance")
        LEGAL = "legal", _("Legal proceedings")
        RETURN = "return", _("Return and reintegration")
        MEDICAL = "medical", _("Medical care")
        OTHER = "other", _("Other")

    class GivenBy(models.TextChoices):
        PERSON = "person", _("The person")
        GUARDIAN = "guardian", _("The child's guardian")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    agreed_to = models.TextField(_("what was agreed"))
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    shared_with = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("shared with")
    )
    information_language = models.CharField(_("language the information was given in"), max_length=10)
    given_by = models.CharField(_("given by"), max_length=20, choices=GivenBy.choices, default=GivenBy.PERSON)
    given_on = models.DateField(_("given on"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    # What a receiving agency may see beyond the pseudonymous case record, and until when.
    shared_parts = models.CharField(_("what may be shared"), max_length=100, blank=True)
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_on"]

    @property
    def active(self) -> bool:
        return self.withdrawn_on is None and (self.expires_on is None or self.expires_on >= timezone.localdate())

    @property
    def parts(self) -> frozenset[str]:
        return frozenset(part for part in self.shared_parts.split(",") if part)


class Deadline(models.Model):
    """An entitlement's due date, as the engine last computed it; kept for the coordinator's dashboard."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    entitlement = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    due = models.DateField(null=True, blank=True)
    ends = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20)

    class Meta:
        indexes = [models.Index(fields=["due", "status"]), models.Index(fields=["ends"])]
        constraints = [models.UniqueConstraint(fields=["case", "entitlement"], name="one_deadline_per_entitlement")]
