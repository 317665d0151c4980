"""Publishes every complaint event, in notification order, to the events topic.

The store pushes new events through eventsourcing's `ApplicationSubscription`
(LISTEN/NOTIFY on PostgreSQL). Each batch is sent and acknowledged by the
broker before the relay's position (a tracking record named `relay`) moves, so
a crash or a broker outage means republishing, never losing: at-least-once,
and the consumers make the effects exactly-once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import ApplicationSubscription
from prometheus_client import Counter, Gauge

from complaints import kafka
from complaints.cloudevents import event_id, to_message
from complaints.settings import Settings
from complaints.store import COMPLAINT_EVENT_TOPICS, Complaints

log = logging.getLogger(__name__)
NAME = "relay"
BATCH = 500

POSITION = Gauge("relay_position", "Last notification id published and acknowledged")
LAG_EVENTS = Gauge("relay_lag_events", "Notifications in the store not yet published")
PUBLISHED = Counter("relay_published_total", "Events published to the broker")


class Outbox:
    def __init__(self, settings: Settings, store: Complaints) -> None:
        self.settings = settings
        self.store = store
        self.position = 0
        self._producer: Any = None

    async def run(self) -> None:
        self.position = await asyncio.to_thread(self.store.recorder.max_tracking_id, NAME) or 0
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - resubscribe from the saved position
                log.warning("relay restarting", extra={"error": repr(exc)})
                await asyncio.sleep(1)
            finally:
                await self._drop_producer()

    async def _follow(self) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=2 * BATCH)
        subscription = ApplicationSubscription(self.store, gt=self.position, topics=COMPLAINT_EVENT_TOPICS)
        pump = threading.Thread(target=_pump, args=(subscription, queue, loop), daemon=True, name="relay-pump")
        pump.start()
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                batch = [item]
                while len(batch) < BATCH and not queue.empty():
                    more = queue.get_nowait()
                    if isinstance(more, BaseException):
                        queue.put_nowait(more)
                        break
                    batch.append(more)
                await self._publish(batch)
                acknowledged = batch[-1][1].notification_id
                await asyncio.to_thread(self.store.recorder.insert_tracking, Tracking(NAME, acknowledged))
                self.position = acknowledged  # what is saved, not merely sent
                POSITION.set(self.position)
                head = await asyncio.to_thread(self.store.recorder.max_notification_id) or 0
                LAG_EVENTS.set(max(head - self.position, 0))
        finally:
            subscription.stop()

    async def _publish(self, batch: list[tuple[Any, Tracking]]) -> None:
        """Sends the batch until the broker acknowledges all of it."""
        while True:
            try:
                # Every batch: a broker that restarted empty would otherwise auto-create
                # the topic with its own defaults (the bundled broker does).
                await kafka.ensure_topics(self.settings)
                if self._producer is None:
                    self._producer = kafka.producer(self.settings)
                    await self._producer.start()
                sent = []
                for domain_event, tracking in batch:
                    message = to_message(domain_event, tracking.notification_id)
                    sent.append(await self._producer.send(
                        self.settings.events_topic, message.value, key=message.key,
                        headers=list(message.headers.items()),
                    ))
                await asyncio.gather(*sent)
                PUBLISHED.inc(len(batch))
                log.info("published", extra={"count": len(batch), "last_event_id": event_id(batch[-1][0]),
                                             "notification_id": batch[-1][1].notification_id})
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the broker is away: keep the batch, retry
                log.warning("publish failed, retrying", extra={"error": repr(exc), "position": self.position})
                await self._drop_producer()
                await asyncio.sleep(1)

    async def _drop_producer(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            try:
                await producer.stop()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass


def _pump(subscription: ApplicationSubscription[Any], queue: asyncio.Queue[Any], loop: asyncio.AbstractEventLoop) -> None:
    """Moves the blocking subscription's events onto the event loop, with back-pressure."""
    try:
        for item in subscription:
            asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()
    except BaseException as exc:  # noqa: BLE001 - handed to the loop, which restarts
        if not loop.is_closed():
            asyncio.run_coroutine_threadsafe(queue.put(exc), loop)
        return
    if not loop.is_closed():
        asyncio.run_coroutine_threadsafe(queue.put(ConnectionError("subscription ended")), loop)
