"""The outbox relay on the real PostgreSQL and broker: every event, in order, keyed by case; resumes."""

import asyncio
import json
from contextlib import closing
from datetime import datetime, timezone

from aiokafka import AIOKafkaConsumer

from complaints.settings import Settings
from complaints.adapters.store import Submission, COMPLAINT_EVENT_TOPICS, Complaints
from complaints.model.tenants import load_tenants
from relay.outbox import Outbox


def receive(store: Complaints, n: int):
    return store.receive(load_tenants()["brandweer"], Submission("test"), actor="test", received_at=datetime(2023, 8, 8, tzinfo=timezone.utc),
                         channel="e-mail", signal_type="klacht", subject=f"#{n}", text="...")[0]


async def run_until_published(outbox: Outbox, store: Complaints) -> None:
    task = asyncio.create_task(outbox.run())
    head = store.recorder.max_notification_id()
    try:
        for _ in range(200):
            if outbox.position >= head:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"relay at {outbox.position}, store at {head}")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def messages(settings: Settings) -> list:
    consumer = AIOKafkaConsumer(settings.events_topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        found = []
        for _ in range(6):
            batch = await consumer.getmany(timeout_ms=300)
            found += [m for ms in batch.values() for m in ms]
        return found
    finally:
        await consumer.stop()


async def test_the_relay_publishes_each_case_event_once_in_order_and_resumes_after_a_restart(settings: Settings):
    with closing(Complaints(settings)) as store:
        await published_once_in_order_and_resumed(settings, store)


async def published_once_in_order_and_resumed(settings: Settings, store: Complaints) -> None:
    first = [receive(store, n) for n in range(3)]
    await run_until_published(Outbox(settings, store), store)
    assert store.recorder.max_tracking_id("relay") == store.recorder.max_notification_id()

    later = [receive(store, n) for n in range(3, 5)]
    await run_until_published(Outbox(settings, store), store)  # a new process, from the saved position

    published = await messages(settings)
    envelopes = [json.loads(m.value) for m in published]
    expected = [n.id for n in store.recorder.select_notifications(start=1, limit=100, topics=COMPLAINT_EVENT_TOPICS)]
    assert sorted(int(e["sequence"]) for e in envelopes) == expected  # each once: none lost, none repeated
    assert {e["subject"] for e in envelopes} == {str(c.id) for c in first + later}
    assert all(m.key.decode() == json.loads(m.value)["subject"] for m in published)
    assert all(e["type"] == "complaints.Received" and e["specversion"] == "1.0" for e in envelopes)
