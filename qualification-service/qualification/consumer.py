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

from complaints.model.complaint import SYSTEM_QUALIFICATION, Complaint
from complaints.adapters.follower import Follower, store_follower
from complaints.adapters.readmodel import create_engine
from complaints.adapters.skipped import SkippedEvents
from complaints.web.app import Together, Wiring
from complaints.settings import Settings
from complaints.adapters.store import CaseProcess
from complaints.application import reactions
from complaints.application.clock import Clock
from qualification.deadlines import TOPICS as DEADLINE_TOPICS
from qualification.deadlines import DeadlineIndex, Scheduler


class Qualification(CaseProcess):
    topics = (get_topic(Complaint.Routed),)

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Only `Routed` matters to the clock for now."""

    @policy.register
    def _(self, domain_event: Complaint.Routed, processing_event: ProcessingEvent[UUID]) -> None:
        case: Complaint = self.repository.get(domain_event.originator_id)
        if reactions.start_clock(case, self.tenants[case.tenant], routed_at=domain_event.occurred_at,
                                 actor=SYSTEM_QUALIFICATION, at=self.clock.now()):
            processing_event.collect_events(case)


async def wire(settings: Settings, clock: Clock) -> Wiring:
    app = await asyncio.to_thread(Qualification, settings, clock)
    engine = create_engine(settings)
    index = DeadlineIndex(engine, app)
    await index.create_tables(settings)
    skipped = SkippedEvents(engine)  # its table migrated with the index's
    deadlines = Follower(name=index.name, settings=settings, store=app, topics=DEADLINE_TOPICS,
                         apply=index.apply, skip=index.skip, load_position=index.position, redrive=index.redrive,
                         skipped=skipped)
    scheduler = Scheduler(deadlines, index, settings.deadline_check_seconds, clock)
    return Wiring(store=app, worker=Together(store_follower(settings, app, "qualification", skipped), scheduler),
                  resources={"scheduler": scheduler}, close=engine.dispose)

