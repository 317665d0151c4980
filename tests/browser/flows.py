"""What people do in the console, step by step, for the browser tests to put together: the handler's work on a
care-company case from the queue to the answer (`work_a_case_to_the_answer`), which the manager's and the
auditor's tests continue from (the case's id and number)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import Console, log_in, look
from tests.helpers import wait_until

TENANT = "zorgbedrijf"


@dataclass
class Case:
    id: str
    number: str
    subject: str


def a_complaint_comes_in(console: Console, subject: str | None = None) -> Case:
    """A care-company complaint from the web form, through the gateway; once it is in the handler's queue."""
    subject = subject or f"Maaltijd koud geleverd {uuid.uuid4().hex[:6]}"
    body = {"channel": "webformulier", "signal_type": "klacht", "category": "facilities", "subject": subject,
            "text": "Het middagmaal kwam drie dagen op rij koud aan in de serviceflat.",
            "entity": "zorgbedrijf-antwerpen",
            "complainant": {"name": "J. Janssens", "email": "j.janssens@example.be",
                            "preferred_answer_channel": "e-mail"},
            "attachments": [{"url": "https://files.example.be/foto-maaltijd.jpg", "media_type": "image/jpeg",
                             "sha256": "a" * 64}]}
    created = httpx.post(f"{console.url}/v1/tenants/{TENANT}/complaints", json=body,
                         headers=console.api_key(TENANT), timeout=30)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    handler = console.bearer(TENANT, "handler")
    queue = f"{console.url}/v1/tenants/{TENANT}/queue"
    row = wait_until(lambda: next((c for c in httpx.get(queue, params={"q": subject}, headers=handler).json()["items"]
                                   if c["case_id"] == case_id and c["team"]), None))
    return Case(case_id, row["case_number"], subject)


def open_case_from_queue(page: Page, console: Console, case: Case) -> None:
    """In the queue, the handler searches for the case and opens it."""
    page.get_by_label("Zoektekst").fill(case.subject)
    page.get_by_role("button", name="Toepassen").click()
    link = page.get_by_role("link", name=case.number)
    expect(link).to_be_visible()
    look(page, "queue-searched")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.number)


def do(page: Page, action: str, **fields: str) -> None:
    """Takes an action of the case page with the keyboard: its button, or its form (which takes the focus)
    filled in by field name and sent."""
    page.locator(f"button[data-action='{action}']").focus()
    page.keyboard.press("Enter")
    if fields:
        form = page.locator(f"form#action-{action}")
        expect(form.locator("[name]").first).to_be_focused()
        for name, value in fields.items():
            control = form.locator(f"[name='{name}']")
            if control.evaluate("c => c.tagName") == "SELECT":
                control.select_option(value)
            else:
                control.fill(value)
        form.locator("button[type='submit']").focus()
        page.keyboard.press("Enter")
    expect(page.locator(".messages .notice")).to_be_visible()


def state_is(page: Page, words: str) -> None:
    expect(page.locator("dd[data-field='status']")).to_have_text(words)


def work_a_case_to_the_answer(page: Page, console: Console) -> Case:
    """A handler finds the case in their queue, starts the investigation, qualifies and drafts; the local manager
    and the director approve; the handler sends the answer. Each page is checked by axe and kept as a
    screenshot. Returns the case (answered), for what follows (the report's count, the auditor's history)."""
    case = a_complaint_comes_in(console)
    log_in(page, console, TENANT, "handler")
    look(page, "queue")
    open_case_from_queue(page, console, case)
    expect(page.locator("#case-attachments + ul")).to_contain_text("foto-maaltijd.jpg")
    look(page, "case-routed")
    do(page, "investigation")
    state_is(page, "In onderzoek")
    do(page, "qualification", qualification="gegrond")
    state_is(page, "Gekwalificeerd")
    do(page, "answer-draft", text="Wij hebben de leverancier aangesproken; de maaltijden komen weer warm aan.",
       channel="e-mail")
    state_is(page, "Antwoord opgesteld")
    look(page, "case-drafted")
    for role, step in (("manager", "manager"), ("director", "director")):
        page.get_by_role("button", name="Afmelden").click()
        log_in(page, console, TENANT, role)
        page.goto(f"{console.url}/#/cases/{TENANT}/{case.id}")
        do(page, "approvals")
        look(page, f"case-approved-by-{step}")
    page.get_by_role("button", name="Afmelden").click()
    log_in(page, console, TENANT, "handler")
    page.goto(f"{console.url}/#/cases/{TENANT}/{case.id}")
    do(page, "answer")
    state_is(page, "Beantwoord")
    look(page, "case-answered")
    return case


QUALIFIED = "Eindkwalificatie per trefwoord"  # every yearly report's keyword x qualification table


def qualified_total(page: Page, console: Console, year: int) -> int:
    """The manager's report of the year: the cases counted in the keyword x qualification table (its total
    row's last cell), as the page shows it (0 while the table has no total row)."""
    page.goto(f"{console.url}/#/reports/{TENANT}/{year}")
    table = page.locator("section.report-table", has=page.get_by_role("heading", level=2, name=QUALIFIED))
    expect(table).to_be_visible()
    total = table.locator("tr.total td").last
    return int(total.inner_text()) if total.count() else 0


def the_auditor_sees_the_history_and_a_valid_chain(page: Page, console: Console, case: Case) -> None:
    page.get_by_role("button", name="Afmelden").click()
    log_in(page, console, TENANT, "auditor")
    page.goto(f"{console.url}/#/audit/{TENANT}/{case.id}")
    expect(page.locator("[data-valid='true']")).to_be_visible()
    expect(page.locator("table.history")).to_contain_text("Answered")
    look(page, "audit-answered-case")
