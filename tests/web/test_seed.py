"""The demo seed (built through the workflow) and the bulk seed for load tests."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from rightsfirst.web import access, demo, workflow
from rightsfirst.web.lifecycle import Stage
from rightsfirst.web.models import (
    Agency,
    AuditEvent,
    Case,
    Deadline,
    Measure,
    Membership,
    Referral,
    Screening,
    ServiceEvent,
)
from rightsfirst.web.roles import Role

FORMS = {
    "sexual_exploitation",
    "forced_labour",
    "forced_begging",
    "forced_criminality",
    "servitude",
    "forced_marriage",
    "removal_of_organs",
}
FINDINGS = {"established", "presumed", "insufficient_information", "not_established", "smuggling_only"}


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Agency, get_user_model(), Case, Measure, ServiceEvent, Referral, AuditEvent, Deadline)
    }


@pytest.mark.django_db
def test_the_demo_has_one_login_per_role_and_about_fifty_varied_cases_and_a_second_run_adds_nothing() -> None:
    # The cases built through the workflow only; the history for the statistics is tested in
    # test_seed_statistics.py.
    output = seed_demo("--statistics", "0")

    users = {user.username: user for user in get_user_model().objects.all()}
    assert set(users) == {str(role) for role in Role}
    for role in Role:
        assert Membership.objects.get(user=users[str(role)]).role == role
    assert demo.DEMO_PASSWORD in output and "fictional" in output
    for role in Role:
        assert f"  {role}" in output
    assert users["case_worker"].check_password(demo.DEMO_PASSWORD)
    assert demo.demo_key_base32() in output and "demo_code" in output
    code = demo.demo_code()
    assert code is not None and len(code) == 6

    cases = Case.objects.all()
    assert 45 <= cases.count() <= 60
    assert set(cases.values_list("stage", flat=True)) == {stage.value for stage in Stage}
    assert cases.filter(treated_as_child=True).count() >= 5
    assert cases.filter(treated_as_child=False).exclude(finding="").count() >= 20
    # Children of uncertain age: no established age, yet treated as children.
    uncertain = Screening.objects.filter(treated_as_child=True, situation__person__stated_age__isnull=False)
    assert uncertain.exists()
    assert set(cases.values_list("finding", flat=True)) >= FINDINGS
    forms = {form for value in cases.values_list("forms_of_exploitation", flat=True) for form in value.split(",")}
    assert forms >= FORMS

    overrides = Measure.objects.filter(overridden=True)
    assert overrides.count() >= 2
    assert set(overrides.values_list("overridden_by__username", flat=True)) == {"coordinator"}
    assert AuditEvent.objects.filter(action="measure.override").count() == overrides.count()
    # Every other measure passed the review, with a justification where one was asked for.
    assert not Measure.objects.filter(outcome="violation", overridden=False).exists()
    for measure in Measure.objects.filter(outcome="requires_justification"):
        assert measure.engine_facts["justification"].strip()
    assert ServiceEvent.objects.filter(status="refused").exists()
    assert Referral.objects.filter(to_agency__kind="referral_mechanism").exists()

    today = workflow.today()
    referred = sorted(cases.values_list("referred_on", flat=True))
    assert referred[0] >= today - dt.timedelta(days=120) and referred[-1] <= today
    assert (referred[-1] - referred[0]).days >= 90
    overdue_guardian = Deadline.objects.filter(entitlement="guardian", due__lt=today, status="pending")
    assert overdue_guardian.filter(case__treated_as_child=True).exists()
    assert Deadline.objects.filter(due__gte=today, due__lte=today + dt.timedelta(days=7), status="pending").exists()
    assert cases.filter(overdue_count=0).exclude(stage="referred").exists()

    first = cases.first()
    identity = first.person.identity(first)
    assert "(fictional)" in identity["other_names"]
    # Identity never reaches the audit log.
    logged = " ".join(f"{target} {reason}" for target, reason in AuditEvent.objects.values_list("target", "reason"))
    assert identity["family_name"] not in logged

    before = counts()
    again = seed_demo()
    assert counts() == before
    assert "already present" in again and demo.DEMO_PASSWORD in again


@pytest.mark.django_db
def test_the_demo_is_never_added_to_a_database_that_holds_other_agencies() -> None:
    Agency.objects.create(name="A real agency", kind="ngo")
    with pytest.raises(CommandError, match="empty database"):
        seed_demo()
    assert not get_user_model().objects.exists()
    assert Agency.objects.count() == 1


@pytest.mark.django_db
def test_bulk_seed_needs_the_demo_logins_first() -> None:
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_cases", cases=5, stdout=StringIO())
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_bulk_seed_creates_cases_the_shelter_case_worker_sees_and_whose_pages_render() -> None:
    seed_demo("--no-cases")
    assert not Case.objects.exists()
    out = StringIO()
    call_command("seed_cases", cases=200, batch=64, stdout=out)
    assert "200/200" in out.getvalue()

    assert Case.objects.count() == 200
    worker = get_user_model().objects.get(username="case_worker")
    visible = access.visible_cases(worker)
    assert visible.count() >= 100
    assert visible.count() == Case.objects.filter(holding_agency=worker.membership.agency).count()
    assert set(Case.objects.values_list("stage", flat=True)) == {stage.value for stage in Stage}
    assert Screening.objects.count() == Case.objects.exclude(stage="referred").count()
    assert Deadline.objects.filter(case__stage="support").exists()
    assert Measure.objects.exists() and not Measure.objects.exclude(outcome="ok").exists()
    assert ServiceEvent.objects.exists()
    assert len(set(Case.objects.values_list("reference", flat=True))) == 200
    assert AuditEvent.objects.filter(action="demo.seed_cases").count() == 1

    client = Client()
    _sign_in_as_a_user_would(client, "case_worker")
    sample = list(visible.exclude(stage="referred").order_by("id")[:4]) + list(visible.filter(stage="referred")[:1])
    for case in sample:
        response = client.get(f"/cases/{case.reference}/")
        assert response.status_code == 200
        body = response.content.decode()
        assert case.reference in body
        assert case.person.identity(case)["family_name"] not in body
    listing = client.get("/cases/")
    assert listing.status_code == 200
    assert any(case.reference in listing.content.decode() for case in visible.order_by("-updated_at", "-id")[:25])


@pytest.mark.django_db
def test_bulk_seeded_deadlines_match_what_the_workflow_computes() -> None:
    seed_demo("--no-cases")
    call_command("seed_cases", cases=40, stdout=StringIO())
    for case in Case.objects.exclude(stage="referred").order_by("id")[:10]:
        stored = set(case.deadlines.values_list("entitlement", "due", "ends", "status"))
        summary = (case.finding, case.treated_as_child, case.overdue_count, case.next_due)
        workflow.refresh(case)
        case.refresh_from_db()
        assert set(case.deadlines.values_list("entitlement", "due", "ends", "status")) == stored
        assert (case.finding, case.treated_as_child, case.overdue_count, case.next_due) == summary


def _sign_in_as_a_user_would(client: Client, username: str) -> None:
    """Password, then the demo's current code: the two steps `make run` prints."""
    signed = client.post("/login/", {"username": username, "password": demo.DEMO_PASSWORD})
    assert signed.status_code == 302
    verified = client.post("/login/two-factor/", {"code": demo.demo_code()})
    assert verified.status_code == 302, verified.content.decode()[:500]


@pytest.mark.django_db
def test_load_test_accounts_each_sign_in_with_their_own_password_and_authenticator(tmp_path) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from rightsfirst.web.management.commands.seed_bench_users import ROLE_CYCLE

    seed_demo("--no-cases")
    call_command("seed_cases", cases=30, stdout=StringIO())
    file = tmp_path / "bench" / "users.json"
    out = StringIO()
    call_command("seed_bench_users", users=12, credentials=file, stdout=out)
    assert "12 fictional load-test accounts" in out.getvalue()
    assert file.stat().st_mode & 0o777 == 0o600
    accounts = json.loads(file.read_text())
    assert len(accounts) == 12
    assert len({account["username"] for account in accounts}) == 12
    assert len({account["totp_key"] for account in accounts}) == 12
    assert len({account["password"] for account in accounts}) == 12
    expected = [ROLE_CYCLE[number % len(ROLE_CYCLE)] for number in range(12)]
    assert [(account["role"], account["agency"]) for account in accounts] == [(r.value, a) for r, a in expected]
    for account in accounts:
        user = get_user_model().objects.get(username=account["username"])
        assert user.username.startswith("bench_") and user.last_name == "(fictional)"
        assert (user.membership.role, user.membership.agency) == (
            account["role"],
            demo.demo_agencies()[account["agency"]],
        )
        assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert AuditEvent.objects.filter(action="demo.seed_bench_users").count() == 1

    # Two accounts sign in at the same moment, each with its own code: nothing is shared.
    for account in accounts[:2]:
        client = Client()
        signed = client.post("/login/", {"username": account["username"], "password": account["password"]})
        assert signed.status_code == 302
        code = f"{totp(bytes.fromhex(account['totp_key'])):06d}"
        verified = client.post("/login/two-factor/", {"code": code})
        assert verified.status_code == 302, verified.content.decode()[:500]
        assert client.get("/cases/").status_code == 200

    # Again: new credentials for every account it names; the old password no longer opens it.
    call_command("seed_bench_users", users=12, credentials=file, stdout=StringIO())
    renewed = json.loads(file.read_text())
    assert [account["username"] for account in renewed] == [account["username"] for account in accounts]
    assert get_user_model().objects.filter(username__startswith="bench_").count() == 12
    first = get_user_model().objects.get(username=accounts[0]["username"])
    assert not first.check_password(accounts[0]["password"])
    assert first.check_password(renewed[0]["password"])
    assert TOTPDevice.objects.get(user=first).key == renewed[0]["totp_key"] != accounts[0]["totp_key"]


@pytest.mark.django_db
def test_load_test_accounts_only_go_into_a_database_of_fictional_data(tmp_path) -> None:
    file = tmp_path / "users.json"
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_bench_users", users=3, credentials=file, stdout=StringIO())
    seed_demo("--no-cases")
    Agency.objects.create(name="A real agency", kind="ngo")
    with pytest.raises(CommandError, match="fictional data"):
        call_command("seed_bench_users", users=3, credentials=file, stdout=StringIO())
    with pytest.raises(CommandError, match="between 1 and"):
        call_command("seed_bench_users", users=0, credentials=file, stdout=StringIO())
    assert not get_user_model().objects.filter(username__startswith="bench_").exists()
    assert not file.exists()


@pytest.mark.django_db
def test_the_demo_has_no_load_test_accounts() -> None:
    seed_demo("--no-cases")
    assert not get_user_model().objects.filter(username__startswith="bench_").exists()
    assert "bench_" not in demo.logins_text()
