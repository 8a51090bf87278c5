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
    """End a signed-in session a fixed time after sign-in, however active it is, and keep an
    active one from reaching its idle limit.

    The idle limit is the stored session's expiry (SESSION_COOKIE_AGE after it was last saved).
    Activity renews it, but at most once every RIGHTSFIRST_SESSION_RENEW_SECONDS: saving the
    session on every request was a database write per page, and on SQLite, where writers take
    turns, those writes queued behind one another under load (docs/performance.md). The idle
    limit is therefore between SESSION_COOKIE_AGE minus that interval and SESSION_COOKIE_AGE.
    """

    KEY = "rightsfirst_signed_in_at"
    RENEWED = "rightsfirst_renewed_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(self.KEY, now)
            if now - float(started) > settings.RIGHTSFIRST_SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(settings.LOGIN_URL)
            if now - float(request.session.get(self.RENEWED, 0)) >= settings.RIGHTSFIRST_SESSION_RENEW_SECONDS:
                # A change to the session: Django saves it with a new expiry after the response.
                request.session[self.RENEWED] = now
        return self.get_response(request)
