"""Publishes every complaint event and every erasure record, in notification order, to the events topic.

The store pushes new events through eventsourcing's `ApplicationSubscription`
(LISTEN/NOTIFY on PostgreSQL; `complaints.adapters.pushed`). Each batch is sent and acknowledged by the
broker before the relay's position (a tracking record named `relay`) moves, so
a crash or a broker outage means republishing, never losing: at-least-once,
and the consumers make the effects exactly-once. The position is saved every
half second rather than per batch (a transaction per batch cost as much as
publishing it): a crash republishes at most that half second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import aclosing
from typing import Any

from eventsourcing.persistence import Tracking
from prometheus_client import Counter, Gauge

from complaints.adapters import kafka, pushed
from complaints.adapters.cloudevents import event_id, to_message
from complaints.adapters.retries import any_error, until_available
from complaints.settings import Settings
from complaints.adapters.store import PUBLISHED_TOPICS, Complaints

log = logging.getLogger(__name__)
NAME = "relay"
BATCH = 500
TOPIC_CHECK_SECONDS = 5.0
CHECKPOINT_SECONDS = 0.5

POSITION = Gauge("relay_position", "Last notification id published and acknowledged")
LAG_EVENTS = Gauge("relay_lag_events", "Complaint events in the store not yet published (counted up to 500)")
PUBLISHED = Counter("relay_published_total", "Events published to the broker")


class Outbox:
    def __init__(self, settings: Settings, store: Complaints) -> None:
        self.settings = settings
        self.store = store
        self.position = 0  # saved
        self.published = 0  # acknowledged by the broker
        self._producer: Any = None
        self._topics_checked = 0.0

    async def run(self) -> None:
        # Whatever breaks (the store's subscription, the broker), start again from the saved position.
        async for attempt in until_available(retry_on=any_error):
            with attempt:
                try:
                    self.position = await asyncio.to_thread(self.store.recorder.max_tracking_id, NAME) or 0
                    self.published = self.position
                    await self._follow()
                finally:
                    await self._drop_producer()

    async def _follow(self) -> None:
        checkpoints = asyncio.create_task(self._checkpoints())
        try:
            async with aclosing(pushed.batches(self.store, gt=self.position, topics=PUBLISHED_TOPICS,
                                               size=BATCH)) as events:
                async for batch in events:
                    await self._publish(batch)
                    self.published = batch[-1][1].notification_id
        finally:
            checkpoints.cancel()
            await asyncio.gather(checkpoints, return_exceptions=True)
            try:
                await self._save()  # a clean stop republishes nothing
            except Exception:  # noqa: BLE001 - the store is away: the next start republishes from the saved one
                pass

    async def _checkpoints(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            await self._save()
            # Counted in complaint events: the store's head may be another aggregate's event (a case-number
            # counter, an idempotency key) that is never published.
            waiting = await asyncio.to_thread(self.store.recorder.select_notifications, start=self.position + 1,
                                              limit=BATCH, topics=PUBLISHED_TOPICS)
            LAG_EVENTS.set(len(waiting))

    async def _save(self) -> None:
        """Saves the published position (what is saved, not merely sent, is the gauge)."""
        if self.published > self.position:
            published = self.published
            await asyncio.to_thread(self.store.recorder.insert_tracking, Tracking(NAME, published))
            self.position = published
        POSITION.set(self.position)

    async def _publish(self, batch: list[tuple[Any, Tracking]]) -> None:
        """Sends the batch until the broker acknowledges all of it (the broker may be away: keep the batch)."""
        async for attempt in until_available(retry_on=any_error):
            with attempt:
                try:
                    await self._send(batch)
                except Exception:
                    await self._drop_producer()
                    raise
        PUBLISHED.inc(len(batch))
        log.debug("published", extra={"count": len(batch), "last_event_id": event_id(batch[-1][0]),
                                     "notification_id": batch[-1][1].notification_id})

    async def _send(self, batch: list[tuple[Any, Tracking]]) -> None:
        # A broker that restarted empty would auto-create the topic with its own defaults (the
        # bundled broker does), so the topics are checked with every new producer and every few
        # seconds; not with every batch: an admin connection per batch cost more than the batch.
        if self._producer is None or time.monotonic() - self._topics_checked > TOPIC_CHECK_SECONDS:
            await kafka.ensure_topics(self.settings)
            self._topics_checked = time.monotonic()
        if self._producer is None:
            self._producer = kafka.producer(self.settings)
            await self._producer.start()
        sent = []
        for domain_event, tracking in batch:
            message = to_message(domain_event, tracking.notification_id)
            sent.append(await self._producer.send(
                self.settings.events_topic, message.value, key=message.key, headers=list(message.headers.items()),
            ))
        await asyncio.gather(*sent)

    async def _drop_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                await producer.stop()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass

