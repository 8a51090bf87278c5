"""Services for each right, consent records, referrals between agencies, and the dates a case runs from.

Every page here finds its case through access.case_for, so a case the user may not see and a
case that does not exist look the same. The acts themselves (and their audit entries) live in
workflow; the only act done here is editing the case dates, which workflow has no function for.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from rightsfirst.engine import InputError
from rightsfirst.engine.results import Entitlement
from rightsfirst.web import access, adapter, approvals, audit, two_factor, workflow
from rightsfirst.web.limits import BoundedDateField
from rightsfirst.web.models import Agency, Case, Consent, ServiceEvent
from rightsfirst.web.rights_sheet import in_panel_order
from rightsfirst.web.views.framework_browser import DUTY_BEARER_LABELS
from rightsfirst.web.widgets import IsoDateInput

# Provisions behind the promise that help never depends on cooperation and that a refusal costs nothing.
NO_CONDITIONS_BASIS = ("RPG.P8", "RPG.G6.1", "FS36.III.C.non-coercion")
# Provision behind putting a child's best interests first in every decision, referral included.
CHILD_BASIS = ("RPG.P10",)
# Statuses that give a right up; the engine keeps a right that may not be refused owed whatever is recorded.
GIVING_UP = ("refused", "not_applicable")
DATE_FIELDS = ("referred_on", "reasonable_grounds_on", "identified_on", "reflection_period_started_on")
DATE_INPUT = {"type": "date"}


def applicable_entitlements(case: Case, at: dt.date) -> list[Entitlement]:
    """The entitlements the engine says apply to this case on `at`, what needs doing first at the top."""
    return in_panel_order(item for item in adapter.assess_case(case, at).entitlements.entitlements if item.applies)


def _not_in_future(value: dt.date | None) -> None:
    if value is not None and value > workflow.today():
        raise forms.ValidationError(_("This date is in the future."))


class PastDatesForm(forms.Form):
    """A form whose date pickers stop at today (the server checks it as well)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget.attrs["max"] = workflow.today().isoformat()


# --- Services ---------------------------------------------------------------------------------


class ServiceForm(forms.Form):
    """One step for one entitlement; the entitlement must be one the engine lists for the case."""

    entitlement = forms.CharField(label=gettext_lazy("Right"), max_length=60)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=ServiceEvent.Status.choices)
    on = BoundedDateField(label=gettext_lazy("Date"), widget=IsoDateInput(attrs=DATE_INPUT))
    agency = forms.ModelChoiceField(label=gettext_lazy("By agency"), queryset=Agency.objects.all())
    note = forms.CharField(label=gettext_lazy("Note (optional)"), required=False, max_length=1000)
    return_to = forms.ChoiceField(choices=[("case", "case"), ("services", "services")], required=False)

    def __init__(self, *args: Any, entitlements: dict[str, Entitlement], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entitlements = entitlements

    def clean_entitlement(self) -> str:
        value = str(self.cleaned_data["entitlement"]).strip()
        if value not in self.entitlements:
            raise forms.ValidationError(
                _("This is not a right the person has in this case. Choose one of: %(allowed)s.")
                % {"allowed": ", ".join(self.entitlements) or _("none yet (screen the case first)")}
            )
        return value

    def clean_on(self) -> dt.date:
        value = self.cleaned_data["on"]
        _not_in_future(value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        item = self.entitlements.get(data.get("entitlement", ""))
        if item is not None and data.get("status") in GIVING_UP and not item.may_be_refused:
            self.add_error(
                "status",
                _("This right cannot be given up or set aside: it stays owed. Record what was offered or done."),
            )
        return data


def _submitted(form: ServiceForm) -> dict[str, Any]:
    # The values and errors of a rejected step, in the shape the service form partial reads.
    return {
        "status": form.data.get("status", ""),
        "on": form.data.get("on", ""),
        "agency": str(form.data.get("agency", "")),
        "note": form.data.get("note", ""),
        "errors": form.errors,
    }


def _services_page(request: HttpRequest, case: Case, failed: ServiceForm | None = None) -> HttpResponse:
    at = workflow.today()
    assessment = adapter.assess_case(case, at)
    entitlements = [item for item in assessment.entitlements.entitlements if item.applies]
    events: dict[str, list[ServiceEvent]] = {}
    for event in case.service_events.select_related("agency", "recorded_by"):
        events.setdefault(event.entitlement, []).append(event)
    failed_id = failed.data.get("entitlement", "") if failed is not None else ""
    rows = [
        {
            "item": item,
            "bearer": DUTY_BEARER_LABELS.get(item.definition.duty_bearer, item.definition.duty_bearer),
            "events": events.pop(item.id, []),
            "sf": _submitted(failed) if failed is not None and failed_id == item.id else None,
        }
        for item in entitlements
    ]
    context = {
        "case": case,
        "rows": rows,
        "overdue": [item for item in entitlements if item.overdue],
        "earlier": [event for group in events.values() for event in group],
        "notes": assessment.entitlements.notes,
        "basis": NO_CONDITIONS_BASIS,
        "failed": failed,
        "failed_known": any(row["sf"] for row in rows),
        "service_agencies": Agency.objects.all(),
        "service_return": "services",
        "service_plain": True,
        "section": "services",
    }
    return render(request, "web/records/services.html", context)


@login_required
def case_services(request: HttpRequest, reference: str) -> HttpResponse:
    """Every right that applies, its status, due date and history, with a form to record the next step."""
    case = access.case_for(request.user, reference)
    return _services_page(request, case)


def _message_oob(request: HttpRequest, text: str, level: str) -> str:
    return render_to_string("web/records/message_oob.html", {"text": text, "level": level}, request=request)


@login_required
@require_POST
def service_record(request: HttpRequest, reference: str) -> HttpResponse:
    """Record a step for one right. With htmx the answer is the refreshed rights panel and a message."""
    case = access.case_for(request.user, reference, "service.record")
    by_id = {item.id: item for item in applicable_entitlements(case, workflow.today())}
    form = ServiceForm(request.POST, entitlements=by_id)
    if not form.is_valid():
        return _service_rejected(request, case, form, by_id)
    data = form.cleaned_data
    workflow.record_service(
        request.user, case, data["entitlement"], data["status"], data["on"], agency=data["agency"], note=data["note"]
    )
    fresh = applicable_entitlements(case, workflow.today())
    now = next((item for item in fresh if item.id == data["entitlement"]), None)
    text = _("%(right)s: “%(step)s” recorded. Its status is now: %(status)s.") % {
        "right": by_id[data["entitlement"]].definition.title,
        "step": ServiceEvent.Status(data["status"]).label,
        "status": _status_label(now.status if now is not None else data["status"]),
    }
    if request.htmx:
        panel = render_to_string(
            "web/partials/rights_panel.html", {"case": case, "entitlements": fresh}, request=request
        )
        return HttpResponse(panel + _message_oob(request, text, "success"))
    messages.success(request, text)
    if data.get("return_to") == "services":
        return redirect("case_services", reference=case.reference)
    return redirect("case_detail", reference=case.reference)


def _status_label(status: str) -> str:
    try:
        return str(ServiceEvent.Status(status).label)
    except ValueError:
        return status


def _service_rejected(
    request: HttpRequest, case: Case, form: ServiceForm, by_id: dict[str, Entitlement]
) -> HttpResponse:
    item = by_id.get(form.data.get("entitlement", ""))
    if not request.htmx:
        return _services_page(request, case, failed=form)
    if item is None:
        # No form on the page belongs to an unknown right: keep the page as it is and say why.
        errors = "; ".join(str(error) for error in form.errors.get("entitlement", []))
        response = HttpResponse(_message_oob(request, errors or _("The step could not be recorded."), "error"))
        return reswap(response, "none")
    context = {
        "case": case,
        "item": item,
        "sf": _submitted(form),
        "service_agencies": Agency.objects.all(),
        "service_return": form.data.get("return_to") or "case",
    }
    response = render(request, "web/records/service_form.html", context)
    return reswap(retarget(response, f"#service-form-{item.id}"), "outerHTML")


# --- Consents ---------------------------------------------------------------------------------


SHARED_PART_CHOICES = [
    ("identity", gettext_lazy("Name, date of birth and identity documents")),
    ("contact", gettext_lazy("Phone, e-mail and address")),
]


class ConsentForm(PastDatesForm):
    """What the person (or a child's guardian) agreed to, for what, shared with whom."""

    agreed_to = forms.CharField(
        label=gettext_lazy("What was agreed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("In plain words, as it was explained to the person."),
    )
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), choices=Consent.Purpose.choices)
    shared_with = forms.ModelChoiceField(
        label=gettext_lazy("Shared with"),
        queryset=Agency.objects.all(),
        required=False,
        empty_label=gettext_lazy("No one agency named"),
        help_text=gettext_lazy(
            "For a referral, name the agency the person agreed to. A consent that names one agency "
            "cannot be used to share the case with another."
        ),
    )
    information_language = forms.RegexField(
        label=gettext_lazy("Language the information was given in"),
        regex=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        max_length=10,
        help_text=gettext_lazy("Language code, e.g. en, fr, ro, vi."),
        error_messages={"invalid": gettext_lazy("Use a language code such as en, fr, ro or vi.")},
    )
    given_by = forms.ChoiceField(
        label=gettext_lazy("Given by"), choices=Consent.GivenBy.choices, widget=forms.RadioSelect
    )
    given_on = BoundedDateField(label=gettext_lazy("Given on"), widget=IsoDateInput(attrs=DATE_INPUT))
    shared_parts = forms.MultipleChoiceField(
        label=gettext_lazy("Beyond the case record, the receiving agency may see"),
        choices=SHARED_PART_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Tick only what the person agreed to. Without a tick, the agency sees the case under its reference only."
        ),
    )
    expires_on = BoundedDateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=IsoDateInput(attrs=DATE_INPUT),
        help_text=gettext_lazy("After this date sharing stops by itself. Leave empty if no end was agreed."),
    )

    def clean_shared_parts(self) -> str:
        return ",".join(sorted(self.cleaned_data["shared_parts"]))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        given, until = data.get("given_on"), data.get("expires_on")
        if given and until and until < given:
            self.add_error("expires_on", _("The end date cannot be before the date the consent was given."))
        return data

    def clean_information_language(self) -> str:
        return str(self.cleaned_data["information_language"]).lower()

    def clean_given_on(self) -> dt.date:
        value = self.cleaned_data["given_on"]
        _not_in_future(value)
        return value


class WithdrawForm(PastDatesForm):
    on = BoundedDateField(label=gettext_lazy("Withdrawn on"), widget=IsoDateInput(attrs=DATE_INPUT))

    def __init__(self, *args: Any, given_on: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.given_on = given_on

    def clean_on(self) -> dt.date:
        value = self.cleaned_data["on"]
        _not_in_future(value)
        if value < self.given_on:
            raise forms.ValidationError(_("A consent cannot be withdrawn before it was given."))
        return value


def _consent_initial(case: Case) -> dict[str, Any]:
    language = case.person.preferred_language
    return {
        "given_by": Consent.GivenBy.GUARDIAN if case.treated_as_child else Consent.GivenBy.PERSON,
        "given_on": workflow.today(),
        "information_language": language if language != "other" else "",
    }


def _consents_page(
    request: HttpRequest,
    case: Case,
    form: ConsentForm | None = None,
    withdraw: tuple[int, WithdrawForm] | None = None,
) -> HttpResponse:
    rows = []
    for consent in case.consents.select_related("shared_with", "recorded_by"):
        if withdraw is not None and withdraw[0] == consent.pk:
            withdraw_form = withdraw[1]
        else:
            withdraw_form = WithdrawForm(
                prefix=f"w{consent.pk}", given_on=consent.given_on, initial={"on": workflow.today()}
            )
        rows.append(
            {
                "consent": consent,
                "resting": consent.referrals.filter(ended_at__isnull=True).select_related("to_agency"),
                "withdraw_form": withdraw_form,
            }
        )
    context = {
        "case": case,
        "rows": rows,
        "form": form or ConsentForm(initial=_consent_initial(case)),
        "section": "consents",
    }
    return render(request, "web/records/consents.html", context)


@login_required
def case_consents(request: HttpRequest, reference: str) -> HttpResponse:
    """The consents recorded on the case, and a form to record a new one."""
    case = access.case_for(request.user, reference)
    return _consents_page(request, case)


@login_required
@require_POST
def consent_record(request: HttpRequest, reference: str) -> HttpResponse:
    """Record a consent (workflow.record_consent writes the audit entry)."""
    case = access.case_for(request.user, reference, "consent.record")
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return _consents_page(request, case, form=form)
    workflow.record_consent(request.user, case, **form.cleaned_data)
    messages.success(request, _("The consent is recorded."))
    return redirect("case_consents", reference=case.reference)


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Withdraw a consent; every referral resting on it ends at once."""
    case = access.case_for(request.user, reference, "consent.record")
    consent = get_object_or_404(Consent, case=case, pk=pk)
    if not consent.active:
        messages.info(request, _("This consent was already withdrawn."))
        return redirect("case_consents", reference=case.reference)
    form = WithdrawForm(request.POST, prefix=f"w{consent.pk}", given_on=consent.given_on)
    if not form.is_valid():
        return _consents_page(request, case, withdraw=(consent.pk, form))
    ending = consent.referrals.filter(ended_at__isnull=True).count()
    workflow.withdraw_consent(request.user, case, consent, form.cleaned_data["on"])
    if ending:
        text = _("The consent is withdrawn. Referrals ended: %(count)d.") % {"count": ending}
    else:
        text = _("The consent is withdrawn.")
    messages.success(request, text)
    return redirect("case_consents", reference=case.reference)


# --- Referrals --------------------------------------------------------------------------------


class ConsentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        named = obj.shared_with.name if obj.shared_with_id else _("no one agency named")
        agreed = obj.agreed_to if len(obj.agreed_to) <= 60 else obj.agreed_to[:59] + "…"
        return f"{obj.given_on:%Y-%m-%d} · {agreed} ({named})"


class ReferForm(forms.Form):
    to_agency = forms.ModelChoiceField(
        label=gettext_lazy("Refer to"), queryset=Agency.objects.none(), empty_label=gettext_lazy("Choose an agency")
    )
    consent = ConsentChoiceField(
        label=gettext_lazy("Consent for this referral"), queryset=Consent.objects.none(), empty_label=None
    )
    purpose = forms.CharField(
        label=gettext_lazy("Purpose of the referral"),
        max_length=300,
        help_text=gettext_lazy("What the other agency is asked to do. The receiving agency will see this."),
    )
    # Sharing a case is confirmed again in person: an unattended session is not enough.
    confirmation_code = two_factor.confirmation_field()

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_agency"].queryset = Agency.objects.exclude(pk=case.holding_agency_id)
        self.fields["consent"].queryset = active_referral_consents(case).select_related("shared_with")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        consent, agency = data.get("consent"), data.get("to_agency")
        if consent is not None and agency is not None and consent.shared_with_id not in (None, agency.pk):
            self.add_error(
                "consent",
                _("This consent names another agency (%(agency)s). Record a consent for this one first.")
                % {"agency": consent.shared_with.name},
            )
        return data


def active_referral_consents(case: Case) -> Any:
    """The consents of this case that can carry a referral: recorded for referral and not withdrawn."""
    return case.consents.filter(purpose=Consent.Purpose.REFERRAL, withdrawn_on__isnull=True).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=workflow.today())
    )


def _has_best_interests(case: Case) -> bool:
    return case.measures.filter(measure_type="best_interests_determination", facts__conducted=True).exists()


@login_required
def case_refer(request: HttpRequest, reference: str) -> HttpResponse:
    """Referrals of the case (current and ended), and sharing it with another agency."""
    posted = request.method == "POST"
    case = access.case_for(request.user, reference, "case.refer" if posted else "case.view")
    form = ReferForm(request.POST if posted else None, case=case)
    refused = ""
    approval_needed = None
    needs_best_interests = case.treated_as_child and not _has_best_interests(case)
    if posted and form.is_valid() and two_factor.check_confirmation(request, form):
        data = form.cleaned_data
        try:
            workflow.refer(request.user, case, data["to_agency"], data["consent"], data["purpose"])
        except approvals.ApprovalNeeded:
            approval_needed = data["to_agency"]
        except workflow.NotAllowed as error:
            refused = _refusal(case, needs_best_interests, error)
        else:
            messages.success(request, _("The case is now shared with %(agency)s.") % {"agency": data["to_agency"]})
            return redirect("case_refer", reference=case.reference)
    referrals = list(
        case.referrals.select_related("from_agency", "to_agency", "referred_by", "consent").order_by("-referred_at")
    )
    context = {
        "case": case,
        "form": form,
        "may_refer": access.may_on(request.user, "case.refer", case),
        "has_consent": active_referral_consents(case).exists(),
        "needs_best_interests": needs_best_interests,
        "refused": refused,
        "approval_needed": approval_needed,
        "child_basis": CHILD_BASIS,
        "current": [item for item in referrals if item.ended_at is None],
        "ended": [item for item in referrals if item.ended_at is not None],
        "section": "refer",
    }
    return render(request, "web/records/refer.html", context)


def _refusal(case: Case, needs_best_interests: bool, error: workflow.NotAllowed) -> str:
    # workflow's reasons are plain English for logs and the API; the page gives a translated one.
    if needs_best_interests:
        return _(
            "This case is treated as a child's case: it can only be shared after a best-interests "
            "determination has been recorded."
        )
    return _("The referral could not be made: %(reason)s.") % {"reason": str(error)}


# --- Case dates -------------------------------------------------------------------------------


class DatesForm(PastDatesForm):
    """The dates the rights' due dates run from, in an order that can have happened."""

    referred_on = BoundedDateField(
        label=gettext_lazy("Referred on"),
        widget=IsoDateInput(attrs=DATE_INPUT),
        help_text=gettext_lazy("When the person first came to the attention of a responder."),
    )
    reasonable_grounds_on = BoundedDateField(
        label=gettext_lazy("Reasonable grounds decided on"),
        required=False,
        widget=IsoDateInput(attrs=DATE_INPUT),
        help_text=gettext_lazy("When it was decided there are reasonable grounds to believe the person is trafficked."),
    )
    identified_on = BoundedDateField(
        label=gettext_lazy("Identified on"),
        required=False,
        widget=IsoDateInput(attrs=DATE_INPUT),
        help_text=gettext_lazy("When the person was formally identified as trafficked."),
    )
    reflection_period_started_on = BoundedDateField(
        label=gettext_lazy("Reflection period started on"),
        required=False,
        widget=IsoDateInput(attrs=DATE_INPUT),
        help_text=gettext_lazy("Leave empty to count it from the reasonable-grounds decision."),
    )
    reflection_period_days = forms.IntegerField(
        label=gettext_lazy("Reflection period granted (days)"),
        required=False,
        min_value=1,
        max_value=3650,
    )

    def __init__(self, *args: Any, minimum_days: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if minimum_days is not None:
            self.fields["reflection_period_days"].help_text = _(
                "Only if longer than the minimum of %(days)s days that applies anyway."
            ) % {"days": minimum_days}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in DATE_FIELDS:
            try:
                _not_in_future(data.get(name))
            except forms.ValidationError as error:
                self.add_error(name, error)
        referred = data.get("referred_on")
        if referred is not None:
            for name in ("reasonable_grounds_on", "identified_on", "reflection_period_started_on"):
                value = data.get(name)
                if value is not None and value < referred and name not in self.errors:
                    self.add_error(name, _("This cannot be before the date the person was referred."))
        return data


def _minimum_reflection_days(at: dt.date) -> Any:
    try:
        return adapter.framework().parameter("recovery_reflection_min_days", at)
    except LookupError:
        return None


def _timing(entitlements: tuple[Entitlement, ...]) -> dict[str, tuple[Any, ...]]:
    return {item.id: (item.applies, item.due, item.starts, item.ends, item.ends_when) for item in entitlements}


def driven_by_dates(case: Case, at: dt.date) -> dict[str, list[dict[str, Any]]]:
    """For each case date, the rights whose timing moves when that date moves.

    Each entry gives the entitlement and whether it applies now (if not, it would once the date is set).

    Worked out by asking the engine again with the date shifted (or set, if empty), so the page
    never restates the rules: it shows what the rules actually do with this case.
    """
    base = adapter.assess_case(case, at).entitlements.entitlements
    before = _timing(base)
    minimum = _minimum_reflection_days(at)
    driven: dict[str, list[dict[str, Any]]] = {}
    for name in (*DATE_FIELDS, "reflection_period_days"):
        probe = copy.copy(case)  # never saved: only read by the adapter
        current = getattr(case, name)
        if name == "reflection_period_days":
            setattr(probe, name, int(current or minimum or 30) + 30)
        else:
            # A week keeps weekday-based targets moving too.
            setattr(probe, name, current - dt.timedelta(days=7) if current else at)
        try:
            after = adapter.assess_case(probe, at).entitlements.entitlements
        except InputError:
            continue
        moved = _timing(after)
        probed = {item.id: item for item in after}
        driven[name] = [
            {"item": item if item.applies else probed[item.id], "applies": item.applies}
            for item in base
            if item.id in moved and before[item.id] != moved[item.id] and (item.applies or probed[item.id].applies)
        ]
    return driven


@login_required
def case_dates(request: HttpRequest, reference: str) -> HttpResponse:
    """The case dates and what each drives; users whose role allows it may correct them."""
    posted = request.method == "POST"
    case = access.case_for(request.user, reference, "case.dates" if posted else "case.view")
    at = workflow.today()
    initial = {name: getattr(case, name) for name in (*DATE_FIELDS, "reflection_period_days")}
    form = DatesForm(request.POST if posted else None, initial=initial, minimum_days=_minimum_reflection_days(at))
    if posted and form.is_valid():
        if save_dates(request.user, case, form.cleaned_data):
            messages.success(request, _("The dates are saved and the due dates recalculated."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("case_dates", reference=case.reference)
    driven = driven_by_dates(case, at)
    rows = [
        {"name": name, "label": form.fields[name].label, "value": getattr(case, name), "driven": driven.get(name, [])}
        for name in (*DATE_FIELDS, "reflection_period_days")
    ]
    context = {
        "case": case,
        "form": form,
        "may_edit": access.may_on(request.user, "case.dates", case),
        "rows": rows,
        "section": "dates",
    }
    return render(request, "web/records/dates.html", context)


def save_dates(user: Any, case: Case, data: dict[str, Any]) -> list[str]:
    """Store the changed dates with an audit entry and recompute the deadlines; returns the changed names."""
    names = (*DATE_FIELDS, "reflection_period_days")
    changed = [name for name in names if getattr(case, name) != data.get(name)]
    if not changed:
        return []
    with transaction.atomic():
        summary = "; ".join(f"{name}: {getattr(case, name) or '-'} -> {data.get(name) or '-'}" for name in changed)
        for name in changed:
            setattr(case, name, data.get(name))
        case.save(update_fields=[*changed, "updated_at"])
        audit.record(user, "case.dates", case=case, target=summary, fields=",".join(changed))
        workflow.refresh(case)
    return changed


urlpatterns = [
    path("cases/<str:reference>/services/", case_services, name="case_services"),
    path("cases/<str:reference>/services/record/", service_record, name="service_record"),
    path("cases/<str:reference>/consents/", case_consents, name="case_consents"),
    path("cases/<str:reference>/consents/new/", consent_record, name="consent_record"),
    path("cases/<str:reference>/consents/<int:pk>/withdraw/", consent_withdraw, name="consent_withdraw"),
    path("cases/<str:reference>/refer/", case_refer, name="case_refer"),
    path("cases/<str:reference>/dates/", case_dates, name="case_dates"),
]
