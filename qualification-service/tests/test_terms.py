"""The acknowledgement's and the admissibility decision's terms on each store (PostgreSQL and the embedded
SQLite): the scheduler records each term's approaching and breached events once, and each term stops at what it
waits for. The days are passed to the scheduler's check; the clock stands still."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import pytest

from complaints.adapters.follower import store_follower
from complaints.adapters.store import Complaints, Submission
from complaints.application.clock import FixedClock
from complaints.model.tenants import load_tenants
from complaints.settings import Settings
from delivery.consumer import Delivery
from qualification.consumer import wire
from qualification.deadlines import Scheduler
from routing.consumer import Routing

TODAY = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
CLOCK = FixedClock(TODAY)
DAY = timedelta(days=1)
TERM_EVENTS = ("AcknowledgementDeadlineApproaching", "AcknowledgementDeadlineBreached",
               "AdmissibilityDeadlineApproaching", "AdmissibilityDeadlineBreached")


@pytest.fixture
def settings(any_store_settings: Settings) -> Settings:
    """Here `settings`, and so `store`, is `any_store_settings`: each scenario runs on both stores."""
    return any_store_settings


async def received(settings: Settings, store: Complaints, tenant: str, *, days_ago: int, email: str | None = None):
    """A complaint received `days_ago`, routed, and its messages decided and sent by the delivery worker."""
    config = load_tenants()[tenant]
    contact = store.personal.seal(tenant, {"name": "A. Burger", "email": email}) if email else None
    case = store.receive(config, Submission("test"), actor="test", received_at=TODAY - days_ago * DAY,
                         channel="e-mail", signal_type="klacht", subject="Sirenes", text="Elke nacht",
                         complainant=contact)[0]
    for process, name in ((Routing, "routing"), (Delivery, "delivery")):
        app = process(settings, CLOCK)
        try:
            for _ in range(2):  # the delivery worker decides a message, then sends it in a later round
                await store_follower(settings, app, name).catch_up()
        finally:
            app.close()
    return case


@asynccontextmanager
async def scheduler_of(settings: Settings) -> AsyncIterator[Scheduler]:
    wiring = await wire(settings, CLOCK)
    try:
        yield wiring.resources["scheduler"]
    finally:
        await wiring.close()
        wiring.store.close()


async def checked(scheduler: Scheduler, day: datetime) -> int:
    await scheduler.follower.catch_up()
    return await scheduler.check_terms(day.date())


def term_events(store: Complaints, case) -> list[tuple[str, str]]:
    return [(type(e).__name__, str(e.due_date)) for e in store.events.get(case.id) if type(e).__name__ in TERM_EVENTS]


async def test_each_term_warns_and_breaches_once_and_not_again_after_a_restart(settings, store):
    # The acknowledgement could not be delivered (the server refused the recipient): its term keeps running.
    case = await received(settings, store, "brandweer", days_ago=6, email="refused@example.be")
    assert [m["status"] for m in store.get(case.id).messages.values()] == ["failed"]
    async with scheduler_of(settings) as scheduler:
        assert await checked(scheduler, TODAY) == 0
        assert await checked(scheduler, TODAY + DAY) == 2  # 7 days after receipt: three days before the tenth
        assert await checked(scheduler, TODAY + DAY) == 0
        assert await checked(scheduler, TODAY + 5 * DAY) == 2  # the tenth day has passed
        assert await checked(scheduler, TODAY + 5 * DAY) == 0
    async with scheduler_of(settings) as restarted:  # a new process: nothing in memory
        assert await checked(restarted, TODAY + 6 * DAY) == 0
    due = str((TODAY + 4 * DAY).date())
    assert sorted(term_events(store, case)) == sorted((name, due) for name in TERM_EVENTS)
    assert [e.actor for e in store.events.get(case.id) if type(e).__name__ in TERM_EVENTS] == \
        ["system:qualification"] * 4


async def test_the_care_companys_acknowledgement_at_once_breaches_the_next_day_without_a_warning(settings, store):
    case = await received(settings, store, "zorgbedrijf", days_ago=0, email="refused@example.be")
    async with scheduler_of(settings) as scheduler:
        assert await checked(scheduler, TODAY) == 0
        assert await checked(scheduler, TODAY + DAY) == 1
    assert term_events(store, case) == [("AcknowledgementDeadlineBreached", str(TODAY.date()))]


async def test_the_acknowledgement_term_stops_when_the_acknowledgement_is_sent(settings, store):
    case = await received(settings, store, "brandweer", days_ago=6, email="burger@example.be")
    sent = store.get(case.id)
    assert sent.acknowledged_at is not None
    async with scheduler_of(settings) as scheduler:
        assert await checked(scheduler, TODAY + 5 * DAY) == 2  # the admissibility decision's only
    assert [name for name, _ in term_events(store, case)] == ["AdmissibilityDeadlineApproaching",
                                                              "AdmissibilityDeadlineBreached"]


async def test_the_admissibility_term_stops_when_the_investigation_starts_or_the_case_is_closed_inadmissible(
        settings, store):
    investigated = await received(settings, store, "brandweer", days_ago=30)
    inadmissible = await received(settings, store, "brandweer", days_ago=30)
    qualified = await received(settings, store, "brandweer", days_ago=30)
    untouched = await received(settings, store, "brandweer", days_ago=30)
    store.change("brandweer", investigated.id, lambda case: case.start_investigation(actor="h", at=TODAY))
    store.change("brandweer", inadmissible.id, lambda case: case.close_early(
        qualification="niet-ontvankelijk-onbevoegd", reason="not the fire zone's", forward_to=None,
        config_version="x", actor="h", at=TODAY))
    store.change("brandweer", qualified.id, lambda case: case.qualify(qualification="ongegrond", config_version="x",
                                                                      actor="h", at=TODAY))
    async with scheduler_of(settings) as scheduler:
        await scheduler.follower.catch_up()
        assert [row.case_id for row in await scheduler.index.due_terms(TODAY.date())] == [str(untouched.id)]
        assert await checked(scheduler, TODAY) == 2  # after downtime: both events of the untouched case at once
        assert await checked(scheduler, TODAY) == 0
    assert term_events(store, investigated) == term_events(store, inadmissible) == term_events(store, qualified) == []
    assert [name for name, _ in term_events(store, untouched)] == ["AdmissibilityDeadlineApproaching",
                                                                   "AdmissibilityDeadlineBreached"]
    assert [store.get(case.id).admissibility for case in (investigated, inadmissible, qualified)] == \
        ["admissible", "inadmissible", "qualified"]
