"""Qualification's policy: a routed case gets its due date from the tenant's window.

`ClockStarted` records the start day, the window, the calendar, the ceiling and
the configuration version used, so an auditor sees how the date came about.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.utils import get_topic

from complaints.domain import SYSTEM_QUALIFICATION, Complaint
from complaints.follower import Follower, store_follower
from complaints.readmodel import create_engine
from complaints.service import Together, Wiring
from complaints.settings import Settings
from complaints.store import CaseProcess, now
from complaints.windows import due_date
from qualification.deadlines import TOPICS as DEADLINE_TOPICS
from qualification.deadlines import DeadlineIndex, Scheduler


class Qualification(CaseProcess):
    topics = (get_topic(Complaint.Routed),)

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Only `Routed` matters to the clock for now."""

    @policy.register
    def _(self, domain_event: Complaint.Routed, processing_event: ProcessingEvent[UUID]) -> None:
        complaint: Complaint = self.repository.get(domain_event.originator_id)
        if complaint.due_date is not None or complaint.status == "closed":
            return
        tenant = self.tenants[complaint.tenant]
        # The clock starts on the day the case came in, or was routed where the tenant says so.
        start = (domain_event.occurred_at if tenant.clock_starts == "routed" else complaint.received_at).date()
        due = due_date(tenant, signal_type=complaint.signal_type, start=start)
        complaint.start_clock(due=due, started_on=start, actor=SYSTEM_QUALIFICATION, at=now())
        processing_event.collect_events(complaint)


async def wire(settings: Settings) -> Wiring:
    app = await asyncio.to_thread(Qualification, settings)
    engine = create_engine(settings)
    index = DeadlineIndex(engine, app)
    await index.create_tables()
    deadlines = Follower(name=index.name, settings=settings, store=app, topics=DEADLINE_TOPICS,
                         apply=index.apply, skip=index.skip, load_position=index.position)
    scheduler = Scheduler(deadlines, index, settings.deadline_check_seconds)
    return Wiring(store=app, worker=Together(store_follower(settings, app, "qualification"), scheduler),
                  resources={"scheduler": scheduler}, close=engine.dispose)

