"""Template filters that turn the engine's codes into words for people."""

import functools
from collections.abc import Iterable

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString

from rightsfirst.web.views.framework_browser import DUTY_BEARER_LABELS

register = template.Library()


@register.filter
def duty_bearer(code: str) -> str:
    """The duty bearer's name in the user's language (the code itself if it is not known)."""
    return str(DUTY_BEARER_LABELS.get(code, code))


@register.filter
def engine_text(text: object) -> str:
    """Text written by the engine or the framework, which is in English for now: marked as such
    on pages in another language, so that screen readers pronounce it as English (WCAG 3.1.2)."""
    if translation.get_language() in (None, "en") or not text:
        return conditional_escape(text)
    return format_html('<span lang="en">{}</span>', text)


@register.filter
def citation_links(citations: Iterable[str]) -> SafeString:
    """Each citation as a link to its provision in the framework browser, separated by commas."""
    prefix = get_script_prefix()
    return format_html_join(", ", "{}", ((_citation_link(prefix, str(citation)),) for citation in citations))


@functools.lru_cache(maxsize=2048)
def _citation_link(prefix: str, citation: str) -> SafeString:
    # The same few hundred provisions are cited on every case page; reversing the URL each time
    # was a tenth of the page's rendering. `prefix` keys the cache because reverse() depends on it.
    return format_html('<a href="{}">{}</a>', reverse("framework_provision", args=[citation]), citation)
