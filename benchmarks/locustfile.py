"""Load test of the case-management application: what the people who use it do all day.

Each simulated user signs in with its own fictional account (made by `seed_bench_users`): the
password, then a 6-digit code it computes from its own authenticator key, as a person reads it
from an app. The accounts cycle through the roles of a referral network (case workers at the
shelter, police first responders, coordinators at the referral mechanism, legal advisers), and
each works on the cases its own agency holds. With a pause of 1-2 s between actions, each mixes:

- the case list (half the time filtered by stage, pages 1-3), a search by case reference, a case
  page (the engine runs for the rights panel) and the review of a proposed support offer (the
  measure form's "review" button, which saves nothing), in equal measure;
- for the roles that may see identity (not coordinators): the identity page with a reason
  (audited, decrypts the person's identity), and "Find a person" by full name or identity
  document number (POST; audited; each user may search 30 times in 10 minutes: a refusal, 429,
  is counted under its own name as the limit working, not as an error);
- about once a minute (RF_BENCH_SIGN_IN_EVERY), signing out and signing in again, both steps: a
  working day compressed into minutes, so that sign-ins happen throughout the measured window and
  not only at the start. Each step is measured under its own name; the password step is slow by
  design (Argon2id).

An authenticator code is accepted once per account, so a user never signs in again within 30 s
of the last time (one step of the authenticator); if it ever had to, it would wait for the next
code, as a person does.

Run by benchmarks/bench_web.py, which seeds the data and starts gunicorn; by hand:

    RF_BENCH_CREDENTIALS=bench-users.json RF_BENCH_REFERENCES=bench-cases.json \
        locust -f benchmarks/locustfile.py --headless -u 50 -r 5 -t 150s --host http://127.0.0.1:8000

RF_BENCH_CREDENTIALS  the JSON file `seed_bench_users --credentials` wrote (one account per user)
RF_BENCH_REFERENCES  JSON: per agency key, "references" (cases it holds) and "people" ([reference,
                     full name, document number] of some of them, for identity and person search)
RF_BENCH_SIGN_IN_EVERY  mean seconds between a user's sign-ins (default 60; 0: sign in once only)
RF_BENCH_MEASURE_SECONDS  stop this long after the figures were reset (default: run for -t)
RF_BENCH_MARK  file to write the time of that reset to (the benchmark measures server CPU from then)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]
from django_otp.oath import totp
from locust import HttpUser, between, task

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STAGES = ("screening", "presumed_victim", "recovery_and_reflection", "support", "legal_proceedings")
# A shelter offered on condition of testifying (the review finds a violation), or freely.
OFFERS = (
    {"service": "shelter", "conditional_on_testimony": "yes", "can_leave": "yes"},
    {"service": "shelter", "conditional_on_testimony": "no", "conditional_on_cooperation": "no", "can_leave": "yes"},
    {"service": "counselling", "mandatory": "no", "refusal_affects_other_support": "no"},
)
IDENTITY_ROLES = {"case_worker", "first_responder", "legal_adviser", "guardian"}
TOTP_STEP = 30
LIMITED = "person search: refused by the limit (429)"
# Relative weights of the actions: the four page kinds with targets, equally; identity and
# person search less often (a person search is also limited to 30 per user per 10 minutes).
WORK = {"case list": 6, "search by reference": 6, "case detail": 6, "measure review": 6}
IDENTITY_WORK = {"identity view": 2, "person search": 1}


def _load(variable: str) -> Any:
    path = os.environ.get(variable)
    if not path:
        raise RuntimeError(f"set {variable} (see the docstring of benchmarks/locustfile.py)")
    return json.loads(Path(path).read_text())


ACCOUNTS: list[dict[str, str]] = _load("RF_BENCH_CREDENTIALS")
CASES: dict[str, dict[str, list[Any]]] = _load("RF_BENCH_REFERENCES")
SIGN_IN_EVERY = float(os.environ.get("RF_BENCH_SIGN_IN_EVERY") or 60)
STATE = {"claimed": 0, "signed_in": 0}


def _first_sign_in_done(user: HttpUser) -> None:
    """Once every simulated user has signed in for the first time, start the figures afresh.

    Users start a few a second, and the first sign-ins all fall in that ramp; the figures are for
    the steady state that follows, in which sign-ins keep happening (and are counted).
    """
    STATE["signed_in"] += 1
    runner = user.environment.runner
    if runner is not None and STATE["signed_in"] == runner.target_user_count:
        runner.stats.reset_all()
        mark = os.environ.get("RF_BENCH_MARK")
        if mark:
            Path(mark).write_text(f"{time.time()}\n")
        seconds = float(os.environ.get("RF_BENCH_MEASURE_SECONDS") or 0)
        if seconds:
            gevent.spawn_later(seconds, runner.quit)


class StaffMember(HttpUser):
    """One person at work, with an account of their own."""

    wait_time = between(1, 2)

    def on_start(self) -> None:
        if STATE["claimed"] >= len(ACCOUNTS):
            raise RuntimeError(f"only {len(ACCOUNTS)} load-test accounts: run seed_bench_users with more --users")
        self.account = ACCOUNTS[STATE["claimed"]]
        STATE["claimed"] += 1
        self.key = bytes.fromhex(self.account["totp_key"])
        self.last_step = -1  # the authenticator step of the last code used
        held = CASES.get(self.account["agency"]) or {}
        self.references: list[str] = held.get("references") or []
        self.people: list[list[str]] = held.get("people") or []
        if not self.references:
            raise RuntimeError(f"no sampled cases held by the agency {self.account['agency']!r}")
        actions: dict[str, Callable[[], None]] = {
            "case list": self.case_list,
            "search by reference": self.search,
            "case detail": self.case_detail,
            "measure review": self.measure_review,
        }
        weights = dict(WORK)
        if self.account["role"] in IDENTITY_ROLES and self.people:
            actions |= {"identity view": self.identity_view, "person search": self.person_search}
            weights |= IDENTITY_WORK
        self.actions = [actions[name] for name in weights]
        self.weights = list(weights.values())
        self.sign_in(first=True)
        _first_sign_in_done(self)

    # -- signing in and out ------------------------------------------------------------------

    def _next_renewal(self, first: bool = False) -> None:
        """When to sign out and in again: 2/3 to 4/3 of the mean period from now. The first time,
        anywhere from 30 s to 30 s + the period, as if the users had started work at different
        times; never within 30 s, so a user never needs the code it has just used."""
        if not SIGN_IN_EVERY:
            self.renew_at = None
        elif first:
            self.renew_at = time.monotonic() + TOTP_STEP + random.uniform(0, SIGN_IN_EVERY)
        else:
            self.renew_at = time.monotonic() + SIGN_IN_EVERY * random.uniform(2 / 3, 4 / 3)

    def code(self) -> str:
        """The code the user's authenticator app shows now; waits for a new one if this one was used."""
        step = int(time.time()) // TOTP_STEP
        if step <= self.last_step:
            gevent.sleep((self.last_step + 1) * TOTP_STEP - time.time() + 0.05)
            step = int(time.time()) // TOTP_STEP
        self.last_step = step
        return f"{totp(self.key, step=TOTP_STEP):06d}"

    def sign_in(self, first: bool = False) -> None:
        """Both steps, as a browser does them: the form, the password, the code page, the code."""
        page = self.client.get("/login/", name="sign-in: form")
        found = TOKEN.search(page.text)
        if found is None:
            raise RuntimeError(f"no CSRF token on the sign-in page (status {page.status_code})")
        form = {"username": self.account["username"], "password": self.account["password"]}
        with self.client.post(
            "/login/",
            data={**form, "csrfmiddlewaretoken": found.group(1)},
            name="sign-in: password",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"password step refused (status {response.status_code})")
                raise RuntimeError(f"{self.account['username']}: the password step failed")
        page = self.client.get("/login/two-factor/", name="sign-in: code form")
        found = TOKEN.search(page.text)
        if found is None:
            raise RuntimeError(f"no second-step form after the password (status {page.status_code})")
        code = self.code()
        with self.client.post(
            "/login/two-factor/",
            data={"code": code, "csrfmiddlewaretoken": found.group(1)},
            name="sign-in: code",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"code refused (status {response.status_code})")
                raise RuntimeError(f"{self.account['username']}: the code {code} was refused")
        self._next_renewal(first)

    def sign_out(self) -> None:
        with self.client.post(
            "/logout/",
            data={"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
            name="sign-out",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-out answered {response.status_code}")
        # What Clear-Site-Data asks a browser to do.
        self.client.cookies.clear()

    # -- the work ----------------------------------------------------------------------------

    @task
    def work(self) -> None:
        """One action; first, if it is time, sign out and in again."""
        if self.renew_at is not None and time.monotonic() >= self.renew_at:
            self.sign_out()
            self.sign_in()
            return
        random.choices(self.actions, self.weights)[0]()

    def page(self, method: str, path: str, name: str, expect: str | None = None, **kwargs: Any) -> None:
        """A request that must answer 200 itself: a redirect (to the sign-in, say) is a failure."""
        with self.client.request(
            method, path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != 200:
                location = response.headers.get("Location", "")
                response.failure(f"status {response.status_code}{' to ' + location if location else ''}")
            elif expect is not None and expect not in response.text:
                response.failure(f"{expect!r} not on the page")

    def case_list(self) -> None:
        if random.random() < 0.5:
            self.page("GET", "/cases/", "case list")
        else:
            stage = random.choice(STAGES)
            self.page("GET", f"/cases/?stage={stage}&page={random.randint(1, 3)}", "case list")

    def search(self) -> None:
        reference = random.choice(self.references)
        if random.random() < 0.5:
            self.page("GET", f"/cases/?q={reference}", "search by reference", expect=reference)
        else:
            self.page("GET", f"/cases/?q={reference[:7]}", "search by reference")  # "RF-XXXX"

    def case_detail(self) -> None:
        reference = random.choice(self.references)
        self.page("GET", f"/cases/{reference}/", "case detail", expect=reference)

    def measure_review(self) -> None:
        data = {
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            "action": "review",
            "decided_on": dt.date.today().isoformat(),
            **random.choice(OFFERS),
        }
        reference = random.choice(self.references)
        path = f"/cases/{reference}/measures/new/support_offer/"
        self.page("POST", path, "measure review", expect='id="review-panel"', data=data)

    def identity_view(self) -> None:
        reference, _name, document = random.choice(self.people)
        data = {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""), "reason": "Load test (fictional)"}
        self.page("POST", f"/cases/{reference}/identity/", "identity view", expect=document, data=data)

    def person_search(self) -> None:
        reference, name, document = random.choice(self.people)
        by_document = random.random() < 0.5
        term = document if by_document else name
        data = {"csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""), "term": term}
        with self.client.post(
            "/people/search/", data=data, name="person search", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 429:
                # The per-user limit did its job: counted under a name of its own, not as an error.
                response.request_meta["name"] = LIMITED
                response.success()
            elif response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif by_document and reference not in response.text:
                response.failure("the person searched for by document number was not found")
            elif 'id="results-heading"' not in response.text:
                response.failure("no results section")
