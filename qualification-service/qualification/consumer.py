"""Qualification's policy: a routed case gets its due date from the tenant's window.

The clock starts on the day the case was received; `ClockStarted` records the
window and configuration version used, so an auditor sees how the date came about.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.utils import get_topic

from complaints.domain import SYSTEM_QUALIFICATION, Complaint
from complaints.follower import store_follower
from complaints.service import Wiring
from complaints.settings import Settings
from complaints.store import Complaints, now
from complaints.tenants import load_tenants
from complaints.windows import due_date


class Qualification(Complaints):
    name = "Complaints"  # the one store every process writes
    topics = (get_topic(Complaint.Routed),)

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.tenants = load_tenants(settings.tenants_dir)

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Only `Routed` matters to the clock for now."""

    @policy.register
    def _(self, domain_event: Complaint.Routed, processing_event: ProcessingEvent[UUID]) -> None:
        complaint: Complaint = self.repository.get(domain_event.originator_id)
        if complaint.due_date is not None or complaint.status == "closed":
            return
        due = due_date(self.tenants[complaint.tenant], signal_type=complaint.signal_type,
                       start=complaint.received_at.date())
        complaint.start_clock(due_date=due.due, window_days=due.days, day_kind=due.day_kind,
                              config_version=due.config_version, actor=SYSTEM_QUALIFICATION, at=now())
        processing_event.collect_events(complaint)


async def wire(settings: Settings) -> Wiring:
    app = await asyncio.to_thread(Qualification, settings)
    return Wiring(store=app, worker=store_follower(settings, app, "qualification"))

