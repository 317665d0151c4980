"""Reporting's consumer: every complaint event goes into the case projection, and to the live streams."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from complaints.adapters.follower import Follower
from complaints.adapters.readmodel import create_engine
from complaints.adapters.skipped import SkippedEvents
from complaints.application.skipped import SkippedWork
from complaints.web.app import Together, Wiring
from complaints.application.clock import Clock
from complaints.settings import Settings
from complaints.adapters.store import PUBLISHED_TOPICS, Complaints
from complaints.model.tenants import load_tenants
from reporting.changes import Changes
from reporting.projection import CaseProjection

async def wire(settings: Settings, clock: Clock) -> Wiring:
    store = await asyncio.to_thread(Complaints, settings)
    engine = create_engine(settings)
    projection = CaseProjection(engine, load_tenants(settings.tenants_dir))
    await projection.create_tables(settings)
    follower = Follower(name=projection.name, settings=settings, store=store, topics=PUBLISHED_TOPICS,
                        apply=projection.apply, skip=projection.skip, load_position=projection.position,
                        apply_batch=projection.apply_batch, redrive=projection.redrive,
                        skipped=SkippedEvents(engine))

    async def read_model() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    changes = Changes(store, engine, max_streams=settings.max_streams)
    return Wiring(store=store, worker=Together(follower, changes), checks={"read_model": read_model},
                  resources={"projection": projection, "skipped": SkippedWork(SkippedEvents(engine), store),
                             "changes": changes, "follower": follower},
                  close=engine.dispose)
