"""The manager's yearly report and the auditor's record of a case, in the browser: the fire zone's 2023
complaints imported as `make run`'s demo imports them (BZA's register, through intake's import API)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from launcher.demo import load_demo
from launcher.stack import GATEWAY
from tests.browser.conftest import VIEWPORT, Console, log_in, look
from tests.helpers import wait_until

REPORT = "/#/reports/brandweer/2023"
# The charts every yearly report shows: channels, kinds, keyword × qualification, timeliness, months, terms.
TABLES = 6


@pytest.fixture(scope="module")
def bza(console: Console, module_auth: dict[str, dict[str, str]]) -> Console:
    """The console with BZA's 13 complaints of 2023, once the reports count them."""
    assert load_demo(console.stack.url("intake"), module_auth["import"]["X-API-Key"])["created"] == 13
    manager = console.bearer("brandweer", "manager")

    def counted() -> bool:
        answer = httpx.get(f"{console.stack.url(GATEWAY)}/v1/tenants/brandweer/reports/channels",
                           params={"year": 2023}, headers=manager, timeout=10)
        return answer.status_code == 200 and answer.json()["rows"][-1]["cases"] == 13

    wait_until(counted)
    return console


def section(page: Page, heading: str):
    return page.locator("section.report-table", has=page.get_by_role("heading", level=2, name=heading))


def test_the_fire_zones_manager_sees_the_2023_report_as_tables_with_charts_and_downloads_them(
        bza: Console, page: Page) -> None:
    log_in(page, bza, "brandweer", "manager")
    page.goto(bza.url + REPORT)
    expect(page.get_by_role("heading", level=1)).to_contain_text("2023")
    expect(page.locator("section.report-table")).to_have_count(TABLES)
    qualifications = section(page, "Eindkwalificatie per trefwoord")
    total = qualifications.locator("tr.total")
    expect(total.locator("th")).to_have_text("Totaal")
    expect(total.locator("td").last).to_have_text("13")
    expect(qualifications.get_by_role("columnheader", name=re.compile("^Gegrond"))).to_be_visible()
    # Each table has its chart, drawn by Chart.js, whose text alternative is the table beside it.
    charts = page.locator("canvas[role=img]")
    expect(charts).to_have_count(TABLES)
    for i in range(TABLES):
        canvas = charts.nth(i)
        assert page.locator(f"#{canvas.get_attribute('aria-details')}").evaluate("t => t.tagName") == "TABLE"
        assert canvas.evaluate("c => Boolean(window.Chart.getChart(c))")
    expect(page.locator(".problem")).to_have_count(0)  # nothing went wrong on the way (the home's redirect)
    look(page, "report-brandweer-2023")
    page.set_viewport_size({"width": 683, "height": 384})  # a laptop's screen at 200% zoom
    # Nothing sticks out, once the charts have followed the new width (Chart.js resizes on its next frame).
    page.wait_for_function("document.documentElement.scrollWidth <= window.innerWidth")
    look(page, "report-brandweer-2023-zoom-200")
    page.set_viewport_size(VIEWPORT)

    with page.expect_download() as downloaded:
        qualifications.get_by_role("button", name="XLSX").click()
    assert downloaded.value.suggested_filename == "brandweer-qualifications-2023.xlsx"
    sheet = load_workbook(io.BytesIO(Path(downloaded.value.path()).read_bytes())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "category" and rows[-1][0] == "total" and rows[-1][-1] == 13

    with page.expect_download() as downloaded:
        section(page, "Dossiers per kanaal").get_by_role("button", name="CSV").click()
    assert downloaded.value.suggested_filename == "brandweer-channels-2023.csv"
    content = Path(downloaded.value.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    *_, last = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";")
    assert last == ["total", "Totaal", "13", "100,0"]

    # The print view: only the report, each table with its chart, as the PDF a manager would save.
    page.emulate_media(media="print")
    expect(page.locator(".app-header")).to_be_hidden()
    expect(qualifications.locator(".downloads")).to_be_hidden()
    page.screenshot(path=str(page.artifacts / "report-brandweer-2023-print.png"), full_page=True)  # type: ignore
    pdf = page.pdf(path=str(page.artifacts / "report-brandweer-2023.pdf"), format="A4")  # type: ignore
    assert pdf.startswith(b"%PDF")


def test_a_year_is_chosen_in_the_form_and_the_report_reads_in_english_too(bza: Console, page: Page) -> None:
    log_in(page, bza, "brandweer", "manager")
    page.goto(bza.url + REPORT)
    page.get_by_label("Jaar", exact=True).fill("2022")
    page.get_by_role("button", name="Tonen").click()
    expect(page).to_have_url(bza.url + "/#/reports/brandweer/2022")
    expect(section(page, "Dossiers per kanaal").locator("tr.total td").first).to_have_text("0")
    page.get_by_label("Taal").select_option("en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Annual report Brandweer Zone Antwerpen 2022")
    expect(section(page, "Cases per channel").locator("tr.total th")).to_have_text("Total")


def test_the_auditor_sees_a_cases_history_its_state_at_a_moment_and_a_valid_chain(bza: Console, page: Page) -> None:
    log_in(page, bza, "brandweer", "auditor")
    page.get_by_role("navigation").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit van een dossier")
    look(page, "audit-finder")
    expect(page.get_by_role("list", name="Laatst ontvangen dossiers").get_by_role("link")).to_have_count(13)
    page.get_by_label("Dossiernummer").fill("BZA-2023-0003")
    page.get_by_role("button", name="Openen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit van dossier BZA-2023-0003")
    verdict = page.locator(".verdict")
    expect(verdict).to_have_attribute("data-valid", "true")
    expect(verdict).to_contain_text("Geldig")
    history = page.locator("table.history tbody tr")
    expect(history.first).to_contain_text("Received")
    assert history.count() >= 2  # received, then what the register says happened to it
    expect(history.first.locator("td").last).not_to_have_text("–")  # the rules' version that decided it

    page.get_by_role("button", name="Toestand tonen").click()
    expect(page.locator("dd[data-field=status_label]")).not_to_be_empty()
    look(page, "audit-case")

    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Export downloaden (JSON)").click()
    export = json.loads(Path(downloaded.value.path()).read_text())
    assert export["verification"]["valid"] is True and len(export["events"]) == history.count()


def test_every_tenants_report_draws_a_chart_beside_each_of_its_tables(bza: Console, page: Page) -> None:
    """Each tenant's own tables (the city's relative to its contacts, the care company's per entity and month,
    the police zone's keyword tables, ...), even for a year without cases."""
    for tenant in ("stad", "politiezone", "onderwijs", "zorgbedrijf", "woonhaven"):
        log_in(page, bza, tenant, "manager")
        page.goto(f"{bza.url}/#/reports/{tenant}/2023")
        sections = page.locator("section.report-table")
        expect(sections.first).to_be_visible()
        expect(page.locator("canvas[role=img]")).to_have_count(sections.count())
        assert page.evaluate("[...document.querySelectorAll('canvas')].every(c => window.Chart.getChart(c))")
        expect(page.locator(".problem")).to_have_count(0)
        if tenant == "stad":
            look(page, "report-stad-2023")
        page.get_by_role("button", name="Afmelden").click()
