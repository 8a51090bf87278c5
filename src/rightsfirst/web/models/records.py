"""What happens in a case: screenings, measures and decisions, services, consents, deadlines."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rightsfirst.web.models.cases import Case
from rightsfirst.web.models.organisation import Agency
from rightsfirst.web.models.sealed import SealedRecord, sealed_column

# Measure details that may stay in clear, because the application reads them without showing
# them (dates for the engine, currencies and payers for totals) - and then only when the value
# is a code, a date, a number or a yes/no. Anything else in the details (notes, plans, names of
# places or people, or a key the application does not know) is sealed.
CLEAR_DETAILS = frozenset(
    {
        "started_on",
        "ended_on",
        "claim_kind",
        "heads_of_damage",
        "currency",
        "paid_by",
        "non_refoulement_check",
        "destination_country",
        "guardian_agency_id",
    }
)
_CODE = re.compile(r"[A-Za-z0-9_.:-]{0,40}")


def _code_like(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, str):
        return _CODE.fullmatch(value) is not None
    if isinstance(value, dict):
        return all(_CODE.fullmatch(str(key)) and _code_like(item) for key, item in value.items())
    return False


# The engine's measure fact that holds free text: the reasons given where a review asks for them.
# Stored sealed with the narrative details, never in the clear `facts` column.
JUSTIFICATION = "justification"
RECORDED_SEALED = "(recorded; sealed)"


def split_details(details: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Measure details as (kept in clear, sealed): see CLEAR_DETAILS."""
    clear: dict[str, Any] = {}
    narrative: dict[str, Any] = {}
    for name, value in details.items():
        if name in CLEAR_DETAILS and _code_like(value):
            clear[name] = value
        else:
            narrative[name] = value
    return clear, narrative


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


class Measure(SealedRecord):
    """A measure or decision about the person, reviewed by the engine before it was saved.

    `details` holds only the coded details the application computes with; the free-text ones are
    sealed (`narrative_details`), and `all_details()` gives both for display.
    """

    SEALED = ("override_justification", "details_text")

    class Outcome(models.TextChoices):
        OK = "ok", _("No problem found")
        REQUIRES_JUSTIFICATION = "requires_justification", _("Justified")
        VIOLATION = "violation", _("Violation")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="measures")
    measure_type = models.CharField(_("measure"), max_length=40)
    decided_on = models.DateField(_("date"))
    facts = models.JSONField(help_text="The facts the engine reviews, in its measure schema.")
    details = models.JSONField(
        default=dict, blank=True, help_text="Further coded details the engine does not use (free text is sealed)."
    )
    details_text_sealed = sealed_column()
    has_justification = models.BooleanField(
        default=False, help_text="Whether reasons were recorded for the review (the text is sealed in the details)."
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    review = models.JSONField(help_text="The engine's review, as JSON, when the measure was saved.")
    framework_version = models.CharField(max_length=40)
    overridden = models.BooleanField(default=False)
    override_justification_sealed = sealed_column()
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on", "-recorded_at"]
        indexes = [models.Index(fields=["overridden", "recorded_at"]), models.Index(fields=["measure_type"])]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Details given when the measure is made are split at once: coded ones stay in `details`,
        # the rest is sealed; so is the engine's free-text `justification` fact. Rows loaded from
        # the database are already split.
        given = kwargs.pop("details", None) if not args else None
        super().__init__(*args, **kwargs)
        if given is not None:
            self.set_details(given)
        if not args and isinstance(self.facts, dict) and JUSTIFICATION in self.facts:
            justification = self.facts[JUSTIFICATION]
            self.facts = {name: value for name, value in self.facts.items() if name != JUSTIFICATION}
            if justification:
                self.narrative_details = {**self.narrative_details, JUSTIFICATION: justification}
                self.has_justification = True

    @property
    def engine_facts(self) -> dict[str, Any]:
        """The facts as they were reviewed: the coded facts and the sealed justification (decrypted), if any."""
        if not self.has_justification:
            return dict(self.facts)
        return {**self.facts, JUSTIFICATION: self.narrative_details.get(JUSTIFICATION, "")}

    def facts_for_review(self) -> dict[str, Any]:
        """The facts for reviewing the case again, without decrypting anything.

        The rules only ask whether reasons were recorded, never what they say, so a stored measure
        stands for its justification with a fixed text; pages that show the reasons use
        `engine_facts`.
        """
        return {**self.facts, JUSTIFICATION: RECORDED_SEALED} if self.has_justification else dict(self.facts)

    @property
    def override_justification(self) -> str:
        """Why a coordinator overrode the engine's finding (narrative: sealed under the case's key)."""
        return self.opened("override_justification")

    @override_justification.setter
    def override_justification(self, value: str) -> None:
        self.set_plain("override_justification", value)

    @property
    def narrative_details(self) -> dict[str, Any]:
        """The free-text details (sealed under the case's key)."""
        text = self.opened("details_text")
        value = json.loads(text) if text else {}
        return value if isinstance(value, dict) else {}

    @narrative_details.setter
    def narrative_details(self, value: dict[str, Any]) -> None:
        self.set_plain("details_text", json.dumps(value, sort_keys=True, ensure_ascii=False) if value else "")

    def set_details(self, details: dict[str, Any]) -> None:
        """Store details: coded ones in clear, free text sealed."""
        self.details, self.narrative_details = split_details(details)

    def all_details(self) -> dict[str, Any]:
        """Every detail, coded and free text (decrypts the free text: only for pages that show it).

        The justification is a fact (see `engine_facts`), not a detail, though sealed with them."""
        narrative = {name: value for name, value in self.narrative_details.items() if name != JUSTIFICATION}
        return {**self.details, **narrative}


class ServiceEvent(SealedRecord):
    """A step for one entitlement (offered, accepted, refused, delivered ...). The latest step is its status."""

    SEALED = ("note",)

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
    note_sealed = sealed_column()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "recorded_at"]

    @property
    def note(self) -> str:
        """A note on the step (narrative: sealed under the case's key)."""
        return self.opened("note")

    @note.setter
    def note(self, value: str) -> None:
        self.set_plain("note", value)


class Consent(SealedRecord):
    """What the person (or a child's guardian) agreed to, for what purpose, shared with whom. Withdrawable."""

    SEALED = ("agreed_to",)

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
    agreed_to_sealed = sealed_column()
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

    @property
    def agreed_to(self) -> str:
        """What was agreed, in the words recorded (narrative: sealed under the case's key)."""
        return self.opened("agreed_to")

    @agreed_to.setter
    def agreed_to(self, value: str) -> None:
        self.set_plain("agreed_to", value)


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
