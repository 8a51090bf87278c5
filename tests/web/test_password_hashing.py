"""The password hasher: Argon2id with one lane, and a bound on hashes computed at once per process."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from rightsfirst.web import hashers
from rightsfirst.web import settings as project_settings
from rightsfirst.web.models import Agency, Membership
from rightsfirst.web.roles import Role
from tests.web.conftest import sign_in

OURS = "rightsfirst.web.hashers.BoundedArgon2PasswordHasher"
PASSWORD = "a long fictional passphrase"


def test_the_application_hashes_with_it_first() -> None:
    # (The tests themselves use a fast hasher: see conftest.)
    assert project_settings.PASSWORD_HASHERS[0] == OURS


@pytest.mark.django_db
def test_passwords_are_argon2id_with_one_lane_and_the_same_memory_and_passes(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [OURS]
    user = get_user_model().objects.create_user(username="hash-check", password=PASSWORD)
    assert user.password.startswith("argon2$argon2id$v=19$m=102400,t=2,p=1$")
    assert user.check_password(PASSWORD)
    assert not user.check_password(PASSWORD + "x")


@pytest.mark.django_db
def test_a_hash_made_with_eight_lanes_still_opens_the_account_and_is_replaced_at_sign_in(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [OURS]
    stock = Argon2PasswordHasher()
    user = get_user_model().objects.create_user(username="older-hash")
    user.password = stock.encode(PASSWORD, stock.salt())
    user.save()
    assert ",p=8$" in user.password
    assert check_password(PASSWORD + "x", user.password) is False
    assert user.check_password(PASSWORD)  # Django rehashes with the preferred hasher on success
    user.refresh_from_db()
    assert ",p=1$" in user.password and user.check_password(PASSWORD)


def test_no_more_hashes_run_at_once_than_the_setting_allows(settings: Any, monkeypatch: Any) -> None:
    settings.PASSWORD_HASHERS = [OURS]
    settings.RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE = 2
    monkeypatch.setattr(hashers, "_slots", None)  # sized afresh from the setting above
    running, most = 0, 0
    lock = threading.Lock()

    def slow_verify(self: Any, password: str, encoded: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return True

    monkeypatch.setattr(Argon2PasswordHasher, "verify", slow_verify)
    encoded = "argon2$argon2id$v=19$m=102400,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA"
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(check_password(PASSWORD, encoded))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 8
    assert most == 2
    monkeypatch.setattr(hashers, "_slots", None)


def test_the_bound_is_a_whole_number_from_one_to_sixty_four(monkeypatch: Any) -> None:
    monkeypatch.delenv("RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE", raising=False)
    assert project_settings.hashes_at_once_from_environment() == 1
    monkeypatch.setenv("RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE", "3")
    assert project_settings.hashes_at_once_from_environment() == 3
    for wrong in ("0", "65", "two", "-1"):
        monkeypatch.setenv("RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE", wrong)
        with pytest.raises(ImproperlyConfigured, match=r"RIGHTSFIRST_PASSWORD_HASHES_AT_ONCE=.*1 to 64"):
            project_settings.hashes_at_once_from_environment()


def test_the_stock_hasher_and_ours_agree_on_the_same_salt() -> None:
    ours = hashers.BoundedArgon2PasswordHasher()
    salt = ours.salt()
    made = make_password(PASSWORD, salt, hasher=ours)
    assert Argon2PasswordHasher().verify(PASSWORD, made)
    assert ours.verify(PASSWORD, made) and not ours.verify("wrong", made)


@pytest.mark.django_db
def test_replacing_an_older_hash_at_sign_in_signs_the_users_other_sessions_out_once(settings: Any) -> None:
    settings.PASSWORD_HASHERS = [OURS]
    stock = Argon2PasswordHasher()
    user = get_user_model().objects.create_user(username="two-devices")
    user.password = stock.encode(PASSWORD, stock.salt())
    user.save()
    Membership.objects.create(
        user=user, agency=Agency.objects.create(name="Shelter", kind="shelter"), role=Role.CASE_WORKER
    )
    laptop = sign_in(Client(), user)
    assert laptop.get("/cases/").status_code == 200
    phone = Client()
    assert phone.post("/login/", {"username": "two-devices", "password": PASSWORD}).status_code == 302
    user.refresh_from_db()
    assert ",p=1$" in user.password
    left = laptop.get("/cases/")
    assert left.status_code == 302 and left["Location"].startswith("/login/")
