"""The guided screening (one question at a time), the stored results and the history of screenings.

Answers are kept in a draft in the session, keyed by case reference, until the user saves: the
draft holds only the facts of the engine's situation schema, never anything about who the person is.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from rightsfirst import engine
from rightsfirst.framework.model import IndicatorCatalogue
from rightsfirst.web import access, adapter, workflow
from rightsfirst.web import screening_questions as questions
from rightsfirst.web.models import Case, Screening
from rightsfirst.web.screening_questions import DONT_KNOW, NONE_OF_THESE, Question

DRAFT_KEY = "screening-draft:{reference}"
ELEMENTS = ("action", "means", "purpose")


class AnswerForm(forms.Form):
    """The answer to one question, turned into the value the situation stores (or DONT_KNOW)."""

    def __init__(self, question: Question, *args: Any, catalogue: IndicatorCatalogue | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.question = question
        self.catalogue = catalogue
        kind = question.input
        if kind == "number":
            self.fields["answer"] = forms.CharField(
                label=question.label,
                required=False,
                max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": "6"}),
            )
        elif kind == "range":
            for name, label in (("low", gettext_lazy("From (years)")), ("high", gettext_lazy("To (years)"))):
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=20,
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": "6"}),
                )
        elif kind == "yes_no":
            self.fields["answer"] = forms.ChoiceField(
                label=question.label,
                choices=questions.BOOL_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": gettext_lazy("Choose one of the answers.")},
            )
        else:
            self.fields["answer"] = forms.MultipleChoiceField(
                label=question.label,
                choices=[
                    *question.choices(catalogue),
                    (NONE_OF_THESE, gettext_lazy("None of these")),
                    (DONT_KNOW, gettext_lazy("I don't know")),
                ],
                widget=forms.CheckboxSelectMultiple,
                error_messages={
                    "required": gettext_lazy("Tick at least one answer, or “None of these”, or “I don't know”."),
                    "invalid_choice": gettext_lazy("Choose from the answers shown."),
                },
            )

    @property
    def dont_know(self) -> bool:
        return bool(self.data.get("dont_know"))

    def _age(self, name: str) -> float | int | None:
        raw = str(self.cleaned_data.get(name) or "").strip().replace(",", ".")
        if not raw:
            self.add_error(name, _("Enter an age in years, or choose “I don't know”."))
            return None
        try:
            value = float(raw)
        except ValueError:
            self.add_error(name, _("Enter the age as a number of years, for example 16."))
            return None
        spec = self.question.spec
        low, high = spec.minimum or 0, spec.maximum if spec.maximum is not None else 130
        if value != value or not low <= value <= high:  # value != value: not a number at all
            self.add_error(name, _("Enter an age between %(low)g and %(high)g.") % {"low": low, "high": high})
            return None
        return int(value) if value.is_integer() else value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = self.question.input
        if kind in {"number", "range"} and self.dont_know:
            cleaned["value"] = DONT_KNOW
        elif kind == "number":
            cleaned["value"] = self._age("answer")
        elif kind == "range":
            low, high = self._age("low"), self._age("high")
            if low is not None and high is not None:
                if low > high:
                    self.add_error("low", _("The first age must not be above the second."))
                cleaned["value"] = [low, high]
        elif kind == "yes_no" and "answer" in cleaned:
            cleaned["value"] = {"yes": True, "no": False}.get(cleaned["answer"], DONT_KNOW)
        elif "answer" in cleaned:
            picked = cleaned["answer"]
            special = {NONE_OF_THESE, DONT_KNOW} & set(picked)
            if special and len(picked) > 1:
                self.add_error(
                    "answer", _("Tick either answers from the list, or “None of these”, or “I don't know”: not both.")
                )
            elif NONE_OF_THESE in special:
                cleaned["value"] = []
            elif DONT_KNOW in special:
                cleaned["value"] = DONT_KNOW
            else:
                order = [value for value, _label in self.question.choices(self.catalogue)]
                cleaned["value"] = [value for value in order if value in picked]
        return cleaned

    @property
    def anchor(self) -> str:
        """The id of the first input, for links from the error summary."""
        return {"number": "id_answer", "range": "id_low"}.get(self.question.input, "id_answer_0")


def _initial(question: Question, draft: dict[str, Any]) -> dict[str, Any]:
    """The form's starting values: the answer already given, if any."""
    value = questions.get(draft["situation"], question.path)
    if value is None:
        known_unknown = question.path in draft["answered"]
        if question.input in {"yes_no", "choices", "indicators"} and known_unknown:
            return {"answer": DONT_KNOW if question.input == "yes_no" else [DONT_KNOW]}
        return {}
    if question.input == "number":
        return {"answer": questions.describe_value(question, value)}
    if question.input == "range":
        return {"low": value[0], "high": value[1]}
    if question.input == "yes_no":
        return {"answer": "yes" if value else "no"}
    return {"answer": list(value) if value else [NONE_OF_THESE]}


def _draft_key(case: Case) -> str:
    return DRAFT_KEY.format(reference=case.reference)


def _new_draft(request: HttpRequest, case: Case) -> dict[str, Any]:
    # A re-screening starts from the latest facts, so only what is still unknown is asked again.
    latest = case.screenings.order_by("-number").first()
    situation = copy.deepcopy(latest.situation) if latest else {}
    draft = {
        "situation": situation,
        "answered": questions.answered_in(situation),
        "trail": [],
        "base": latest.number if latest else None,
    }
    request.session[_draft_key(case)] = draft
    return draft


def _draft(request: HttpRequest, case: Case) -> dict[str, Any]:
    draft = request.session.get(_draft_key(case))
    return draft if isinstance(draft, dict) else _new_draft(request, case)


def _save_draft(request: HttpRequest, case: Case, draft: dict[str, Any]) -> None:
    request.session[_draft_key(case)] = draft
    request.session.modified = True


def _screen(situation: dict[str, Any]) -> engine.ScreeningResult:
    parsed = engine.situation_from_data(situation, "situation")
    return engine.screen(parsed, workflow.today(), adapter.framework())


def _error_question(error: engine.InputError) -> Question | None:
    location = error.path.removeprefix("situation.").split("[")[0]
    return questions.BY_PATH.get(location)


def _option_groups(form: AnswerForm, catalogue: IndicatorCatalogue) -> dict[str, Any]:
    """The checkboxes split into the facts (grouped by dimension for signs) and the two special answers."""
    if form.question.input not in {"choices", "indicators"}:
        return {"options": [], "special": [], "groups": []}
    widgets = list(form["answer"])
    special = [widget for widget in widgets if widget.data["value"] in {NONE_OF_THESE, DONT_KNOW}]
    options = [widget for widget in widgets if widget.data["value"] not in {NONE_OF_THESE, DONT_KNOW}]
    groups = []
    if form.question.input == "indicators":
        for dimension in catalogue.dimensions.values():
            members = {item.id for item in catalogue.indicators.values() if item.dimension == dimension.id}
            members_shown = [widget for widget in options if widget.data["value"] in members]
            # A group with a ticked sign stays open, so no answer is hidden from view.
            opened = any(widget.data.get("selected") for widget in members_shown)
            groups.append({"title": dimension.title, "options": members_shown, "open": opened})
    return {"options": options, "special": special, "groups": groups}


def _render_review(
    request: HttpRequest,
    case: Case,
    draft: dict[str, Any],
    error: engine.InputError | None = None,
    status: int = 200,
) -> HttpResponse:
    result = None
    if error is None:
        try:
            result = _screen(draft["situation"])
        except engine.InputError as found:
            error = found
    left = questions.remaining(draft["situation"], draft["answered"], result) if result else []
    catalogue = adapter.framework().indicators
    context = {
        "case": case,
        "draft": draft,
        "result": result,
        "left": left,
        "answers": questions.answers(draft["situation"], catalogue),
        "error": error,
        "error_question": _error_question(error) if error else None,
        "editable": True,
    }
    template = "web/screening/partials/review.html" if request.htmx else "web/screening/review.html"
    return render(request, template, context, status=200 if request.htmx else status)


def _render_step(
    request: HttpRequest,
    case: Case,
    draft: dict[str, Any],
    question: Question | None = None,
    form: AnswerForm | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        result = _screen(draft["situation"])
    except engine.InputError as error:
        return _render_review(request, case, draft, error=error, status=400)
    left = questions.remaining(draft["situation"], draft["answered"], result)
    if question is None:
        if not left:
            return _render_review(request, case, draft)
        question = left[0]
    catalogue = adapter.framework().indicators
    form = form or AnswerForm(question, initial=_initial(question, draft), catalogue=catalogue)
    if question.input in {"number", "range"}:
        # Screen readers announce the message with the box it belongs to.
        for name in form.errors:
            if name in form.fields:
                form.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": f"id_{name}_error"})
    trail: list[str] = draft["trail"]
    if question.path in trail:
        position = trail.index(question.path)
        back = trail[position - 1] if position else None
    else:
        position = len(trail)
        back = trail[-1] if trail else None
    context = {
        "case": case,
        "draft": draft,
        "question": question,
        "form": form,
        "why": questions.why(question, result),
        "number": position + 1,
        "left": len([item for item in left if item.path != question.path]),
        "back": questions.BY_PATH.get(back or ""),
        "result": result,
        "enough": not result.missing_facts,
        **_option_groups(form, catalogue),
    }
    template = "web/screening/partials/step.html" if request.htmx else "web/screening/step.html"
    # htmx swaps only successful responses, so a form with errors goes back as 200 to it.
    return render(request, template, context, status=200 if request.htmx else status)


@login_required
@require_http_methods(["GET", "POST"])
def screening_start(request: HttpRequest, reference: str) -> HttpResponse:
    """Start (POST: start again) a screening draft and show its current question or the summary."""
    case = access.case_for(request.user, reference, "screening.edit")
    if request.method == "POST":
        _new_draft(request, case)
        return redirect("screening_start", reference=case.reference)
    draft = _draft(request, case)
    if request.GET.get("review"):
        return _render_review(request, case, draft)
    wanted = request.GET.get("question")
    if wanted and wanted not in questions.BY_PATH:
        return HttpResponseBadRequest(_("Unknown question."))
    return _render_step(request, case, draft, questions.BY_PATH.get(wanted or ""))


@login_required
@require_POST
def screening_answer(request: HttpRequest, reference: str) -> HttpResponse:
    """Keep one answer in the draft and move on to the next question that matters."""
    case = access.case_for(request.user, reference, "screening.edit")
    draft = _draft(request, case)
    question = questions.BY_PATH.get(request.POST.get("question", ""))
    if question is None:
        return HttpResponseBadRequest(_("Unknown question."))
    form = AnswerForm(question, request.POST, catalogue=adapter.framework().indicators)
    if not form.is_valid():
        return _render_step(request, case, draft, question, form, status=400)
    situation = question.apply(draft["situation"], form.cleaned_data["value"])
    try:
        # The engine is the judge of what a valid situation is (e.g. signs from its catalogue).
        _screen(situation)
    except engine.InputError as error:
        form.add_error(None, error.problem)
        return _render_step(request, case, draft, question, form, status=400)
    draft["situation"] = situation
    if question.path not in draft["answered"]:
        draft["answered"].append(question.path)
    if question.path in draft["trail"]:
        draft["trail"].remove(question.path)
    draft["trail"].append(question.path)
    _save_draft(request, case, draft)
    if request.htmx:
        return _render_step(request, case, draft)
    return redirect("screening_start", reference=case.reference)


@login_required
@require_POST
def screening_finish(request: HttpRequest, reference: str) -> HttpResponse:
    """Screen the draft's facts and store the result; on bad input keep the draft and say what is wrong."""
    case = access.case_for(request.user, reference, "screening.edit")
    draft = request.session.get(_draft_key(case))
    if not isinstance(draft, dict):
        messages.info(request, _("There were no answers to save. Start with the first question."))
        return redirect("screening_start", reference=case.reference)
    try:
        screening = workflow.screen(request.user, case, draft["situation"])
    except engine.InputError as error:
        return _render_review(request, case, draft, error=error, status=400)
    del request.session[_draft_key(case)]
    messages.success(request, _("Screening %(number)s saved.") % {"number": screening.number})
    return redirect("screening_detail", reference=case.reference, number=screening.number)


def _elements(result: dict[str, Any]) -> list[dict[str, Any]]:
    stored = result.get("elements") or {}
    return [{"name": name, **stored[name]} for name in ELEMENTS if name in stored]


def _dimension_titles(result: dict[str, Any]) -> list[str]:
    indicators = result.get("indicators") or {}
    return [item["title"] for item in indicators.get("dimensions", []) if item.get("positive")]


@login_required
def screening_detail(request: HttpRequest, reference: str, number: int) -> HttpResponse:
    """One stored screening: the finding, why, the law it rests on, and the facts as answered."""
    case = access.case_for(request.user, reference)
    screening = get_object_or_404(case.screenings.select_related("screened_by"), number=number)
    result = screening.result
    context = {
        "case": case,
        "screening": screening,
        "result": result,
        "elements": _elements(result),
        "signs": _dimension_titles(result),
        "answers": questions.answers(screening.situation, adapter.framework().indicators),
        "latest": screening.number == case.screenings.order_by("-number").values_list("number", flat=True).first(),
    }
    return render(request, "web/screening/detail.html", context)


@login_required
def screening_history(request: HttpRequest, reference: str) -> HttpResponse:
    """All screenings of the case, newest first, with what changed since the one before."""
    case = access.case_for(request.user, reference)
    screenings: list[Screening] = list(case.screenings.select_related("screened_by").order_by("-number"))
    catalogue = adapter.framework().indicators
    rows = []
    for index, screening in enumerate(screenings):
        earlier = screenings[index + 1] if index + 1 < len(screenings) else None
        rows.append(
            {
                "screening": screening,
                "earlier": earlier,
                "changes": questions.changes(earlier.situation, screening.situation, catalogue) if earlier else [],
            }
        )
    return render(request, "web/screening/history.html", {"case": case, "rows": rows})


urlpatterns = [
    path("cases/<str:reference>/screening/", screening_start, name="screening_start"),
    path("cases/<str:reference>/screening/answer/", screening_answer, name="screening_answer"),
    path("cases/<str:reference>/screening/finish/", screening_finish, name="screening_finish"),
    path("cases/<str:reference>/screenings/", screening_history, name="screening_history"),
    path("cases/<str:reference>/screenings/<int:number>/", screening_detail, name="screening_detail"),
]
