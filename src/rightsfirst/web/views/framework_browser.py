"""The framework browser: every provision the engine reasons from, and the rules that rest on it."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, register_converter
from django.utils.translation import gettext_lazy as _

from rightsfirst.engine.catalogue import citation_register, entitlement_definitions
from rightsfirst.framework.model import INSTRUMENTS, Framework, Provision
from rightsfirst.web import access, adapter

# The order a reader meets the sources in: the definition first, then the guidance built on it.
SOURCE_ORDER = ("TIP", "RPG", "HRS", "FS36")

SOURCE_NAMES = {
    "TIP": _("Trafficking Protocol"),
    "RPG": _("Recommended Principles and Guidelines"),
    "HRS": _("Human Rights Standards for the Treatment of Trafficked Persons"),
    "FS36": _("Fact Sheet No. 36"),
}

KIND_LABELS = {
    "definition": _("Definition"),
    "entitlement": _("Entitlement"),
    "obligation": _("Obligation"),
    "prohibition": _("Prohibition"),
    "policy": _("Policy"),
}

DUTY_BEARER_LABELS = {
    "state": _("The State"),
    "origin_state": _("The country of origin"),
    "destination_state": _("The country of destination"),
    "states_and_organisations": _("States and intergovernmental organisations"),
    "law_enforcement": _("Police and other law enforcement"),
    "prosecution_and_courts": _("Prosecutors and courts"),
    "service_providers": _("Those who provide support and services"),
    "missions_and_personnel": _("Peacekeeping and other international missions and their staff"),
    "none": _("No one in particular (a definition)"),
}

PROTECTS_LABELS = {
    "all": _("Everyone who is or may be trafficked"),
    "adults": _("Adults"),
    "children": _("Children"),
    "women": _("Women and girls"),
    "migrants": _("Migrants"),
    "asylum_seekers": _("People seeking asylum"),
    "witnesses": _("Witnesses"),
    "families": _("Families"),
    "defendants": _("People accused of offences"),
    "at_risk": _("People at risk of being trafficked"),
    "none": _("No one in particular"),
}


class ProvisionIdConverter:
    """Provision ids such as TIP.3a, RPG.G8.1 or FS36.I.B.no-border: dotted, never a slash."""

    regex = r"[A-Za-z0-9]+(?:\.[A-Za-z0-9-]+)*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ProvisionIdConverter, "provision")


@dataclass(frozen=True)
class Citing:
    """A rule, entitlement or screening element that cites a provision."""

    group: str  # screening, entitlement, review, general
    label: str
    measure: str = ""
    condition: str = ""
    basis: bool = False


def _reading_key(provision: Provision, position: int) -> tuple[Any, ...]:
    # The files hold RPG guidelines 6-11 before the principles; readers expect P1-P17, then G1-G11.
    source = SOURCE_ORDER.index(provision.instrument) if provision.instrument in SOURCE_ORDER else len(SOURCE_ORDER)
    match = re.fullmatch(r"RPG\.([PG])(\d+)(?:\.(\d+))?", provision.id)
    if match:
        return (source, 0 if match[1] == "P" else 1, int(match[2]), int(match[3] or 0), position)
    return (source, 0, 0, 0, position)


_READING_ORDER: dict[str, tuple[Provision, ...]] = {}


def _ordered(framework: Framework) -> tuple[Provision, ...]:
    # The framework itself is not hashable; its version names its content exactly.
    if framework.version not in _READING_ORDER:
        items = list(framework.provisions.values())
        ordered = sorted(enumerate(items), key=lambda pair: _reading_key(pair[1], pair[0]))
        _READING_ORDER[framework.version] = tuple(item for _position, item in ordered)
    return _READING_ORDER[framework.version]


def _words(name: str) -> str:
    return name.replace("_", " ")


@functools.cache
def citing_index() -> dict[str, tuple[Citing, ...]]:
    """For each provision id, what in the engine cites it.

    Read from the engine's register of declared citations (the same source as the generated
    catalogue of rules), so the page cannot claim a use the engine does not make.
    """
    entitlements = {definition.id: definition for definition in entitlement_definitions()}
    index: dict[str, list[Citing]] = defaultdict(list)
    for name, ids in sorted(citation_register().items()):
        kind, _dot, rest = name.partition(".")
        if kind == "screen":
            item = Citing("screening", _words(rest))
        elif kind == "entitlement" and rest in entitlements:
            definition = entitlements[rest]
            item = Citing("entitlement", definition.title, condition=definition.condition)
        elif kind == "review":
            measure_type, _dot, label = rest.partition(".")
            if not label:
                item = Citing("review", _words(measure_type))
            elif label == "basis":
                item = Citing("review", "", measure=_words(measure_type), basis=True)
            else:
                item = Citing("review", _words(label), measure=_words(measure_type))
        else:
            item = Citing("general", _words(rest or kind))
        for provision_id in ids:
            index[provision_id].append(item)
    return {key: tuple(value) for key, value in index.items()}


def search(framework: Framework, query: str) -> list[Provision]:
    """Provisions whose id, title, summary or tags contain every word of the query (any case)."""
    words = query.lower().split()
    found = []
    for provision in _ordered(framework):
        text = f"{provision.id} {provision.title} {provision.summary} {' '.join(provision.tags)}".lower()
        if all(word in text for word in words):
            found.append(provision)
    return found


def _grouped(provisions: list[Provision]) -> list[dict[str, Any]]:
    groups: dict[str, list[Provision]] = defaultdict(list)
    for provision in provisions:
        groups[provision.instrument].append(provision)
    order = [*SOURCE_ORDER, *sorted(set(groups) - set(SOURCE_ORDER))]
    return [
        {
            "code": code,
            "name": SOURCE_NAMES.get(code, code),
            "title": INSTRUMENTS.get(code, code),
            "provisions": groups[code],
        }
        for code in order
        if groups.get(code)
    ]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the law"),
        required=False,
        max_length=100,
        help_text=_("Words from a provision's title or summary, or an id such as RPG.G8.1."),
    )


@login_required
def framework_index(request: HttpRequest) -> HttpResponse:
    """All provisions grouped by source, narrowed by an optional search."""
    access.require(request.user, "framework.view")
    framework = adapter.framework()
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    found = search(framework, query)
    context = {
        "form": form,
        "query": query,
        "groups": _grouped(found),
        "found": len(found),
        "total": len(framework.provisions),
        "version": framework.version,
    }
    template = "web/framework/_results.html" if request.htmx else "web/framework/index.html"
    return render(request, template, context)


@login_required
def framework_provision(request: HttpRequest, provision_id: str) -> HttpResponse:
    """One provision: our summary, the exact citation, related provisions and what cites it."""
    access.require(request.user, "framework.view")
    framework = adapter.framework()
    provision = framework.provisions.get(provision_id)
    if provision is None:
        raise Http404("no such provision")
    citing = citing_index().get(provision.id, ())
    # Links back that the provision does not already list itself.
    referred_by = [
        item
        for item in _ordered(framework)
        if provision.id in item.related and item.id not in provision.related and item.id != provision.id
    ]
    context = {
        "provision": provision,
        "source_name": SOURCE_NAMES.get(provision.instrument, provision.instrument),
        "source_title": INSTRUMENTS.get(provision.instrument, provision.instrument),
        "kind": KIND_LABELS.get(provision.kind, provision.kind),
        "duty_bearer": DUTY_BEARER_LABELS.get(provision.duty_bearer, provision.duty_bearer),
        "protects": [PROTECTS_LABELS.get(group, group) for group in provision.protects],
        "related": [framework.provisions[item] for item in provision.related if item in framework.provisions],
        "referred_by": referred_by,
        "screening": [item for item in citing if item.group == "screening"],
        "entitlements": [item for item in citing if item.group == "entitlement"],
        "reviews": [item for item in citing if item.group == "review"],
        "general": [item for item in citing if item.group == "general"],
        "version": framework.version,
    }
    return render(request, "web/framework/provision.html", context)


urlpatterns = [
    path("law/", framework_index, name="framework_index"),
    path("law/<provision:provision_id>/", framework_provision, name="framework_provision"),
]
