"""Template context: the signed-in user's role, agency and what their role allows."""

from typing import Any

from django.http import HttpRequest

from rightsfirst.web.access import membership_of
from rightsfirst.web.roles import PERMISSIONS


def membership(request: HttpRequest) -> dict[str, Any]:
    found = membership_of(getattr(request, "user", None))
    role = found.role if found else None
    return {
        "membership": found,
        "can": {action.replace(".", "_"): role in roles for action, roles in PERMISSIONS.items()} if role else {},
    }
