"""The console in a real browser, on one running set: served by the gateway at /, the development login
picker only where it is given, the language switch and the menu for a person's roles; the handlers' console: a
care-company case worked from the queue to the answer (with the local manager's and the director's approvals),
and a command on a case someone else changed meanwhile."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
from playwright.sync_api import Page, expect

from launcher.stack import GATEWAY
from tests.browser.conftest import Console, log_in, look
from tests.helpers import wait_until
from tests.browser.flows import (TENANT, a_complaint_comes_in, qualified_total,
                                 the_auditor_sees_the_history_and_a_valid_chain, work_a_case_to_the_answer)


def test_the_gateway_serves_the_console_and_its_login_picker(console: Console, page: Page) -> None:
    page.goto(console.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    look(page, "login")
    log_in(page, console, "zorgbedrijf", "handler")
    expect(page).to_have_url(f"{console.url}/#/queue")
    expect(page.get_by_role("navigation").get_by_role("link", name="Wachtrij")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Audit")).to_have_count(0)
    # Readable at 200% zoom: half a laptop's screen in CSS pixels, and nothing wider than it.
    page.set_viewport_size({"width": 683, "height": 384})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    look(page, "queue-at-200-percent")
    page.set_viewport_size({"width": 1366, "height": 768})
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


def test_a_handler_works_a_care_company_case_from_the_queue_to_the_answer(console: Console, page: Page) -> None:
    """The issue's walk: the handler, the local manager and the director take the case to its answer; the
    manager sees the count move in the yearly report; the auditor sees the history and a valid chain."""
    year = datetime.now(timezone.utc).year
    log_in(page, console, TENANT, "manager")
    before = qualified_total(page, console, year)
    page.get_by_role("button", name="Afmelden").click()
    case = work_a_case_to_the_answer(page, console)
    page.get_by_role("button", name="Afmelden").click()
    log_in(page, console, TENANT, "manager")
    expect(page.locator("#who")).to_contain_text("manager")
    # The report reads the projection, which follows the store: the page is opened again until it counts it.
    wait_until(lambda: qualified_total(page, console, year) == before + 1, timeout=30)
    look(page, "report-after-the-case")
    the_auditor_sees_the_history_and_a_valid_chain(page, console, case)
    answered = httpx.get(f"{console.url}/v1/tenants/{TENANT}/complaints/{case.id}",
                         headers=console.bearer(TENANT, "manager")).json()
    assert answered["status"] == "answered"
    assert [a["step"] for a in answered["approvals"]] == ["realiteitscheck-lokale-manager",
                                                          "goedkeuring-directeur-klantbeleving"]
    page.goto(f"{console.url}/#/search?status=answered")
    expect(page.get_by_role("link", name=case.number)).to_be_visible()
    look(page, "search-answered")


def test_a_change_by_someone_else_appears_live_and_a_stale_command_shows_the_problem(console: Console,
                                                                                     page: Page) -> None:
    case = a_complaint_comes_in(console)
    log_in(page, console, TENANT, "handler")
    page.goto(f"{console.url}/#/cases/{TENANT}/{case.id}")
    page.locator("button[data-action='notes']").click()
    page.locator("form#action-notes [name='text']").fill("Mijn notitie")
    # Meanwhile a colleague adds a note: the page says so at once, and keeps the form being typed in.
    current = httpx.get(f"{console.url}/v1/tenants/{TENANT}/complaints/{case.id}",
                        headers=console.bearer(TENANT, "manager"))
    added = httpx.post(f"{console.url}/v1/tenants/{TENANT}/complaints/{case.id}/notes", json={"text": "Collega"},
                       headers={**console.bearer(TENANT, "manager"), "If-Match": current.headers["ETag"]})
    assert added.status_code == 200, added.text
    expect(page.locator(".messages .notice")).to_contain_text("gewijzigd")
    expect(page.locator("form#action-notes [name='text']")).to_have_value("Mijn notitie")
    look(page, "case-changed-elsewhere")
    # Sent on the old version: the 412's own words, then the case as it is now (the colleague's note).
    page.locator("form#action-notes button[type='submit']").click()
    problem = page.get_by_role("alert")
    expect(problem).to_be_visible()
    stale = httpx.post(f"{console.url}/v1/tenants/{TENANT}/complaints/{case.id}/notes", json={"text": "x"},
                       headers={**console.bearer(TENANT, "manager"), "If-Match": current.headers["ETag"]})
    assert stale.status_code in (409, 412)
    expect(problem).to_contain_text(stale.json()["title"])
    expect(page.locator("#case")).to_contain_text("Collega")
    look(page, "case-stale-command")
