"""The acknowledgement-and-admissibility report on each store (PostgreSQL and the embedded SQLite): per month
received, the acknowledgements and admissibility decisions due, taken within the tenant's terms, late, not taken
and overdue today."""

import time
from datetime import datetime, timezone
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient

from complaints.adapters.follower import store_follower
from complaints.adapters.store import Complaints, Submission
from complaints.application.clock import FixedClock
from complaints.model.tenants import load_tenants
from complaints.settings import Settings
from complaints.web.auth import Credentials
from reporting.app import build
from routing.consumer import Routing

TODAY = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CLOCK = FixedClock(TODAY)
FIRE = load_tenants()["brandweer"]
ZERO = dict.fromkeys(["acknowledgements_due", "acknowledged_within", "acknowledged_late", "not_acknowledged",
                      "acknowledgement_overdue", "decisions_due", "decided_within", "decided_late", "inadmissible",
                      "not_decided", "decision_overdue"], 0)


def at(day: str, hours: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hours, tzinfo=timezone.utc)


def receive(store: Complaints, day: str, signal_type: str = "klacht"):
    return store.receive(FIRE, Submission("test"), actor="test", received_at=at(day), channel="e-mail",
                         signal_type=signal_type, subject="Sirenes", text="Elke nacht")[0]


def acknowledge(store: Complaints, case, *, sent: datetime | None) -> None:
    """As the delivery worker records it: the acknowledgement decided on receipt, sent at `sent` (None: never)."""
    message_id = str(uuid4())

    def decide_and_send(complaint) -> None:
        complaint.decide_message(message_id=message_id, kind="acknowledgement", channel="e-mail",
                                 language="nl", actor="system:delivery", at=complaint.received_at)
        if sent is not None:
            complaint.record_sent(message_id=message_id, reply="250 ok", actor="system:delivery", at=sent)
    store.change("brandweer", case.id, decide_and_send)


def inadmissible(store: Complaints, case, when: datetime) -> None:
    store.change("brandweer", case.id, lambda c: c.close_early(
        qualification="niet-ontvankelijk-onbevoegd", reason="not the fire zone's", forward_to=None,
        config_version=FIRE.version, actor="h", at=when))


@pytest.fixture
def settings(any_store_settings: Settings) -> Settings:
    return any_store_settings


@pytest.fixture
def reporting(settings: Settings):
    with TestClient(build(settings, CLOCK)) as client:
        yield client


async def test_the_report_counts_each_term_within_late_and_still_open_per_month(settings, store, reporting):
    on_time = receive(store, "2026-02-02")
    late = receive(store, "2026-02-03")
    waiting = receive(store, "2026-02-10")
    receive(store, "2026-02-11", signal_type="vraag")  # no address, and a question: no term is due
    recent = receive(store, "2026-02-27")  # due on 9 March: not decided, not overdue
    january = receive(store, "2026-01-15")
    merits = receive(store, "2026-01-20")  # qualified on its merits on the 31st, a day late
    routing = Routing(settings, CLOCK)
    try:
        await store_follower(settings, routing, "routing").catch_up()
    finally:
        routing.close()
    acknowledge(store, on_time, sent=at("2026-02-02", 10))
    store.change("brandweer", on_time.id, lambda c: c.start_investigation(actor="h", at=at("2026-02-05")))
    acknowledge(store, late, sent=at("2026-02-14"))  # due on the 13th
    inadmissible(store, late, at("2026-02-15"))
    acknowledge(store, waiting, sent=None)
    inadmissible(store, january, at("2026-01-17"))
    store.change("brandweer", merits.id, lambda c: c.qualify(qualification="ongegrond", config_version=FIRE.version,
                                                             actor="h", at=at("2026-01-31")))

    manager = {"Authorization": "Bearer " + Credentials(store, settings).token_for(
        subject="m@brandweer", tenants=["brandweer"], roles=["manager"])}
    head = store.recorder.max_notification_id()
    deadline = time.monotonic() + 30
    while reporting.app.state.wiring.resources["follower"].position < head:
        assert time.monotonic() < deadline, "the projection did not reach the store's head"
        time.sleep(0.1)

    response = reporting.get("/v1/tenants/brandweer/reports/acknowledgement-and-admissibility",
                             params={"year": 2026}, headers={**manager, "Accept-Language": "nl"})
    assert response.status_code == 200, response.text
    table = response.json()
    assert table["columns"] == ["month", "label", *ZERO]
    rows = {row["month"]: row for row in table["rows"]}
    assert rows[1] == {"month": 1, "label": "januari", **ZERO, "decisions_due": 2, "decided_within": 1,
                       "decided_late": 1, "inadmissible": 1}
    assert rows[2] == {"month": 2, "label": "februari", **ZERO,
                       "acknowledgements_due": 3, "acknowledged_within": 1, "acknowledged_late": 1,
                       "not_acknowledged": 1, "acknowledgement_overdue": 1,
                       "decisions_due": 4, "decided_within": 1, "decided_late": 1, "inadmissible": 1,
                       "not_decided": 2, "decision_overdue": 1}
    assert rows[3] == {"month": 3, "label": "maart", **ZERO}
    assert rows["total"] == {"month": "total", "label": "Totaal", **{k: rows[1][k] + rows[2][k] for k in ZERO}}
    assert recent.id and "2026-03-02" in table["notes"][0]
