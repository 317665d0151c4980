"""Historical import on the real PostgreSQL: the 13 BZA cases of 2023 with their original dates."""

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from complaints.settings import Settings
from intake.app import build
from launcher.demo import demo_items

URL = "/v1/tenants/brandweer/imports"


@pytest.fixture
def client(settings: Settings):
    with TestClient(build(settings)) as client:
        yield client


def test_the_thirteen_bza_cases_of_2023_import_with_their_original_dates(client, auth, store):
    _, items = demo_items()
    started = datetime.now(timezone.utc)
    report = client.post(URL, headers=auth["import"], json={"items": items}).json()
    assert (report["created"], report["already_present"], report["rejected"]) == (13, 0, 0)
    assert sorted(r["case_number"] for r in report["items"]) == [f"BZA-2023-{n:04d}" for n in range(1, 14)]

    first = report["items"][0]
    events = list(store.events.get(first["case_id"]))
    assert [type(e).__name__ for e in events] == ["Received", "Routed", "ClockStarted", "Qualified"]
    received = events[0]
    assert received.occurred_at == datetime(2023, 1, 12, 8, 0, tzinfo=timezone.utc)  # the original time
    assert received.timestamp >= started  # recorded at import time
    assert received.actor == "system:test-import"
    assert events[-1].qualification == "ongegrond"
    assert store.get(first["case_id"]).due_date.isoformat() == "2023-02-11"
    qualifications = sorted(store.get(r["case_id"]).qualification for r in report["items"])
    assert qualifications.count("gegrond") == 5 and qualifications.count("ongegrond") == 6


def test_importing_again_reports_already_present_and_creates_nothing(client, auth):
    _, items = demo_items()
    client.post(URL, headers=auth["import"], json={"items": items})
    again = client.post(URL, headers=auth["import"], json={"items": items}).json()
    assert (again["created"], again["already_present"]) == (0, 13)


def test_a_rejected_item_says_why_and_never_blocks_the_others(client, auth):
    _, items = demo_items()
    bad = [
        {**items[0], "reference": "X-1", "channel": "postduif"},
        {**items[1], "reference": "X-2", "qualification": "half-gegrond"},
        {**items[2], "reference": "X-3", "answered_at": "2023-01-01T00:00:00+01:00"},
        {"reference": "X-4"},
        {**items[3], "reference": "X-5", "received_at": "2099-01-01T00:00:00+01:00"},
        {**items[4], "reference": "X-6", "received_at": "1900-01-01T00:00:00+01:00"},  # before the tenant's floor
    ]
    report = client.post(URL, headers=auth["import"], json={"items": [bad[0], items[0], *bad[1:], items[1]]}).json()
    outcomes = [(r["reference"], r["outcome"]) for r in report["items"]]
    assert outcomes == [("X-1", "rejected"), (items[0]["reference"], "created"), ("X-2", "rejected"),
                        ("X-3", "rejected"), ("X-4", "rejected"), ("X-5", "rejected"), ("X-6", "rejected"),
                        (items[1]["reference"], "created")]
    reasons = {r["reference"]: {e["field"] for e in r["errors"]} for r in report["items"] if r["errors"]}
    assert reasons["X-1"] == {"channel"} and reasons["X-2"] == {"qualification"}
    assert "answered_at" in reasons["X-3"] and {"received_at", "subject", "channel"} <= reasons["X-4"]
    assert reasons["X-5"] == reasons["X-6"] == {"received_at"}


def test_import_needs_the_import_role(client, auth):
    _, items = demo_items()
    assert client.post(URL, headers=auth["intake"], json={"items": items[:1]}).status_code == 403
    assert client.post(URL, json={"items": items[:1]}).status_code == 401


def test_the_import_follows_which_signal_types_the_tenant_qualifies(client, settings, store):
    """The schools rate complaints and reports only: an answered question needs no qualification and may
    not carry one; an answered complaint still needs its qualification."""
    from complaints.web.auth import Credentials

    key = {"X-API-Key": Credentials(store, settings).issue_key(name="register", tenant="onderwijs", role="import")}
    answered = {"received_at": "2023-05-02T09:00:00+02:00", "answered_at": "2023-05-04T09:00:00+02:00",
                "channel": "e-formulier", "subject": "Vraag", "text": "Wanneer is de infoavond?"}
    items = [{"reference": "SO-1", "signal_type": "vraag", **answered},
             {"reference": "SO-2", "signal_type": "vraag", "qualification": "gegrond", **answered},
             {"reference": "SO-3", "signal_type": "klacht", **answered}]
    report = client.post("/v1/tenants/onderwijs/imports", headers=key, json={"items": items}).json()
    outcomes = {r["reference"]: (r["outcome"], [e["field"] for e in r["errors"]]) for r in report["items"]}
    assert outcomes == {"SO-1": ("created", []), "SO-2": ("rejected", ["qualification"]),
                        "SO-3": ("rejected", ["qualification"])}
    assert store.get(report["items"][0]["case_id"]).status == "answered"
