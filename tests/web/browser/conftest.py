"""Browser tests: Playwright driving Debian's chromium against a live server, with axe-core in the page.

Chromium comes from the system (`apt install chromium`), axe-core from the npm registry
(`npm install axe-core` into build/npm). Where either is missing the tests are skipped with
the reason printed; RIGHTSFIRST_REQUIRE_BROWSER=1 (set by CI) turns the skip into a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path(os.environ.get("RIGHTSFIRST_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(os.environ.get("RIGHTSFIRST_AXE", ROOT / "build" / "npm" / "node_modules" / "axe-core" / "axe.min.js"))
ARTIFACTS = ROOT / "artifacts" / "screenshots"
# Lesser (moderate and minor) findings do not fail a test, but are listed here to be looked at.
LESSER = ROOT / "artifacts" / "axe-lesser-findings.txt"
# The narrowest phone the application promises to work on.
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"chromium not found at {CHROMIUM} (apt install chromium)"
    if not AXE.exists():
        return f"axe-core not found at {AXE} (npm install --prefix build/npm axe-core)"
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    missing = _missing()
    if missing is None:
        return
    if os.environ.get("RIGHTSFIRST_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"browser tests required but {missing}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=missing))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    LESSER.parent.mkdir(parents=True, exist_ok=True)
    LESSER.write_text("", encoding="utf-8")
    # Playwright's sync API keeps an event loop in this thread; Django's ORM calls made by the
    # test itself (fixtures, assertions) are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update"],
        )
        yield launched
        launched.close()


class Session:
    """One signed-in browser session with helpers for the journeys."""

    def __init__(self, page: Any, base_url: str, name: str, javascript: bool = True) -> None:
        self.page = page
        self.javascript = javascript
        self.base_url = base_url
        self.name = name
        self.shots = 0
        self.checked: list[str] = []
        self.csp_violations: list[str] = []
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)

    def go(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)

    def login(self, username: str, password: str) -> None:
        self.go("/login/")
        self.page.get_by_label(re.compile("User name|Nom d.utilisateur", re.I)).fill(username)
        self.page.get_by_label(re.compile("Password|Mot de passe", re.I)).fill(password)
        self.page.get_by_role("button", name=re.compile("Sign in|Se connecter", re.I)).click()
        self.page.wait_for_load_state()
        # The second step: the code the user's authenticator app would show.
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from tests.web.conftest import unused_code

        assert "/login/two-factor/" in self.page.url, f"expected the second step, got {self.page.url}"
        code = unused_code(TOTPDevice.objects.get(user__username=username, confirmed=True))
        self.page.get_by_label(re.compile("^Code$", re.I)).fill(code)
        self.page.get_by_role("button", name=re.compile("Continue|Continuer", re.I)).click()
        self.page.wait_for_load_state()

    def check(self, label: str) -> list[dict[str, Any]]:
        """Screenshot the page and run axe-core in it; fail on serious or critical violations."""
        self.shots += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"), full_page=True)
        if not self.javascript:
            # axe-core cannot run where page scripts are off; the same pages are checked with JavaScript on.
            self.checked.append(self.page.url)
            return []
        # axe-core comes in as an init script (see open_session): the page's own CSP stays on,
        # and anything it blocks is reported here.
        assert not self.csp_violations, (
            f"blocked by the Content-Security-Policy on {self.page.url}: {self.csp_violations}"
        )
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
        with LESSER.open("a", encoding="utf-8") as lesser:
            for v in result["violations"]:
                if v not in bad:
                    targets = [n["target"] for n in v["nodes"]][:3]
                    lesser.write(f"{self.name} {label}: {v['id']} ({v['impact']}): {v['help']} at {targets}\n")
        described = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in bad]
        assert not bad, f"accessibility problems on {self.page.url}:\n" + "\n".join(described)
        self.checked.append(self.page.url)
        violations: list[dict[str, Any]] = result["violations"]
        return violations

    def assert_fits_width(self) -> None:
        """Fail when the page is wider than the viewport, i.e. a phone would have to scroll sideways."""
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        viewport = self.page.viewport_size["width"]
        if width > viewport:
            # Name the widest offenders, so the failure says what to fix.
            culprits = self.page.evaluate(
                """(limit) => [...document.querySelectorAll('body *')]
                    .filter(el => el.getBoundingClientRect().right > limit + 1)
                    .slice(0, 5)
                    .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                      + (el.classList.length ? '.' + [...el.classList].join('.') : ''))""",
                viewport,
            )
            raise AssertionError(f"{self.page.url} is {width}px wide on a {viewport}px screen: {culprits}")


@pytest.fixture
def open_session(browser: Any, live_server: Any, request: Any) -> Iterator[Any]:
    """Factory: open_session(viewport=PHONE, locale="en", javascript=True) -> Session."""
    contexts = []

    def make(viewport: dict[str, int] = DESKTOP, locale: str = "en-GB", javascript: bool = True) -> Session:
        context = browser.new_context(viewport=viewport, locale=locale, java_script_enabled=javascript)
        if javascript:
            context.add_init_script(path=str(AXE))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return Session(page, live_server.url, f"{request.node.name}-{len(contexts)}", javascript)

    yield make
    for context in contexts:
        context.close()
