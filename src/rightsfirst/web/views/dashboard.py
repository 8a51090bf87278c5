"""The coordinator's deadlines and the audit log.

Everything here is counted and filtered in the database: these pages must stay quick with a
hundred thousand cases, so no page calls the engine per case and every list is capped or paged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case as Choose
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rightsfirst.web import access, audit, emergency, workflow
from rightsfirst.web.lifecycle import Stage
from rightsfirst.web.models import AuditEvent, Case, Deadline, Measure, Screening
from rightsfirst.web.roles import ROLE_LABELS, Role

LIST_CAP = 50
DUE_SOON_DAYS = 7
REFLECTION_ENDING_DAYS = 14
RECENT_DAYS = 30
AUDIT_PAGE_SIZE = 50

GUARDIAN = "guardian"
REFLECTION = "recovery_and_reflection_period"

# Findings in the order a reader expects; any other value the engine returns is listed after them.
FINDING_ORDER = ("established", "presumed", "insufficient_information", "smuggling_only", "not_established")

PURPOSE_LABELS = {
    "sexual_exploitation": gettext_lazy("Sexual exploitation"),
    "exploitation_of_prostitution": gettext_lazy("Exploitation of the prostitution of others"),
    "forced_labour": gettext_lazy("Forced labour"),
    "forced_services": gettext_lazy("Forced services"),
    "slavery": gettext_lazy("Slavery"),
    "practices_similar_to_slavery": gettext_lazy("Practices similar to slavery"),
    "servitude": gettext_lazy("Servitude"),
    "removal_of_organs": gettext_lazy("Removal of organs"),
    "forced_marriage": gettext_lazy("Forced marriage"),
    "forced_begging": gettext_lazy("Forced begging"),
    "forced_criminality": gettext_lazy("Forced criminality"),
    "debt_bondage": gettext_lazy("Debt bondage"),
    "other_exploitation": gettext_lazy("Other exploitation"),
}


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def measure_label(measure_type: str) -> str:
    """A readable name for a measure type."""
    return capfirst(measure_type.replace("_", " "))


# ---------------------------------------------------------------- deadlines


def _deadlines(user: Any) -> QuerySet[Deadline]:
    # A closed case's rights are no one's work item any more: its deadlines stay on the case page
    # (what was owed and not given is a finding in itself) but leave the dashboard.
    visible = access.visible_cases(user).exclude(stage=Stage.CLOSED).values("pk")
    return Deadline.objects.filter(case__in=visible)


def _open() -> Q:
    return ~Q(status__in=workflow.SERVICE_DONE)


def _is_overdue(today: dt.date) -> Q:
    return _open() & Q(due__lt=today)


def _is_due_soon(today: dt.date) -> Q:
    return _open() & Q(due__gte=today, due__lte=today + _days(DUE_SOON_DAYS))


def _is_reflection_ending(today: dt.date) -> Q:
    return Q(entitlement=REFLECTION, ends__gte=today, ends__lte=today + _days(REFLECTION_ENDING_DAYS))


def _guardian_first() -> Choose:
    # A child waiting for a guardian goes to the top: no cap or page may hide them behind adults' deadlines.
    return Choose(When(entitlement=GUARDIAN, then=Value(0)), default=Value(1), output_field=IntegerField())


def _listed(rows: QuerySet[Deadline], *ordering: Any) -> QuerySet[Deadline]:
    return rows.select_related("case").only(*DEADLINE_COLUMNS).order_by(*ordering, "pk")


# What a deadline row shows; the rest of the case is not needed.
DEADLINE_COLUMNS = ("case__reference", "entitlement", "title", "due", "ends", "status")


def overdue(user: Any, today: dt.date) -> QuerySet[Deadline]:
    """Open deadlines whose due date has passed, children's guardians first, then oldest first."""
    rows = _deadlines(user).filter(_is_overdue(today)).annotate(guardian_first=_guardian_first())
    return _listed(rows, "guardian_first", "due")


def due_soon(user: Any, today: dt.date) -> QuerySet[Deadline]:
    """Open deadlines due from today to a week ahead, children's guardians first."""
    rows = _deadlines(user).filter(_is_due_soon(today)).annotate(guardian_first=_guardian_first())
    return _listed(rows, "guardian_first", "due")


def reflection_ending(user: Any, today: dt.date) -> QuerySet[Deadline]:
    """Recovery and reflection periods that end within two weeks."""
    return _listed(_deadlines(user).filter(_is_reflection_ending(today)), "ends")


def deadline_counts(user: Any, today: dt.date) -> dict[str, int]:
    """How many rows each list has, counted in one pass over the deadlines."""
    return _deadlines(user).aggregate(
        **{
            "overdue": Count("id", filter=_is_overdue(today)),
            "due-soon": Count("id", filter=_is_due_soon(today)),
            "reflection-ending": Count("id", filter=_is_reflection_ending(today)),
            "overdue-guardians": Count("id", filter=_is_overdue(today) & Q(entitlement=GUARDIAN)),
        }
    )


def recent_problems(user: Any, since: dt.datetime) -> QuerySet[Measure]:
    """Measures recorded since `since` in which the review found a violation or that were overridden."""
    visible = access.visible_cases(user).values("pk")
    return (
        Measure.objects.filter(case__in=visible, recorded_at__gte=since)
        .filter(Q(outcome=Measure.Outcome.VIOLATION) | Q(overridden=True))
        .select_related("case", "recorded_by", "overridden_by")
        .order_by("-recorded_at", "-pk")
    )


def _labelled(rows: Any) -> list[Measure]:
    items = list(rows)
    for measure in items:
        measure.type_label = measure_label(measure.measure_type)
    return items


def _decorate(rows: Any, today: dt.date) -> list[Deadline]:
    items = list(rows)
    for row in items:
        row.is_guardian = row.entitlement == GUARDIAN
        row.days_overdue = (today - row.due).days if row.due and row.due < today else 0
        row.days_left = (row.ends - today).days if row.ends and row.ends >= today else None
    return items


LISTS = {
    "overdue": (gettext_lazy("Overdue rights"), overdue),
    "due-soon": (gettext_lazy("Due in the next 7 days"), due_soon),
    "reflection-ending": (gettext_lazy("Reflection periods ending in the next 14 days"), reflection_ending),
}


def _since() -> dt.datetime:
    return timezone.now() - _days(RECENT_DAYS)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """What is overdue or due soon across the coordinator's cases, and the last 30 days' findings."""
    access.require(request.user, "dashboard.deadlines")
    user = request.user
    today = workflow.today()
    since = _since()
    counts = deadline_counts(user, today)
    sections = []
    for key, (title, query) in LISTS.items():
        shown = _decorate(query(user, today)[:LIST_CAP], today)
        total = counts[key]
        sections.append({"key": key, "title": title, "rows": shown, "total": total, "more": total > len(shown)})

    visible = access.visible_cases(user).values("pk")
    findings = (
        Screening.objects.filter(case__in=visible, created_at__gte=since)
        .values("finding")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_type = (
        Measure.objects.filter(case__in=visible, recorded_at__gte=since)
        .values("measure_type")
        .annotate(
            total=Count("id"),
            justified=Count("id", filter=Q(outcome=Measure.Outcome.REQUIRES_JUSTIFICATION)),
            violations=Count("id", filter=Q(outcome=Measure.Outcome.VIOLATION)),
            overrides=Count("id", filter=Q(overridden=True)),
            problems=Count("id", filter=Q(outcome=Measure.Outcome.VIOLATION) | Q(overridden=True)),
        )
        .order_by("measure_type")
    )
    problem_total = sum(row["problems"] for row in by_type)
    context = {
        "today": today,
        "sections": sections,
        "overdue_guardians": counts["overdue-guardians"],
        "findings": _finding_rows({row["finding"]: row["n"] for row in findings}),
        "measure_types": [{**row, "label": measure_label(row["measure_type"])} for row in by_type],
        "problems": _labelled(recent_problems(user, since)[:LIST_CAP]),
        "problem_total": problem_total,
        "recent_days": RECENT_DAYS,
        # Uses of emergency access to the agency's cases: listed here until someone reviews them.
        "emergency_reviews_waiting": emergency.pending_reviews(user).count(),
    }
    return render(request, "web/dashboard/index.html", context)


@login_required
def dashboard_list(request: HttpRequest, which: str) -> HttpResponse:
    """One of the dashboard's lists in full, a page at a time."""
    access.require(request.user, "dashboard.deadlines")
    today = workflow.today()
    if which == "problems":
        title = _("Violations found and overrides recorded in the last %(days)s days") % {"days": RECENT_DAYS}
        rows: Any = recent_problems(request.user, _since())
    elif which in LISTS:
        title, query = LISTS[which]
        rows = query(request.user, today)
    else:
        raise Http404("no such list")
    page = Paginator(rows, LIST_CAP).get_page(request.GET.get("page"))
    items = _labelled(page.object_list) if which == "problems" else _decorate(page.object_list, today)
    context = {"which": which, "title": title, "page": page, "rows": items, "today": today}
    return render(request, "web/dashboard/list.html", context)


def _finding_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    # Not yet screened ("") comes last.
    order = [*FINDING_ORDER, *sorted(set(counts) - set(FINDING_ORDER) - {""}), ""]
    return [{"finding": finding, "n": counts[finding]} for finding in order if finding in counts]


# ---------------------------------------------------------------- audit log


class AuditFilter(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    case = forms.CharField(label=gettext_lazy("Case reference"), required=False, max_length=20)

    def __init__(self, *args: Any, actions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any action")), *((action, action) for action in actions)]

    def clean_case(self) -> str:
        return str(self.cleaned_data["case"]).strip().upper()


# Roles that read the whole audit log; a coordinator reads their agency's and their cases' entries.
FULL_AUDIT_ROLES = (Role.ADMINISTRATOR, Role.OVERSIGHT)


def audit_scope(user: Any) -> QuerySet[AuditEvent]:
    """The entries a user may read: all for an administrator and for oversight; for a coordinator, those of their
    agency's staff and of the cases they can see (other agencies' cases are not theirs to inspect), never
    those about a case kept from them or their agency (not even their colleagues' work on it)."""
    membership = access.require(user, "audit.view")
    if membership.role in FULL_AUDIT_ROLES:
        return AuditEvent.objects.all()
    visible = access.visible_cases(user).values("reference")
    kept = access.kept_cases(user).values("reference")
    return AuditEvent.objects.filter(Q(agency=membership.agency.name) | Q(case_reference__in=visible)).exclude(
        case_reference__in=kept
    )


def _case_named(user: Any, reference: str) -> Case | None:
    """The case an audit search names, if the reader's audit scope covers it.

    The search is logged against that case too, and the new entry is listed at once: linking it to
    a case outside the reader's scope would show a coordinator whether a reference exists.
    """
    scope = Case.objects.all() if access.role_of(user) in FULL_AUDIT_ROLES else access.visible_cases(user)
    return scope.filter(reference=reference).only("pk", "reference").first()


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, filtered by action and case. Reading it is itself recorded."""
    entries = audit_scope(request.user)
    actions = list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
    form = AuditFilter(request.GET or None, actions=actions)
    case = None
    if form.is_valid():
        if form.cleaned_data["action"]:
            entries = entries.filter(action=form.cleaned_data["action"])
        if form.cleaned_data["case"]:
            entries = entries.filter(case_reference=form.cleaned_data["case"])
            case = _case_named(request.user, form.cleaned_data["case"])
    params = request.GET.copy()
    params.pop("page", None)
    audit.record(request.user, "audit.view", case=case, target=params.urlencode()[:200])
    page = Paginator(entries.order_by("-at", "-id"), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.role_label = ROLE_LABELS.get(entry.role, entry.role) if entry.role else ""
    context = {"form": form, "page": page, "querystring": params.urlencode()}
    template = "web/dashboard/_audit_rows.html" if request.htmx else "web/dashboard/audit_log.html"
    return render(request, template, context)


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/<slug:which>/", dashboard_list, name="dashboard_list"),
    path("audit/", audit_log, name="audit_log"),
]
