"""Security keys (WebAuthn) as a second factor, required for some roles (SEC-5, ASVS 6.3.3).

The answers come from a software key (tests/web/softkey.py) that signs what a hardware key would
sign; the server's verification (django-otp-webauthn's helper over py_webauthn, and our counter
check) runs unmocked.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web import security_keys, two_factor
from rightsfirst.web import settings as app_settings
from rightsfirst.web.models import AuditEvent, Membership, SecurityKey
from rightsfirst.web.roles import Role
from tests.web.conftest import PASSWORD, current_code, unused_code
from tests.web.softkey import SoftKey, unb64url

ASSERT_BEGIN = "/login/security-key/begin/"
ASSERT_FINISH = "/login/security-key/finish/"
REGISTER_BEGIN = "/login/security-key/register/begin/"
REGISTER_FINISH = "/login/security-key/register/finish/"
KEY_SETUP = "/login/set-up-security-key/"


@pytest.fixture(autouse=True)
def _no_throttle(settings: Any) -> None:
    # Several codes are typed in a row here; the throttle has its own tests.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.RIGHTSFIRST_WEBAUTHN_RP_ID = "localhost"
    settings.RIGHTSFIRST_WEBAUTHN_ORIGIN = ["http://localhost:8000"]


@pytest.fixture
def keys_required(settings: Any) -> None:
    settings.RIGHTSFIRST_SECURITY_KEY_ROLES = frozenset({"coordinator", "administrator", "oversight"})


def _json(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _password_only(username: str) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def _app(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


def _give_key(user: Any, key: SoftKey, name: str = "Blue key") -> SecurityKey:
    """Store the software key as if the user had registered it (the registration has its own tests)."""
    return SecurityKey.objects.create(
        user=user,
        name=name,
        confirmed=True,
        credential_id=key.credential_id,
        public_key=key._cose_public_key(),
        aaguid="00000000-0000-0000-0000-000000000000",
    )


def _register(client: Client, key: SoftKey, next_url: str = "/account/", **answer: Any) -> Any:
    begun = _json(client, REGISTER_BEGIN, {})
    assert begun.status_code == 200, begun.content
    return _json(client, REGISTER_FINISH, {"next": next_url, "credential": key.create(begun.json(), **answer)})


def _use_key(client: Client, key: SoftKey, purpose: str = "sign_in", next_url: str = "", **answer: Any) -> Any:
    begun = _json(client, ASSERT_BEGIN, {"purpose": purpose})
    assert begun.status_code == 200, begun.content
    credential = key.get(begun.json(), **answer)
    return _json(client, ASSERT_FINISH, {"purpose": purpose, "next": next_url, "credential": credential})


# --- What the server asks the browser for -------------------------------------------------------------------


def test_the_options_name_our_relying_party_ask_no_attestation_and_prefer_user_verification(
    users: Any, client_for: Any
) -> None:
    client = client_for("case_worker")
    client.post(
        "/account/security-keys/add/",
        {"name": "Blue key", "confirmation_code": unused_code(_app(users["case_worker"]))},
    )
    options = _json(client, REGISTER_BEGIN, {}).json()
    assert options["rp"] == {"id": "localhost", "name": "Rightsfirst"}
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["authenticatorSelection"]["residentKey"] == "discouraged"
    assert len(unb64url(options["challenge"])) >= 32
    _give_key(users["case_worker"], SoftKey())
    asked = _json(client, ASSERT_BEGIN, {"purpose": "sign_in"}).json()
    assert asked["rpId"] == "localhost" and asked["userVerification"] == "preferred"
    assert len(asked["allowCredentials"]) == 1


# --- Adding and removing keys ---------------------------------------------------------------------------------


def test_a_user_adds_a_named_key_after_confirming_with_a_code_and_it_is_audited(users: Any, client_for: Any) -> None:
    user = users["case_worker"]
    client = client_for("case_worker")
    assert "Add a security key" in client.get("/account/").content.decode()
    # Without a confirmation, the browser is never asked.
    assert _json(client, REGISTER_BEGIN, {}).status_code == 400
    wrong = client.post("/account/security-keys/add/", {"name": "Blue key", "confirmation_code": "000000"})
    assert "That code did not work" in wrong.content.decode()
    assert _json(client, REGISTER_BEGIN, {}).status_code == 400
    page = client.post(
        "/account/security-keys/add/", {"name": "  Blue   key ", "confirmation_code": unused_code(_app(user))}
    )
    assert 'data-security-key="register"' in page.content.decode()
    key = SoftKey()
    done = _register(client, key)
    assert done.status_code == 200 and done.json() == {"redirect": "/account/"}
    stored = SecurityKey.objects.get(user=user)
    assert stored.name == "Blue key" and stored.confirmed
    assert bytes(stored.credential_id) == key.credential_id
    assert AuditEvent.objects.filter(
        action="auth.security_key_added", username="case_worker", target="Blue key"
    ).exists()
    assert "Blue key" in client.get("/account/").content.decode()
    # The confirmation was for one key: a second registration needs a new one.
    assert _json(client, REGISTER_BEGIN, {}).status_code == 400


def test_a_registration_answer_for_another_site_or_challenge_is_refused_and_audited(
    users: Any, client_for: Any
) -> None:
    user = users["case_worker"]
    client = client_for("case_worker")
    for answer in ({"origin": "https://rightsfirst.example.net"}, {"rp_id": "example.net"}):
        client.post("/account/security-keys/add/", {"name": "Blue key", "confirmation_code": unused_code(_app(user))})
        refused = _register(client, SoftKey(), **answer)
        assert refused.status_code == 400 and "could not be added" in refused.json()["error"]
    client.post("/account/security-keys/add/", {"name": "Blue key", "confirmation_code": unused_code(_app(user))})
    begun = _json(client, REGISTER_BEGIN, {}).json()
    stale = SoftKey().create({**begun, "challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
    assert _json(client, REGISTER_FINISH, {"credential": stale}).status_code == 400
    assert not SecurityKey.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="auth.security_key_refused", fields="registration").count() == 3


def test_a_key_can_be_removed_with_a_confirmation_and_then_no_longer_signs_in(users: Any, client_for: Any) -> None:
    user = users["case_worker"]
    key = SoftKey()
    stored = _give_key(user, key)
    client = client_for("case_worker")
    url = "/account/security-keys/remove/"
    assert f'href="{url}?key={stored.pk}"' in client.get("/account/").content.decode()
    assert "Blue key" in client.get(url, {"key": stored.pk}).content.decode()
    wrong = "123456" if current_code(_app(user)) != "123456" else "654321"
    refused = client.post(url, {"key": stored.pk, "confirmation_code": wrong})
    assert refused.status_code == 200 and SecurityKey.objects.filter(pk=stored.pk).exists()
    assert client.post(url, {"key": stored.pk, "confirmation_code": unused_code(_app(user))}).status_code == 302
    assert not SecurityKey.objects.filter(pk=stored.pk).exists()
    assert AuditEvent.objects.filter(action="auth.security_key_removed", target="Blue key").count() == 1
    later = _password_only("case_worker")
    assert _json(later, ASSERT_BEGIN, {"purpose": "sign_in"}).status_code == 400


def test_another_users_key_is_not_found_on_the_remove_page(users: Any, client_for: Any) -> None:
    stored = _give_key(users["legal_adviser"], SoftKey())
    client = client_for("case_worker")
    url = "/account/security-keys/remove/"
    assert client.get(url, {"key": stored.pk}).status_code == 404
    assert (
        client.post(url, {"key": stored.pk, "confirmation_code": unused_code(_app(users["case_worker"]))}).status_code
        == 404
    )
    assert client.get(url, {"key": "../1"}).status_code == 404
    assert SecurityKey.objects.filter(pk=stored.pk).exists()


# --- Signing in with a key ---------------------------------------------------------------------------------------


def test_a_key_completes_sign_in_instead_of_the_code(users: Any) -> None:
    key = SoftKey()
    _give_key(users["case_worker"], key)
    client = _password_only("case_worker")
    page = client.get("/login/two-factor/?next=/cases/").content.decode()
    assert "Use your security key" in page and 'name="code"' in page, "a role without the requirement keeps both"
    before = client.cookies["sessionid"].value
    done = _use_key(client, key, next_url="/cases/")
    assert done.status_code == 200 and done.json() == {"redirect": "/cases/"}
    assert client.cookies["sessionid"].value != before, "a new session key once fully signed in"
    assert client.get("/cases/").status_code == 200
    entry = AuditEvent.objects.get(action="auth.sign_in", username="case_worker")
    assert entry.fields == "security_key" and entry.target == "Blue key"
    assert SecurityKey.objects.get(user=users["case_worker"]).sign_count == 1


def test_a_replayed_answer_is_refused(users: Any) -> None:
    key = SoftKey()
    _give_key(users["case_worker"], key)
    first = _password_only("case_worker")
    begun = _json(first, ASSERT_BEGIN, {"purpose": "sign_in"}).json()
    answer = {"purpose": "sign_in", "credential": key.get(begun)}
    assert _json(first, ASSERT_FINISH, answer).status_code == 200
    # The same answer again: in another session (no challenge pending), or after a new challenge.
    thief = _password_only("case_worker")
    assert _json(thief, ASSERT_FINISH, answer).status_code == 400
    _json(thief, ASSERT_BEGIN, {"purpose": "sign_in"})
    assert _json(thief, ASSERT_FINISH, answer).status_code == 400
    assert thief.get("/cases/").status_code == 302
    refused = AuditEvent.objects.filter(action="auth.security_key_refused", username="case_worker")
    assert [entry.reason for entry in refused.order_by("sequence")] == [
        "no challenge pending",
        "InvalidAuthenticationResponse",
    ]


def test_a_signature_counter_that_goes_backwards_is_refused_and_audited_as_a_copied_key(users: Any) -> None:
    key = SoftKey()
    _give_key(users["case_worker"], key)
    assert _use_key(_password_only("case_worker"), key, sign_count=5).status_code == 200
    for count in (5, 3, 0):
        copy = _password_only("case_worker")
        refused = _use_key(copy, key, sign_count=count)
        assert refused.status_code == 400, count
        assert copy.get("/cases/").status_code == 302
    assert SecurityKey.objects.get(user=users["case_worker"]).sign_count == 5
    flagged = AuditEvent.objects.filter(action="auth.security_key_counter_regressed", username="case_worker")
    assert flagged.count() == 3
    assert "signature counter 3 after 5" in flagged.order_by("sequence")[1].reason
    assert _use_key(_password_only("case_worker"), key, sign_count=6).status_code == 200


def test_a_key_without_a_counter_keeps_working_at_zero(users: Any) -> None:
    key = SoftKey()
    _give_key(users["case_worker"], key)
    for _ in range(2):
        assert _use_key(_password_only("case_worker"), key, sign_count=0).status_code == 200


def test_answers_from_another_site_another_key_or_another_user_are_refused(users: Any) -> None:
    key, stranger = SoftKey(), SoftKey()
    _give_key(users["case_worker"], key)
    _give_key(users["legal_adviser"], stranger, name="Their key")
    client = _password_only("case_worker")
    assert _use_key(client, key, origin="https://rightsfirst.example.net").status_code == 400
    assert _use_key(client, key, rp_id="example.net").status_code == 400
    assert _use_key(client, stranger).status_code == 400
    # A key whose stored public key does not match the signature.
    impostor = SoftKey()
    impostor.credential_id = key.credential_id
    assert _use_key(client, impostor).status_code == 400
    assert client.get("/cases/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.security_key_refused", username="case_worker").count() == 4
    garbage = _json(client, ASSERT_FINISH, {"purpose": "sign_in", "credential": {"id": "x"}})
    assert garbage.status_code == 400


# --- Roles that must use a key ------------------------------------------------------------------------------------


def test_a_required_role_without_a_key_adds_one_after_the_code_then_signs_in_with_it(
    users: Any, keys_required: None
) -> None:
    coordinator = users["coordinator"]
    client = _password_only("coordinator")
    verify = client.post("/login/two-factor/?next=/dashboard/", {"code": unused_code(_app(coordinator))})
    assert verify.status_code == 302 and verify["Location"].startswith(KEY_SETUP)
    # The code alone opens nothing: every page sends the user to add a key, and no menu is shown.
    for path in ("/cases/", "/dashboard/", "/account/", "/audit/"):
        assert client.get(path)["Location"].startswith(KEY_SETUP), path
    page = client.get(KEY_SETUP).content.decode()
    assert 'href="/cases/"' not in page and "confirmation_code" not in page, "the code just given confirms"
    assert AuditEvent.objects.filter(action="auth.second_factor_passed", username="coordinator").exists()
    assert not AuditEvent.objects.filter(action="auth.sign_in", username="coordinator").exists()
    client.post(KEY_SETUP + "?next=/dashboard/", {"name": "Office key"})
    key = SoftKey()
    done = _register(client, key, next_url="/login/two-factor/?next=/dashboard/")
    assert done.json() == {"redirect": "/login/two-factor/?next=/dashboard/"}
    # Registered is not signed in: the new key is used once.
    assert client.get("/dashboard/")["Location"].startswith("/login/two-factor/")
    page = client.get("/login/two-factor/").content.decode()
    assert "Use your security key" in page and 'name="code"' not in page
    assert _use_key(client, key, next_url="/dashboard/").json() == {"redirect": "/dashboard/"}
    assert client.get("/dashboard/").status_code == 200


def test_a_required_role_with_a_key_cannot_sign_in_with_a_code_alone(users: Any, keys_required: None) -> None:
    coordinator = users["coordinator"]
    _give_key(coordinator, SoftKey())
    codes = two_factor.recovery_device(coordinator).replace_codes()
    client = _password_only("coordinator")
    for code in (unused_code(_app(coordinator)), codes[0]):
        refused = client.post("/login/two-factor/", {"code": code})
        assert refused.status_code == 200
        assert "a code is not enough" in refused.content.decode()
        assert client.get("/cases/")["Location"].startswith("/login/two-factor/")
    assert (
        AuditEvent.objects.filter(
            action="auth.second_factor_failed", username="coordinator", fields="security_key_required"
        ).count()
        == 2
    )
    # Neither code was spent on the refusal.
    assert two_factor.recovery_device(coordinator).remaining() == 10


def test_a_session_opened_with_the_app_before_the_requirement_applied_must_use_the_key(
    users: Any, client_for: Any, settings: Any
) -> None:
    _give_key(users["administrator"], SoftKey())
    client = client_for("administrator")
    assert client.get("/audit/").status_code == 200
    settings.RIGHTSFIRST_SECURITY_KEY_ROLES = frozenset({"administrator"})
    assert client.get("/audit/")["Location"].startswith("/login/two-factor/")


def test_the_last_key_of_a_required_role_cannot_be_removed(users: Any, keys_required: None) -> None:
    oversight = users["oversight"]
    key = SoftKey()
    only = _give_key(oversight, key)
    client = _password_only("oversight")
    assert _use_key(client, key).status_code == 200
    url = "/account/security-keys/remove/"
    assert "only security key" in client.get(url, {"key": only.pk}).content.decode()
    refused = client.post(url, {"key": only.pk, "confirmation_code": unused_code(_app(oversight))})
    assert refused.status_code == 200 and "only security key" in refused.content.decode()
    assert SecurityKey.objects.filter(pk=only.pk).exists()
    assert security_keys.remove(oversight, only) is False
    # With a spare added, the first can go.
    _give_key(oversight, SoftKey(), name="Spare")
    assert client.post(url, {"key": only.pk, "confirmation_code": unused_code(_app(oversight))}).status_code == 302
    assert list(SecurityKey.objects.filter(user=oversight).values_list("name", flat=True)) == ["Spare"]
    assert AuditEvent.objects.filter(action="auth.security_key_removed", username="oversight").count() == 1


def test_adding_the_first_key_later_in_the_session_asks_for_a_code_again(
    users: Any, keys_required: None, monkeypatch: Any
) -> None:
    coordinator = users["coordinator"]
    client = _password_only("coordinator")
    client.post("/login/two-factor/", {"code": unused_code(_app(coordinator))})
    session = client.session
    session["rightsfirst_factor_confirmed_at"] -= security_keys.WINDOW_SECONDS + 1
    session.save()
    page = client.get(KEY_SETUP).content.decode()
    assert "confirmation_code" in page
    assert client.post(KEY_SETUP, {"name": "Office key", "confirmation_code": "000000"}).status_code == 200
    assert _json(client, REGISTER_BEGIN, {}).status_code == 400


# --- Confirming a dangerous act with a key ----------------------------------------------------------------------


def test_a_key_confirms_an_act_where_a_code_is_asked_once(users: Any) -> None:
    key = SoftKey()
    _give_key(users["case_worker"], key)
    client = _password_only("case_worker")
    _use_key(client, key)
    assert 'data-security-key="confirm"' in client.get("/account/").content.decode()
    token = _use_key(client, key, purpose="confirm").json()["token"]
    shown = client.post("/account/", {"code": token})
    assert len(re.findall(r"<code>([0-9A-Z-]{19})</code>", shown.content.decode())) == 10
    again = client.post("/account/", {"code": token})
    assert "That code did not work" in again.content.decode(), "a key's confirmation works once"
    assert client.post("/account/", {"code": "key:made-up"}).status_code == 200
    assert AuditEvent.objects.filter(action="auth.confirmation_failed", username="case_worker").count() == 2


def test_a_key_confirmation_needs_a_complete_sign_in(users: Any) -> None:
    key = SoftKey()
    _give_key(users["case_worker"], key)
    client = _password_only("case_worker")
    assert _json(client, ASSERT_BEGIN, {"purpose": "confirm"}).status_code == 400
    assert _json(client, ASSERT_BEGIN, {"purpose": "anything"}).status_code == 400


def test_a_sign_in_challenge_cannot_be_spent_as_a_confirmation(users: Any, client_for: Any) -> None:
    key = SoftKey()
    _give_key(users["case_worker"], key)
    client = client_for("case_worker")
    begun = _json(client, ASSERT_BEGIN, {"purpose": "sign_in"}).json()
    answer = {"purpose": "confirm", "credential": key.get(begun)}
    assert _json(client, ASSERT_FINISH, answer).status_code == 400


# --- Reset ---------------------------------------------------------------------------------------------------------


def test_a_reset_removes_keys_and_the_next_sign_in_still_asks_for_every_factor(users: Any, keys_required: None) -> None:
    coordinator = users["coordinator"]
    key = SoftKey()
    _give_key(coordinator, key)
    signed_in = _password_only("coordinator")
    assert _use_key(signed_in, key).status_code == 200
    call_command("reset_two_factor", "coordinator", reason="Key lost on 2026-11-20, identity checked in person")
    assert not SecurityKey.objects.filter(user=coordinator).exists()
    assert signed_in.get("/cases/").status_code == 302
    entry = AuditEvent.objects.get(action="auth.second_factor_reset")
    assert entry.fields == "security keys removed: 1"
    client = _password_only("coordinator")
    assert client.get("/cases/")["Location"].startswith("/login/set-up-two-factor/")
    assert _json(client, ASSERT_BEGIN, {"purpose": "sign_in"}).status_code == 400, "the old key is gone"
    client.get("/login/set-up-two-factor/")
    device = TOTPDevice.objects.get(user=coordinator, confirmed=False)
    client.post("/login/set-up-two-factor/", {"code": current_code(device)})
    assert client.get("/cases/")["Location"].startswith(KEY_SETUP), "then a new key, before any page"


# --- Settings ---------------------------------------------------------------------------------------------------


def test_the_relying_party_comes_from_the_allowed_host_names() -> None:
    assert app_settings.webauthn_relying_party(["127.0.0.1", "localhost", "[::1]", "testserver"], "http", "8000") == (
        "localhost",
        ["http://localhost:8000"],
    )
    assert app_settings.webauthn_relying_party(["cases.example.org", "10.0.0.5"], "https") == (
        "cases.example.org",
        ["https://cases.example.org"],
    )
    assert app_settings.webauthn_relying_party([".example.org", "cases.example.org"], "https") == (
        "cases.example.org",
        ["https://cases.example.org"],
    )
    assert app_settings.webauthn_relying_party([".example.org"], "https") == ("example.org", ["https://example.org"])


def test_the_roles_that_need_a_key_are_read_from_the_environment(monkeypatch: Any) -> None:
    default = frozenset({"coordinator"})
    monkeypatch.delenv("RIGHTSFIRST_SECURITY_KEY_ROLES", raising=False)
    assert app_settings.security_key_roles_from_environment(default) == default
    monkeypatch.setenv("RIGHTSFIRST_SECURITY_KEY_ROLES", "none")
    assert app_settings.security_key_roles_from_environment(default) == frozenset()
    monkeypatch.setenv("RIGHTSFIRST_SECURITY_KEY_ROLES", "administrator, oversight")
    assert app_settings.security_key_roles_from_environment(default) == {"administrator", "oversight"}
    monkeypatch.setenv("RIGHTSFIRST_SECURITY_KEY_ROLES", "administrator,admins")
    with pytest.raises(ImproperlyConfigured, match=r"unknown role.*admins"):
        app_settings.security_key_roles_from_environment(default)


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (
            "settings_production",
            "['administrator', 'coordinator', 'oversight'] cases.example.org ['https://cases.example.org']",
        ),
        # The development and demonstration settings require none: the demo users have no hardware key.
        ("settings", "[] cases.example.org ['http://cases.example.org:8000']"),
    ],
)
def test_which_roles_need_a_key_by_default(module: str, expected: str, tmp_path: Any) -> None:
    import os
    import subprocess
    import sys

    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(sorted(s.RIGHTSFIRST_SECURITY_KEY_ROLES), s.RIGHTSFIRST_WEBAUTHN_RP_ID, s.RIGHTSFIRST_WEBAUTHN_ORIGIN)"
    )
    environment = {
        "DJANGO_SETTINGS_MODULE": f"rightsfirst.web.{module}",
        "RIGHTSFIRST_ALLOWED_HOSTS": "cases.example.org",
        "DJANGO_SECRET_KEY": "fictional-test-secret-key-that-is-long-enough-for-django-checks",
        "RIGHTSFIRST_DATA_DIR": str(tmp_path),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    shown = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == expected


def test_an_account_without_a_role_is_never_asked_for_a_key(agencies: Any, keys_required: None) -> None:
    user = get_user_model().objects.create_user(username="no_role_yet", password=PASSWORD)
    assert security_keys.required_for(user) is False
    Membership.objects.create(user=user, agency=agencies["nrm"], role=Role.ADMINISTRATOR)
    user = get_user_model().objects.get(pk=user.pk)
    assert security_keys.required_for(user) is True


def test_a_user_with_a_key_but_no_app_cannot_connect_an_app_with_the_password_alone(agencies: Any) -> None:
    user = get_user_model().objects.create_user(username="key_only", password=PASSWORD)
    Membership.objects.create(user=user, agency=agencies["shelter"], role=Role.CASE_WORKER)
    key = SoftKey()
    _give_key(user, key)
    client = _password_only("key_only")
    assert client.get("/cases/")["Location"].startswith("/login/two-factor/")
    assert client.get("/login/set-up-two-factor/")["Location"] == "/login/two-factor/"
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert _use_key(client, key).status_code == 200
    assert client.get("/cases/").status_code == 200
