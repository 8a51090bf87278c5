"""Case list, registration, the case page with its rights panel, identity, and stage moves."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rightsfirst.web import access, adapter, audit, two_factor, workflow
from rightsfirst.web.lifecycle import STAGE_CHOICES, STAGE_LABELS, Stage, next_stages
from rightsfirst.web.limits import BoundedDateField
from rightsfirst.web.measure_forms import type_label
from rightsfirst.web.models import IDENTITY_FIELDS, Agency, Case, Person
from rightsfirst.web.rights_sheet import in_panel_order
from rightsfirst.web.views import erasure as erasure_views
from rightsfirst.web.widgets import IsoDateInput

PAGE_SIZE = 25
# The list shows at most this many cases, the most recently updated first (40 pages); older ones
# are found with the search and the filters. Counting and ordering every case an agency holds
# (70,000 in the load test) took 25-30 ms a page on PostgreSQL; this many take about 1 ms.
LISTED_AT_MOST = 1000
REFERENCE_PATTERN = re.compile(r"RF-[0-9A-Z]{4}-[0-9A-Z]{4}")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to where its work starts."""
    role = access.role_of(request.user)
    if role == "coordinator":
        return redirect("dashboard")
    if role == "monitor":
        return redirect("monitoring")
    if role == "administrator":
        return redirect("framework_index")
    if role is None:
        raise PermissionDenied
    return redirect("case_list")


class CaseFilter(forms.Form):
    q = forms.CharField(label=gettext_lazy("Case reference"), required=False, max_length=20)
    stage = forms.ChoiceField(
        label=gettext_lazy("Stage"), required=False, choices=[("", gettext_lazy("Any stage")), *STAGE_CHOICES]
    )
    child = forms.ChoiceField(
        label=gettext_lazy("Age"),
        required=False,
        choices=[
            ("", gettext_lazy("Adults and children")),
            ("yes", gettext_lazy("Children")),
            ("no", gettext_lazy("Adults")),
        ],
    )
    overdue = forms.BooleanField(label=gettext_lazy("Only cases with overdue rights"), required=False)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "case.list")
    held, referred = access.visible_case_parts(request.user)
    form = CaseFilter(request.GET or None)
    if form.is_valid():
        conditions = _list_filters(form.cleaned_data)
        held, referred = held.filter(conditions), referred.filter(conditions)
        if any(form.cleaned_data[key] for key in ("q", "stage", "child", "overdue")):
            audit.record(request.user, "case.search", target=request.GET.urlencode()[:200])
    page = Paginator(_CasePages(held, referred), PAGE_SIZE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    template = "web/partials/case_rows.html" if request.htmx else "web/case_list.html"
    return render(request, template, {"form": form, "page": page, "filters": filters.urlencode()})


def _list_filters(data: dict[str, Any]) -> Q:
    conditions = Q()
    query = data["q"].strip().upper()
    if REFERENCE_PATTERN.fullmatch(query):
        conditions &= Q(reference=query)
    elif query and connection.vendor == "sqlite":
        # A range rather than LIKE: SQLite's LIKE is case-insensitive and cannot use the index.
        # References use only 0-9, A-Z and "-", all below "~" byte by byte.
        conditions &= Q(reference__gte=query, reference__lt=query + "~")
    elif query:
        # PostgreSQL serves LIKE 'q%' from its pattern index; a range is not exact under a
        # linguistic collation.
        conditions &= Q(reference__startswith=query)
    if data["stage"]:
        conditions &= Q(stage=data["stage"])
    if data["child"]:
        conditions &= Q(treated_as_child=data["child"] == "yes")
    if data["overdue"]:
        conditions &= Q(overdue_count__gt=0)
    return conditions


class _CasePages:
    """Held and referred cases paged together, most recently updated first, at most
    LISTED_AT_MOST of them (what Paginator needs: count and slices).

    Each part is read in index order only as far as the page needs ((agency, updated_at) for the
    held cases; the referred ones are few), and the two are merged here: a UNION of the two parts
    ordered as a whole made PostgreSQL read and sort every case the agency holds.
    """

    def __init__(self, held: QuerySet[Case], referred: QuerySet[Case]) -> None:
        self.held = held
        self.referred = referred
        self._total: int | None = None

    def _counted(self) -> int:
        if self._total is None:
            # Counting stops one past the limit: enough to know there are more.
            beyond = LISTED_AT_MOST + 1
            self._total = self.held.order_by()[:beyond].count() + self.referred.order_by()[:beyond].count()
        return self._total

    @property
    def more(self) -> bool:
        """Whether the filters match more cases than the list shows."""
        return self._counted() > LISTED_AT_MOST

    def count(self) -> int:
        return min(self._counted(), LISTED_AT_MOST)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[Case]:
        start, stop = window.start or 0, min(window.stop or LISTED_AT_MOST, LISTED_AT_MOST)
        ordering = ("-updated_at", "-id")
        rows = [
            row
            for part in (self.held, self.referred)
            for row in part.order_by(*ordering).values_list("updated_at", "id")[:stop]
        ]
        rows.sort(reverse=True)
        ids = [case_id for _, case_id in rows[start:stop]]
        found = Case.objects.select_related("holding_agency").in_bulk(ids)
        return [found[case_id] for case_id in ids]


class RegisterForm(forms.Form):
    given_names = forms.CharField(label=gettext_lazy("Given names"), max_length=200, required=False)
    family_name = forms.CharField(label=gettext_lazy("Family name"), max_length=200, required=False)
    other_names = forms.CharField(label=gettext_lazy("Other names or nicknames"), max_length=200, required=False)
    date_of_birth = forms.CharField(
        label=gettext_lazy("Date of birth, as stated"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("Write it as the person gives it, even if uncertain."),
    )
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=60, required=False)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=200, required=False)
    address = forms.CharField(
        label=gettext_lazy("Address or place of stay"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    identity_documents = forms.CharField(
        label=gettext_lazy("Identity document numbers"), max_length=300, required=False
    )
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), choices=Person.Sex.choices, initial=Person.Sex.NOT_KNOWN)
    nationality = forms.RegexField(
        label=gettext_lazy("Nationality (two-letter country code)"),
        regex=r"^[A-Za-z]{2}$",
        required=False,
        error_messages={"invalid": gettext_lazy("Use a two-letter country code such as NG, RO or VN.")},
    )
    preferred_language = forms.ChoiceField(
        label=gettext_lazy("Preferred language"),
        choices=[
            ("en", "English"),
            ("fr", "Français"),
            ("es", "Español"),
            ("ro", "Română"),
            ("vi", "Tiếng Việt"),
            ("other", gettext_lazy("Other")),
        ],
    )
    referred_on = BoundedDateField(
        label=gettext_lazy("Date the person first came to your attention"),
        widget=IsoDateInput(attrs={"type": "date"}),
    )

    def clean_referred_on(self) -> Any:
        value = self.cleaned_data["referred_on"]
        if value > workflow.today():
            raise forms.ValidationError(_("This date is in the future."))
        return value


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "case.create")
    form = RegisterForm(request.POST or None, initial={"referred_on": workflow.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identity = {name: data[name] for name in IDENTITY_FIELDS}
        case = workflow.create_case(
            request.user,
            identity,
            data["referred_on"],
            sex=data["sex"],
            nationality=data["nationality"] or "",
            preferred_language=data["preferred_language"],
        )
        return redirect("screening_start", reference=case.reference)
    return render(request, "web/case_create.html", {"form": form})


@login_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_for(request.user, reference)
    # Every opening of a case is in the audit log (and counts towards the oversight alerts).
    audit.record(request.user, "case.view", case=case)
    if case.erased_at is not None:
        # Nothing to work on and no identity: the anonymised facts and when the rest was erased.
        return render(request, "web/case_erased.html", {"case": case, "stage_changes": case.stage_changes.all()})
    return render(request, "web/case_detail.html", _case_page(request, case))


def _case_page(request: HttpRequest, case: Case, move_form: StageMoveForm | None = None) -> dict[str, Any]:
    at = workflow.today()
    records = adapter.records_of(case)
    assessment = adapter.assess_case(case, at, records=records)
    role = access.role_of(request.user)
    entitlements = in_panel_order(item for item in assessment.entitlements.entitlements if item.applies)
    context = {
        "case": case,
        "assessment": assessment,
        "entitlements": entitlements,
        "record_step": _record_step(request, entitlements),
        "overdue": [item for item in entitlements if item.overdue],
        "screening": records.latest_screening,
        "measures": [(item, type_label(item.measure_type)) for item in records.measures[:5]],
        # Emergency access is read-only: no move is offered.
        "next_stages": []
        if case.emergency_grant is not None
        else [(value, STAGE_LABELS[Stage(value)]) for value in next_stages(case.stage, role)],
        "may_see_identity": bool(access.identity_fields_for(request.user, case)),
        "stage_changes": case.stage_changes.all(),
        **erasure_views.hold_context(case, records.measures),
        "move_form": move_form,
    }
    return context


def _record_step(request: HttpRequest, entitlements: list[Any]) -> str:
    """The right whose "record a step" form the user asked to open (`?record=<id>`), if it is listed.

    The panel renders that one form and a link for each other right: a form for every right was
    about a sixth of the case page's CPU, on a page opened far more often than a step is recorded.
    """
    wanted = request.GET.get("record", "")
    return wanted if any(item.id == wanted for item in entitlements) else ""


@login_required
def rights_panel(request: HttpRequest, reference: str) -> HttpResponse:
    """The rights panel alone (htmx refreshes it after a change, or to open one right's form)."""
    case = access.case_for(request.user, reference)
    assessment = adapter.assess_case(case, workflow.today())
    entitlements = in_panel_order(item for item in assessment.entitlements.entitlements if item.applies)
    context = {"case": case, "entitlements": entitlements, "record_step": _record_step(request, entitlements)}
    return render(request, "web/partials/rights_panel.html", context)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you need to see the person's identity?"),
        max_length=300,
        help_text=gettext_lazy("This is written to the audit log with your name and the time."),
    )


@login_required
def case_identity(request: HttpRequest, reference: str) -> HttpResponse:
    """Show identity after the user states why; each view is audited."""
    case = access.case_for(request.user, reference)
    if not access.identity_fields_for(request.user, case):
        raise PermissionDenied
    if case.erased_at is not None:
        return redirect("case_detail", reference=case.reference)
    form = RevealForm(request.POST or None)
    identity = None
    if request.method == "POST" and form.is_valid():
        identity = access.reveal_identity(request.user, case, form.cleaned_data["reason"])
    template = "web/partials/identity.html" if request.htmx else "web/case_identity.html"
    return render(request, template, {"case": case, "form": form, "identity": identity})


class StageMoveForm(forms.Form):
    stage = forms.ChoiceField(label=gettext_lazy("Next stage"), choices=STAGE_CHOICES)
    # As long as the page's input allows; the note is shown in the case's stage history.
    note = forms.CharField(label=gettext_lazy("Note (optional)"), max_length=300, required=False)


@login_required
@require_POST
def case_move(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_for(request.user, reference, "case.transition")
    form = StageMoveForm(request.POST)
    if not form.is_valid():
        return render(request, "web/case_detail.html", _case_page(request, case, move_form=form), status=400)
    workflow.move(request.user, case, form.cleaned_data["stage"], form.cleaned_data["note"])
    return redirect("case_detail", reference=case.reference)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"title": _("Not found"), "status": 404}, status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"title": _("Not allowed"), "status": 403}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django could not take: too large (413), or too many fields, or unreadable (400)."""
    if isinstance(exception, RequestDataTooBig):
        return render(request, "web/error.html", {"title": _("Too much was sent"), "status": 413}, status=413)
    return render(request, "web/error.html", {"title": _("Not understood"), "status": 400}, status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "web/error.html", {"title": _("Something went wrong"), "status": 500}, status=500)


class RestrictForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=gettext_lazy("Keep the case from this agency"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=gettext_lazy("No agency"),
    )
    username = forms.CharField(
        label=gettext_lazy("or from this user (user name)"),
        required=False,
        max_length=150,
        help_text=gettext_lazy("Whatever their role, they will not be able to find or open the case."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why"),
        min_length=20,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "For example: the person alleges that officials of this agency were involved. At least 20 characters."
        ),
    )
    confirmation_code = two_factor.confirmation_field()

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.exclude(pk=case.holding_agency_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        username = (data.get("username") or "").strip()
        if bool(data.get("agency")) == bool(username):
            raise forms.ValidationError(_("Name one agency or one user."))
        data["person"] = None
        if username:
            data["person"] = get_user_model().objects.filter(username=username).first()
            if data["person"] is None:
                self.add_error("username", _("There is no user with this name."))
        return data


class LiftForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why lift it"), min_length=10, max_length=2000)


@login_required
def case_restrictions(request: HttpRequest, reference: str) -> HttpResponse:
    """Who the case is kept from, and keeping it from another agency or user."""
    case = access.case_for(request.user, reference)
    holds = access.membership_of(request.user).agency_id == case.holding_agency_id  # type: ignore[union-attr]
    may_restrict = holds and access.may(request.user, "case.restrict")
    may_lift = holds and access.may(request.user, "case.unrestrict")
    form = RestrictForm(case=case)
    if request.method == "POST":
        lifting = request.POST.get("lift")
        if lifting:
            restriction = case.restrictions.filter(pk=lifting).first()
            lift = LiftForm(request.POST)
            if not may_lift or restriction is None:
                raise PermissionDenied
            if lift.is_valid():
                workflow.lift_restriction(request.user, case, restriction, lift.cleaned_data["reason"])
                messages.success(request, _("The restriction is lifted."))
                return redirect("case_restrictions", reference=case.reference)
            messages.error(request, _("Say why the restriction is lifted (at least 10 characters)."))
        else:
            if not may_restrict:
                raise PermissionDenied
            form = RestrictForm(request.POST, case=case)
            if form.is_valid() and two_factor.check_confirmation(request, form):
                data = form.cleaned_data
                try:
                    workflow.restrict(request.user, case, data["reason"], agency=data["agency"], person=data["person"])
                except workflow.NotAllowed as error:
                    form.add_error(None, str(error))
                else:
                    messages.success(request, _("The case is now kept from them."))
                    return redirect("case_restrictions", reference=case.reference)
    context = {
        "case": case,
        "form": form,
        "restrictions": case.restrictions.select_related("agency", "user", "created_by"),
        "may_restrict": may_restrict,
        "may_lift": may_lift,
    }
    return render(request, "web/case_restrictions.html", context)


urlpatterns = [
    path("", home, name="home"),
    path("cases/", case_list, name="case_list"),
    path("cases/new/", case_create, name="case_create"),
    path("cases/<str:reference>/", case_detail, name="case_detail"),
    path("cases/<str:reference>/rights/", rights_panel, name="rights_panel"),
    path("cases/<str:reference>/identity/", case_identity, name="case_identity"),
    path("cases/<str:reference>/restrictions/", case_restrictions, name="case_restrictions"),
    path("cases/<str:reference>/stage/", case_move, name="case_move"),
]
