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
from complaints.web.app import Wiring
from complaints.model.routing import Route, choose_team
from complaints.settings import Settings
from complaints.adapters.store import CaseProcess
from complaints.application.clock import Clock


class Routing(CaseProcess):
    topics = (get_topic(Complaint.Received), get_topic(Complaint.CategorySet))

    def _route(self, complaint: Complaint) -> Route:
        return choose_team(self.tenants[complaint.tenant], channel=complaint.channel,
                           signal_type=complaint.signal_type, category=complaint.category,
                           district=complaint.district, entity=complaint.entity)

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Only `Received` and `CategorySet` matter to routing."""

    @policy.register
    def _(self, domain_event: Complaint.Received, processing_event: ProcessingEvent[UUID]) -> None:
        complaint: Complaint = self.repository.get(domain_event.originator_id)
        if complaint.status != "received":
            return  # already routed, rerouted or closed by hand: that decision stands
        route = self._route(complaint)
        complaint.route(team=route.team, rule_id=route.rule_id, config_version=route.config_version,
                        actor=SYSTEM_ROUTING, at=self.clock.now())
        processing_event.collect_events(complaint)

    @policy.register
    def _(self, domain_event: Complaint.CategorySet, processing_event: ProcessingEvent[UUID]) -> None:
        """A case routed by channel and type alone is routed again once a handler knows its category."""
        complaint: Complaint = self.repository.get(domain_event.originator_id)
        if complaint.status in ("received", "closed") or complaint.routed_by_hand:
            return
        route = self._route(complaint)
        if route.team != complaint.team:
            complaint.reroute(team=route.team, reason=f"category set to {complaint.category!r}",
                              rule_id=route.rule_id, config_version=route.config_version,
                              actor=SYSTEM_ROUTING, at=self.clock.now())
            processing_event.collect_events(complaint)


async def wire(settings: Settings, clock: Clock) -> Wiring:
    app = await asyncio.to_thread(Routing, settings, clock)
    return Wiring(store=app, worker=store_follower(settings, app, "routing"))

