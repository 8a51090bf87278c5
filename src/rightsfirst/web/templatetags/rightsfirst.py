"""Template filters that turn the engine's codes into words for people."""

from django import template
from django.utils import translation
from django.utils.html import conditional_escape, format_html

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
