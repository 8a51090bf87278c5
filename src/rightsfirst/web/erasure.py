"""Erasing a case: destroy the identity and every free-text note, keep the anonymised facts.

Erasure is crypto-shredding: the data key that encrypts the identity is deleted with the
ciphertext, so a copy of the ciphertext left anywhere (a backup, a free page of the database
file) can no longer be read. The free-text notes are blanked. What remains answers statistical
questions only: sex, nationality, an age band instead of ages, the finding, the stage dates,
the forms of exploitation, measure types and outcomes, service statuses.

A case is never erased while it is on legal hold: a manual hold set by a coordinator or legal
adviser, or legal proceedings that are still pending. The retention schedule (retention.py,
`apply_retention`), `erase_case` and a granted erasure request all go through `erase`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection, transaction
from django.db.models.signals import pre_save
from django.utils import timezone

from rightsfirst.engine.inputs import MINORITY_INDICATIONS_KNOWN, SITUATION_SPEC
from rightsfirst.engine.measures import MEASURE_SPECS
from rightsfirst.engine.spec import ObjectSpec
from rightsfirst.monitoring.ages import age_band_of_situation
from rightsfirst.web import adapter, audit
from rightsfirst.web.access import membership_of, require
from rightsfirst.web.models import (
    Case,
    Consent,
    Deadline,
    EmergencyAccess,
    ErasureRequest,
    Measure,
    Person,
    Referral,
    Screening,
    SearchToken,
    ServiceEvent,
    StageChange,
)
from rightsfirst.web.models.people import IDENTITY_COLUMNS
from rightsfirst.web.roles import allowed

# A refusal must say why, in more than a word or two (like an override's justification).
MINIMUM_REFUSAL_REASON = 20
# Measure details that are facts, not free text (measure_forms._detail_fields): kept after erasure.
# Anything else in details (protection measures, reintegration plan, notes, keys added later) goes.
KEPT_DETAILS = frozenset(
    {
        "started_on",
        "ended_on",
        "claim_kind",
        "currency",
        "paid_by",
        "non_refoulement_check",
        "destination_country",
        "guardian_agency",
    }
)
KEPT_DETAIL_PREFIXES = ("damage_",)  # amounts per head of damage
# Facts kinds kept as they are: values from fixed lists, yes/no, dates and numbers.
KEPT_KINDS = frozenset({"bool", "choice", "choices", "date", "number"})
# Exact ages are replaced by an age band on the case.
AGE_FACTS = frozenset({"age", "stated_age", "age_at_action", "age_range", "outcome_age"})


# (band, lowest age, highest age or None): wide enough that, with sex and nationality, a band
# does not point to a person; the child bands follow the child/adult line the law draws at 18.
@dataclass(frozen=True)
class HoldReason:
    """Why a case may not be erased now. `kind` is "manual", "proceedings" or "shared_identity"."""

    kind: str
    detail: str


class ErasureRefused(Exception):
    """The case may not be erased now; `reasons` says why."""

    def __init__(self, case: Case, reasons: list[HoldReason]) -> None:
        self.case = case
        self.reasons = reasons
        super().__init__(f"{case.reference} may not be erased: " + "; ".join(item.detail for item in reasons))


class AlreadyErased(Exception):
    """The case was erased before; there is nothing left to erase."""


class CaseErased(PermissionDenied):
    """Something tried to write to an erased case (or its person): refused, the act is undone."""


# Everything that belongs to a case; Person and Case themselves are guarded too.
GUARDED = (StageChange, Referral, Screening, Measure, ServiceEvent, Consent, Deadline, ErasureRequest)


def refuse_writes_to_erased(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """pre_save guard: nothing is written to an erased case, not even by an act that read the
    case just before it was erased. Locks the case row first (PostgreSQL), so an erasure in
    progress is waited for and then seen."""
    if raw:  # loading fixtures
        return
    if sender is Case:
        if instance._state.adding:
            return
        cases = Case.objects.filter(pk=instance.pk)
    elif sender is Person:
        cases = Case.objects.filter(person_id=instance.pk)
    else:
        cases = Case.objects.filter(pk=instance.case_id)
    if connection.in_atomic_block:
        # Lock by key, then read: a lock taken under "erased_at IS NOT NULL" would not wait.
        cases = cases.select_for_update(no_key=True)
    if any(erased is not None for erased in cases.values_list("erased_at", flat=True)):
        raise CaseErased(f"{sender.__name__}: the case is erased; nothing more is written to it")


def connect_guards() -> None:
    """Connect the erased-case guard to every model that belongs to a case (called at start-up)."""
    for model in (Case, Person, *GUARDED):
        pre_save.connect(refuse_writes_to_erased, sender=model, dispatch_uid=f"erased-guard-{model.__name__}")


def proceeding_pending(measure: Measure, on: dt.date) -> bool:
    """Whether a recorded legal proceeding is pending on `on`: started, and not (yet) ended."""
    started = measure.details.get("started_on") or measure.decided_on.isoformat()
    ended = measure.details.get("ended_on")
    return bool(started <= on.isoformat() and (not ended or ended > on.isoformat()))


def hold_reasons(case: Case, on: dt.date, measures: Sequence[Measure] | None = None) -> list[HoldReason]:
    """Everything that keeps this case from being erased on `on` (empty: it may be erased).

    `measures` are the case's measures when the caller has read them already.
    """
    reasons = []
    if case.legal_hold:
        by = case.legal_hold_by.get_username() if case.legal_hold_by else "?"
        when = f"{case.legal_hold_at:%Y-%m-%d}" if case.legal_hold_at else "?"
        reasons.append(HoldReason("manual", f"legal hold set on {when} by {by}"))
    if measures is None:
        proceedings = list(case.measures.filter(measure_type="legal_proceedings"))
    else:
        proceedings = [item for item in measures if item.measure_type == "legal_proceedings"]
    for measure in sorted(proceedings, key=lambda item: (item.decided_on, item.pk)):
        if proceeding_pending(measure, on):
            started = measure.details.get("started_on") or measure.decided_on.isoformat()
            reasons.append(HoldReason("proceedings", f"legal proceedings pending (measure #{measure.pk}, {started})"))
    # Today every case has a person of its own; should two cases ever share one, erasing one
    # must not destroy the other's identity.
    others = Case.objects.filter(person_id=case.person_id, erased_at__isnull=True).exclude(pk=case.pk)
    if others.exists():
        reasons.append(HoldReason("shared_identity", "the person's identity also belongs to a case not being erased"))
    return reasons


def shred(case: Case) -> None:
    """Destroy the case's data key with the identity it encrypts, and blank every free-text note.

    The one place that knows where keys and free text live. Callers hold a transaction.
    """
    # Crypto-shredding: without the wrapped data key no sealed value of this case can be read
    # again, wherever a copy of it lies; the sealed columns and search tokens go as well.
    Case.objects.filter(pk=case.pk).update(
        wrapped_data_key=b"", master_key_id="", index_key_id="", legal_hold_reason=""
    )
    SearchToken.objects.filter(case=case).delete()
    Person.objects.filter(pk=case.person_id).update(
        preferred_language="", **{column: b"" for column in IDENTITY_COLUMNS}
    )
    StageChange.objects.filter(case=case).update(note_sealed=b"")
    ServiceEvent.objects.filter(case=case).update(note_sealed=b"")
    Consent.objects.filter(case=case).update(agreed_to_sealed=b"")
    Referral.objects.filter(case=case).update(purpose_sealed=b"")
    ErasureRequest.objects.filter(case=case).update(note_sealed=b"", refusal_reason="")
    EmergencyAccess.objects.filter(case=case).update(explanation_sealed=b"", review_note_sealed=b"")
    for measure in Measure.objects.filter(case=case).only("pk", "details"):
        kept = {key: value for key, value in measure.details.items() if _kept_detail(key)}
        Measure.objects.filter(pk=measure.pk).update(
            details=kept, details_text_sealed=b"", override_justification_sealed=b""
        )


def _kept_detail(key: str) -> bool:
    return key in KEPT_DETAILS or key.startswith(KEPT_DETAIL_PREFIXES)


def band_of_situation(situation: Mapping[str, Any], treated_as_child: bool = False) -> str:
    """The age band kept instead of exact ages: the statistics' band (CTDC's), "" when unknown."""
    return age_band_of_situation(situation, treated_as_child) or ""


def structured_facts(spec: ObjectSpec, data: Mapping[str, Any], lists: Mapping[str, frozenset[str]]) -> dict[str, Any]:
    """Only the facts of `data` that are values from fixed lists, yes/no, dates or numbers.

    Free text (and any key the spec does not declare) is dropped, exact ages too; a list of
    texts keeps only the values `lists` knows for it (catalogue ids, never what someone typed).
    """
    kept: dict[str, Any] = {}
    for field in spec.fields:
        value = data.get(field.name)
        if value is None or field.name in AGE_FACTS:
            continue
        if field.kind in KEPT_KINDS:
            kept[field.name] = value
        elif field.kind == "object" and field.obj is not None and isinstance(value, Mapping):
            kept[field.name] = structured_facts(field.obj, value, lists)
        elif field.kind == "objects" and field.obj is not None and isinstance(value, list):
            kept[field.name] = [structured_facts(field.obj, item, lists) for item in value if isinstance(item, Mapping)]
        elif field.kind == "texts" and field.name in lists and isinstance(value, list):
            kept[field.name] = [item for item in value if item in lists[field.name]]
    return kept


def anonymise_facts(case: Case) -> None:
    """Replace exact ages by an age band on the case and strip free text from the stored facts;
    drop the case's deadlines (no one can act on them for a person no longer known)."""
    latest = case.screenings.order_by("-number").first()
    band = band_of_situation(latest.situation, case.treated_as_child) if latest is not None else ""
    lists = {
        "indicators": frozenset(adapter.framework().indicators.indicators),
        "indications_of_minority": frozenset(MINORITY_INDICATIONS_KNOWN),
    }
    for screening in Screening.objects.filter(case=case).only("pk", "situation"):
        situation = structured_facts(SITUATION_SPEC, screening.situation, lists)
        Screening.objects.filter(pk=screening.pk).update(situation=situation)
    for measure in Measure.objects.filter(case=case).only("pk", "measure_type", "facts"):
        spec = MEASURE_SPECS.get(measure.measure_type)
        facts = structured_facts(spec, measure.facts, lists) if spec is not None else {}
        Measure.objects.filter(pk=measure.pk).update(facts=facts)
    Deadline.objects.filter(case=case).delete()
    Case.objects.filter(pk=case.pk).update(age_band=band, overdue_count=0, next_due=None)


def erase(
    case: Case, user: Any, how: str, reason: str, on: dt.date | None = None, checkpoint_after: bool = True
) -> Case:
    """Erase the case now, in one transaction with its audit entry.

    `how` says what erased it (retention, a granted request, the command line) and goes in the
    audit entry's target with `reason`. Raises ErasureRefused while the case is on hold and
    AlreadyErased if it was erased before. Returns the case as stored afterwards. A caller that
    erases many cases passes checkpoint_after=False and calls checkpoint() once at the end.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        # The current state, locked: two erasures (or a hold set meanwhile) cannot interleave.
        locked = Case.objects.select_for_update(of=("self",)).select_related("legal_hold_by").get(pk=case.pk)
        if locked.erased_at is not None:
            raise AlreadyErased(f"{locked.reference} was erased on {locked.erased_at:%Y-%m-%d}")
        reasons = hold_reasons(locked, on)
        if reasons:
            raise ErasureRefused(locked, reasons)
        secure_delete_on()
        anonymise_facts(locked)
        shred(locked)
        now = timezone.now()
        Case.objects.filter(pk=locked.pk).update(erased_at=now)
        # A request still waiting is answered by the erasure itself.
        ErasureRequest.objects.filter(case=locked, status=ErasureRequest.Status.PENDING).update(
            status=ErasureRequest.Status.GRANTED,
            decided_by=user if user is not None and user.is_authenticated else None,
            decided_at=now,
        )
        audit.record(user, "case.erase", case=locked, target=how[:200], reason=reason)
        if checkpoint_after:
            # Once committed, push the old pages out of SQLite's write-ahead log as well.
            transaction.on_commit(checkpoint)
    locked.refresh_from_db()
    return locked


def secure_delete_on() -> None:
    """SQLite: from now on, this connection overwrites deleted content with zeros."""
    # Without it SQLite leaves deleted and overwritten bytes in free pages and in the free space
    # inside pages, where a copy of the file would still hold them.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete=ON")


def checkpoint() -> str:
    """SQLite: copy the write-ahead log into the database file and truncate it, so the old
    versions of erased pages leave the log too. Returns what happened, for reports."""
    if connection.vendor != "sqlite":
        return "not needed (not SQLite)"
    if connection.in_atomic_block:
        # A checkpoint cannot run inside a transaction; the next one outside does the work.
        return "not run: inside a transaction"
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log_pages, _copied = cursor.fetchone()
    except OperationalError as error:
        return f"incomplete ({error}); the next run completes it"
    if busy:
        return "incomplete: another connection was reading; the next run completes it"
    return "done"


# --- Legal hold -----------------------------------------------------------------------------


class NotAllowed(Exception):
    """A precondition of the act is not met; the message says which (plain English, for logs)."""


def set_hold(user: Any, case: Case, reason: str) -> None:
    """Place the case on legal hold: it is not erased, by schedule or on request, until lifted."""
    require(user, "case.hold")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.erased_at is not None:
            raise NotAllowed("the case is erased")
        if locked.legal_hold:
            raise NotAllowed("the case is already on legal hold")
        Case.objects.filter(pk=case.pk).update(
            legal_hold=True, legal_hold_reason=reason.strip(), legal_hold_by=user, legal_hold_at=timezone.now()
        )
        audit.record(user, "case.hold", case=locked, target="legal hold set", reason=reason.strip())


def lift_hold(user: Any, case: Case, reason: str) -> None:
    """Lift the legal hold (the schedule and requests apply again); the reason goes in the audit log."""
    require(user, "case.hold")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not locked.legal_hold:
            raise NotAllowed("the case is not on legal hold")
        Case.objects.filter(pk=case.pk).update(
            legal_hold=False, legal_hold_reason="", legal_hold_by=None, legal_hold_at=None
        )
        audit.record(user, "case.hold_lift", case=locked, target="legal hold lifted", reason=reason.strip())


# --- The person's request -------------------------------------------------------------------


def record_request(user: Any, case: Case, requested_on: dt.date, channel: str, note: str = "") -> ErasureRequest:
    """Record the person's request to be erased; it waits for a coordinator's decision."""
    require(user, "erasure.request")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.erased_at is not None:
            raise NotAllowed("the case is erased")
        if locked.erasure_requests.filter(status=ErasureRequest.Status.PENDING).exists():
            raise NotAllowed("a request for this case is already waiting for a decision")
        request = ErasureRequest.objects.create(
            case=locked, requested_on=requested_on, channel=channel, note=note.strip(), recorded_by=user
        )
        # The note stays out of the audit log: it may say more about the person than the log should.
        audit.record(user, "erasure.request", case=locked, target=f"request #{request.pk}: {channel}, {requested_on}")
    return request


def may_decide(user: Any, request: ErasureRequest) -> bool:
    """Whether the user may decide this request: a coordinator of the holding agency who did not record it."""
    membership = membership_of(user)
    return (
        membership is not None
        and allowed(membership.role, "erasure.decide")
        and membership.agency_id == request.case.holding_agency_id
        and request.recorded_by_id != user.pk
        and request.status == ErasureRequest.Status.PENDING
    )


def _pending_request(user: Any, request: ErasureRequest) -> ErasureRequest:
    locked = ErasureRequest.objects.select_for_update().select_related("case").get(pk=request.pk)
    if locked.status != ErasureRequest.Status.PENDING:
        raise NotAllowed("the request was already decided")
    if not may_decide(user, locked):
        raise PermissionDenied
    return locked


def grant_request(user: Any, request: ErasureRequest) -> Case:
    """Grant the request: the case is erased at once, in the same transaction.

    Raises ErasureRefused (and nothing changes) while the case is on legal hold.
    """
    require(user, "erasure.decide")
    with transaction.atomic():
        locked = _pending_request(user, request)
        # erase() marks the waiting request granted, by this user, with the erasure's time.
        return erase(
            locked.case,
            user,
            f"request #{locked.pk} of {locked.requested_on} granted",
            "the person asked for their records to be erased",
        )


def refuse_request(user: Any, request: ErasureRequest, ground: str, reason: str) -> None:
    """Refuse the request on a lawful ground, with a written reason (both in the audit log)."""
    require(user, "erasure.decide")
    if ground not in ErasureRequest.Ground.values:
        raise NotAllowed(f"unknown ground {ground!r}; allowed: {', '.join(ErasureRequest.Ground.values)}")
    if len(reason.strip()) < MINIMUM_REFUSAL_REASON:
        raise NotAllowed(f"a refusal needs a written reason of at least {MINIMUM_REFUSAL_REASON} characters")
    with transaction.atomic():
        locked = _pending_request(user, request)
        ErasureRequest.objects.filter(pk=locked.pk).update(
            status=ErasureRequest.Status.REFUSED,
            decided_by=user,
            decided_at=timezone.now(),
            refusal_ground=ground,
            refusal_reason=reason.strip(),
        )
        audit.record(
            user, "erasure.refuse", case=locked.case, target=f"request #{locked.pk}: {ground}", reason=reason.strip()
        )
