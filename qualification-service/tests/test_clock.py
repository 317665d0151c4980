"""The clock policy on each store (PostgreSQL and the embedded SQLite): a routed case gets its tenant's due
date, once."""

from datetime import date, datetime, timezone

from complaints.adapters.follower import store_follower
from complaints.settings import Settings
from complaints.adapters.store import Submission, Complaints
from complaints.model.tenants import load_tenants
from qualification.consumer import Qualification
from routing.consumer import Routing


async def test_a_routed_school_complaint_is_due_28_days_after_it_was_received(any_store_settings: Settings,
                                                                              any_store: Complaints):
    tenant = load_tenants()["onderwijs"]
    case = any_store.receive(tenant, Submission("test"), actor="test",
                             received_at=datetime(2023, 3, 1, 10, tzinfo=timezone.utc),
                             channel=tenant.channels[0].code, signal_type="klacht", subject="Pesten", text="...")[0]
    routing, qualification = Routing(any_store_settings), Qualification(any_store_settings)
    try:
        await store_follower(any_store_settings, routing, "routing").catch_up()
        clock = store_follower(any_store_settings, qualification, "qualification")
        await clock.catch_up()
        clock.position = 0  # as if the same Routed arrived again
        await clock.catch_up()
    finally:
        routing.close()
        qualification.close()

    events = list(any_store.events.get(case.id))
    assert [type(e).__name__ for e in events] == ["Received", "Routed", "ClockStarted"]
    started = events[-1]
    assert (started.due_date, started.window_days, started.config_version) == (date(2023, 3, 29), 28, tenant.version)
    assert started.actor == "system:qualification"
