"""Browser-facing protections: CSP without inline code, no caching of pages about people,
sign-out that clears the browser, Argon2id hashes, session limits, production settings."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model

from tests.web.conftest import ADULT_SITUATION

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "rightsfirst" / "web" / "templates"
# Documents written to files, never served (the national report): each must stand alone, with its
# styles inside, because it is opened from a disk or an e-mail, not under our policy.
DOCUMENTS = TEMPLATES / "documents"


def test_pages_carry_a_strict_content_security_policy(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    response = client_for("case_worker").get(f"/cases/{case.reference}/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in policy


def test_templates_hold_no_inline_script_style_or_event_handler():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if path.is_relative_to(DOCUMENTS):
            assert "<script" not in text and not re.search(r"\son[a-z]+=", text), path.name
            continue
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{path.name}: inline <script>")
        if re.search(r"<style\b", text) or re.search(r"\sstyle=", text):
            offenders.append(f"{path.name}: inline style")
        if re.search(r"\son[a-z]+=", text) or "hx-on" in text or "javascript:" in text:
            offenders.append(f"{path.name}: inline event handler")
    assert not offenders


def test_pages_about_people_are_not_stored_by_the_browser(make_case, client_for):
    case = make_case(ADULT_SITUATION)
    response = client_for("case_worker").get(f"/cases/{case.reference}/")
    assert response["Cache-Control"] == "no-store"


def test_signing_out_clears_what_the_site_left_in_the_browser(client_for):
    client = client_for("case_worker")
    response = client.post("/logout/")
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert client.get("/cases/").status_code == 302


def test_passwords_are_hashed_with_argon2id(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = get_user_model().objects.create_user(username="hash-check", password="a long fictional passphrase")
    assert user.password.startswith("argon2$argon2id$")


def test_a_session_ends_a_working_day_after_sign_in_however_active(client_for, settings):
    client = client_for("case_worker")
    assert client.get("/cases/").status_code == 200
    session = client.session
    session["rightsfirst_signed_in_at"] = time.time() - settings.RIGHTSFIRST_SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/cases/").status_code == 302


def test_an_idle_session_expires_and_activity_renews_it(client_for, settings):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from rightsfirst.web.middleware import SessionLimitMiddleware

    client = client_for("case_worker")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/cases/").status_code == 200
    before = Session.objects.get(session_key=key).expire_date
    time.sleep(1)
    # Within a minute of the last renewal, a page is served without writing the session ...
    assert client.get("/cases/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == before
    # ... and once the minute has passed, activity pushes the idle limit forward.
    session = client.session
    session[SessionLimitMiddleware.RENEWED] = time.time() - settings.RIGHTSFIRST_SESSION_RENEW_SECONDS
    session.save()
    stored = Session.objects.get(session_key=key).expire_date
    time.sleep(1)
    assert client.get("/cases/").status_code == 200
    renewed = Session.objects.get(session_key=key).expire_date
    assert renewed > stored
    assert dt.timedelta(minutes=29) < renewed - timezone.now() <= dt.timedelta(minutes=30)
    # Left idle past the limit: the next request is signed out.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_deactivated_account_is_signed_out_at_its_next_request(client_for, users):
    client = client_for("case_worker")
    assert client.get("/cases/").status_code == 200
    users["case_worker"].is_active = False
    users["case_worker"].save()
    assert client.get("/cases/").status_code == 302


def test_production_settings_pass_djangos_deployment_check(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rightsfirst.web.settings_production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "RIGHTSFIRST_DATA_DIR": str(tmp_path),
    }
    # Test-only switches (the browser tests allow Django's ORM beside Playwright's event loop).
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "RIGHTSFIRST_DEBUG"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_documents_are_never_served_by_a_view():
    views = Path(__file__).resolve().parents[2] / "src" / "rightsfirst" / "web" / "views"
    for path in views.rglob("*.py"):
        assert "documents/" not in path.read_text(encoding="utf-8"), path.name
