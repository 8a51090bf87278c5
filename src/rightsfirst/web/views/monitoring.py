"""The monitoring dashboard: human-rights indicators for monitors and coordinators.

Every number comes from one protected release per period (web/publication.py): small counts and
the counts that would let them be worked out are not published, and each number links to the
definition of what it counts and the provisions it monitors. No case, reference or name
appears anywhere on these pages.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rightsfirst.monitoring.indicators import default_catalogue
from rightsfirst.web import access, audit, publication
from rightsfirst.web.publication import CalendarPeriod
from rightsfirst.web.publication_display import (
    CHOOSABLE,
    DIMENSION_LABELS,
    SECTIONS,
    breakdown_for,
    headline,
    shown_table,
    title,
)
from rightsfirst.web.roles import Role

FIRST_YEAR = 2000
PART_LABELS = {
    "year": gettext_lazy("Whole year"),
    "q1": gettext_lazy("January to March"),
    "q2": gettext_lazy("April to June"),
    "q3": gettext_lazy("July to September"),
    "q4": gettext_lazy("October to December"),
    **{
        f"m{month:02d}": label
        for month, label in enumerate(
            (
                gettext_lazy("January"),
                gettext_lazy("February"),
                gettext_lazy("March"),
                gettext_lazy("April"),
                gettext_lazy("May"),
                gettext_lazy("June"),
                gettext_lazy("July"),
                gettext_lazy("August"),
                gettext_lazy("September"),
                gettext_lazy("October"),
                gettext_lazy("November"),
                gettext_lazy("December"),
            ),
            start=1,
        )
    },
}


class PeriodForm(forms.Form):
    """Which period, and which characteristic to break the indicators down by."""

    year = forms.TypedChoiceField(label=gettext_lazy("Year"), coerce=int)
    part = forms.ChoiceField(label=gettext_lazy("Period"), choices=list(PART_LABELS.items()), initial="year")
    by = forms.ChoiceField(
        label=gettext_lazy("Break down by"),
        choices=[(dimension, DIMENSION_LABELS[dimension]) for dimension in CHOOSABLE],
        initial="sex",
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = range(today.year, FIRST_YEAR - 1, -1)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["year"].initial = today.year

    def chosen(self) -> tuple[CalendarPeriod, str]:
        """The period and dimension asked for (the defaults when the form was not filled in)."""
        data = self.cleaned_data
        return CalendarPeriod(data["year"], data["part"]), data["by"]


def _form(request: HttpRequest) -> PeriodForm:
    today = timezone.localdate()
    given = {name: request.GET[name] for name in ("year", "part", "by") if name in request.GET}
    defaults = {"year": str(today.year), "part": "year", "by": "sex"}
    return PeriodForm({**defaults, **given}, today=today)


def _scope_text(user: Any) -> str:
    if access.role_of(user) == Role.MONITOR:
        return _("Every case in the system.")
    return _("The cases your agency holds or has been referred.")


def _query(when: CalendarPeriod, by: str) -> str:
    return f"year={when.year}&part={when.part}&by={by}"


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Every indicator for one period: its total, and a chart and table by the chosen dimension."""
    access.require(request.user, "statistics.view")
    form = _form(request)
    if not form.is_valid():
        return render(request, "web/monitoring/dashboard.html", {"form": form, "sections": []}, status=400)
    when, by = form.chosen()
    release = publication.release_for(request.user, when)
    catalogue = default_catalogue()
    sections = []
    for key, label, ids in SECTIONS:
        items = []
        for indicator_id in ids:
            indicator = catalogue.indicator(indicator_id)
            total = release.result(indicator_id, (None, None))
            by_currency = release.result(indicator_id, (None, "currency"))
            broken = breakdown_for(release, indicator, by)
            items.append(
                {
                    "indicator": indicator,
                    "title": title(indicator),
                    "headline": None if indicator.kind == "sum" else headline(total),
                    "currencies": shown_table(by_currency) if by_currency is not None else None,
                    "table": shown_table(broken, f"chart-{indicator_id}") if broken is not None else None,
                }
            )
        sections.append({"key": key, "label": label, "items": items})
    context = {
        "form": form,
        "when": when,
        "period": release.period,
        "by": by,
        "by_label": DIMENSION_LABELS[by],
        "sections": sections,
        "scope_text": _scope_text(request.user),
        "minimum_cell": release.policy.minimum_cell,
        "query": _query(when, by),
    }
    return render(request, "web/monitoring/dashboard.html", context)


@login_required
def indicator_page(request: HttpRequest, indicator_id: str) -> HttpResponse:
    """One indicator: its definition and citations, and every table the release publishes of it."""
    access.require(request.user, "statistics.view")
    catalogue = default_catalogue()
    try:
        indicator = catalogue.indicator(indicator_id)
    except KeyError:
        raise Http404 from None
    form = _form(request)
    if not form.is_valid():
        return render(request, "web/monitoring/indicator.html", {"form": form, "indicator": indicator}, status=400)
    when, by = form.chosen()
    release = publication.release_for(request.user, when)
    tables = [
        shown_table(result, f"chart-{indicator.id}-{index}")
        for index, result in enumerate(release.for_indicator(indicator.id))
    ]
    population = catalogue.populations.get(indicator.denominator) if indicator.denominator else None
    context = {
        "form": form,
        "indicator": indicator,
        "title": title(indicator),
        "population": population,
        "tables": tables,
        "period": release.period,
        "minimum_cell": release.policy.minimum_cell,
        "query": _query(when, by),
        "dimensions": [DIMENSION_LABELS.get(dimension, dimension) for dimension in indicator.dimensions],
    }
    return render(request, "web/monitoring/indicator.html", context)


@login_required
def download(request: HttpRequest, file_format: str) -> HttpResponse:
    """The period's release as CSV or JSON (published cells only), audited."""
    access.require(request.user, "statistics.view")
    form = _form(request)
    if not form.is_valid():
        return HttpResponse(_("Choose a year and a period from the lists."), status=400, content_type="text/plain")
    when, _by = form.chosen()
    release = publication.release_for(request.user, when)
    from rightsfirst.monitoring.release_formats import to_csv, to_json

    audit.record(request.user, "statistics.download", target=f"{when} {file_format}")
    if file_format == "csv":
        response = HttpResponse(to_csv(release), content_type="text/csv; charset=utf-8")
    else:
        body = json.dumps(to_json(release), ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rightsfirst-indicators-{when}.{file_format}"'
    return response


urlpatterns = [
    path("monitoring/", dashboard, name="monitoring"),
    path("monitoring/indicators/<slug:indicator_id>/", indicator_page, name="monitoring_indicator"),
    path("monitoring/download.csv", download, {"file_format": "csv"}, name="monitoring_download_csv"),
    path("monitoring/download.json", download, {"file_format": "json"}, name="monitoring_download_json"),
]
