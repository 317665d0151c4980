"""The clock policy on the real PostgreSQL: a routed case gets its tenant's due date, once."""

from datetime import date, datetime, timezone

from complaints.follower import store_follower
from complaints.settings import Settings
from complaints.store import Submission, Complaints
from complaints.tenants import load_tenants
from qualification.consumer import Qualification
from routing.consumer import Routing


async def test_a_routed_school_complaint_is_due_28_days_after_it_was_received(settings: Settings):
    store = Complaints(settings)
    tenant = load_tenants()["onderwijs"]
    case = store.receive(tenant, Submission("test"), actor="test", received_at=datetime(2023, 3, 1, 10, tzinfo=timezone.utc),
                         channel=tenant.channels[0].code, signal_type="klacht", subject="Pesten", text="...")[0]
    await store_follower(settings, Routing(settings), "routing").catch_up()
    clock = store_follower(settings, Qualification(settings), "qualification")
    await clock.catch_up()
    clock.position = 0  # as if the same Routed arrived again
    await clock.catch_up()

    events = list(store.events.get(case.id))
    assert [type(e).__name__ for e in events] == ["Received", "Routed", "ClockStarted"]
    started = events[-1]
    assert (started.due_date, started.window_days, started.config_version) == (date(2023, 3, 29), 28, tenant.version)
    assert started.actor == "system:qualification"
