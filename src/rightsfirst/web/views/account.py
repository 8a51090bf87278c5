"""Signing in with two factors, setting up the authenticator app, recovery codes and the password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse, reverse_lazy
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from rightsfirst.web import audit, security_keys, two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        help_text=gettext_lazy("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class AppCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("6-digit code from the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ConfirmCodeForm(forms.Form):
    code = two_factor.confirmation_field()


class SignInView(auth_views.LoginView):
    """The password step. The second step follows (SecondFactorRequiredMiddleware sends the user on)."""

    template_name = "web/login.html"


@sensitive_post_parameters("code")
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a security key, a code from the app, or a recovery code.

    A role that must use a key is offered only the key once it has one.
    """
    step = two_factor.next_step(request)
    if step is None:
        return redirect(two_factor.safe_next(request))
    if step != "two_factor_verify":
        query = "?" + urlencode({"next": request.GET["next"]}) if request.GET.get("next") else ""
        return redirect(reverse(step) + query)
    codes_accepted = two_factor.codes_accepted_at_sign_in(request.user) and two_factor.is_enrolled(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.verify_sign_in(request, form.cleaned_data["code"]):
            step = two_factor.next_step(request)
            if step is None:
                return redirect(two_factor.safe_next(request))
            # A role that must use a key and has none yet: on to adding one.
            return redirect(reverse(step) + "?" + urlencode({"next": two_factor.safe_next(request)}))
        if codes_accepted:
            # One message for a wrong, reused or throttled code: nothing to learn from the difference.
            form.add_error("code", _("That code did not work. Wait for a new code in the app and try again."))
        else:
            form.add_error(None, _("Your role signs in with a security key: a code is not enough."))
    context = {
        "form": form,
        "next": request.GET.get("next", ""),
        "codes_accepted": codes_accepted,
        "has_key": security_keys.has_key(request.user),
    }
    return render(request, "web/account/verify.html", context)


@sensitive_post_parameters("code")
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """First sign-in: connect an authenticator app. Not offered once one is connected (a stolen
    password must not be enough to add the thief's own app)."""
    if two_factor.is_enrolled(request.user) or security_keys.has_key(request.user):
        return redirect("two_factor_verify")
    device = two_factor.start_enrolment(request.user)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor.finish_enrolment(request, device, form.cleaned_data["code"])
        if codes is not None:
            return render(
                request,
                "web/account/recovery_codes.html",
                {"codes": codes, "next": two_factor.safe_next(request), "first_time": True},
            )
        form.add_error("code", _("That code did not work. Check the time on your phone and try the next code."))
    context = {
        "form": form,
        "qr_code": two_factor.qr_code_svg(device),
        "secret": two_factor.secret_for_display(device),
        "next": request.GET.get("next", ""),
    }
    return render(request, "web/account/setup.html", context)


@sensitive_post_parameters("code")
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own account: second factors (app, recovery codes, security keys), password change."""
    recovery = two_factor.recovery_device(request.user)
    form = ConfirmCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.confirm(request, form.cleaned_data["code"]):
            codes = two_factor.recovery_device(request.user).replace_codes()
            audit.record(request.user, "auth.recovery_codes_replaced")
            return render(request, "web/account/recovery_codes.html", {"codes": codes, "next": reverse_lazy("account")})
        form.add_error("code", _("That code did not work. Wait for a new code in the app and try again."))
    device = two_factor.app_device(request.user)
    keys = list(security_keys.keys_of(request.user))
    context: dict[str, Any] = {
        "form": form,
        "remaining": recovery.remaining(),
        "enrolled_on": device.created_at if device is not None else None,
        "keys": keys,
        "key_required": security_keys.required_for(request.user),
        "may_add_key": len(keys) < security_keys.MAX_KEYS,
    }
    return render(request, "web/account/account.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password. Other sessions of this user end (Django's session hash changes)."""

    template_name = "web/account/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(self.request.user, "auth.password_changed")
        messages.success(self.request, _("Your password has been changed. Other sessions have been signed out."))
        return response


urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),
    path("login/two-factor/", verify, name="two_factor_verify"),
    path("login/set-up-two-factor/", setup, name="two_factor_setup"),
    path("account/", account, name="account"),
    path("account/password/", PasswordChangeView.as_view(), name="password_change"),
]
