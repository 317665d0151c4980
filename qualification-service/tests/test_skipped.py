"""An event a consumer cannot apply is recorded, listed for managers, and re-driven once the cause is
fixed: the case ends routed and clocked, nothing lost and nothing applied twice."""

from datetime import datetime, timezone

from fastapi.testclient import TestClient

from complaints.adapters.follower import DEAD_LETTERS, store_follower
from complaints.application import reactions
from complaints.application.clock import FixedClock
from complaints.adapters.store import Complaints
from complaints.model.deduplication import Submission
from complaints.model.tenants import load_tenants
from complaints.settings import Settings
from qualification.consumer import Qualification
from reporting.app import build as reporting_app
from routing.consumer import Routing

AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CLOCK = FixedClock(AT)


async def test_a_case_whose_clock_could_not_start_is_recorded_redriven_once_and_nothing_is_lost(
        settings: Settings, store: Complaints, monkeypatch, auth):
    tenant = load_tenants()["brandweer"]
    cases = [store.receive(tenant, Submission("e-loket"), actor="system:e-loket", received_at=AT, channel="e-mail",
                           signal_type="klacht", subject=f"#{n}", text="...")[0] for n in range(3)]
    poisoned = cases[1].id
    start_clock = reactions.start_clock

    def broken(case, *args, **kwargs):  # the cause: as a date the windows could not compute once did
        if case.id == poisoned:
            raise OverflowError("date value out of range")
        return start_clock(case, *args, **kwargs)

    monkeypatch.setattr(reactions, "start_clock", broken)
    routing, qualification = Routing(settings, CLOCK), Qualification(settings, CLOCK)
    follower = store_follower(settings, qualification, "qualification")
    before = DEAD_LETTERS.labels("qualification")._value.get()
    try:
        await store_follower(settings, routing, "routing").catch_up()
        await follower.catch_up()
        assert store.get(poisoned).due_date is None and all(store.get(c.id).due_date for c in cases if c.id != poisoned)
        assert DEAD_LETTERS.labels("qualification")._value.get() == before + 1

        with TestClient(reporting_app(settings, CLOCK)) as reporting:
            listed = reporting.get("/v1/tenants/brandweer/skipped-events", headers=auth["manager"]).json()
            assert [(s["case_id"], s["consumer"], s["event_type"]) for s in listed] == [
                (str(poisoned), "qualification", "Routed")]
            assert "OverflowError" in listed[0]["reason"]
            assert reporting.get("/v1/tenants/brandweer/skipped-events", headers=auth["handler"]).status_code == 403

            monkeypatch.undo()  # the cause is fixed
            asked = reporting.post(f"/v1/tenants/brandweer/complaints/{poisoned}/redrive", headers=auth["manager"])
            assert asked.status_code == 202 and asked.json()["events_asked"] == 1
            assert await follower.redrive_pending() == 1
            assert await follower.redrive_pending() == 0  # asked once, applied once
            again = reporting.post(f"/v1/tenants/brandweer/complaints/{poisoned}/redrive", headers=auth["manager"])
            assert again.json()["events_asked"] == 0
            assert reporting.get("/v1/tenants/brandweer/skipped-events", headers=auth["manager"]).json() == []
            everything = reporting.get("/v1/tenants/brandweer/skipped-events", params={"all": "true"},
                                       headers=auth["manager"]).json()
            assert everything[0]["redriven_at"] is not None

        for case in cases:  # every case routed and clocked, each exactly once
            kinds = [type(e).__name__ for e in store.events.get(case.id)]
            assert kinds == ["Received", "Routed", "ClockStarted"], (case.id == poisoned, kinds)
        assert store.get(poisoned).due_date is not None
    finally:
        await follower.close()
        routing.close()
        qualification.close()
