"""Load test of the case-management application: what a case worker does all day.

Each simulated user signs in once through the login form (with its CSRF token), then, with a
pause of 1-2 s between actions, mixes four things in equal measure: the case list, a search by
case reference, a case page (which runs the engine for the rights panel), and the engine's
review of a proposed measure (the measure form's "review" button, which saves nothing).

Run by benchmarks/bench_web.py, which seeds the data and starts gunicorn; by hand:

    RF_BENCH_REFERENCES=refs.txt locust -f benchmarks/locustfile.py --headless -u 20 -r 5 -t 60s \
        --host http://127.0.0.1:8000

RF_BENCH_REFERENCES  file with one case reference per line, visible to the signed-in user
RF_BENCH_USER / RF_BENCH_PASSWORD  the login (default: the demo case worker)
RF_BENCH_MEASURE_SECONDS  stop this long after the figures were reset (default: run for -t)
RF_BENCH_MARK  file to write the time of that reset to (the benchmark measures server CPU from then)
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import time
from pathlib import Path

import gevent  # type: ignore[import-untyped]
from locust import HttpUser, between, task

DEMO_PASSWORD = "demo-rightsfirst-2026"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STAGES = ("screening", "presumed_victim", "recovery_and_reflection", "support", "legal_proceedings")
# A shelter offered on condition of testifying (the review finds a violation), or freely.
OFFERS = (
    {"service": "shelter", "conditional_on_testimony": "yes", "can_leave": "yes"},
    {"service": "shelter", "conditional_on_testimony": "no", "conditional_on_cooperation": "no", "can_leave": "yes"},
    {"service": "counselling", "mandatory": "no", "refusal_affects_other_support": "no"},
)


def _references() -> list[str]:
    path = os.environ.get("RF_BENCH_REFERENCES")
    if not path:
        raise RuntimeError("set RF_BENCH_REFERENCES to a file of case references")
    references = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    if not references:
        raise RuntimeError(f"no case references in {path}")
    return references


REFERENCES = _references()
SIGNED_IN = {"count": 0}


def _signed_in(user: HttpUser) -> None:
    """Once every simulated user has signed in, start the figures afresh.

    Signing in is slow on purpose (the password hash), and 20 people do not all sign in within
    the same few seconds; the figures are for the steady state of work that follows.
    """
    SIGNED_IN["count"] += 1
    runner = user.environment.runner
    if runner is not None and SIGNED_IN["count"] == runner.target_user_count:
        runner.stats.reset_all()
        mark = os.environ.get("RF_BENCH_MARK")
        if mark:
            Path(mark).write_text(f"{time.time()}\n")
        seconds = float(os.environ.get("RF_BENCH_MEASURE_SECONDS") or 0)
        if seconds:
            gevent.spawn_later(seconds, runner.quit)


class CaseWorker(HttpUser):
    """A case worker at the shelter, working through the cases they hold."""

    wait_time = between(1, 2)

    def on_start(self) -> None:
        page = self.client.get("/login/", name="login page (setup)")
        found = TOKEN.search(page.text)
        if found is None:
            raise RuntimeError("no CSRF token on the login page")
        response = self.client.post(
            "/login/",
            data={
                "username": os.environ.get("RF_BENCH_USER", "case_worker"),
                "password": os.environ.get("RF_BENCH_PASSWORD", DEMO_PASSWORD),
                "csrfmiddlewaretoken": found.group(1),
            },
            name="login (setup)",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login failed with status {response.status_code}")
        _signed_in(self)

    @task
    def case_list(self) -> None:
        if random.random() < 0.5:
            self.client.get("/cases/", name="case list")
        else:
            stage = random.choice(STAGES)
            self.client.get(f"/cases/?stage={stage}&page={random.randint(1, 3)}", name="case list")

    @task
    def search(self) -> None:
        reference = random.choice(REFERENCES)
        query = reference if random.random() < 0.5 else reference[:7]  # the full reference, or "RF-XXXX"
        with self.client.get(f"/cases/?q={query}", name="search by reference", catch_response=True) as response:
            if response.status_code == 200 and reference not in response.text and query == reference:
                response.failure("the case searched for is not in the results")

    @task
    def case_detail(self) -> None:
        self.client.get(f"/cases/{random.choice(REFERENCES)}/", name="case detail")

    @task
    def measure_review(self) -> None:
        reference = random.choice(REFERENCES)
        data = {
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            "action": "review",
            "decided_on": dt.date.today().isoformat(),
            **random.choice(OFFERS),
        }
        with self.client.post(
            f"/cases/{reference}/measures/new/support_offer/",
            data=data,
            name="measure review",
            catch_response=True,
        ) as response:
            if response.status_code == 200 and 'id="review-panel"' not in response.text:
                response.failure("no review on the page")
