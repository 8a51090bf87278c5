"""Plant known names and notes in a real database file and look for them everywhere they must not be."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLANTED = ("Quillonah", "Vexbridge", "ZZ9PLURALZ", "+000 777 4242")
# Narrative: shown decrypted on the case's pages to those who may see it, never stored in clear.
NARRATIVE = ("Thornwick", "Glimmerholt")

SCRIPT = textwrap.dedent(
    """
    import datetime as dt, os, re
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rightsfirst.web import access, workflow
    from rightsfirst.web.models import Agency, Membership

    agency = Agency.objects.create(name="Fictional Shelter", kind="shelter")
    user = get_user_model().objects.create_user(username="worker", password="a long fictional passphrase")
    Membership.objects.create(user=user, agency=agency, role="case_worker")
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = client.post("/cases/new/", {
        "given_names": "Quillonah", "family_name": "Vexbridge", "identity_documents": "ZZ9PLURALZ",
        "phone": "+000 777 4242", "sex": "female", "nationality": "XX", "preferred_language": "en",
        "referred_on": dt.date.today().isoformat(),
    })
    reference = re.search(r"RF-[0-9A-Z]{4}-[0-9A-Z]{4}", response["Location"]).group(0)
    moved = client.post(f"/cases/{reference}/stage/", {"stage": "screening", "note": "Met at the Thornwick bus stop"})
    assert moved.status_code == 302, moved.status_code
    case = access.case_for(user, reference)
    workflow.record_consent(user, case, agreed_to="Share with the Glimmerholt clinic", purpose="medical",
                            information_language="en", given_on=dt.date.today())
    workflow.screen(user, case, {"person": {"age": 30}, "actions": ["recruitment"], "means": ["deception"],
                                 "purposes": ["forced_labour"]})
    pages = {}
    for path in ("/cases/", f"/cases/{reference}/measures/", "/api/openapi.json"):
        pages[path] = client.get(path)
    # Found by name through the blind index: the answer names the case, never the person.
    found = client.post("/people/search/", {"term": "quillonah VEXBRIDGE"})
    assert reference in found.content.decode(), "search did not find the person"
    pages["search"] = found
    # The case page shows the narrative decrypted (the stage note), and no identity.
    case_page = client.get(f"/cases/{reference}/")
    assert "Thornwick" in case_page.content.decode(), "stage note not shown"
    assert "Glimmerholt" in client.get(f"/cases/{reference}/consents/").content.decode(), "consent not shown"
    with open(os.environ["CASE_PAGE_OUT"], "w", encoding="utf-8") as out:
        out.write(case_page.content.decode())
    # Seeing identity is allowed, with a reason: the page shows it, but nothing is kept in clear.
    shown = client.post(f"/cases/{reference}/identity/", {"reason": "Arranging a medical appointment"})
    assert "Vexbridge" in shown.content.decode(), "identity view did not work"
    assert shown["Cache-Control"] == "no-store"
    # Error pages: a case that is not there, and a request the application cannot read.
    pages["404"] = client.get("/cases/RF-0000-0000/")
    pages["413"] = client.post(f"/cases/{reference}/stage/", {"stage": "screening", "note": "x" * 3_000_000})
    # The export of the case list (approved by a second coordinator, confirmed with a code).
    from django_otp.oath import totp
    from rightsfirst.web import approvals
    from rightsfirst.web.models import Approval
    coordinators = []
    for name in ("coordinator_one", "coordinator_two"):
        person = get_user_model().objects.create_user(username=name, password="a long fictional passphrase")
        Membership.objects.create(user=person, agency=agency, role="coordinator")
        coordinators.append((person, TOTPDevice.objects.create(user=person, name="app", confirmed=True)))
    (asker, asker_device), (approver, _) = coordinators
    asked = approvals.request(asker, str(Approval.Kind.BULK_EXPORT), "Fictional quarterly check of the case list")
    approvals.decide(approver, asked, True, "")
    exporter = Client()
    exporter.force_login(asker)
    session = exporter.session
    session[DEVICE_ID_SESSION_KEY] = asker_device.persistent_id
    session.save()
    code = f"{totp(asker_device.bin_key):06d}"
    export = exporter.post("/exports/cases/", {"download": "1", "confirmation_code": code})
    assert export["Content-Type"].startswith("text/csv") and reference in export.content.decode(), "export failed"
    pages["export"] = export
    with open(os.environ["PAGES_OUT"], "w", encoding="utf-8") as out:
        for path, page in pages.items():
            out.write(path + "\\n" + page.content.decode() + "\\n")
    from django.db import connection
    connection.close()
    print("done", reference)
    """
)


def test_identity_never_reaches_the_database_file_logs_or_other_pages(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    pages_out = tmp_path / "pages.txt"
    case_page_out = tmp_path / "case.html"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "rightsfirst.web.settings",
        "RIGHTSFIRST_DATA_DIR": str(data_dir),
        "PAGES_OUT": str(pages_out),
        "CASE_PAGE_OUT": str(case_page_out),
    }
    for name in ("DATABASE_URL", "RIGHTSFIRST_MASTER_KEY", "RIGHTSFIRST_INDEX_KEY", "RIGHTSFIRST_AUDIT_KEY"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "done RF-" in result.stdout
    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert any(path.name == "rightsfirst.sqlite3" for path in files)
    for planted in PLANTED:
        for encoding in ("utf-8", "utf-16-le"):
            needle = planted.encode(encoding)
            for path in files:
                assert needle not in path.read_bytes(), f"{planted!r} found in clear in {path.name}"
        assert planted not in result.stdout + result.stderr, f"{planted!r} in the logs"
        assert planted not in pages_out.read_text(encoding="utf-8"), f"{planted!r} on a page other than identity"
        assert planted not in case_page_out.read_text(encoding="utf-8"), f"{planted!r} on the case page"
    # Narrative and the search term: never in clear in the files (database, WAL, key files) or the logs.
    for planted in (*NARRATIVE, "quillonah VEXBRIDGE"):
        for encoding in ("utf-8", "utf-16-le"):
            needle = planted.encode(encoding)
            for path in files:
                assert needle not in path.read_bytes(), f"{planted!r} found in clear in {path.name}"
        assert planted not in result.stdout + result.stderr, f"{planted!r} in the logs"


def test_the_application_sends_no_e_mail() -> None:
    # No e-mail can carry a name out: no code path sends one (Django's error mails need ADMINS,
    # which is not set). A future feature that sends mail must come with its own plaintext scan.
    from django.conf import settings

    source = Path(__file__).resolve().parents[2] / "src" / "rightsfirst"
    senders = ("send_mail", "send_mass_mail", "mail_admins", "mail_managers", "EmailMessage", "EmailMultiAlternatives")
    found = [
        f"{path.relative_to(source)}: {name}"
        for path in source.rglob("*.py")
        for name in senders
        if name in path.read_text(encoding="utf-8")
    ]
    assert found == []
    assert not getattr(settings, "ADMINS", None) and not getattr(settings, "MANAGERS", None)
