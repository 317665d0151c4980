"""Intake's wiring: the store and nothing to follow (events start here)."""

from __future__ import annotations

import asyncio

from complaints.adapters.store import Complaints
from complaints.application.clock import Clock
from complaints.settings import Settings
from complaints.web.app import Wiring


async def wire(settings: Settings, clock: Clock) -> Wiring:
    return Wiring(store=await asyncio.to_thread(Complaints, settings))
