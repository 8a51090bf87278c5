"""Template filters that turn the engine's codes into words for people."""

from django import template

from rightsfirst.web.views.framework_browser import DUTY_BEARER_LABELS

register = template.Library()


@register.filter
def duty_bearer(code: str) -> str:
    """The duty bearer's name in the user's language (the code itself if it is not known)."""
    return str(DUTY_BEARER_LABELS.get(code, code))
