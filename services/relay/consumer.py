"""The relay's wiring: it consumes the store (not the broker) and produces to the broker."""

from __future__ import annotations

import asyncio

from complaints.web.app import Wiring
from complaints.application.clock import Clock
from complaints.settings import Settings
from complaints.adapters.store import Complaints
from relay.outbox import Outbox


async def wire(settings: Settings, clock: Clock) -> Wiring:
    store = await asyncio.to_thread(Complaints, settings)
    return Wiring(store=store, worker=Outbox(settings, store))
