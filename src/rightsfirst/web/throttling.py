"""Limits on guessing: what django-axes calls when a user name and address are locked out."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def client_address(request: HttpRequest) -> str | None:
    """The address attempts are counted against.

    The connection's own address: a forwarded-for header is written by the client and would let
    a guesser pick a fresh address for every attempt. Behind a reverse proxy, the proxy must set
    REMOTE_ADDR (e.g. gunicorn's --forwarded-allow-ips for that proxy only).
    """
    return request.META.get("REMOTE_ADDR")


def attempted_username(request: HttpRequest, credentials: Any) -> str:
    """The user name attempts are counted against, cut to the longest a user name can be.

    Read from the raw request before any form validation, so a hostile sign-in could otherwise
    send a name longer than the attempts table holds (and fail with a server error on PostgreSQL).
    """
    value = (credentials or {}).get("username") if isinstance(credentials, dict) else None
    if value is None:
        value = request.POST.get("username", "")
    return str(value)[:150]


def locked_out_response(request: HttpRequest, original_response: HttpResponse | None, credentials: Any) -> HttpResponse:
    """A locked-out attempt gets the very page a wrong password gets: the same words and status,
    so that nobody can tell a locked account, a wrong password and an unknown name apart."""
    if original_response is not None:
        return original_response
    from django.shortcuts import render

    from rightsfirst.web.views.account import SignInView

    form = SignInView.form_class(request, data=request.POST or None)
    form.is_valid()
    return render(request, "web/login.html", {"form": form, "failed": True})
