"""The console's shell: served by the gateway at /, the development login picker only where it is given, the
language switch, and the menu for a person's roles."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from launcher.stack import GATEWAY
from tests.browser.conftest import Console, log_in, look


def test_the_gateway_serves_the_console_and_its_login_picker(console: Console, page: Page) -> None:
    page.goto(console.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    look(page, "login")
    log_in(page, console, "zorgbedrijf", "handler")
    expect(page).to_have_url(f"{console.url}/#/queue")
    expect(page.get_by_role("navigation").get_by_role("link", name="Wachtrij")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Audit")).to_have_count(0)
    page.get_by_label("Taal").select_option("en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Team queue")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_without_dev_people_the_picker_is_refused(console: Console) -> None:
    """Only the launcher in development gives the gateway the people: without them (production, deploy/) the
    path is a 404 problem, and the console offers only the OIDC login. A second gateway on the same set, given
    none."""
    assert httpx.get(f"{console.url}/console/dev-people.json").json()["people"]["zorgbedrijf"]
    stack, given = console.stack, console.stack.dev_people
    production = stack.add_instance(GATEWAY)
    stack.dev_people = None
    try:
        stack.start(production)
    finally:
        stack.dev_people = given
    try:
        refused = httpx.get(f"{stack.url(production)}/console/dev-people.json")
        assert refused.status_code == 404
        assert refused.headers["content-type"] == "application/problem+json"
        assert "token" not in refused.text
        assert "Klachtenconsole" in httpx.get(f"{stack.url(production)}/").text
    finally:
        stack.stop(production)
