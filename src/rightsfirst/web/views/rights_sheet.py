"""The printable "your rights" sheet, in the person's preferred language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import translation

from rightsfirst.web import access, adapter, workflow
from rightsfirst.web.rights_sheet import ALWAYS, PLAIN_WORDS

SHEET_LANGUAGES = {code for code, _name in settings.LANGUAGES}


@login_required
def rights_sheet(request: HttpRequest, reference: str) -> HttpResponse:
    case = access.case_for(request.user, reference)
    preferred = case.person.preferred_language
    language = request.GET.get("lang") or preferred
    fallback = language not in SHEET_LANGUAGES
    if fallback:
        language = "en"
    assessment = adapter.assess_case(case, workflow.today())
    with translation.override(language):
        rights = [
            {
                "heading": str(PLAIN_WORDS[item.definition.id][0]),
                "text": str(PLAIN_WORDS[item.definition.id][1]),
                "due": item.due,
                "status": item.status,
            }
            for item in assessment.entitlements.entitlements
            if item.applies and item.definition.id in PLAIN_WORDS
        ]
        response = render(
            request,
            "web/rights_sheet.html",
            {
                "case": case,
                "rights": rights,
                "always": [str(line) for line in ALWAYS],
                "sheet_language": language,
                "preferred": preferred,
                "fallback": fallback,
                "languages": sorted(SHEET_LANGUAGES),
            },
        )
    return response


urlpatterns = [path("cases/<str:reference>/your-rights/", rights_sheet, name="rights_sheet")]
