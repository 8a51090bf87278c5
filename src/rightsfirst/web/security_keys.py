"""Security keys (WebAuthn): a second factor that cannot be phished, required for some roles.

A key signs the server's one-time challenge together with the address the browser is on and the
relying party id (settings.RIGHTSFIRST_WEBAUTHN_RP_ID), so an answer obtained by a look-alike site
is refused here, unlike a code typed into it. Roles named in settings.RIGHTSFIRST_SECURITY_KEY_ROLES
must use a key: the authenticator app's code alone no longer completes their sign-in.

The keys are django-otp devices stored with django-otp-webauthn's model fields (models.SecurityKey),
and the ceremonies use its helper over py_webauthn with our choices: no attestation (we do not need
to know the make), user verification preferred, non-discoverable keys (a key is never used without
the password first). Its views, templates and scripts are not used: they put configuration inline
in the page, which our Content-Security-Policy forbids, allow signing in without a password, and
neither ask for a name and a confirmation nor write our audit log. The signature counter is checked
here rather than inside py_webauthn, after the signature, so that only a genuine answer from a key
whose counter went backwards (a sign of a cloned key) is reported as such.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp_webauthn.helpers import WebAuthnHelper
from webauthn import base64url_to_bytes, verify_authentication_response
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from rightsfirst.web import audit
from rightsfirst.web.access import membership_of
from rightsfirst.web.models.security import SecurityKey

# Session entries. A key being added (its name, when the user confirmed, the ceremony's state).
ENROLMENT = "rightsfirst_key_enrolment"
# A key being asked for (what for, the ceremony's state).
ASSERTION = "rightsfirst_key_assertion"
# A key answer given to confirm a dangerous act, waiting for the act's form to be sent.
CONFIRMATION = "rightsfirst_key_confirmation"

# How long a confirmation lets the user finish adding a key, or finish the act it confirmed.
WINDOW_SECONDS = 5 * 60
# Enough for spares; a bound on what one account can add.
MAX_KEYS = 10
TOKEN_PREFIX = "key:"  # nosec B105  # a marker in a form field, not a secret
PURPOSES = ("sign_in", "confirm")

# What broken or hostile input to the ceremonies can raise before it is refused.
_REFUSED = (WebAuthnException, ValueError, TypeError, KeyError, AttributeError)


def required_for(user: Any) -> bool:
    """Whether the user's role must sign in with a security key (RIGHTSFIRST_SECURITY_KEY_ROLES)."""
    roles = settings.RIGHTSFIRST_SECURITY_KEY_ROLES
    if not roles or user is None or not user.is_authenticated:
        return False
    found = membership_of(user)
    return found is not None and found.role in roles


def keys_of(user: Any) -> Any:
    """The user's usable keys, most recently used first."""
    return SecurityKey.objects.filter(user=user, confirmed=True).order_by("-last_used_at", "-created_at")


def has_key(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and keys_of(user).exists())


def session_used_key(request: HttpRequest) -> bool:
    """Whether this session's second factor was a security key."""
    return isinstance(getattr(request.user, "otp_device", None), SecurityKey)


class KeyHelper(WebAuthnHelper):
    """django-otp-webauthn's helper with the relying party from our settings and our choices."""

    key_name = ""

    def get_relying_party_domain(self) -> str:
        return str(settings.RIGHTSFIRST_WEBAUTHN_RP_ID)

    def get_relying_party_name(self) -> str:
        return "Rightsfirst"

    def get_allowed_origins(self) -> list[str]:
        return list(settings.RIGHTSFIRST_WEBAUTHN_ORIGIN)

    def get_attestation_conveyance_preference(self) -> AttestationConveyancePreference:
        # We accept any key; asking for its make and model would only collect data.
        return AttestationConveyancePreference.NONE

    def get_discoverable_credentials_preference(self) -> ResidentKeyRequirement:
        # The key is a second factor after the password, never a way in on its own, and a
        # hardware key has room for only a few credentials stored on it.
        return ResidentKeyRequirement.DISCOURAGED

    def get_generate_authentication_options_kwargs(
        self, *, user: Any = None, require_user_verification: bool
    ) -> dict[str, Any]:
        options: dict[str, Any] = super().get_generate_authentication_options_kwargs(
            user=user, require_user_verification=require_user_verification
        )
        # A PIN or fingerprint on the key when it has one; a key without either still works.
        options["user_verification"] = UserVerificationRequirement.PREFERRED
        return options

    def create_credential(self, user: Any, response: Any, parsed_credential: Any, original_data: dict[str, Any]) -> Any:
        device = super().create_credential(user, response, parsed_credential, original_data)
        device.name = self.key_name
        device.confirmed = True
        return device


# --- Adding a key ----------------------------------------------------------------------------------------


def start_enrolment(request: HttpRequest, name: str) -> None:
    """Let this session add a key with this name for a few minutes (the user has just confirmed)."""
    request.session[ENROLMENT] = {"name": name, "at": time.time()}


def pending_enrolment(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(ENROLMENT)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > WINDOW_SECONDS:
        return None
    return pending


def begin_registration(request: HttpRequest) -> dict[str, Any] | None:
    """The options for the browser to create a credential, or None if the session may not add a key now."""
    pending = pending_enrolment(request)
    if pending is None or not request.user.is_verified() or keys_of(request.user).count() >= MAX_KEYS:
        return None
    options, state = KeyHelper(request).register_begin(user=request.user)
    request.session[ENROLMENT] = {**pending, "state": state}
    return dict(options)


def finish_registration(request: HttpRequest, data: Any) -> SecurityKey | None:
    """Check the browser's answer and keep the new key; audited either way."""
    pending = pending_enrolment(request)
    # The ceremony's state is spent now, whatever happens next: an answer cannot be sent twice.
    request.session.pop(ENROLMENT, None)
    request.session.save()
    user = request.user
    if pending is None or "state" not in pending or not user.is_verified():
        return None
    helper = KeyHelper(request)
    helper.key_name = str(pending["name"])
    try:
        with transaction.atomic():
            device: SecurityKey = helper.register_complete(user=user, state=pending["state"], data=data)
            audit.record(user, "auth.security_key_added", target=device.name)
    except (*_REFUSED, IntegrityError) as error:
        audit.record(user, "auth.security_key_refused", fields="registration", reason=type(error).__name__)
        return None
    return device


# --- Using a key -----------------------------------------------------------------------------------------


def begin_assertion(request: HttpRequest, purpose: str) -> dict[str, Any] | None:
    """The options for the browser to ask the user's key, or None if they have none."""
    if purpose not in PURPOSES or not has_key(request.user):
        return None
    options, state = KeyHelper(request).authenticate_begin(user=request.user, require_user_verification=False)
    request.session[ASSERTION] = {"purpose": purpose, "state": state}
    return dict(options)


def finish_assertion(request: HttpRequest, data: Any, purpose: str) -> SecurityKey | None:
    """The user's key that signed this answer to the challenge of this session, or None.

    Refused: no challenge pending for this purpose (so an answer replayed after it was used),
    another user's key, a wrong origin or relying party, a bad signature, and a key whose
    signature counter did not move forward since its last use. Failures are audited; a counter
    that went backwards under a valid signature is audited as a possibly cloned key.
    """
    pending = request.session.pop(ASSERTION, None)
    request.session.save()
    user = request.user
    if not isinstance(pending, dict) or pending.get("purpose") != purpose:
        audit.record(user, "auth.security_key_refused", fields=purpose, reason="no challenge pending")
        return None
    helper = KeyHelper(request)
    try:
        credential = parse_authentication_credential_json(data)
        device = keys_of(user).get(credential_id_sha256=hashlib.sha256(credential.raw_id).hexdigest())
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(pending["state"]["challenge"]),
            expected_rp_id=helper.get_relying_party_domain(),
            expected_origin=helper.get_allowed_origins(),
            credential_public_key=bytes(device.public_key),
            # Compared below, once the signature is known to be good.
            credential_current_sign_count=0,
            require_user_verification=bool(pending["state"]["require_user_verification"]),
        )
    except (*_REFUSED, SecurityKey.DoesNotExist) as error:
        audit.record(user, "auth.security_key_refused", fields=purpose, reason=type(error).__name__)
        return None
    stored, new = device.sign_count, verified.new_sign_count
    # A key that keeps a counter raises it at every use; one that does not keeps 0 throughout.
    if not (new > stored or new == stored == 0):
        audit.record(
            user,
            "auth.security_key_counter_regressed",
            target=device.name,
            fields=purpose,
            reason=f"signature counter {new} after {stored}: the key may have been copied",
        )
        return None
    # Only if nobody else moved the counter meanwhile: two answers cannot both pass on one count.
    if not SecurityKey.objects.filter(pk=device.pk, sign_count=stored).update(
        sign_count=new, last_used_at=timezone.now(), backup_state=verified.credential_backed_up
    ):
        audit.record(user, "auth.security_key_refused", fields=purpose, reason="used twice at once")
        return None
    device.refresh_from_db()
    return device


def issue_confirmation(request: HttpRequest) -> str:
    """A one-time token standing for the key answer just given, for the act's form to carry."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(18)
    request.session[CONFIRMATION] = {"token": token, "at": time.time()}
    return token


def spend_confirmation(request: HttpRequest, given: str) -> bool:
    """Whether `given` is this session's key confirmation token, still fresh; it works once."""
    if not given.startswith(TOKEN_PREFIX):
        return False
    pending = request.session.get(CONFIRMATION)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > WINDOW_SECONDS:
        return False
    if not hmac.compare_digest(str(pending.get("token", "")), given):
        return False
    del request.session[CONFIRMATION]
    return True


# --- Removing a key --------------------------------------------------------------------------------------


def may_remove(user: Any, key: SecurityKey) -> bool:
    """A role that must use a key keeps at least one."""
    return not required_for(user) or keys_of(user).exclude(pk=key.pk).exists()


def remove(user: Any, key: SecurityKey) -> bool:
    """Remove the key (audited), unless it is the last one of a role that must have one."""
    with transaction.atomic():
        # Locks the user's keys so that two removals at once cannot both see "another key left".
        list(keys_of(user).select_for_update().values_list("pk", flat=True))
        if not may_remove(user, key):
            return False
        key.delete()
        audit.record(user, "auth.security_key_removed", target=key.name)
    return True
