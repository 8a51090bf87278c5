"""Template context: the signed-in user's role, agency and what their role allows, and whether
they are fully signed in."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from rightsfirst.web.access import membership_of
from rightsfirst.web.roles import PERMISSIONS


def membership(request: HttpRequest) -> dict[str, Any]:
    found = membership_of(getattr(request, "user", None))
    role = found.role if found else None
    from rightsfirst.web import security_keys, two_factor

    return {
        # Every factor the role needs was given (the menu shows only then).
        "signed_in": SimpleLazyObject(lambda: two_factor.signed_in(request)),
        # For security_keys.js: offer the key wherever a code is asked.
        "has_security_key": SimpleLazyObject(lambda: security_keys.has_key(getattr(request, "user", None))),
        "membership": found,
        "can": {action.replace(".", "_"): role in roles for action, roles in PERMISSIONS.items()} if role else {},
    }
