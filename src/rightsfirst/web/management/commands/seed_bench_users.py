"""`rightsfirst manage seed_bench_users --users N --credentials FILE`: fictional accounts for load tests.

A load test that signs everyone in as the one demo case worker measures something no deployment
sees: every simulated person shares one session history, one lockout counter and one
authenticator, whose codes are accepted once each. Here each simulated user gets an account of
its own, in a demo agency, with its own password and its own authenticator key, so that it signs
in with two factors exactly as a person would and computes its own codes.

The accounts are named `bench_NN_<role>` and marked "(fictional)"; the demo never creates them. The
command only runs on a database that holds the demo agencies and no other agency, so it can never
add accounts with known credentials to real data. The credentials go to FILE (mode 0600), for the
load generator only; running the command again gives every account it names new credentials.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from rightsfirst.web import audit, demo
from rightsfirst.web.models import Agency, Membership
from rightsfirst.web.roles import Role

BENCH_PREFIX = "bench_"
BENCH_DEVICE_NAME = "Load-test authenticator (fictional account)"
# The people who use the system all day, in about the proportions a shelter-centred referral
# network has them: mostly the shelter's case workers, then police first responders, the referral
# mechanism's coordinators and legal advisers. Repeats every ten accounts.
ROLE_CYCLE: tuple[tuple[Role, str], ...] = (
    (Role.CASE_WORKER, "shelter"),
    (Role.FIRST_RESPONDER, "police"),
    (Role.CASE_WORKER, "shelter"),
    (Role.COORDINATOR, "nrm"),
    (Role.CASE_WORKER, "shelter"),
    (Role.CASE_WORKER, "shelter"),
    (Role.FIRST_RESPONDER, "police"),
    (Role.CASE_WORKER, "shelter"),
    (Role.LEGAL_ADVISER, "legal"),
    (Role.CASE_WORKER, "shelter"),
)
MAX_USERS = 999


def bench_username(number: int, role: Role) -> str:
    """The login of the number-th load-test account (1-based)."""
    return f"{BENCH_PREFIX}{number:03d}_{role.value}"


def create_bench_users(count: int) -> list[dict[str, Any]]:
    """Create (or give new credentials to) load-test accounts 1..count; returns their credentials.

    Each entry: username, password, totp_key (hex, as django-otp stores it), role, agency (the
    demo agency's key). One transaction: either every account is ready or none changed.
    """
    if not 1 <= count <= MAX_USERS:
        raise CommandError(f"--users must be between 1 and {MAX_USERS}")
    agencies = demo.demo_agencies()
    if len(agencies) != len(demo.AGENCIES):
        raise CommandError("the demo agencies are missing: run `seed_demo --no-cases` first")
    others = Agency.objects.exclude(pk__in=[agency.pk for agency in agencies.values()])
    if others.exists():
        raise CommandError(
            "this database holds agencies other than the demo's: load-test accounts are only ever added to "
            "a database of fictional data"
        )
    user_model = get_user_model()
    credentials = []
    with transaction.atomic():
        for number in range(1, count + 1):
            role, agency_key = ROLE_CYCLE[(number - 1) % len(ROLE_CYCLE)]
            username = bench_username(number, role)
            password = secrets.token_urlsafe(18)
            user = user_model.objects.filter(username=username).first()
            if user is None:
                user = user_model(username=username, first_name="Load test", last_name="(fictional)")
            user.set_password(password)
            user.save()
            Membership.objects.update_or_create(user=user, defaults={"agency": agencies[agency_key], "role": role})
            TOTPDevice.objects.filter(user=user).delete()
            device = TOTPDevice.objects.create(user=user, name=BENCH_DEVICE_NAME, confirmed=True)
            credentials.append(
                {
                    "username": username,
                    "password": password,
                    "totp_key": device.key,
                    "role": role.value,
                    "agency": agency_key,
                }
            )
        audit.record(
            demo.demo_users().get(Role.ADMINISTRATOR),
            "demo.seed_bench_users",
            target=f"{count} fictional load-test accounts given new credentials",
        )
    return credentials


def write_credentials(path: Path, credentials: list[dict[str, Any]]) -> None:
    """Write the credentials as JSON, readable by the owner only (they open fictional accounts, still)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(credentials, handle, indent=1)
        handle.write("\n")


class Command(BaseCommand):
    help = (
        "Create N fictional load-test accounts (each with its own password and authenticator key) in the "
        "demo agencies, and write their credentials to a file for the load generator. Demo databases only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, required=True, help=f"how many accounts (1-{MAX_USERS})")
        parser.add_argument(
            "--credentials", type=Path, required=True, help="JSON file to write the credentials to (mode 0600)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        credentials = create_bench_users(options["users"])
        write_credentials(options["credentials"], credentials)
        roles: dict[str, int] = {}
        for entry in credentials:
            roles[entry["role"]] = roles.get(entry["role"], 0) + 1
        summary = ", ".join(f"{count} {role}" for role, count in sorted(roles.items()))
        self.stdout.write(
            self.style.SUCCESS(f"{len(credentials)} fictional load-test accounts ({summary}); credentials in ")
            + str(options["credentials"])
        )
