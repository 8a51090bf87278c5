"""Legal hold and the person's request to be erased: recorded by one person, decided by another.

Every page finds its case through access.case_for (a case the user may not see looks absent);
the acts, their checks and their audit entries live in erasure.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rightsfirst.web import access, erasure, workflow
from rightsfirst.web.models import Case, ErasureRequest, Measure
from rightsfirst.web.views.records import DATE_INPUT, PastDatesForm
from rightsfirst.web.widgets import IsoDateInput

NO_IDENTITY = gettext_lazy("Kept in the audit log: write no names, places or other details that identify anyone.")


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=NO_IDENTITY,
    )


class RequestForm(PastDatesForm):
    """The person's request to be erased, as it was made."""

    requested_on = forms.DateField(label=gettext_lazy("Requested on"), widget=IsoDateInput(attrs=DATE_INPUT))
    channel = forms.ChoiceField(
        label=gettext_lazy("How the request was made"),
        choices=ErasureRequest.Channel.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What the person asked for, in plain words. Erased with the case if it is granted."),
    )

    def clean_requested_on(self) -> dt.date:
        value: dt.date = self.cleaned_data["requested_on"]
        if value > workflow.today():
            raise forms.ValidationError(_("This date is in the future."))
        return value


class RefuseForm(forms.Form):
    ground = forms.ChoiceField(
        label=gettext_lazy("Lawful ground for keeping the records"),
        choices=ErasureRequest.Ground.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason, as it will be explained to the person"),
        min_length=erasure.MINIMUM_REFUSAL_REASON,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NO_IDENTITY,
    )


# --- Legal hold (a form on the case page) ----------------------------------------------------


@login_required
@require_POST
def case_hold(request: HttpRequest, reference: str) -> HttpResponse:
    """Place the case on legal hold, or lift the hold; a reason is asked for either way."""
    case = access.case_for(request.user, reference, "case.hold")
    form = HoldForm(request.POST)
    lifting = request.POST.get("hold") == "lift"
    membership = access.membership_of(request.user)
    if lifting and (membership is None or membership.agency_id != case.holding_agency_id):
        # Lifting a hold lets the schedule erase the case: only the agency that holds it may.
        # Any agency working on the case may place one (e.g. legal aid expecting proceedings).
        raise PermissionDenied
    if not form.is_valid():
        errors = "; ".join(str(error) for error in form.errors.get("reason", []))
        messages.error(request, _("Nothing was changed. Reason: %(errors)s") % {"errors": errors})
        return redirect("case_detail", reference=case.reference)
    try:
        if lifting:
            erasure.lift_hold(request.user, case, form.cleaned_data["reason"])
            messages.success(request, _("The legal hold is lifted."))
        else:
            erasure.set_hold(request.user, case, form.cleaned_data["reason"])
            messages.success(request, _("The case is on legal hold: it will not be erased until the hold is lifted."))
    except erasure.NotAllowed:
        messages.info(request, _("Nothing was changed: the hold had already been changed by someone else."))
    return redirect("case_detail", reference=case.reference)


def hold_context(case: Case, measures: Sequence[Measure] | None = None) -> dict[str, Any]:
    """What the case page needs to show the hold: its state, pending proceedings, and the form.

    `measures` are the case's measures when the page has read them already.
    """
    reasons = erasure.hold_reasons(case, workflow.today(), measures)
    return {
        "hold_form": HoldForm(),
        "proceedings_pending": [item for item in reasons if item.kind == "proceedings"],
    }


# --- The person's request to be erased ---------------------------------------------------------


def _erasure_page(
    request: HttpRequest,
    case: Case,
    form: RequestForm | None = None,
    refusing: tuple[int, RefuseForm] | None = None,
    refused: str = "",
) -> HttpResponse:
    today = workflow.today()
    holds = erasure.hold_reasons(case, today)
    rows = []
    for item in case.erasure_requests.select_related("recorded_by", "decided_by", "case"):
        refuse_form = RefuseForm(prefix=f"r{item.pk}")
        if refusing is not None and refusing[0] == item.pk:
            refuse_form = refusing[1]
        rows.append(
            {
                "request": item,
                "may_decide": erasure.may_decide(request.user, item),
                "recorded_by_me": item.recorded_by_id == request.user.pk,
                "refuse_form": refuse_form,
            }
        )
    pending = any(row["request"].status == ErasureRequest.Status.PENDING for row in rows)
    context = {
        "case": case,
        "rows": rows,
        "form": form or RequestForm(initial={"requested_on": today}),
        "may_record": access.may_on(request.user, "erasure.request", case) and not pending and case.erased_at is None,
        "pending": pending,
        "manual_hold": case.legal_hold,
        "proceedings_pending": [item for item in holds if item.kind == "proceedings"],
        "refused": refused,
        "section": "erasure",
    }
    return render(request, "web/records/erasure.html", context)


@login_required
def case_erasure(request: HttpRequest, reference: str) -> HttpResponse:
    """The person's requests to be erased: record one, and (for the deciding coordinator) decide it."""
    posted = request.method == "POST"
    case = access.case_for(request.user, reference, "erasure.request" if posted else "case.view")
    if not posted:
        return _erasure_page(request, case)
    form = RequestForm(request.POST)
    if not form.is_valid():
        return _erasure_page(request, case, form=form)
    data = form.cleaned_data
    try:
        erasure.record_request(request.user, case, data["requested_on"], data["channel"], data["note"])
    except erasure.NotAllowed:
        messages.info(request, _("A request for this case is already waiting for a decision."))
    else:
        messages.success(
            request,
            _("The request is recorded. A coordinator of %(agency)s other than you will decide it.")
            % {"agency": case.holding_agency.name},
        )
    return redirect("case_erasure", reference=case.reference)


@login_required
@require_POST
def erasure_decide(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """Grant (erase at once) or refuse (lawful ground and written reason) a waiting request."""
    case = access.case_for(request.user, reference, "erasure.decide")
    item = get_object_or_404(ErasureRequest.objects.select_related("case"), case=case, pk=pk)
    membership = access.membership_of(request.user)
    if membership is None or membership.agency_id != case.holding_agency_id:
        # Only the holding agency decides: a refusal, as for every act kept to the holding agency
        # (an agency the case was referred to is never offered the decision).
        raise PermissionDenied
    if not erasure.may_decide(request.user, item):
        messages.error(request, _cannot_decide(request, item))
        return redirect("case_erasure", reference=case.reference)
    if request.POST.get("decision") == "grant":
        try:
            erasure.grant_request(request.user, item)
        except erasure.ErasureRefused:
            return _erasure_page(
                request,
                case,
                refused=_(
                    "The request cannot be granted while the case is on legal hold or legal proceedings are "
                    "pending. Refuse it on that ground, or leave it waiting until the hold ends."
                ),
            )
        except erasure.NotAllowed:
            messages.info(request, _("This request was already decided."))
            return redirect("case_erasure", reference=case.reference)
        messages.success(request, _("The request is granted: the person's identity and the notes are erased."))
        return redirect("case_detail", reference=case.reference)
    form = RefuseForm(request.POST, prefix=f"r{item.pk}")
    if not form.is_valid():
        return _erasure_page(request, case, refusing=(item.pk, form))
    try:
        erasure.refuse_request(request.user, item, form.cleaned_data["ground"], form.cleaned_data["reason"])
    except erasure.NotAllowed:
        messages.info(request, _("This request was already decided."))
    else:
        messages.success(request, _("The request is refused. Tell the person why, and that they may ask again."))
    return redirect("case_erasure", reference=case.reference)


def _cannot_decide(request: HttpRequest, item: ErasureRequest) -> str:
    if item.status != ErasureRequest.Status.PENDING:
        return _("This request was already decided.")
    return _("You recorded this request, so another coordinator must decide it.")


urlpatterns = [
    path("cases/<str:reference>/hold/", case_hold, name="case_hold"),
    path("cases/<str:reference>/erasure/", case_erasure, name="case_erasure"),
    path("cases/<str:reference>/erasure/<int:pk>/decide/", erasure_decide, name="erasure_decide"),
]
