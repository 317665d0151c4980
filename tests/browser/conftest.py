"""The console's browser tests: Playwright for Python driving Debian's chromium (never a downloaded browser), one
browser per test module, a running set with the gateway that serves the console, and its development login
picker offering people whose tokens are minted here as conftest's `auth_headers` mints them.

Each page a test looks at goes through `look(page, name)`: axe-core checks it (no serious or critical violation)
and its screenshot is kept under .data/test-artifacts/<module>/.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from complaints.adapters.store import Complaints
from complaints.model.tenants import load_tenants
from complaints.web.auth import Credentials
from launcher.credentials import demo_people
from launcher.stack import GATEWAY, Stack

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", ".data/test-artifacts"))
# A laptop's screen; a test may ask for another (200% zoom is half of it).
VIEWPORT = {"width": 1366, "height": 768}
# What a page must not have: axe-core's two worst impacts.
BLOCKING = ("serious", "critical")


@dataclass
class Console:
    """The console on a running set: its address, and the people its login picker offers (by tenant)."""

    url: str
    stack: Stack
    people: dict[str, list[dict[str, Any]]]

    def person(self, tenant: str, role: str, n: int = 0) -> dict[str, Any]:
        return [p for p in self.people[tenant] if role in p["roles"]][n]

    def bearer(self, tenant: str, role: str, n: int = 0) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.person(tenant, role, n)['token']}"}

    def api_key(self, tenant: str, role: str = "intake") -> dict[str, str]:
        """A calling system's key (the complaints come in through the API, as from a portal)."""
        store = Complaints(self.stack.settings)
        try:
            return {"X-API-Key": Credentials(store, self.stack.settings).issue_key(name=f"browser-{role}",
                                                                                    tenant=tenant, role=role)}
        finally:
            store.close()


@pytest.fixture(scope="module")
def console(module_stack: Stack) -> Console:
    """The module's set with its gateway, which serves the console and (as `make run` in development) the
    people of the login picker from a file written here."""
    settings = module_stack.settings
    store = Complaints(settings)
    people = demo_people(Credentials(store, settings), load_tenants(settings.tenants_dir).values())
    store.close()
    path = module_stack.log_dir / "dev-people.json"
    path.write_text(json.dumps({"people": people}))
    module_stack.dev_people = path
    module_stack.start(GATEWAY)
    return Console(module_stack.url(GATEWAY), module_stack, people)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make chromium, or apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context (its own sessionStorage: nobody logged in) on a laptop's screen, in Dutch. Its last state
    is kept as a screenshot (`<test>-end.png`), and errors in the page's scripts fail the test."""
    context = browser.new_context(viewport=VIEWPORT, locale="nl-BE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.artifacts = artifacts_dir(request)  # type: ignore[attr-defined]
    yield page
    try:
        page.screenshot(path=str(page.artifacts / f"{request.node.name}-end.png"), full_page=True)  # type: ignore
    finally:
        context.close()
    assert not errors, f"errors in the page's scripts: {errors}"


def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    folder = ARTIFACTS / request.module.__name__.rsplit(".", 1)[-1]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


_axe = Axe()


def look(page: Page, name: str) -> None:
    """A page as a person sees it: checked by axe-core (no serious or critical violation) and kept as a
    screenshot `<name>.png`. Wait for what the page shows before calling this."""
    page.wait_for_function("!document.querySelector('main[aria-busy]')")
    expect(page.locator("main h1")).to_have_count(1)  # one page at a time (a page left while loading is gone)
    page.screenshot(path=str(page.artifacts / f"{safe(name)}.png"), full_page=True)  # type: ignore[attr-defined]
    results = _axe.run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    assert not blocking, f"{name}: axe-core finds {_describe(blocking)}"


def _describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at "
                     + ", ".join(" ".join(n["target"]) for n in v["nodes"][:3]) for v in violations)


def safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)


def log_in(page: Page, console: Console, tenant: str, role: str, n: int = 0) -> dict[str, Any]:
    """Logs in with the development picker as a tenant's person of that role; returns the person."""
    person = console.person(tenant, role, n)
    page.goto(f"{console.url}/#/login")
    button = page.locator(f"button[data-sub='{person['sub']}']")
    page.locator("details", has=button).locator("summary").click()  # the tenant's people, folded by default
    button.click()
    expect(page.locator("#who")).to_contain_text(person["sub"])
    return person
