"""Routing's policy: a received case is routed by its tenant's rules.

`process_event` records the `Routed` event and this consumer's position in one
transaction, so a redelivered `Received` routes nothing twice.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.utils import get_topic

from complaints.domain import SYSTEM_ROUTING, Complaint
from complaints.follower import store_follower
from complaints.service import Wiring
from complaints.routing import choose_team
from complaints.settings import Settings
from complaints.store import Complaints, now
from complaints.tenants import load_tenants


class Routing(Complaints):
    name = "Complaints"  # the one store every process writes
    topics = (get_topic(Complaint.Received),)

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.tenants = load_tenants(settings.tenants_dir)

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Only `Received` matters to routing."""

    @policy.register
    def _(self, domain_event: Complaint.Received, processing_event: ProcessingEvent[UUID]) -> None:
        complaint: Complaint = self.repository.get(domain_event.originator_id)
        if complaint.status != "received":
            return  # already routed (or closed) by hand; the decision stands
        route = choose_team(self.tenants[complaint.tenant], channel=complaint.channel,
                            signal_type=complaint.signal_type, category=complaint.category)
        complaint.route(team=route.team, rule_id=route.rule_id, config_version=route.config_version,
                        actor=SYSTEM_ROUTING, at=now())
        processing_event.collect_events(complaint)


async def wire(settings: Settings) -> Wiring:
    app = await asyncio.to_thread(Routing, settings)
    return Wiring(store=app, worker=store_follower(settings, app, "routing"))

