"""Pages about people must not linger in caches; sessions must not outlive a working day."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


class NoStoreMiddleware:
    """Mark every response to a signed-in user as not to be stored."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response


class SessionLimitMiddleware:
    """End a signed-in session a fixed time after sign-in, however active it is.

    The idle limit is the session cookie's age, renewed on every request; this is the absolute one.
    """

    KEY = "rightsfirst_signed_in_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.setdefault(self.KEY, time.time())
            if time.time() - float(started) > settings.RIGHTSFIRST_SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)
