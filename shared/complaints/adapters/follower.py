"""The consumer loop every service shares.

A follower applies the store's events to one consumer's effect strictly in
notification order. The broker is how it hears of new events (each message
carries the notification id as its CloudEvents `sequence`); the store is what
it reads them from. So a redelivered message is below the position and changes
nothing, a gap is read from the store, and when the broker is silent (or has
lost its memory) the follower reads the store's head itself every
`catch_up_interval_seconds`. The effect and the position are written in one
transaction by the `apply` callable; Kafka offsets are committed only after
the events they point at are applied.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Notification, Tracking
from prometheus_client import Counter, Gauge

from complaints.adapters import kafka
from complaints.adapters.readmodel import create_engine, migrate
from complaints.adapters.retries import any_error, transient, until_available
from complaints.adapters.skipped import SkippedEvents
from complaints.adapters.cloudevents import event_id, event_type, sequence_of, to_message
from complaints.settings import Settings
from complaints.adapters.store import PUBLISHED_TOPICS, Complaints
from complaints.model.tenants import load_tenants

log = logging.getLogger(__name__)
# A case stream that moved under an event being applied is read again and the event applied again: this many
# times (some four seconds in all) before it counts as skipped.
CONFLICT_ATTEMPTS = 12

POSITION = Gauge("consumer_position", "Last notification id applied", ["consumer"])
LAG_EVENTS = Gauge("consumer_lag_events", "Notifications in the store not yet applied", ["consumer"])
LAG_SECONDS = Gauge("consumer_lag_seconds", "Seconds the consumer has been behind the store", ["consumer"])
RECEIVED = Counter("consumer_messages_received_total", "Messages received from the broker", ["consumer"])
APPLIED = Counter("consumer_events_applied_total", "Events applied", ["consumer"])
DUPLICATES = Counter("consumer_duplicates_total", "Events found already applied", ["consumer"])
DEAD_LETTERS = Counter("consumer_dead_letters_total", "Events or messages moved to the dead-letter topic", ["consumer"])

Apply = Callable[[Any, Tracking], Awaitable[None]]
Redrive = Callable[[Any, int], Awaitable[bool | None]]


class NotYet(Exception):
    """A re-driven event whose effect cannot happen yet (the mail server is still away): nothing is recorded,
    and the re-drive stays asked for, to be tried again at the next round."""
ApplyBatch = Callable[[list[tuple[Any, int]]], Awaitable[None]]
LoadPosition = Callable[[], Awaitable[int | None]]
BATCH = 200
EVENT_TYPES = frozenset(event_type(topic) for topic in PUBLISHED_TOPICS)
# Offsets only say where to resume listening (the position in the store decides what is applied), so they
# are committed once a second, not per batch: a restart re-reads at most that second, below the position.
OFFSET_COMMIT_SECONDS = 1.0
DRAIN_SECONDS = 10.0  # on shutdown, how long the event in hand may take to commit


class Follower:
    def __init__(
        self,
        *,
        name: str,
        settings: Settings,
        store: Complaints,
        topics: Sequence[str],
        apply: Apply,
        skip: Callable[[Tracking], Awaitable[None]],
        load_position: LoadPosition,
        apply_batch: ApplyBatch | None = None,
        redrive: Redrive | None = None,
        skipped: SkippedEvents | None = None,
        listen: bool = True,
    ) -> None:
        self.name = name
        # Without listening it reads the store's head every catch-up interval and needs no broker at all.
        self.listen = listen
        self.settings = settings
        self.store = store
        self.topics = tuple(topics)
        # Only these wake it: an event of another type is passed over when the next one of these (or the
        # periodic catch-up) moves the position, which saves two queries per event it does not apply.
        self.wanted = frozenset(event_type(topic) for topic in self.topics)
        self.apply = apply
        self.skip = skip
        self.load_position = load_position
        self.apply_batch = apply_batch
        self.redrive = redrive  # applies a skipped event again, exactly once, when a re-drive is asked for
        # The record of skipped events: the service's own (its wiring migrated the table and closes it),
        # or, for a follower made on its own (tests, tools), one opened on first use and closed by `close`.
        self._skipped, self._owns_skipped = skipped, skipped is None
        self._next_redrive_check = 0.0  # re-drives asked for are looked for once per catch-up interval
        self.tenants = frozenset(load_tenants(settings.tenants_dir))  # a message of another tenant is not ours
        self.position = 0
        self.head = 0
        self.broker_connected = False
        self._wanted = 0
        self._wake = asyncio.Event()
        self._advanced = asyncio.Condition()
        self._behind_since: float | None = None
        self._producer: Any = None

    # --- running -------------------------------------------------------------
    async def run(self) -> None:
        async for attempt in until_available():
            with attempt:
                self.position = await self.load_position() or 0
        POSITION.labels(self.name).set(self.position)
        listener = asyncio.create_task(self._listen(), name=f"{self.name}-listen") if self.listen else None
        try:
            await self._apply_loop()
        finally:
            if listener is not None:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)
            await self.close()

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        if self._skipped is not None and self._owns_skipped:
            await self._skipped.engine.dispose()
            self._skipped = None

    async def skipped(self) -> SkippedEvents:
        """The record of skipped events, opened (and its table migrated) on first use: most followers
        never skip anything."""
        if self._skipped is None:
            engine = create_engine(self.settings)
            try:
                await migrate(engine, self.settings)
            except BaseException:  # cancelled (a stopping service) or failed: `close` would not know of it
                await engine.dispose()
                raise
            self._skipped = SkippedEvents(engine)
        return self._skipped

    async def _listen(self) -> None:
        """Hears of new events from the broker; reconnects for as long as it runs (the store still serves)."""
        async for attempt in until_available(retry_on=any_error):
            with attempt:
                await self._listen_once()

    async def _listen_once(self) -> None:
        consumer = kafka.consumer(self.settings, group_id=kafka.group_id(self.settings, self.name))
        try:
            await consumer.start()
            self.broker_connected = True
            committed_at, uncommitted = 0.0, False
            while True:
                batch = await consumer.getmany(timeout_ms=1000, max_records=500)
                highest = 0
                for messages in batch.values():
                    RECEIVED.labels(self.name).inc(len(messages))
                    for message in messages:
                        highest = max(highest, await self._sequence(message))
                if highest:
                    self._wanted = max(self._wanted, highest)
                    self._wake.set()
                    await self._until_applied(highest)
                uncommitted = uncommitted or bool(batch)
                if uncommitted and time.monotonic() - committed_at >= OFFSET_COMMIT_SECONDS:
                    await consumer.commit()  # also when idle: the committed offsets are the broker-side lag
                    committed_at, uncommitted = time.monotonic(), False
        except Exception:
            self.broker_connected = False
            raise
        finally:
            await consumer.stop()

    async def _sequence(self, message: Any) -> int:
        try:
            return sequence_of(message.value, dict(message.headers), types=EVENT_TYPES, tenants=self.tenants,
                               wanted=self.wanted)
        except Exception as exc:  # noqa: BLE001 - a poison message must not block its partition
            log.error(
                "unreadable message moved to dead letters",
                extra={"consumer": self.name, "partition": message.partition, "offset": message.offset,
                       "error": repr(exc)},
            )
            await self._dead_letter(message.value, message.key, reason=repr(exc))
            return 0

    async def _until_applied(self, notification_id: int) -> None:
        async with self._advanced:
            # Done when applied, or when the apply loop found it beyond the store's head.
            await self._advanced.wait_for(
                lambda: self.position >= notification_id or self._wanted < notification_id
            )

    async def _apply_loop(self) -> None:
        first = True  # a follower starts by catching up with the store, whatever the broker says
        while True:
            woken = False
            if not first:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.catch_up_interval_seconds)
                    woken = True
                except asyncio.TimeoutError:
                    pass
            first = False
            self._wake.clear()
            async for attempt in until_available():
                with attempt:
                    await self._read_head()
                    await self._catch_up(self._wanted if woken else self.head)
                    if time.monotonic() >= self._next_redrive_check:  # under load too, not only when idle
                        self._next_redrive_check = time.monotonic() + self.settings.catch_up_interval_seconds
                        await self.redrive_pending()
            self._measure_lag()

    async def _read_head(self) -> None:
        self.head = await asyncio.to_thread(self.store.recorder.max_notification_id) or 0
        if self._wanted > self.head:
            # The relay publishes only what the store committed, so this
            # message is not of this store (a reused topic): never skip past the head.
            log.warning("message beyond the store's head ignored",
                        extra={"consumer": self.name, "sequence": self._wanted, "head": self.head})
            self._wanted = self.head
            async with self._advanced:
                self._advanced.notify_all()

    async def catch_up(self) -> None:
        """Applies everything the store holds now (used at start-up and by tests)."""
        self.head = await asyncio.to_thread(self.store.recorder.max_notification_id) or 0
        await self._catch_up(self.head)
        self._measure_lag()

    # --- applying --------------------------------------------------------------
    async def _catch_up(self, target: int) -> None:
        while self.position < target:
            notifications = await asyncio.to_thread(
                self.store.recorder.select_notifications,
                start=self.position + 1, limit=BATCH, stop=target, topics=self.topics,
            )
            waiting = [n for n in notifications if n.id > self.position]  # another instance may be ahead
            if not await self._process_batch(waiting):
                for notification in waiting:
                    if notification.id > self.position:
                        await self._process(notification)
                        await self._advance(notification.id)
            if len(notifications) < BATCH:
                await self._advance(target)

    async def _advance(self, notification_id: int) -> None:
        async with self._advanced:
            self.position = max(self.position, notification_id)
            self._advanced.notify_all()
        POSITION.labels(self.name).set(self.position)

    async def _process_batch(self, notifications: list[Notification]) -> bool:
        """Applies the events in one transaction where the consumer can; False if it did not (then each
        is applied on its own, which sorts out a duplicate or a bad event without losing the others)."""
        if self.apply_batch is None or len(notifications) < 2:
            return False
        try:
            await _drained(self.apply_batch([(self.store.mapper.to_domain_event(n), n.id) for n in notifications]))
        except Exception as exc:
            if transient(exc):
                raise
            log.info("batch not applied, one event at a time", extra={"consumer": self.name, "error": repr(exc)})
            return False
        APPLIED.labels(self.name).inc(len(notifications))
        await self._advance(notifications[-1].id)
        return True

    async def _process(self, notification: Notification) -> None:
        domain_event = self.store.mapper.to_domain_event(notification)
        tracking = Tracking(self.name, notification.id)
        context = {"consumer": self.name, "case_id": str(domain_event.originator_id),
                   "event_id": event_id(domain_event), "notification_id": notification.id}
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                await _drained(self.apply(domain_event, tracking))
                APPLIED.labels(self.name).inc()
                log.debug("applied", extra={**context, "type": type(domain_event).__name__})
                return
            except IntegrityError:
                # Either our position was already there (a duplicate: a redelivery, or another
                # instance of this consumer got there first), or the case stream moved under us
                # (a concurrent command): then try again.
                stored = await self.load_position() or 0
                if stored >= notification.id:
                    DUPLICATES.labels(self.name).inc()
                    await self._advance(stored)
                    return
                if attempt == CONFLICT_ATTEMPTS - 1:
                    await self._give_up(domain_event, notification, tracking, context, "version conflict")
                    return
                # The command saved beside it is usually one of a few (routing, the clock, delivery, a handler, all
                # at a case's receipt): back off, with jitter so the writers that met do not meet again.
                await asyncio.sleep(min(0.5, 0.02 * 2 ** attempt) * random.uniform(0.5, 1.5))
            except Exception as exc:
                if transient(exc):
                    raise  # the store is away: the apply loop waits for it and starts again from the position  # noqa: BLE001 - a bad event must not stop the others
                log.exception("cannot apply event", extra=context)
                await self._give_up(domain_event, notification, tracking, context, repr(exc))
                return

    async def redrive_pending(self) -> int:
        """Applies again, in order, the skipped events a re-drive asks of this consumer; how many."""
        if self.redrive is None:
            return 0
        done = 0
        skipped = await self.skipped()
        for notification_id in await skipped.requested(self.name):
            found = await asyncio.to_thread(self.store.recorder.select_notifications, start=notification_id, limit=1)
            if not found or found[0].id != notification_id:
                continue
            event = self.store.mapper.to_domain_event(found[0])
            if await self.redrive(event, notification_id) is False:
                continue  # not yet: asked for again next round
            done += await skipped.mark_redriven(self.name, notification_id)
            log.info("skipped event applied again", extra={"consumer": self.name, "notification_id": notification_id,
                                                          "case_id": str(event.originator_id)})
        return done

    async def _give_up(self, domain_event: Any, notification: Notification, tracking: Tracking,
                       context: dict[str, Any], reason: str) -> None:
        # The record first, then the position: a crash between them records it once and tries it again.
        await (await self.skipped()).record(consumer=self.name, notification_id=notification.id,
                                  tenant=getattr(domain_event, "tenant", ""), case_id=domain_event.originator_id,
                                  event_type=type(domain_event).__name__, reason=reason)
        message = to_message(domain_event, notification.id)
        await self._dead_letter(message.value, message.key, reason=reason)
        try:
            await self.skip(tracking)
        except IntegrityError:
            pass  # another instance of this consumer is already past it
        log.error("event moved to dead letters", extra={**context, "reason": reason})

    async def _dead_letter(self, value: bytes, key: bytes | None, *, reason: str) -> None:
        DEAD_LETTERS.labels(self.name).inc()
        try:
            if self._producer is None:
                self._producer = kafka.producer(self.settings)
                await self._producer.start()
            await self._producer.send_and_wait(
                self.settings.dead_letter_topic, value, key=key,
                headers=[("consumer", self.name.encode()), ("reason", reason.encode()[:1000])],
            )
        except Exception as exc:  # noqa: BLE001 - the event stays in the store; the log names it
            log.error("dead letter not published", extra={"consumer": self.name, "error": repr(exc)})
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None

    def _measure_lag(self) -> None:
        behind = max(self.head - self.position, 0)
        LAG_EVENTS.labels(self.name).set(behind)
        if behind and self._behind_since is None:
            self._behind_since = time.monotonic()
        elif not behind:
            self._behind_since = None
        LAG_SECONDS.labels(self.name).set(time.monotonic() - self._behind_since if self._behind_since else 0)


async def _drained(applying: Awaitable[None]) -> None:
    """Applies one event; a shutdown lets it finish first, since its effect and position commit together."""
    task = asyncio.ensure_future(applying)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        done, _ = await asyncio.wait([task], timeout=DRAIN_SECONDS)
        for finished in done:
            finished.exception()  # committed or rolled back as one; either way this follower is stopping
        raise


def store_follower(settings: Settings, app: Complaints, name: str, skipped: SkippedEvents | None = None) -> Follower:
    """A follower whose effect is new events in the store, recorded by the app's `policy`
    together with the tracking record (eventsourcing's `process_event`)."""

    async def apply(domain_event: Any, tracking: Tracking) -> None:
        await asyncio.to_thread(app.process_event, domain_event, tracking)

    async def skip(tracking: Tracking) -> None:
        await asyncio.to_thread(app.recorder.insert_tracking, tracking)

    async def position() -> int | None:
        return await asyncio.to_thread(app.recorder.max_tracking_id, name)

    async def redrive(domain_event: Any, notification_id: int) -> bool:
        # Under a tracking name of its own: its effect and this record commit together, so a second
        # re-drive of the same event is refused by the store, never applied twice.
        try:
            await asyncio.to_thread(app.process_event, domain_event, Tracking(f"{name}:redrive", notification_id))
        except IntegrityError:
            pass  # applied by an earlier re-drive whose mark did not commit
        except NotYet as waiting:
            log.info("re-drive not possible yet", extra={"consumer": name, "notification_id": notification_id,
                                                         "reason": str(waiting)})
            return False
        return True

    return Follower(name=name, settings=settings, store=app, topics=app.topics,
                    apply=apply, skip=skip, load_position=position, redrive=redrive, skipped=skipped)
