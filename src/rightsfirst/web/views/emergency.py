"""Emergency access: asking to open a case at once, and the second person's review of each use."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rightsfirst.web import access, approvals, emergency, two_factor
from rightsfirst.web.models import EmergencyAccess


def _full_reference(value: str) -> str:
    reference = value.strip().upper()
    if not access.REFERENCE_SHAPE.fullmatch(reference):
        raise forms.ValidationError(
            _("Write the whole case reference, for example RF-7K3Q-9PXD. Emergency access never searches.")
        )
    return reference


class OpenForm(forms.Form):
    reference = forms.CharField(
        label=gettext_lazy("Case reference"),
        max_length=20,
        help_text=gettext_lazy("All of it, as written on the person's papers or given by the agency: RF-XXXX-XXXX."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("What is the emergency?"), choices=EmergencyAccess.Reason.choices, widget=forms.RadioSelect
    )
    explanation = forms.CharField(
        label=gettext_lazy("Explain what you need to know and why it cannot wait"),
        min_length=emergency.MINIMUM_EXPLANATION,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "A coordinator of the agency that holds the case reads this when reviewing your access. "
            "At least 20 characters."
        ),
    )
    confirmation_code = two_factor.confirmation_field()

    def clean_reference(self) -> str:
        return _full_reference(self.cleaned_data["reference"])


class AskForm(forms.Form):
    """A second person's approval for one more emergency access, to one reference."""

    reference = forms.CharField(label=gettext_lazy("Case reference"), max_length=20)
    reason = forms.CharField(
        label=gettext_lazy("Why do you need one more emergency access?"),
        min_length=20,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("A coordinator reads this. Write no names. At least 20 characters."),
    )

    def clean_reference(self) -> str:
        return _full_reference(self.cleaned_data["reference"])


def _page(request: HttpRequest, form: OpenForm, **extra: Any) -> HttpResponse:
    context = {
        "form": form,
        "running": access.running_emergency_access(request.user).select_related("case"),
        "minutes": settings.RIGHTSFIRST_EMERGENCY_ACCESS_MINUTES,
        "at_once": settings.RIGHTSFIRST_EMERGENCY_ACCESS_AT_ONCE,
        "per_day": settings.RIGHTSFIRST_EMERGENCY_ACCESS_PER_DAY,
        "waiting_reviews": emergency.pending_reviews(request.user).count()
        if access.may(request.user, "emergency.review")
        else 0,
        **extra,
    }
    return render(request, "web/emergency/open.html", context)


@login_required
def emergency_access(request: HttpRequest) -> HttpResponse:
    """Open a case one cannot otherwise see, at once, read-only, for a short time.

    Every answer that opens nothing is the same page, whether the reference names no case, a case
    kept from the user or an erased case."""
    access.require(request.user, "emergency.access")
    if request.method == "POST" and "ask" in request.POST:
        return _ask(request)
    form = OpenForm(request.POST or None)
    if request.method != "POST" or not form.is_valid() or not two_factor.check_confirmation(request, form):
        return _page(request, form)
    data = form.cleaned_data
    outcome = emergency.open_case(request.user, data["reference"], data["reason"], data["explanation"])
    if outcome.already_visible:
        messages.info(request, _("You can already open this case: no emergency access was needed."))
        return redirect("case_detail", reference=data["reference"])
    if outcome.limit:
        ask = AskForm(initial={"reference": data["reference"]})
        return _page(request, OpenForm(), limit=outcome.limit, ask=ask)
    if outcome.grant is None:
        return render(request, "web/emergency/nothing_opened.html", {"reference": data["reference"]})
    messages.warning(
        request,
        _("Emergency access is open until %(until)s. Every page you open is recorded.")
        % {"until": _local_time(outcome.grant)},
    )
    return redirect("case_detail", reference=data["reference"])


def _local_time(grant: EmergencyAccess) -> str:
    return f"{timezone.localtime(grant.expires_at):%H:%M}"


def _ask(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "approval.request")
    ask = AskForm(request.POST)
    if ask.is_valid():
        approvals.request(
            request.user, emergency.APPROVAL_KIND, ask.cleaned_data["reason"], target=ask.cleaned_data["reference"]
        )
        messages.success(request, _("Asked. Once a coordinator approves, try again with the same reference."))
        return redirect("emergency_access")
    return _page(request, OpenForm(), limit="asked", ask=ask)


@login_required
def emergency_reviews(request: HttpRequest) -> HttpResponse:
    """Uses of emergency access to the agency's cases: those waiting for review, and the last reviewed."""
    access.require(request.user, "emergency.review")
    context = {
        "pending": emergency.pending_reviews(request.user)[:200],
        "done": emergency.reviewed(request.user)[:50],
    }
    return render(request, "web/emergency/reviews.html", context)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Was this use justified?"),
        choices=[
            ("justified", gettext_lazy("Justified: the emergency called for it")),
            ("misuse", gettext_lazy("Misuse: flag it to oversight (ends the access now if it is still open)")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("What you found"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required when flagging misuse (at least 20 characters)."),
    )
    confirmation_code = two_factor.confirmation_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "misuse" and len((data.get("note") or "").strip()) < emergency.MINIMUM_MISUSE_NOTE:
            self.add_error("note", _("Say what was wrong (at least 20 characters)."))
        return data


@login_required
def emergency_review(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """One use of emergency access, what was opened under it, and the review (never by its user)."""
    access.require(request.user, "emergency.review")
    case = access.case_for(request.user, reference)
    grant = get_object_or_404(EmergencyAccess.objects.select_related("user", "agency", "reviewed_by"), pk=pk, case=case)
    grant.case = case
    if not emergency.may_review(request.user, grant):
        raise PermissionDenied
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and two_factor.check_confirmation(request, form):
        justified = form.cleaned_data["decision"] == "justified"
        try:
            emergency.review(request.user, grant, justified, form.cleaned_data["note"])
        except emergency.ReviewRefused as refused:
            form.add_error(None, _refusal(refused.code))
        else:
            messages.success(request, _("Your review is recorded.") if justified else _("Flagged to oversight."))
            return redirect("emergency_reviews")
    context = {"case": case, "grant": grant, "views": emergency.views_under(grant), "form": form}
    return render(request, "web/emergency/review.html", context)


def _refusal(code: str) -> str:
    """A refused review, said in the reader's language."""
    if code == "running":
        return _("You can confirm it once the access has ended; you can flag misuse now.")
    if code == "reviewed":
        return _("This use has already been reviewed.")
    return _("Say what was wrong (at least 20 characters).")


urlpatterns = [
    path("emergency/", emergency_access, name="emergency_access"),
    path("emergency/reviews/", emergency_reviews, name="emergency_reviews"),
    path("cases/<str:reference>/emergency/<int:pk>/", emergency_review, name="emergency_review"),
]
