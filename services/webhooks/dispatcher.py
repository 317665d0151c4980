"""The webhook dispatcher: follows the store like the other consumers, one position per subscription.

Each subscription has a worker of its own that reads the store's case events after its position, in
notification order (which keeps each case's order), and POSTs those it wants, one at a time: a receiver that
is down stalls its own subscription only. A delivery is a CloudEvent signed per Standard Webhooks, its
`webhook-id` the event's id (case id and version) for the receiver to deduplicate: the record of the delivery
and the subscription's position commit together after the receiver's 2xx, so a crash in between sends it once
more, never loses it (at least once). A delivery not taken is tried again with exponential backoff for
`WEBHOOK_RETRY_SECONDS` after its first try; then the subscription is marked failing (an event on it) and the
event is recorded among the skipped events, and its deliveries wait for a manager's re-drive (of the
subscription, or of the case with the tenant's other skipped events). The dispatcher needs no broker: it reads
the store every `CATCH_UP_INTERVAL_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from eventsourcing.persistence import IntegrityError
from prometheus_client import Counter, Gauge

from complaints.adapters import webhooks
from complaints.adapters.deliveries import DeliveryLog, consumer_name
from complaints.adapters.readmodel import create_engine, migrate
from complaints.adapters.skipped import SkippedEvents
from complaints.adapters.store import COMPLAINT_EVENT_TOPICS, Complaints
from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.application.clock import Clock
from complaints.application.subscriptions import Subscriptions, subscriptions_made
from complaints.adapters.cloudevents import event_id
from complaints.model.subscriptions import Subscription
from complaints.settings import Settings

log = logging.getLogger(__name__)
BATCH = 200
DELIVERED = Counter("webhook_deliveries_total", "Deliveries the receivers took")
FAILED = Counter("webhook_attempts_failed_total", "Delivery attempts the receivers did not take")
POSITION = Gauge("webhook_position", "Last notification id a subscription is past", ["subscription"])
FAILING = Gauge("webhook_subscriptions_failing", "Subscriptions waiting for a re-drive")


class Dispatcher:
    def __init__(self, settings: Settings, store: Complaints, skipped: SkippedEvents, subscriptions: Subscriptions,
                 clock: Clock, client: httpx.AsyncClient) -> None:
        self.settings, self.store, self.skipped, self.clock = settings, store, skipped, clock
        self.subscriptions = subscriptions
        self.client = client
        self.workers: dict[UUID, asyncio.Task[None]] = {}
        self.known: dict[UUID, Subscription] = {}
        self._made: list[UUID] = []  # the subscriptions not deleted, as far as the store is read
        self._read_up_to = 0

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self.look()
                except Exception:  # noqa: BLE001 - the database away, say: look again next round, never stop
                    log.exception("looking for subscriptions failed")
                await asyncio.sleep(self.settings.catch_up_interval_seconds)
        finally:
            for task in self.workers.values():
                task.cancel()
            await asyncio.gather(*self.workers.values(), return_exceptions=True)

    async def look(self) -> None:
        """Starts a worker for each new subscription, stops those of the deleted; keeps each one's state."""
        made, self._read_up_to = await asyncio.to_thread(subscriptions_made, self.store, self._read_up_to)
        self._made += made
        every = await asyncio.to_thread(lambda: [self.store.repository.get(i) for i in self._made])
        self._made = [s.id for s in every if not s.deleted]  # a deleted one is never back
        self.known = {s.id: s for s in every if not s.deleted}
        FAILING.set(sum(1 for s in self.known.values() if s.failing))
        for subscription_id, task in list(self.workers.items()):
            if subscription_id not in self.known or task.done():
                task.cancel()
                del self.workers[subscription_id]
        for subscription_id in self.known:
            if subscription_id not in self.workers:
                self.workers[subscription_id] = asyncio.create_task(
                    Worker(self, subscription_id).run(), name=f"webhook-{subscription_id}")


class Worker:
    """One subscription's deliveries, in order."""

    def __init__(self, dispatcher: Dispatcher, subscription_id: UUID) -> None:
        self.d = dispatcher
        self.id = subscription_id
        self.log = DeliveryLog(dispatcher.skipped.engine, subscription_id)
        self.name = consumer_name(subscription_id)

    @property
    def subscription(self) -> Subscription:
        return self.d.known[self.id]

    async def run(self) -> None:
        interval = self.d.settings.catch_up_interval_seconds
        while True:
            try:
                position = await self.log.position() or self.subscription.starts_after
                POSITION.labels(str(self.id)).set(position)
                if self.subscription.failing and not await self._redrive_asked():
                    await asyncio.sleep(interval)
                    continue
                if not await self._round(position):
                    await asyncio.sleep(interval)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database away, say: this subscription waits and goes on
                log.exception("webhook worker round failed", extra={"subscription": str(self.id)})
                await asyncio.sleep(interval)

    async def _round(self, position: int) -> bool:
        """Delivers what came after `position`; whether there was anything."""
        notifications = await asyncio.to_thread(self.d.store.recorder.select_notifications, start=position + 1,
                                                limit=BATCH, topics=COMPLAINT_EVENT_TOPICS)
        if not notifications:
            return False
        passed = position
        for notification in notifications:
            domain_event = self.d.store.mapper.to_domain_event(notification)
            case = await self._case_if_wanted(domain_event)
            if case is None:
                passed = notification.id
                continue
            if passed > position:  # the events not for it before this one: the position moves past them first
                await self.log.passed(passed)
            if not await self._deliver(domain_event, notification.id, case):
                return True  # failing: the rest waits for the re-drive
            position = passed = notification.id
        if passed > position:
            await self.log.passed(passed)
        return True

    async def _case_if_wanted(self, domain_event: Any) -> Any:
        """The case as it stood after the event, if the subscription wants the event and its owner may read
        the case; else None."""
        subscription = self.subscription
        if getattr(domain_event, "tenant", None) != subscription.tenant:
            return None
        kind = type(domain_event).__name__
        if subscription.event_types and kind not in subscription.event_types:
            return None
        case = await asyncio.to_thread(self.d.store.repository.get, domain_event.originator_id,
                                       version=domain_event.originator_version)
        if not subscription.wants(kind, tenant=case.tenant, team=case.team, signal_type=case.signal_type,
                                  received_by=case.received_by):
            return None
        owner = Caller(subscription.owner_kind, subscription.owner.split(":", 1)[-1],  # type: ignore[arg-type]
                       frozenset({subscription.tenant}), frozenset(subscription.owner_roles))
        if permissions.read_refusal(owner, team=case.team, received_by=case.received_by) is not None:
            return None
        return case

    async def _deliver(self, domain_event: Any, notification_id: int, case: Any) -> bool:
        """POSTs until the receiver takes it (True) or the retry period is over (False: failing)."""
        the_id, kind = event_id(domain_event), type(domain_event).__name__
        about = dict(event_id=the_id, tenant=case.tenant, case_id=case.id, event_type=kind)
        payload = webhooks.body(domain_event, notification_id, {
            "case_id": str(case.id), "case_number": case.case_number, "sender_reference": case.sender_reference,
            "status": case.status, "team": case.team, "signal_type": case.signal_type},
            full=self.subscription.owner_kind == "person")
        first, most = self.d.settings.webhook_backoff_seconds
        period = timedelta(seconds=self.d.settings.webhook_retry_seconds)
        restart = bool(self.subscription.failing)  # a re-drive: a new retry period
        earlier = await self.log.attempt(notification_id)
        attempts = 0 if restart or earlier is None else earlier.attempts
        while True:
            now = self.d.clock.now()
            status, error = await self._post(the_id, payload, now)
            if status is not None and 200 <= status < 300:
                try:
                    await self.log.delivered(notification_id, at=now, response_status=status, **about)
                except IntegrityError:
                    pass  # another dispatcher got there first
                DELIVERED.inc()
                await self._recovered(notification_id)
                return True
            FAILED.inc()
            record = await self.log.failed(notification_id, at=now, response_status=status, error=error,
                                           restart=restart, **about)
            restart = False
            attempts += 1
            log.info("webhook not taken", extra={"subscription": str(self.id), "event_id": the_id,
                                                  "status": status, "error": error, "attempts": record.attempts})
            if now - record.first_attempt_at >= period:
                await self._failing(domain_event, notification_id, the_id, error, now)
                return False
            await asyncio.sleep(min(most, first * 2 ** (attempts - 1)))

    async def _post(self, the_id: str, payload: bytes, now: datetime) -> tuple[int | None, str]:
        subscription = self.subscription
        secrets = [self.d.subscriptions.secret(subscription)]
        grace = timedelta(seconds=self.d.settings.webhook_rotation_grace_seconds)
        if subscription.rotated_at is not None and now - subscription.rotated_at < grace:
            secrets.append(self.d.subscriptions.secret(subscription, subscription.secret_generation - 1))
        headers = webhooks.signed_headers(the_id, payload, secrets, now)
        try:
            response = await self.d.client.post(subscription.url, content=payload, headers=headers)
        except webhooks.AddressRefused as refused:
            return None, str(refused)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, f"HTTP {response.status_code}"

    async def _failing(self, domain_event: Any, notification_id: int, the_id: str, error: str, now: datetime) -> None:
        """Out of retries: the subscription is failing (an event on it) and the event is on the managers' list."""
        await self.d.skipped.record(consumer=self.name, notification_id=notification_id,
                                    tenant=self.subscription.tenant, case_id=domain_event.originator_id,
                                    event_type=type(domain_event).__name__, reason=f"webhook not taken: {error}")
        await self.d.skipped.unrequest(self.name, notification_id)  # a re-drive's try that failed too
        subscription: Subscription = await asyncio.to_thread(self.d.store.repository.get, self.id)
        if subscription.mark_failing(event_id=the_id, notification_id=notification_id, reason=error, at=now):
            await asyncio.to_thread(self.d.store.save, subscription)
        self.d.known[self.id] = subscription
        log.warning("webhook subscription failing", extra={"subscription": str(self.id), "event_id": the_id})

    async def _redrive_asked(self) -> bool:
        """A manager asked for it: on the subscription, or through the case's re-drive."""
        return self.subscription.redrive_asked or bool(await self.d.skipped.requested(self.name))

    async def _recovered(self, notification_id: int) -> None:
        if not self.subscription.failing:
            return
        await self.d.skipped.mark_redriven(self.name, notification_id)
        subscription: Subscription = await asyncio.to_thread(self.d.store.repository.get, self.id)
        if subscription.recover(at=self.d.clock.now()):
            await asyncio.to_thread(self.d.store.save, subscription)
        self.d.known[self.id] = subscription
        log.info("webhook subscription recovered", extra={"subscription": str(self.id)})


async def build(settings: Settings, store: Complaints, subscriptions: Subscriptions, clock: Clock,
                ) -> tuple[Dispatcher, Any]:
    engine = create_engine(settings)
    await migrate(engine, settings)
    client = webhooks.client(guarded=settings.environment != "development",
                             allowed_networks=settings.webhook_allowed_networks,
                             timeout=settings.webhook_timeout_seconds)

    async def close() -> None:
        await client.aclose()
        await engine.dispose()

    return Dispatcher(settings, store, SkippedEvents(engine), subscriptions, clock, client), close
