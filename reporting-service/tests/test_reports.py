"""The yearly tables and the queue, on the real PostgreSQL and broker, from cases imported through intake."""

import codecs
import csv
import io
import random
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from complaints.web.auth import Credentials

from complaints.settings import Settings
from complaints.adapters.store import Complaints
from complaints.model.tenants import load_tenants
from complaints.model.windows import due_date, lead_time
from intake.app import build as intake_app
from launcher.demo import demo_items
from reporting.app import build
from reporting.downloads import XLSX

T = load_tenants()


@pytest.fixture
def reporting(settings: Settings):
    app = build(settings)
    app.state.tenants = T
    with TestClient(app) as client:
        yield client


@pytest.fixture
def tokens(settings: Settings):
    store = Complaints(settings)
    credentials = Credentials(store, settings)

    def token(tenant: str, role: str, team: str | None = None) -> dict[str, str]:
        return {"Authorization": "Bearer " + credentials.token_for(subject=f"{role}@{tenant}", tenants=[tenant],
                                                                    roles=[role], team=team)}

    keys = {t: {"X-API-Key": credentials.issue_key(name="register", tenant=t, role="import")} for t in T}
    yield token, keys
    store.close()


def import_cases(settings: Settings, keys, tenant: str, items: list[dict]) -> dict:
    with TestClient(intake_app(settings)) as intake:
        report = intake.post(f"/v1/tenants/{tenant}/imports", headers=keys[tenant], json={"items": items}).json()
    assert report["rejected"] == 0, report
    return report


def projected(reporting, headers, tenant: str, count: int) -> None:
    """Waits until the projection holds the tenant's cases and has applied every event in the store."""
    wiring = reporting.app.state.wiring
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        head = wiring.store.recorder.max_notification_id() or 0
        if reporting.get(f"/v1/tenants/{tenant}/reports/channel-status", headers=headers).json()["total"] == count \
                and wiring.resources["follower"].position >= head:
            return
        time.sleep(0.2)
    raise AssertionError(f"the projection did not reach {count} cases of {tenant}")


def report(reporting, headers, tenant: str, name: str, year: int) -> dict:
    response = reporting.get(f"/v1/tenants/{tenant}/reports/{name}", params={"year": year}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_bza_2023_cases_give_exactly_the_fire_zones_published_table(reporting, settings, tokens):
    token, keys = tokens
    _, items = demo_items()
    import_cases(settings, keys, "brandweer", items)
    manager = token("brandweer", "manager")
    projected(reporting, manager, "brandweer", 13)

    table = report(reporting, manager, "brandweer", "qualifications", 2023)
    rows = {r["category"]: r for r in table["rows"]}
    assert {k: rows["total"][k] for k in ("total", "gegrond", "ongegrond", "niet-ontvankelijk-onbevoegd", "betwist")} \
        == {"total": 13, "gegrond": 5, "ongegrond": 6, "niet-ontvankelijk-onbevoegd": 1, "betwist": 1}
    published = {  # category: (n, gegrond, ongegrond, onbevoegd, betwist), as the seed prints it
        "overlast": (2, 0, 2, 0, 0), "dienstverlening": (6, 2, 4, 0, 0), "voorbeeldgedrag-verkeer": (3, 2, 0, 0, 1),
        "discriminatie": (1, 1, 0, 0, 0), "overig": (1, 0, 0, 1, 0), "bereikbaarheid": (0, 0, 0, 0, 0),
        "deontologie-integriteit": (0, 0, 0, 0, 0), "facturatie": (0, 0, 0, 0, 0), "schadegeval": (0, 0, 0, 0, 0),
        "wachttijd-na-oproep": (0, 0, 0, 0, 0), "bevoegdheidsoverschrijding": (0, 0, 0, 0, 0)}
    for category, expected in published.items():
        r = rows[category]
        assert (r["total"], r["gegrond"], r["ongegrond"], r["niet-ontvankelijk-onbevoegd"], r["betwist"]) == expected
    assert table["counted_by"].startswith("A case counts in the year it was received.")

    channels = {r["channel"]: r["cases"] for r in report(reporting, manager, "brandweer", "channels", 2023)["rows"]}
    assert channels == {"e-mail": 7, "klantenmanagement-stad": 2, "zonecommandant": 2, "kabinet-burgemeester": 1,
                        "sociale-media": 1, "total": 13}
    for_programs = reporting.get("/v1/tenants/brandweer/reports/channels", params={"year": 2023, "sep": ","},
                                 headers={**manager, "Accept": "text/csv"})
    assert for_programs.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(for_programs.text)))[-1] == {
        "channel": "total", "label": "Total", "cases": "13", "share_pct": "100.0"}
    assert report(reporting, manager, "brandweer", "channels", 2022)["rows"] == [
        {"channel": "total", "label": "Total", "cases": 0, "share_pct": 0.0}]


def generated(tenant: str, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    config = T[tenant]
    people = ["a@example.be", "B@Example.be ", "c@example.be", None]
    items = []
    for i in range(n):
        received = datetime(2023, 1, 2, 9, tzinfo=timezone.utc) + timedelta(days=rng.randrange(0, 340))
        kind = rng.choice(config.signal_types).code
        item = {"reference": f"G-{seed}-{i}", "received_at": received.isoformat(),
                "channel": rng.choice(config.channels).code, "signal_type": kind,
                "category": rng.choice([None, *[c.code for c in config.categories_for((kind,))]]),
                "subject": f"Case {i}", "text": "..."}
        if email := rng.choice(people):
            item["complainant"] = {"email": email.strip()}
        if rng.random() < 0.7:
            if config.qualifies(kind):  # the tenant's rule: only some kinds are qualified
                item["qualification"] = rng.choice(config.qualifications).code
            answered = received + timedelta(days=rng.randrange(1, 40))
            item["answered_at"] = answered.isoformat()
            if rng.random() < 0.5:
                item["closed_at"] = (answered + timedelta(days=1)).isoformat()
        items.append(item)
    return items


def test_each_report_matches_a_naive_count_of_generated_cases(reporting, settings, tokens):
    token, keys = tokens
    items = generated("stad", 60, seed=7)
    import_cases(settings, keys, "stad", items)
    manager = token("stad", "manager")
    projected(reporting, manager, "stad", 60)
    city = T["stad"]

    channels = {r["channel"]: r["cases"] for r in report(reporting, manager, "stad", "channels", 2023)["rows"]}
    assert channels == {**Counter(i["channel"] for i in items), "total": 60}

    rows = report(reporting, manager, "stad", "kinds", 2023)["rows"]
    kinds = {r["signal_type"]: (r["cases"], r["share_pct"]) for r in rows}
    for kind, n in Counter(i["signal_type"] for i in items).items():
        assert kinds[kind][0] == n and abs(kinds[kind][1] - 100 * n / 60) < 0.1  # rounded up or down
    assert round(sum(share for kind, (_, share) in kinds.items() if kind != "total"), 1) == 100.0

    cross = {r["category"]: r for r in report(reporting, manager, "stad", "qualifications", 2023)["rows"]}
    for (category, qualification), n in Counter((i["category"], i.get("qualification")) for i in items).items():
        assert cross[category][qualification or "not-qualified"] == n
    assert cross["total"]["total"] == 60

    timeliness = {r["signal_type"]: r for r in report(reporting, manager, "stad", "timeliness", 2023)["rows"]}
    for kind in {i["signal_type"] for i in items}:
        of_kind = [i for i in items if i["signal_type"] == kind]
        answered = [i for i in of_kind if "answered_at" in i]
        start = lambda i: datetime.fromisoformat(i["received_at"]).date()  # noqa: E731
        end = lambda i: datetime.fromisoformat(i["answered_at"]).date()  # noqa: E731
        within = sum(1 for i in answered if end(i) <= due_date(city, signal_type=kind, start=start(i)).due)
        leads = [lead_time(city, signal_type=kind, received=start(i), answered=end(i)) for i in answered]
        row = timeliness[kind]
        assert (row["cases"], row["answered_within"], row["answered_outside"], row["open"]) == \
            (len(of_kind), within, len(answered) - within, len(of_kind) - len(answered))
        assert row["average_lead_time_days"] == (round(sum(leads) / len(leads), 1) if leads else None)

    months = report(reporting, manager, "stad", "monthly", 2023)["rows"]
    assert [m["new"] for m in months] == [sum(1 for i in items if i["received_at"][5:7] == f"{m:02d}")
                                          for m in range(1, 13)]
    repeated = report(reporting, manager, "stad", "repeated", 2023)["rows"]
    by_email = Counter(i["complainant"]["email"].lower() for i in items if "complainant" in i)
    assert sorted(r["cases"] for r in repeated) == sorted(n for n in by_email.values() if n > 1)
    overdue = report(reporting, manager, "stad", "open-overdue", 2023)["rows"][-1]["overdue"]
    assert overdue == sum(1 for i in items if "answered_at" not in i)  # every 2023 case is past due by now


def excel_cell(value) -> str:
    """A JSON value as a Dutch or French Excel reads it: a decimal comma, nothing for none."""
    return "" if value is None else str(value).replace(".", ",") if isinstance(value, float) else str(value)


def test_a_table_downloads_as_a_workbook_and_as_a_csv_excel_opens_with_the_rows_and_totals_of_its_json(
        reporting, settings, tokens):
    token, keys = tokens
    import_cases(settings, keys, "stad", generated("stad", 12, seed=3))
    manager = token("stad", "manager")
    projected(reporting, manager, "stad", 12)
    for name in ("kinds", "qualifications", "timeliness"):  # shares, a cross-table, averages and blanks
        table = report(reporting, manager, "stad", name, 2023)
        as_xlsx = reporting.get(f"/v1/tenants/stad/reports/{name}", params={"year": 2023, "format": "xlsx"},
                                headers=manager)
        assert as_xlsx.headers["content-type"] == XLSX
        assert as_xlsx.headers["content-disposition"] == f'attachment; filename="stad-{name}-2023.xlsx"'
        sheet = load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]
        header, *rows = sheet.iter_rows(values_only=True)
        assert list(header) == table["columns"]
        assert [dict(zip(header, row)) for row in rows] == table["rows"]  # numbers as numbers, blanks as None

        as_csv = reporting.get(f"/v1/tenants/stad/reports/{name}", params={"year": 2023},
                               headers={**manager, "Accept": "text/csv"})
        assert as_csv.content.startswith(codecs.BOM_UTF8) and b"\r\n" in as_csv.content
        header, *rows = csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"), newline=""), delimiter=";")
        assert header == table["columns"]
        assert rows == [[excel_cell(r.get(c)) for c in table["columns"]] for r in table["rows"]]
    as_xlsx = reporting.get("/v1/tenants/stad/reports/kinds", params={"year": 2023},
                            headers={**manager, "Accept": XLSX})
    assert load_workbook(io.BytesIO(as_xlsx.content)).worksheets[0]["A1"].value == "signal_type"


def test_reports_and_the_queue_never_mix_tenants(reporting, settings, tokens):
    token, keys = tokens
    import_cases(settings, keys, "stad", generated("stad", 5, seed=1))
    housing_items = generated("woonhaven", 7, seed=2)
    import_cases(settings, keys, "woonhaven", housing_items)
    city, housing = token("stad", "manager"), token("woonhaven", "manager")
    projected(reporting, housing, "woonhaven", 7)
    projected(reporting, city, "stad", 5)
    def rows(name):
        return report(reporting, housing, "woonhaven", name, 2023)["rows"]

    assert rows("channels")[-1]["cases"] == 7
    assert rows("kinds")[-1]["cases"] == 7
    # The qualifications table counts the kinds the housing company qualifies (complaints).
    assert rows("qualifications")[-1]["total"] == sum(i["signal_type"] == "klacht" for i in housing_items)
    assert rows("timeliness")[-1]["cases"] == 7  # the total row
    assert {r["cases"] for r in rows("within-days")} == {7}
    assert sum(r["new"] for r in rows("monthly")) == 7
    assert rows("open-overdue")[-1]["overdue"] <= 7
    assert reporting.get("/v1/tenants/stad/reports/channels", params={"year": 2023}, headers=housing).status_code == 403
    assert reporting.get("/v1/tenants/stad/queue", headers=housing).status_code == 403
    assert all(item["case_number"].startswith("WH-")
               for item in reporting.get("/v1/tenants/woonhaven/queue", headers=housing).json()["items"])


def test_the_queue_puts_overdue_first_then_by_due_date_and_pages_with_a_cursor(reporting, settings, tokens):
    token, keys = tokens
    today = datetime.now(timezone.utc).replace(hour=9, minute=0, second=0, microsecond=0)
    ages = [40, 5, 35, 1, 20, 60, 2, 33]  # days ago; the fire zone answers in 30 days
    items = [{"reference": f"Q-{n}", "received_at": (today - timedelta(days=age)).isoformat(), "channel": "e-mail",
              "signal_type": "klacht", "category": "overlast" if n % 2 else "dienstverlening",
              "subject": f"Sirenes {n}" if n == 3 else f"Klacht {n}", "text": "..."} for n, age in enumerate(ages)]
    import_cases(settings, keys, "brandweer", items)
    manager = token("brandweer", "manager")
    projected(reporting, manager, "brandweer", len(items))

    pages, cursor = [], None
    while True:
        page = reporting.get("/v1/tenants/brandweer/queue", headers=manager,
                             params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    order = [c["subject"] for page in pages for c in page]
    expected = [f"Klacht {n}" if n != 3 else "Sirenes 3" for n, _ in sorted(enumerate(ages), key=lambda p: -p[1])]
    assert order == expected and [len(p) for p in pages] == [3, 3, 2]

    overdue = reporting.get("/v1/tenants/brandweer/queue", headers=manager, params={"overdue": "true"}).json()
    assert {c["subject"] for c in overdue["items"]} == {"Klacht 0", "Klacht 2", "Klacht 5", "Klacht 7"}
    found = reporting.get("/v1/tenants/brandweer/queue", headers=manager, params={"q": "sirenes"}).json()["items"]
    assert [c["subject"] for c in found] == ["Sirenes 3"]
    by_category = reporting.get("/v1/tenants/brandweer/queue", headers=manager,
                                params={"category": "overlast"}).json()["items"]
    assert {c["category"] for c in by_category} == {"overlast"} and len(by_category) == 4

    handler = token("brandweer", "handler", team="financien")
    assert reporting.get("/v1/tenants/brandweer/queue", headers=handler).json()["items"] == []
    assert reporting.get("/v1/tenants/brandweer/queue", headers=handler,
                         params={"team": "communicatie"}).status_code == 403
