"""Two-factor sign-in: an authenticator app (TOTP) for everyone, recovery codes for when it is lost,
and security keys (security_keys.py), which the roles in RIGHTSFIRST_SECURITY_KEY_ROLES must use.

A password alone opens no page that shows or changes anything: until the second factor is
given, the session reaches only the pages listed in OPEN_WITHOUT_SECOND_FACTOR. For a role that
must use a key, the app's code is not enough either: it only lets the user add their first key.
The same one-time codes, or a key, confirm dangerous acts again (overrides, sharing, exports), so
that a session left open on a shelter's laptop is not enough to do them.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web import audit, security_keys
from rightsfirst.web.models.security import RecoveryCodeDevice, SecurityKey

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# When the user last gave a one-time code (sign-in or a confirmation), for the pages that ask again.
CONFIRMED_AT = "rightsfirst_factor_confirmed_at"

# Paths a signed-in user may reach before giving the second factor (prefixes).
OPEN_WITHOUT_SECOND_FACTOR = ("/login/", "/logout/", "/i18n/", "/static/", "/api/")


def app_device(user: Any, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def is_enrolled(user: Any) -> bool:
    """Whether the user has a confirmed authenticator app."""
    return app_device(user) is not None


def start_enrolment(user: Any) -> TOTPDevice:
    """The user's unconfirmed authenticator device, made now if there is none."""
    pending = app_device(user, confirmed=False)
    if pending is None:
        pending = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return pending


def secret_for_display(device: TOTPDevice) -> str:
    """The device's key in base32, in groups of four, for typing into an app by hand."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[index : index + 4] for index in range(0, len(text), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The enrolment QR code as inline SVG (drawn on the server: no script, no image request)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, title="QR code"))


def finish_enrolment(request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with a code from it; returns the new recovery codes, or None if the code is wrong."""
    if not device.verify_token(code.strip().replace(" ", "")):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    codes = recovery_device(device.user).replace_codes()
    _signed_in(request, device)
    audit.record(device.user, "auth.second_factor_enrolled")
    return codes


def recovery_device(user: Any) -> RecoveryCodeDevice:
    found = RecoveryCodeDevice.objects.filter(user=user).first()
    return found or RecoveryCodeDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)


def matching_device(user: Any, code: str) -> TOTPDevice | RecoveryCodeDevice | None:
    """The device that accepts this one-time code (each code is accepted once), or None."""
    code = code.strip()
    digits = code.replace(" ", "")
    if digits.isdigit():
        device = app_device(user)
        return device if device is not None and device.verify_token(digits) else None
    recovery = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
    return recovery if recovery is not None and recovery.verify_token(code) else None


def codes_accepted_at_sign_in(user: Any) -> bool:
    """Whether a code (app or recovery) can give the second factor: not for a role that must use a
    key and has one (it still lets one who has no key yet go on to add one)."""
    return not (security_keys.required_for(user) and security_keys.has_key(user))


def verify_sign_in(request: HttpRequest, code: str) -> bool:
    """Give the second factor with a code; audited either way.

    For a role that must use a key, a code is refused once the user has a key, and before that it
    only opens the page where they add one (next_step says where to go).
    """
    if not codes_accepted_at_sign_in(request.user):
        audit.record(request.user, "auth.second_factor_failed", fields="security_key_required")
        return False
    device = matching_device(request.user, code)
    if device is None:
        audit.record(request.user, "auth.second_factor_failed")
        return False
    _signed_in(request, device)
    used = "recovery_code" if isinstance(device, RecoveryCodeDevice) else "app"
    if security_keys.required_for(request.user):
        audit.record(request.user, "auth.second_factor_passed", fields=f"{used}; a security key is to be added")
    else:
        audit.record(request.user, "auth.sign_in", fields=used)
    return True


def verify_sign_in_with_key(request: HttpRequest, device: SecurityKey) -> None:
    """Complete sign-in with a key that answered this session's challenge (security_keys.finish_assertion)."""
    _signed_in(request, device)
    audit.record(request.user, "auth.sign_in", fields="security_key", target=device.name)


def next_step(request: HttpRequest) -> str | None:
    """The sign-in page this session must go to next (a URL name), or None once signed in."""
    user = request.user
    if not user.is_verified():
        return "two_factor_verify" if is_enrolled(user) or security_keys.has_key(user) else "two_factor_setup"
    if security_keys.required_for(user) and not security_keys.session_used_key(request):
        return "two_factor_verify" if security_keys.has_key(user) else "security_key_setup"
    return None


def signed_in(request: HttpRequest) -> bool:
    """Whether the session has given every factor the user's role needs."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and next_step(request) is None)


def _signed_in(request: HttpRequest, device: TOTPDevice | RecoveryCodeDevice | SecurityKey) -> None:
    # A new session key once fully signed in: a key planted before sign-in is worth nothing.
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[CONFIRMED_AT] = time.time()


def confirm(request: HttpRequest, code: str) -> bool:
    """Check a one-time code, or the token a security key's answer left (security_keys.issue_confirmation),
    given to confirm a dangerous act (audited when it fails)."""
    code = code.strip()
    if security_keys.spend_confirmation(request, code):
        request.session[CONFIRMED_AT] = time.time()
        return True
    if code.startswith(security_keys.TOKEN_PREFIX) or matching_device(request.user, code) is None:
        audit.record(request.user, "auth.confirmation_failed")
        return False
    request.session[CONFIRMED_AT] = time.time()
    return True


_DJANGO_TEMPLATES = DjangoTemplates()


class ConfirmationInput(forms.TextInput):
    """The code field, followed by a "Use your security key" button that security_keys.js shows to a
    user who has a key; the key's answer fills the field with a one-time token."""

    template_name = "web/widgets/confirmation_input.html"

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> Any:
        # Its template is a Django template (translations, URLs, an include of the page's
        # partials), whatever renderer the other widgets use (settings.FORM_RENDERER).
        return super().render(name, value, attrs, renderer=_DJANGO_TEMPLATES)


def confirmation_field() -> Any:
    """The form field that asks again for a one-time code (or a key) before a dangerous act."""
    from django.utils.translation import gettext_lazy

    return forms.CharField(
        label=gettext_lazy("Confirm with a code from your authenticator app"),
        max_length=40,
        help_text=gettext_lazy(
            "This act is confirmed by you in person: type the current 6-digit code (or a recovery code), "
            "or use your security key if you have one."
        ),
        widget=ConfirmationInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def check_confirmation(request: HttpRequest, form: Any, field: str = "confirmation_code") -> bool:
    """Validate the form's confirmation code against the user's devices; adds the form error if wrong."""
    from django.utils.translation import gettext

    if confirm(request, form.cleaned_data.get(field, "")):
        return True
    form.add_error(field, gettext("That code did not work. Wait for a new code in the app and try again."))
    return False


def confirmed_within(request: HttpRequest, seconds: float) -> bool:
    """Whether the user gave a factor (at sign-in or to confirm an act) in the last `seconds`."""
    at = request.session.get(CONFIRMED_AT)
    return isinstance(at, int | float) and time.time() - at <= seconds


def confirm_with_key(request: HttpRequest) -> str:
    """After a key answered a confirmation challenge: the one-time token the act's form will carry."""
    request.session[CONFIRMED_AT] = time.time()
    return security_keys.issue_confirmation(request)


def safe_next(request: HttpRequest, fallback: str = "home", target: str | None = None) -> str:
    """Where to go next: `target` (else the request's "next") if it is on this site, else `fallback`."""
    if target is None:
        target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(fallback)


class SecondFactorRequiredMiddleware:
    """Send a session that has only passed the password to the second-factor page (or to enrolment)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(OPEN_WITHOUT_SECOND_FACTOR):
            if not user.is_active:
                logout(request)
                return redirect(settings.LOGIN_URL)
            target = next_step(request)
            if target is None:
                return self.get_response(request)
            url = reverse(target)
            if request.method == "GET" and request.path != "/":
                url += "?" + urlencode({"next": request.get_full_path()})
            response = redirect(url)
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
            return response
        return self.get_response(request)
