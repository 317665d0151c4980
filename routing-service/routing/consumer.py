"""Routing's policy: a received case is routed by its tenant's rules, and routed
again by them when a handler sets its category (unless a person rerouted it).

`process_event` records the new event and this consumer's position in one
transaction, so a redelivered event routes nothing twice.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.utils import get_topic

from complaints.model.complaint import SYSTEM_ROUTING, Complaint
from complaints.adapters.follower import store_follower
from complaints.adapters.readmodel import create_engine, migrate
from complaints.adapters.skipped import SkippedEvents
from complaints.web.app import Wiring
from complaints.settings import Settings
from complaints.adapters.store import CaseProcess
from complaints.application import reactions
from complaints.application.clock import Clock


class Routing(CaseProcess):
    topics = (get_topic(Complaint.Received), get_topic(Complaint.CategorySet))

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Only `Received` and `CategorySet` matter to routing."""

    @policy.register
    def _(self, domain_event: Complaint.Received, processing_event: ProcessingEvent[UUID]) -> None:
        case: Complaint = self.repository.get(domain_event.originator_id)
        if reactions.route(case, self.tenants[case.tenant], actor=SYSTEM_ROUTING, at=self.clock.now()):
            processing_event.collect_events(case)

    @policy.register
    def _(self, domain_event: Complaint.CategorySet, processing_event: ProcessingEvent[UUID]) -> None:
        case: Complaint = self.repository.get(domain_event.originator_id)
        if reactions.route_by_category(case, self.tenants[case.tenant], actor=SYSTEM_ROUTING, at=self.clock.now()):
            processing_event.collect_events(case)


async def wire(settings: Settings, clock: Clock) -> Wiring:
    app = await asyncio.to_thread(Routing, settings, clock)
    engine = create_engine(settings)
    await migrate(engine, settings)  # the record of skipped events lives with the read models
    return Wiring(store=app, worker=store_follower(settings, app, "routing", SkippedEvents(engine)),
                  close=engine.dispose)

