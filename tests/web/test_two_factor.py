"""Two-factor sign-in, recovery codes, throttling and lockout (SEC-5, SEC-6, SEC-8, SEC-9)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web.models import AuditEvent, Membership
from rightsfirst.web.models.security import RecoveryCode
from rightsfirst.web.roles import Role
from tests.web.conftest import PASSWORD, current_code

PROTECTED = ["/", "/cases/", "/cases/new/", "/dashboard/", "/monitoring/", "/audit/", "/law/", "/account/"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')


def _password_only(username: str, address: str = "127.0.0.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "the password step should succeed"
    return client


def _no_throttle(settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def test_a_password_alone_opens_no_page(users: Any) -> None:
    client = _password_only("case_worker")
    for path in PROTECTED:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/two-factor/"), (path, response["Location"])
    # The case list is not shown even to an htmx request; the browser is told where to go.
    response = client.get("/cases/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/login/two-factor/")
    page = client.get("/login/two-factor/").content.decode()
    assert 'href="/cases/"' not in page, "the menu must not show before the second step"


def test_the_code_from_the_app_completes_sign_in_and_returns_where_the_user_was_going(users: Any) -> None:
    client = _password_only("case_worker")
    asked = client.get("/cases/")
    verify_url = asked["Location"]
    assert "next=%2Fcases%2F" in verify_url
    device = TOTPDevice.objects.get(user=users["case_worker"])
    done = client.post(verify_url, {"code": current_code(device), "next": "/cases/"})
    assert done.status_code == 302 and done["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.sign_in", username="case_worker", fields="app").count() == 1


def test_the_session_key_changes_when_sign_in_completes(users: Any) -> None:
    client = _password_only("case_worker")
    before = client.cookies["sessionid"].value
    client.post("/login/two-factor/", {"code": current_code(TOTPDevice.objects.get(user=users["case_worker"]))})
    assert client.cookies["sessionid"].value != before


def test_a_code_is_accepted_once(users: Any, settings: Any) -> None:
    _no_throttle(settings)
    device = TOTPDevice.objects.get(user=users["case_worker"])
    code = current_code(device)
    first = _password_only("case_worker")
    assert first.post("/login/two-factor/", {"code": code})["Location"] == "/"
    second = _password_only("case_worker")
    replayed = second.post("/login/two-factor/", {"code": code})
    assert replayed.status_code == 200
    assert "That code did not work" in replayed.content.decode()
    assert second.get("/cases/").status_code == 302


def test_wrong_codes_slow_down_further_attempts(users: Any) -> None:
    device = TOTPDevice.objects.get(user=users["case_worker"])
    client = _password_only("case_worker")
    client.post("/login/two-factor/", {"code": "123456" if current_code(device) != "123456" else "654321"})
    # Straight after a failure even the right code is refused (1 s, then 2, 4, 8 ...).
    refused = client.post("/login/two-factor/", {"code": current_code(device)})
    assert refused.status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1
    assert AuditEvent.objects.filter(action="auth.second_factor_failed").count() == 2


def test_first_sign_in_sets_up_the_app_and_shows_recovery_codes_once(agencies: Any, settings: Any) -> None:
    _no_throttle(settings)
    user = get_user_model().objects.create_user(username="new_worker", password=PASSWORD)
    Membership.objects.create(user=user, agency=agencies["shelter"], role=Role.CASE_WORKER)
    client = _password_only("new_worker")
    setup = client.get(client.get("/cases/")["Location"])
    assert setup.request["PATH_INFO"] == "/login/set-up-two-factor/"
    page = setup.content.decode()
    assert "<svg" in page and "otpauth" not in page.lower().split("<svg")[0]
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post("/login/set-up-two-factor/", {"code": "000000" if current_code(device) != "000000" else "1"})
    assert "That code did not work" in wrong.content.decode()
    shown = client.post("/login/set-up-two-factor/", {"code": current_code(device)})
    codes = re.findall(r"<code>([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})</code>", shown.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/cases/").status_code == 200
    # Only hashes are kept.
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10 and not any(code.replace("-", "") in "".join(stored) for code in codes)
    # Once an app is connected, the set-up page is closed: a stolen password cannot add another app.
    again = _password_only("new_worker")
    assert again.get("/login/set-up-two-factor/")["Location"] == "/login/two-factor/"
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_a_recovery_code_signs_in_once(agencies: Any, settings: Any) -> None:
    _no_throttle(settings)
    user = get_user_model().objects.create_user(username="lost_phone", password=PASSWORD)
    Membership.objects.create(user=user, agency=agencies["shelter"], role=Role.CASE_WORKER)
    client = _password_only("lost_phone")
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=False)
    shown = client.post("/login/set-up-two-factor/", {"code": current_code(device)}).content.decode()
    code = re.findall(r"<code>([0-9A-Z-]{19})</code>", shown)[0]
    client.post("/logout/")

    later = _password_only("lost_phone")
    # Typed loosely: lower case, spaces instead of dashes.
    assert later.post("/login/two-factor/", {"code": code.lower().replace("-", " ")})["Location"] == "/"
    assert AuditEvent.objects.filter(action="auth.sign_in", username="lost_phone", fields="recovery_code").exists()
    reused = _password_only("lost_phone")
    assert reused.post("/login/two-factor/", {"code": code}).status_code == 200
    assert reused.get("/cases/").status_code == 302


def test_new_recovery_codes_need_a_code_and_cancel_the_old_ones(users: Any, settings: Any) -> None:
    _no_throttle(settings)
    user = users["case_worker"]
    device = TOTPDevice.objects.get(user=user)
    client = _password_only("case_worker")
    client.post("/login/two-factor/", {"code": current_code(device, offset=-1)})
    assert client.get("/account/").status_code == 200
    refused = client.post("/account/", {"code": "999999" if current_code(device) != "999999" else "1"})
    assert "That code did not work" in refused.content.decode()
    first = re.findall(
        r"<code>([0-9A-Z-]{19})</code>", client.post("/account/", {"code": current_code(device)}).content.decode()
    )
    assert len(first) == 10
    second = re.findall(r"<code>([0-9A-Z-]{19})</code>", client.post("/account/", {"code": first[0]}).content.decode())
    assert len(second) == 10 and not set(first) & set(second)
    stranger = _password_only("case_worker")
    assert stranger.post("/login/two-factor/", {"code": first[1]}).status_code == 200, "old codes are cancelled"


# --- Guessing passwords: throttling, lockout, no enumeration ----------------------------------------


def _normalised(response: Any) -> str:
    # The name typed is echoed back into its field; everything else must be identical.
    page = CSRF.sub("", response.content.decode())
    return re.sub(r'name="username" value="[^"]*"', 'name="username" value=""', page)


def test_six_failures_lock_the_name_from_that_address_with_the_same_page_as_a_wrong_password(users: Any) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    wrong = [client.post("/login/", {"username": "case_worker", "password": f"wrong {n}"}) for n in range(6)]
    assert {response.status_code for response in wrong} == {200}
    locked = client.post("/login/", {"username": "case_worker", "password": PASSWORD})
    unknown = Client(REMOTE_ADDR="203.0.113.8").post("/login/", {"username": "nobody_here", "password": "whatever 1"})
    # Locked, wrong password and unknown name: one status, one page.
    assert locked.status_code == unknown.status_code == wrong[0].status_code == 200
    assert _normalised(locked) == _normalised(wrong[0]) == _normalised(unknown)
    assert "_auth_user_id" not in client.session
    # Another address is not locked out: typing someone's name cannot lock them out everywhere.
    assert _password_only("case_worker", address="198.51.100.2").session["_auth_user_id"]


def test_the_lockout_ends_after_the_cool_off(users: Any) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(6):
        client.post("/login/", {"username": "case_worker", "password": f"wrong {n}"})
    assert client.post("/login/", {"username": "case_worker", "password": PASSWORD}).status_code == 200
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    assert client.post("/login/", {"username": "case_worker", "password": PASSWORD}).status_code == 302


def test_failed_sign_ins_are_audited_without_the_password(users: Any) -> None:
    Client().post("/login/", {"username": "case_worker", "password": "Secret-Guess-42"})
    entry = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert entry.target == "case_worker"
    assert not AuditEvent.objects.filter(target__contains="Secret-Guess").exists()
    assert not AccessAttempt.objects.filter(post_data__contains="Secret-Guess").exists()


@pytest.mark.parametrize("path", ["/login/two-factor/", "/login/set-up-two-factor/", "/account/"])
def test_signed_out_users_are_sent_to_sign_in(db: Any, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_deactivated_account_is_signed_out_at_its_next_request(users: Any, client_for: Any) -> None:
    client = client_for("case_worker")
    assert client.get("/cases/").status_code == 200
    users["case_worker"].is_active = False
    users["case_worker"].save()
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_changing_the_password_signs_out_the_other_sessions(users: Any, client_for: Any) -> None:
    here, elsewhere = client_for("case_worker"), client_for("case_worker")
    changed = here.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new long passphrase",
            "new_password2": "a brand new long passphrase",
        },
    )
    assert changed.status_code == 302
    assert here.get("/cases/").status_code == 200
    assert elsewhere.get("/cases/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.password_changed").count() == 1


def test_an_administrator_can_reset_a_lost_phone_and_the_user_sets_up_again(users: Any, client_for: Any) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    signed_in = client_for("case_worker")
    with pytest.raises(CommandError, match="reason"):
        call_command("reset_two_factor", "case_worker", reason="lost")
    call_command("reset_two_factor", "case_worker", reason="Phone stolen on 2026-11-20, identity checked in person")
    assert not TOTPDevice.objects.filter(user=users["case_worker"]).exists()
    assert signed_in.get("/cases/").status_code == 302, "the user's sessions end"
    client = _password_only("case_worker")
    assert client.get("/cases/")["Location"].startswith("/login/set-up-two-factor/")
    entry = AuditEvent.objects.get(action="auth.second_factor_reset")
    assert entry.target == "case_worker" and "Phone stolen" in entry.reason


def test_a_very_long_user_name_is_refused_like_any_wrong_sign_in(users: Any) -> None:
    # Counted against a name cut to the longest a user name can be (the attempts table's limit).
    response = Client().post("/login/", {"username": "n" * 5000, "password": "whatever it is"})
    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "n" * 150
