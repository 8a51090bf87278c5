"""Security keys: adding one (at sign-in for a role that must have one, or from the account page),
signing in or confirming an act with one, and removing one.

The pages are plain forms; the ceremonies themselves are JSON calls made by static/web/security_keys.js
(begin: the options for the browser; finish: the browser's answer), each refused unless this session
began it.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from rightsfirst.web import security_keys, two_factor
from rightsfirst.web.models.security import SecurityKey


class KeyNameForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the key"),
        max_length=64,
        help_text=gettext_lazy(
            'So that you can tell your keys apart, e.g. "Blue key on my key ring". Nothing about a person.'
        ),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the key a name."))
        return name


class ConfirmedKeyNameForm(KeyNameForm):
    confirmation_code = two_factor.confirmation_field()


class RemoveKeyForm(forms.Form):
    confirmation_code = two_factor.confirmation_field()


def _register_page(request: HttpRequest, name: str, done: str) -> HttpResponse:
    """The step where the browser talks to the key (the user has confirmed and named it)."""
    security_keys.start_enrolment(request, name)
    return render(request, "web/account/security_key_register.html", {"name": name, "next": done})


@sensitive_post_parameters("confirmation_code")
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """At sign-in, for a role that must use a key and has none yet: add the first one.

    Reached only after the app's code (or a recovery code) was given; that code is the
    confirmation, if it was given in the last few minutes, otherwise a fresh one is asked.
    """
    step = two_factor.next_step(request)
    if step != "security_key_setup":
        return redirect(reverse(step) if step else two_factor.safe_next(request))
    recently = two_factor.confirmed_within(request, security_keys.WINDOW_SECONDS)
    form_class = KeyNameForm if recently else ConfirmedKeyNameForm
    form = form_class(request.POST or None)
    confirmed = (
        request.method == "POST" and form.is_valid() and (recently or two_factor.check_confirmation(request, form))
    )
    if confirmed:
        done = reverse("two_factor_verify") + "?" + urlencode({"next": two_factor.safe_next(request)})
        return _register_page(request, form.cleaned_data["name"], done)
    return render(request, "web/account/security_key_setup.html", {"form": form, "next": request.GET.get("next", "")})


@sensitive_post_parameters("confirmation_code")
@login_required
def add(request: HttpRequest) -> HttpResponse:
    """From the account page: name a new key and confirm with a current factor, then register it."""
    if security_keys.keys_of(request.user).count() >= security_keys.MAX_KEYS:
        messages.error(request, _("You have as many security keys as an account may have. Remove one first."))
        return redirect("account")
    form = ConfirmedKeyNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and two_factor.check_confirmation(request, form):
        return _register_page(request, form.cleaned_data["name"], reverse("account"))
    return render(request, "web/account/security_key_add.html", {"form": form})


@sensitive_post_parameters("confirmation_code")
@login_required
def remove(request: HttpRequest) -> HttpResponse:
    """Remove one of one's own keys (named by "key"), confirmed with a current factor; never the
    last one a role needs. Another user's key, like one that does not exist, is not found."""
    chosen = request.POST.get("key") or request.GET.get("key") or ""
    if not chosen:
        return redirect("account")
    if not chosen.isdigit():
        raise Http404
    key = get_object_or_404(SecurityKey, pk=int(chosen), user=request.user, confirmed=True)
    form = RemoveKeyForm(request.POST or None)
    allowed = security_keys.may_remove(request.user, key)
    if request.method == "POST" and allowed and form.is_valid() and two_factor.check_confirmation(request, form):
        if security_keys.remove(request.user, key):
            messages.success(request, _("The security key “%(name)s” was removed.") % {"name": key.name})
            return redirect("account")
        allowed = False
    return render(request, "web/account/security_key_remove.html", {"form": form, "key": key, "allowed": allowed})


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@require_POST
@login_required
def register_begin(request: HttpRequest) -> JsonResponse:
    options = security_keys.begin_registration(request)
    if options is None:
        return _refused(_("Adding a key took too long or was not confirmed. Start again from your account page."))
    return JsonResponse(options)


@require_POST
@login_required
def register_finish(request: HttpRequest) -> JsonResponse:
    body = _body(request)
    device = security_keys.finish_registration(request, body.get("credential"))
    if device is None:
        return _refused(_("The key could not be added. Start again; if it happens again, try another key."))
    messages.success(request, _("The security key “%(name)s” was added.") % {"name": device.name})
    # At sign-in, the page that asks for the new key once (which also proves it works); from the
    # account page, back to it.
    return JsonResponse({"redirect": two_factor.safe_next(request, "account", target=str(body.get("next", "")))})


@require_POST
@login_required
def assert_begin(request: HttpRequest) -> JsonResponse:
    purpose = str(_body(request).get("purpose", ""))
    if purpose == "confirm" and not two_factor.signed_in(request):
        return _refused(_("Sign in first."))
    options = security_keys.begin_assertion(request, purpose)
    if options is None:
        return _refused(_("You have no security key on this account."))
    return JsonResponse(options)


@require_POST
@login_required
def assert_finish(request: HttpRequest) -> JsonResponse:
    body = _body(request)
    purpose = str(body.get("purpose", ""))
    if purpose == "confirm" and not two_factor.signed_in(request):
        return _refused(_("Sign in first."))
    device = security_keys.finish_assertion(request, body.get("credential"), purpose)
    if device is None:
        return _refused(_("That security key was not accepted. Try again with a key you added to this account."))
    if purpose == "confirm":
        return JsonResponse({"token": two_factor.confirm_with_key(request)})
    two_factor.verify_sign_in_with_key(request, device)
    return JsonResponse({"redirect": two_factor.safe_next(request, target=str(body.get("next", "")))})


urlpatterns = [
    path("login/set-up-security-key/", setup, name="security_key_setup"),
    path("login/security-key/begin/", assert_begin, name="security_key_assert_begin"),
    path("login/security-key/finish/", assert_finish, name="security_key_assert_finish"),
    path("login/security-key/register/begin/", register_begin, name="security_key_register_begin"),
    path("login/security-key/register/finish/", register_finish, name="security_key_register_finish"),
    path("account/security-keys/add/", add, name="security_key_add"),
    path("account/security-keys/remove/", remove, name="security_key_remove"),
]
