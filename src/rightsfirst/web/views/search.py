"""Find a person by name or identity document number, through the blind index.

The term travels only in a POST body (never in a URL, where it would reach server logs and the
browser's history), the answer lists case references only, and a case the user may not see, or
whose consent does not share the person's identity with the user's agency, is never a candidate,
so it answers exactly like a miss. Every search is written to the audit log
with the number of results and without the term, and each user may search SEARCH_LIMIT times in
SEARCH_WINDOW; the count is taken from the audit log itself, which every worker process shares.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from rightsfirst.web import access, audit, blind_index
from rightsfirst.web.models import AuditEvent

SEARCH_LIMIT = 30
SEARCH_WINDOW = dt.timedelta(minutes=10)
RESULT_LIMIT = 50


class PersonSearchForm(forms.Form):
    term = forms.CharField(
        label=gettext_lazy("Name or identity document number"),
        max_length=200,
        help_text=gettext_lazy(
            "Whole names, parts of a name or a document number, with or without accents, in any order of "
            "the name's parts. The search is written to the audit log, without what you searched for."
        ),
    )

    def clean_term(self) -> str:
        term = str(self.cleaned_data["term"]).strip()
        if not blind_index.Query.of(term):
            raise forms.ValidationError(
                _("Enter at least two letters of a name, or a document number (four characters or more, with a digit).")
            )
        return term


def searches_left(user: Any) -> int:
    """How many more searches the user may make in the current window."""
    since = timezone.now() - SEARCH_WINDOW
    made = AuditEvent.objects.filter(user=user, action="person.search", at__gte=since).count()
    return max(SEARCH_LIMIT - made, 0)


@login_required
@sensitive_post_parameters("term")
@require_http_methods(["GET", "POST"])
def person_search(request: HttpRequest) -> HttpResponse:
    """The search form (GET, without a term) and the search itself (POST)."""
    access.require(request.user, "person.search")
    if request.method == "GET":
        if request.GET:
            # A term in a URL would be kept in logs and in the browser's history: POST only.
            return HttpResponseNotAllowed(["POST"])
        return render(request, "web/person_search.html", {"form": PersonSearchForm()})
    form = PersonSearchForm(request.POST)
    if not form.is_valid():
        return render(request, "web/person_search.html", {"form": form})
    if searches_left(request.user) <= 0:
        audit.record(request.user, "person.search.refused", target="rate limit reached")
        limited = _("Too many searches: you may search %(limit)s times in %(minutes)s minutes. Try again later.") % {
            "limit": SEARCH_LIMIT,
            "minutes": int(SEARCH_WINDOW.total_seconds() // 60),
        }
        return render(request, "web/person_search.html", {"form": form, "limited": limited}, status=429)
    with transaction.atomic():
        found = blind_index.search(access.identity_visible_cases(request.user), form.cleaned_data["term"], RESULT_LIMIT)
        count = f"{len(found.cases)}{'+' if found.more or found.stopped else ''}"
        audit.record(request.user, "person.search", target=f"results: {count}")
    # The term is not sent back: the page answers with an empty form and the case references.
    context = {
        "form": PersonSearchForm(),
        "found": found,
        "searched": True,
        "result_limit": RESULT_LIMIT,
        "candidate_limit": blind_index.MAX_CANDIDATES,
    }
    return render(request, "web/person_search.html", context)


urlpatterns = [
    path("people/search/", person_search, name="person_search"),
]
