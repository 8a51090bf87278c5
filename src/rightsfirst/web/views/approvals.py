"""Second-person approvals of dangerous acts, the export of the case list, and oversight alerts."""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rightsfirst.web import access, approvals, audit, two_factor
from rightsfirst.web.models import Agency, Membership
from rightsfirst.web.models.security import Approval, OversightAlert
from rightsfirst.web.roles import ROLE_CHOICES

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class RequestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is this needed?"),
        min_length=20,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "The person who decides reads this. At least 20 characters. Write no names: the case reference is enough."
        ),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("refuse", gettext_lazy("Refuse"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Required when refusing."),
    )
    confirmation_code = two_factor.confirmation_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "refuse" and len((data.get("reason") or "").strip()) < 10:
            self.add_error("reason", _("Say why it is refused (at least 10 characters)."))
        return data


class RoleGrantForm(RequestForm):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    agency = forms.ModelChoiceField(label=gettext_lazy("Agency"), queryset=Agency.objects.all())
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=ROLE_CHOICES)

    field_order = ["username", "agency", "role", "reason"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if not get_user_model().objects.filter(username=username).exists():
            raise forms.ValidationError(_("There is no user with this name."))
        return username


@login_required
def approval_list(request: HttpRequest) -> HttpResponse:
    """Requests waiting for this user's decision, and the user's own requests."""
    access.require(request.user, "approval.request")
    context = {
        "pending": approvals.pending_for(request.user),
        "mine": Approval.objects.filter(requested_by=request.user).select_related("case", "decided_by")[:50],
        "may_grant_roles": access.may(request.user, "role.grant"),
        "grant_form": RoleGrantForm(),
    }
    return render(request, "web/approvals/list.html", context)


@login_required
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or refuse one request (never one's own), confirmed with a one-time code."""
    approval = get_object_or_404(Approval.objects.select_related("case", "requested_by", "agency"), pk=pk)
    if not approvals.may_decide(request.user, approval):
        raise PermissionDenied
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and two_factor.check_confirmation(request, form):
        approve = form.cleaned_data["decision"] == "approve"
        with transaction.atomic():
            decided = approvals.decide(request.user, approval, approve, form.cleaned_data["reason"])
            if approve and decided.kind == Approval.Kind.ROLE_GRANT:
                _grant_role(request.user, decided)
        messages.success(request, _("Your decision is recorded.") if not approve else _("Approved."))
        return redirect("approval_list")
    return render(request, "web/approvals/decide.html", {"approval": approval, "form": form})


def _grant_role(user: Any, approval: Approval) -> None:
    username, agency_id, role = approval.target.split("|")
    person = get_user_model().objects.get(username=username)
    Membership.objects.update_or_create(user=person, defaults={"agency_id": int(agency_id), "role": role})
    approvals.use(approval.requested_by, str(Approval.Kind.ROLE_GRANT), target=approval.target)
    audit.record(user, "role.grant", target=f"{username}: {role} in agency #{agency_id}", reason=approval.reason)


@login_required
def role_grant_request(request: HttpRequest) -> HttpResponse:
    """An administrator asks to give a user a role; another administrator approves it."""
    access.require(request.user, "role.grant")
    form = RoleGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = f"{data['username']}|{data['agency'].pk}|{data['role']}"
        approvals.request(request.user, str(Approval.Kind.ROLE_GRANT), data["reason"], target=target)
        messages.success(request, _("Asked. Another administrator must approve it."))
        return redirect("approval_list")
    context = {"pending": [], "mine": [], "may_grant_roles": True, "grant_form": form}
    return render(request, "web/approvals/list.html", context)


@login_required
def share_request(request: HttpRequest, reference: str) -> HttpResponse:
    """Ask for approval to share a case with an authority (police, border, labour inspection)."""
    case = access.case_for(request.user, reference, "case.refer")
    agency = get_object_or_404(Agency, pk=request.POST.get("to_agency") or request.GET.get("to_agency") or 0)
    if not approvals.is_authority(agency):
        raise PermissionDenied
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approvals.request(
            request.user,
            str(Approval.Kind.SHARE_WITH_AUTHORITY),
            form.cleaned_data["reason"],
            case=case,
            target=str(agency.pk),
        )
        messages.success(request, _("Asked. A coordinator must approve it before the case can be shared."))
        return redirect("case_refer", reference=case.reference)
    return render(request, "web/approvals/share.html", {"case": case, "agency": agency, "form": form})


@login_required
def location_request(request: HttpRequest, reference: str) -> HttpResponse:
    """Ask for approval to see where the person lives (the next identity view shows it, once)."""
    case = access.case_for(request.user, reference)
    if case.erased_at is not None or "address" not in access.identity_fields_for(request.user, case):
        raise PermissionDenied
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approvals.request(request.user, str(Approval.Kind.REVEAL_LOCATION), form.cleaned_data["reason"], case=case)
        messages.success(request, _("Asked. A coordinator must approve it; then the next identity view shows it."))
        return redirect("case_detail", reference=case.reference)
    return render(request, "web/approvals/location.html", {"case": case, "form": form})


class ExportForm(forms.Form):
    confirmation_code = two_factor.confirmation_field()


def neutralise(value: Any) -> str:
    """A cell value a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@login_required
def case_export(request: HttpRequest) -> HttpResponse:
    """The list of cases the user may see, as CSV, without identity: approved by a second person,
    confirmed with a one-time code, one download per approval."""
    access.require(request.user, "export.cases")
    approval = approvals.live(request.user, str(Approval.Kind.BULK_EXPORT))
    ask = RequestForm(request.POST if request.POST.get("ask") else None)
    export = ExportForm(request.POST if request.POST.get("download") else None)
    if request.method == "POST" and request.POST.get("ask") and ask.is_valid():
        approvals.request(request.user, str(Approval.Kind.BULK_EXPORT), ask.cleaned_data["reason"])
        messages.success(request, _("Asked. Another coordinator must approve the export."))
        return redirect("case_export")
    if request.method == "POST" and request.POST.get("download") and export.is_valid():
        if approval is None:
            raise PermissionDenied
        if two_factor.check_confirmation(request, export):
            return _export_csv(request)
    context = {
        "approval": approval,
        "waiting": Approval.objects.filter(
            requested_by=request.user, kind=str(Approval.Kind.BULK_EXPORT), decision=Approval.Decision.PENDING
        ).exists(),
        "ask": ask,
        "export": export,
    }
    return render(request, "web/approvals/export.html", context)


COLUMNS = (
    "reference",
    "stage",
    "finding",
    "treated_as_child",
    "forms_of_exploitation",
    "referred_on",
    "identified_on",
    "overdue_count",
    "next_due",
)


def _export_csv(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        approvals.use(request.user, str(Approval.Kind.BULK_EXPORT))
        rows = list(access.visible_cases(request.user).order_by("reference").values_list(*COLUMNS))
        audit.record(request.user, "export.cases", target=f"{len(rows)} cases", fields=",".join(COLUMNS))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cases-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


class ReviewForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("What you found"), min_length=10, max_length=2000)


@login_required
def oversight_alerts(request: HttpRequest) -> HttpResponse:
    """Alerts for the oversight role; never alerts about oneself."""
    access.require(request.user, "oversight.alerts")
    if request.method == "POST":
        alert = get_object_or_404(OversightAlert, pk=request.POST.get("alert"), reviewed_at__isnull=True)
        form = ReviewForm(request.POST)
        if form.is_valid() and alert.username != request.user.get_username():
            alert.reviewed_by, alert.reviewed_at = request.user, timezone.now()
            alert.review_note = form.cleaned_data["note"]
            alert.save()
            audit.record(request.user, "oversight.review", target=f"alert #{alert.pk}", reason=alert.review_note)
            return redirect("oversight_alerts")
        messages.error(request, _("Write what you found (at least 10 characters)."))
    alerts = OversightAlert.objects.exclude(username=request.user.get_username())
    context = {
        "open": alerts.filter(reviewed_at__isnull=True)[:200],
        "reviewed": alerts.filter(reviewed_at__isnull=False)[:50],
    }
    return render(request, "web/approvals/alerts.html", context)


urlpatterns = [
    path("approvals/", approval_list, name="approval_list"),
    path("approvals/<int:pk>/", approval_decide, name="approval_decide"),
    path("approvals/role/", role_grant_request, name="role_grant_request"),
    path("cases/<str:reference>/share-request/", share_request, name="share_request"),
    path("cases/<str:reference>/location-request/", location_request, name="location_request"),
    path("exports/cases/", case_export, name="case_export"),
    path("oversight/", oversight_alerts, name="oversight_alerts"),
]
