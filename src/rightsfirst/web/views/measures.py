"""Measures and decisions, each reviewed by the engine before it is saved; and the case's
proceedings, remedies, return and child pages, which are views of the same measures."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rightsfirst.engine.measures import MEASURE_SPECS
from rightsfirst.framework.model import ParameterNotDefined
from rightsfirst.web import access, adapter, erasure, two_factor, workflow
from rightsfirst.web.measure_forms import (
    CONFISCATED,
    GROUPS,
    OverrideForm,
    detail_rows,
    fact_rows,
    measure_form_class,
    missing_labels,
    type_label,
)
from rightsfirst.web.models import Case, Deadline, Measure
from rightsfirst.web.roles import allowed, may_record_measure

PROCEEDING_TYPES = ("legal_proceedings", "witness_protection", "suspect_release_notification", "investigation")
REMEDY_TYPES = ("compensation",)
RETURN_TYPES = ("return", "residence_permit")
CHILD_TYPES = (
    "age_assessment",
    "guardian_appointment",
    "best_interests_determination",
    "family_tracing",
    "child_views",
)


def _citations(ids: list[str] | tuple[str, ...]) -> list[dict[str, str]]:
    provisions = adapter.framework().provisions
    return [{"id": item, "title": provisions[item].title if item in provisions else ""} for item in ids]


def present_review(measure_type: str, review: dict[str, Any]) -> dict[str, Any]:
    """A review (the engine's JSON) ready for a page: findings that need attention first, in plain words."""
    findings = []
    for finding in review.get("findings", []):
        findings.append(
            {
                "rule": finding["rule"],
                "outcome": finding["outcome"],
                "reason": finding["reason"],
                "citations": _citations(finding.get("citations", [])),
                "missing": missing_labels(measure_type, finding.get("missing", [])),
            }
        )
    return {
        "outcome": review.get("outcome", ""),
        "explanation": review.get("explanation", ""),
        "violations": [item for item in findings if item["outcome"] == "violation"],
        "justifications": [item for item in findings if item["outcome"] == "requires_justification"],
        "passed": [item for item in findings if item["outcome"] == "ok"],
        "missing": missing_labels(measure_type, review.get("missing", [])),
        "assumptions": list(review.get("assumptions", [])),
    }


def present_measure(measure: Measure) -> dict[str, Any]:
    """A stored measure with its facts and details as labelled rows."""
    return {
        "measure": measure,
        "label": type_label(measure.measure_type),
        "facts": fact_rows(measure.measure_type, measure.facts),
        "details": detail_rows(measure.all_details()),
        # Decrypted only here, where it is shown (the sealed reasons the review asked for).
        "justification": measure.engine_facts.get("justification", "") if measure.has_justification else "",
    }


def _known_type(measure_type: str) -> None:
    if measure_type not in MEASURE_SPECS:
        raise Http404("not found")


def _recordable(user: Any, types: tuple[str, ...], case: Case) -> list[tuple[str, str]]:
    if case.emergency_grant is not None:
        return []  # emergency access is read-only
    role = access.role_of(user)
    return [(item, type_label(item)) for item in types if may_record_measure(role, item)]


class GroupFilter(forms.Form):
    group = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[("", gettext_lazy("All measures")), *((key, label) for key, label, _types in GROUPS)],
    )


@login_required
def measure_list(request: HttpRequest, reference: str) -> HttpResponse:
    """Every measure on the case, newest first, with the review's outcome; filterable by group."""
    case = access.case_for(request.user, reference)
    measures = case.measures.select_related("recorded_by", "overridden_by")
    form = GroupFilter(request.GET or None)
    if form.is_valid() and form.cleaned_data["group"]:
        types = next(types for key, _label, types in GROUPS if key == form.cleaned_data["group"])
        measures = measures.filter(measure_type__in=types)
    context = {
        "case": case,
        "form": form,
        "rows": [{"measure": item, "label": type_label(item.measure_type)} for item in measures],
        "may_record": access.may_on(request.user, "measure.record", case),
    }
    return render(request, "web/measures/list.html", context)


@login_required
def measure_choose(request: HttpRequest, reference: str) -> HttpResponse:
    """Pick the kind of measure to record, grouped; only the kinds this role may record."""
    case = access.case_for(request.user, reference, "measure.record")
    groups = []
    for key, label, types in GROUPS:
        recordable = _recordable(request.user, types, case)
        if recordable:
            groups.append({"key": key, "label": label, "types": recordable})
    return render(request, "web/measures/choose.html", {"case": case, "groups": groups})


def _new_context(request: HttpRequest, case: Case, measure_type: str, form: Any) -> dict[str, Any]:
    return {
        "case": case,
        "measure_type": measure_type,
        "label": type_label(measure_type),
        "form": form,
        "fact_names": [item.name for item in form.fact_specs],
        "detail_names": list(form.detail_names),
        "review": None,
        "blocked": False,
        "justification_needed": None,
        "may_override": allowed(access.role_of(request.user), "measure.override"),
        "override_form": None,
        "carried": None,
    }


@login_required
def measure_new(request: HttpRequest, reference: str, measure_type: str) -> HttpResponse:
    """Record a measure. `action=review` shows the engine's review without saving; `action=save`
    saves it if the review allows (a violation needs a coordinator's written override)."""
    _known_type(measure_type)
    case = access.case_for(request.user, reference, "measure.record")
    if not may_record_measure(access.role_of(request.user), measure_type):
        raise PermissionDenied
    form_class = measure_form_class(measure_type)
    if request.method != "POST":
        form = form_class(initial={"decided_on": workflow.today()})
        return render(request, "web/measures/new.html", _new_context(request, case, measure_type, form))

    form = form_class(request.POST)
    context = _new_context(request, case, measure_type, form)
    action = request.POST.get("action", "review")
    overriding = "override_justification" in request.POST
    if overriding and not context["may_override"]:
        raise PermissionDenied
    if not form.is_valid():
        template = "web/measures/partials/review.html" if request.htmx else "web/measures/new.html"
        return render(request, template, context)
    try:
        return _review_or_save(request, case, form, context, action, overriding)
    except ParameterNotDefined as error:
        # The engine holds no rules for a date before they begin: the date is the user's to change.
        form.add_error(
            "decided_on", _("The rules in force on this date are not known (%(problem)s).") % {"problem": error}
        )
        template = "web/measures/partials/review.html" if request.htmx else "web/measures/new.html"
        return render(request, template, context)


def _review_or_save(
    request: HttpRequest, case: Case, form: Any, context: dict[str, Any], action: str, overriding: bool
) -> HttpResponse:
    measure_type = context["measure_type"]
    facts, decided_on = form.facts(), form.decided_on()
    if action not in ("save", "override"):
        context["review"] = present_review(
            measure_type, workflow.review(case, measure_type, facts, decided_on).to_json()
        )
        template = "web/measures/partials/review.html" if request.htmx else "web/measures/new.html"
        return render(request, template, context)

    override_justification = ""
    if overriding:
        override_form = OverrideForm(request.POST)
        if not override_form.is_valid() or not two_factor.check_confirmation(request, override_form):
            result = workflow.review(case, measure_type, facts, decided_on)
            return _blocked(request, context, result.to_json(), override_form)
        override_justification = override_form.cleaned_data["override_justification"]
    try:
        measure = workflow.record_measure(
            request.user,
            case,
            measure_type,
            facts,
            decided_on,
            details=form.details(),
            override_justification=override_justification,
        )
    except workflow.MeasureBlocked as blocked:
        return _blocked(request, context, blocked.review.to_json(), OverrideForm())
    except workflow.JustificationNeeded as needed:
        review = present_review(measure_type, needed.review.to_json())
        context["review"] = review
        context["justification_needed"] = review
        form.add_error("justification", _("Write the justification the review asks for before saving."))
        return render(request, "web/measures/new.html", context)
    if measure.overridden:
        messages.warning(request, _("The measure was saved with an override. The override is in the audit log."))
    else:
        messages.success(request, _("The measure was reviewed and saved."))
    return redirect("measure_detail", reference=case.reference, pk=measure.pk)


def _blocked(request: HttpRequest, context: dict[str, Any], review: dict[str, Any], override_form: Any) -> HttpResponse:
    measure_type = context["measure_type"]
    context["review"] = present_review(measure_type, review)
    context["blocked"] = True
    if context["may_override"]:
        context["override_form"] = override_form
        # The override re-sends exactly the values that were reviewed; its own ids keep the page's ids unique.
        context["carried"] = measure_form_class(measure_type)(request.POST, auto_id="reviewed_%s")
    return render(request, "web/measures/new.html", context)


@login_required
def measure_detail(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """One measure: its facts, details, the review stored with it, and any override."""
    case = access.case_for(request.user, reference)
    measure = get_object_or_404(case.measures.select_related("recorded_by", "overridden_by", "agency"), pk=pk)
    context = {
        "case": case,
        "item": present_measure(measure),
        "review": present_review(measure.measure_type, measure.review),
    }
    return render(request, "web/measures/detail.html", context)


def _area(request: HttpRequest, reference: str, types: tuple[str, ...]) -> tuple[Case, list[dict[str, Any]]]:
    case = access.case_for(request.user, reference)
    measures = case.measures.filter(measure_type__in=types).select_related("recorded_by", "overridden_by")
    return case, [present_measure(item) for item in measures]


# One answer to "are proceedings pending?": the same one that keeps a case from erasure.
_pending = erasure.proceeding_pending


@login_required
def case_proceedings(request: HttpRequest, reference: str) -> HttpResponse:
    """The legal proceedings the person takes part in, their protection, and notice of a suspect's release."""
    case, items = _area(request, reference, PROCEEDING_TYPES)
    today = workflow.today()
    for item in items:
        measure = item["measure"]
        item["pending"] = measure.measure_type == "legal_proceedings" and _pending(measure, today)
    context = {
        "case": case,
        "items": items,
        "area": "proceedings",
        "title": _("Legal proceedings"),
        "intro": _(
            "Criminal, civil, labour and administrative proceedings, the person's role in them, and what keeps "
            "them safe and informed. The person's rights never depend on taking part."
        ),
        "recordable": _recordable(request.user, PROCEEDING_TYPES, case),
    }
    return render(request, "web/measures/proceedings.html", context)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def remedy_totals(measures: list[Measure]) -> list[dict[str, Any]]:
    """Amounts claimed, awarded and paid (and paid from confiscated assets), per currency."""
    totals: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"claimed": Decimal(0), "awarded": Decimal(0), "paid": Decimal(0), "confiscated": Decimal(0)}
    )
    for measure in measures:
        row = totals[measure.details.get("currency", "")]
        for key in ("claimed", "awarded", "paid"):
            row[key] += _decimal(measure.facts.get(f"amount_{key}")) or Decimal(0)
        from_assets = measure.facts.get("paid_from_confiscated_assets") or measure.details.get("paid_by") == CONFISCATED
        if from_assets:
            row["confiscated"] += _decimal(measure.facts.get("amount_paid")) or Decimal(0)
    return [{"currency": currency, **amounts} for currency, amounts in sorted(totals.items())]


@login_required
def case_remedies(request: HttpRequest, reference: str) -> HttpResponse:
    """Claims for restitution, compensation and rehabilitation, with totals claimed, awarded and paid."""
    case, items = _area(request, reference, REMEDY_TYPES)
    context = {
        "case": case,
        "items": items,
        "totals": remedy_totals([item["measure"] for item in items]),
        "area": "remedies",
        "title": _("Remedies"),
        "intro": _(
            "Restitution, compensation and rehabilitation: what was claimed for which harm, what was awarded, "
            "and what was actually paid, by whom."
        ),
        "recordable": _recordable(request.user, REMEDY_TYPES, case),
    }
    return render(request, "web/measures/remedies.html", context)


@login_required
def case_return(request: HttpRequest, reference: str) -> HttpResponse:
    """Return and durable solutions: return decisions, and residence as the alternative to return."""
    case, items = _area(request, reference, RETURN_TYPES)
    today = workflow.today()
    pending = [
        present_measure(item)
        for item in case.measures.filter(measure_type="legal_proceedings")
        if item.facts.get("proceeding") and _pending(item, today)
    ]
    context = {
        "case": case,
        "items": items,
        "pending": pending,
        "area": "return",
        "title": _("Return and durable solution"),
        "intro": _(
            "A return must be safe and, as a rule, voluntary: it needs a risk assessment, a check that the person "
            "will not be sent back to harm, attention to pending proceedings, a reintegration plan, and an offer "
            "of the alternatives."
        ),
        "recordable": _recordable(request.user, RETURN_TYPES, case),
    }
    return render(request, "web/measures/return.html", context)


@login_required
def case_children(request: HttpRequest, reference: str) -> HttpResponse:
    """A child's case: age assessment, guardian, best interests, family tracing and the child's views."""
    case, items = _area(request, reference, CHILD_TYPES)
    guardian = Deadline.objects.filter(case=case, entitlement="guardian").first()
    done = guardian is not None and guardian.status in workflow.SERVICE_DONE
    context = {
        "case": case,
        "items": items,
        "guardian_deadline": guardian,
        "guardian_overdue": bool(guardian and guardian.due and guardian.due < workflow.today() and not done),
        "area": "children",
        "title": _("Child"),
        "intro": _(
            "While the person's age is uncertain and there are reasons to believe they are a child, they are "
            "treated as a child until an age assessment decides."
        ),
        "recordable": _recordable(request.user, CHILD_TYPES, case),
    }
    return render(request, "web/measures/children.html", context)


urlpatterns = [
    path("cases/<str:reference>/measures/", measure_list, name="measure_list"),
    path("cases/<str:reference>/measures/new/", measure_choose, name="measure_choose"),
    path("cases/<str:reference>/measures/new/<str:measure_type>/", measure_new, name="measure_new"),
    path("cases/<str:reference>/measures/<int:pk>/", measure_detail, name="measure_detail"),
    path("cases/<str:reference>/proceedings/", case_proceedings, name="case_proceedings"),
    path("cases/<str:reference>/remedies/", case_remedies, name="case_remedies"),
    path("cases/<str:reference>/return/", case_return, name="case_return"),
    path("cases/<str:reference>/child/", case_children, name="case_children"),
]
