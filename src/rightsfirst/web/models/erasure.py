"""The person's own request to have their records erased, and the decision on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rightsfirst.web.models.cases import Case
from rightsfirst.web.models.sealed import SealedRecord, sealed_column


class ErasureRequest(SealedRecord):
    """A request by the person (or someone acting for them) to erase their identity and notes.

    One person records it, another decides it: a coordinator of the holding agency who did not
    record it. Granting erases the case at once; refusing needs a lawful ground and a written reason.
    """

    SEALED = ("note",)

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")
        WRITING = "writing", _("In writing (letter, e-mail or message)")
        REPRESENTATIVE = "representative", _("Through a lawyer, guardian or other representative")
        OTHER = "other", _("Another way")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        GRANTED = "granted", _("Granted: erased")
        REFUSED = "refused", _("Refused")

    class Ground(models.TextChoices):
        # The lawful grounds for keeping records a person asked to have erased (compare GDPR
        # art. 17(3)(b) and (e)); wanting to keep them is not one.
        PROCEEDINGS = "proceedings", _("The records are needed for pending legal proceedings or legal claims")
        LEGAL_OBLIGATION = "legal_obligation", _("A law obliges the agency to keep the records")
        OFFICIAL_AUTHORITY = (
            "official_authority",
            _("The records are needed for a task the agency carries out under a law, in the public interest"),
        )

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="erasure_requests")
    requested_on = models.DateField(_("requested on"))
    channel = models.CharField(_("how the request was made"), max_length=20, choices=Channel.choices)
    # What the person asked for, in their words: narrative, sealed under the case's key (and
    # unreadable once the case is erased).
    note_sealed = sealed_column()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_ground = models.CharField(_("lawful ground"), max_length=20, choices=Ground.choices, blank=True)
    refusal_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-requested_on", "-recorded_at"]
        constraints = [
            # A case has at most one request waiting for a decision.
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="pending"), name="one_pending_erasure_request"
            ),
        ]
        verbose_name = _("erasure request")

    def __str__(self) -> str:
        return f"erasure request #{self.pk} ({self.case_id})"

    @property
    def note(self) -> str:
        """What the person asked for (narrative: sealed under the case's key)."""
        return self.opened("note")

    @note.setter
    def note(self, value: str) -> None:
        self.set_plain("note", value)
