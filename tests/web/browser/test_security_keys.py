"""Security keys in a real browser: Chromium's virtual authenticator (DevTools protocol, WebAuthn
domain) stands in for a USB key. A coordinator whose role must use a key adds one after the app's
code, then signs in with it and confirms an act with it; every page is checked with axe-core and
must run without a single Content-Security-Policy violation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rightsfirst.web.models import AuditEvent, SecurityKey
from tests.web.browser.conftest import PHONE, Session
from tests.web.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Home: a coordinator's home page is the deadlines dashboard.
HOME = re.compile(r"^http://localhost:\d+/(dashboard/)?$")


def _virtual_key(session: Session) -> tuple[Any, str]:
    """Plug a virtual CTAP2 USB key, with a PIN it has already checked, into this browser tab."""
    devtools = session.page.context.new_cdp_session(session.page)
    devtools.send("WebAuthn.enable")
    added = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return devtools, added["authenticatorId"]


def _press(session: Session, name: str) -> None:
    session.page.get_by_role("button", name=re.compile(name, re.I)).click()


def test_a_coordinator_adds_a_security_key_then_signs_in_and_confirms_with_it(
    open_session: Any, users: Any, live_server: Any, settings: Any
) -> None:
    settings.RIGHTSFIRST_SECURITY_KEY_ROLES = frozenset({"coordinator"})
    settings.RIGHTSFIRST_WEBAUTHN_RP_ID = "localhost"
    settings.RIGHTSFIRST_WEBAUTHN_ORIGIN = [live_server.url]
    assert live_server.url.startswith("http://localhost:"), "keys work on localhost, not on an address"

    session = open_session(viewport=PHONE)
    devtools, authenticator = _virtual_key(session)
    page = session.page
    # Password, then the app's code: for this role that only leads to adding a key.
    session.login("coordinator", PASSWORD)
    assert "/login/set-up-security-key/" in page.url, page.url
    session.check("add-first-key")
    session.assert_fits_width()
    page.get_by_label(re.compile("Name of the key", re.I)).fill("Blue key on my key ring")
    _press(session, "^Next$")
    page.wait_for_load_state()
    session.check("register-key")
    _press(session, "Register the key")
    # Registered, the key is asked for once to finish signing in.
    page.wait_for_url(re.compile(r"/login/two-factor/"))
    session.check("use-new-key")
    assert page.locator('input[name="code"]').count() == 0, "the role cannot go on with a code"
    _press(session, "Use your security key")
    page.wait_for_url(HOME)
    session.check("home-after-key")
    key = SecurityKey.objects.get(user=users["coordinator"])
    assert key.name == "Blue key on my key ring"
    assert AuditEvent.objects.filter(action="auth.security_key_added", username="coordinator").count() == 1
    assert AuditEvent.objects.filter(action="auth.sign_in", username="coordinator", fields="security_key").count() == 1
    first_count = key.sign_count

    # A new sign-in: the password, then only the key.
    page.get_by_role("button", name=re.compile("Sign out", re.I)).click()
    page.wait_for_load_state()
    session.go("/login/")
    page.get_by_label(re.compile("User name", re.I)).fill("coordinator")
    page.get_by_label(re.compile("Password", re.I)).fill(PASSWORD)
    _press(session, "Sign in")
    page.wait_for_url(re.compile(r"/login/two-factor/"))
    session.check("second-sign-in")
    _press(session, "Use your security key")
    page.wait_for_url(HOME)
    key.refresh_from_db()
    assert key.sign_count > first_count, "the key's counter moved on and was stored"
    credentials = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(credentials) == 1 and credentials[0]["signCount"] == key.sign_count

    # Where a code is asked to confirm an act, the key answers instead.
    session.go("/account/")
    session.check("account-with-key")
    assert "Blue key on my key ring" in page.content()
    confirm = page.locator('[data-security-key="confirm"] button')
    confirm.click()
    page.wait_for_function("() => document.querySelector('#id_code').value.startsWith('key:')")
    session.check("confirmed-with-key")
    _press(session, "Make new recovery codes")
    page.wait_for_load_state()
    assert page.locator("ul.recovery-codes code").count() == 10
    session.check("new-recovery-codes")
    assert AuditEvent.objects.filter(action="auth.recovery_codes_replaced", username="coordinator").count() == 1
    assert not session.csp_violations
