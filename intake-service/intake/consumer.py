"""Intake's wiring: the store, and its workers: retention (events start here; it follows the store only to
know each complainant's cases and when they closed) and the index of the cases each calling system sent."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from complaints.adapters.follower import Follower
from complaints.adapters.readmodel import create_engine
from complaints.adapters.skipped import SkippedEvents
from complaints.adapters.store import Complaints
from complaints.application.audit import Audit
from complaints.application.clock import Clock
from complaints.model.tenants import load_tenants
from complaints.settings import Settings
from complaints.web.app import Together, Wiring
from intake import sent
from intake.retention import TOPICS, ComplainantIndex, Retention


async def wire(settings: Settings, clock: Clock) -> Wiring:
    store = await asyncio.to_thread(Complaints, settings)
    engine = create_engine(settings)
    index = ComplainantIndex(engine, store.personal)
    await index.create_tables(settings)
    # No broker: the index reads the store's head each catch-up interval, so intake still accepts complaints
    # (and is ready) with the broker away.
    follower = Follower(name=index.name, settings=settings, store=store, topics=TOPICS, apply=index.apply,
                        skip=index.skip, load_position=index.position, redrive=index.redrive,
                        skipped=SkippedEvents(engine), listen=False)
    audit = Audit(store, clock, timedelta(seconds=settings.read_log_window_seconds))
    retention = Retention(follower, index, audit, load_tenants(settings.tenants_dir),
                          settings.retention_check_seconds, clock)
    # Which cases each calling system sent, for Open311's lists of a system's own requests.
    requests = sent.SentRequests(engine)
    requests_follower = Follower(name=requests.name, settings=settings, store=store, topics=sent.TOPICS,
                                 apply=requests.apply, skip=requests.skip, load_position=requests.position,
                                 redrive=requests.redrive, skipped=SkippedEvents(engine), listen=False)
    return Wiring(store=store, worker=Together(retention, requests_follower), worker_needed_for_ready=False,
                  resources={"retention": retention, "complainants": follower, "sent_requests": requests,
                             "sent_requests_follower": requests_follower}, close=engine.dispose)
