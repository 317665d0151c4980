"""The routing consumer on the real PostgreSQL and broker: exactly-once effects, dead letters."""

import asyncio
import json
from contextlib import closing
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import REGISTRY

from complaints.adapters.follower import store_follower
from complaints.settings import Settings
from complaints.adapters.store import Submission, Complaints
from complaints.model.tenants import Tenant, load_tenants
from routing.consumer import Routing

AT = datetime(2023, 6, 22, tzinfo=timezone.utc)


def receive(store: Complaints, tenant: Tenant, channel: str = "e-mail", category: str | None = None):
    return store.receive(tenant, Submission("test"), actor="test", received_at=AT, channel=channel, signal_type="klacht",
                         subject="Roekeloos rijgedrag", text="...", category=category)[0]


def event_names(store: Complaints, case_id) -> list[str]:
    return [type(e).__name__ for e in store.events.get(case_id)]


async def test_a_received_case_is_routed_once_even_when_processed_again(store: Complaints, settings: Settings):
    case = receive(store, load_tenants()["brandweer"], category="facturatie")
    routing = Routing(settings)
    follower = store_follower(settings, routing, "routing")
    with closing(routing):
        await follower.catch_up()
        # A consumer that lost its memory (or a redelivered message) processes the same event again.
        follower.position = 0
        await follower.catch_up()
        assert routing.recorder.max_tracking_id("routing") >= 1
    assert event_names(store, case.id) == ["Received", "Routed"]
    assert store.get(case.id).team == "financien"


async def dead_letters(settings: Settings, expected: int) -> list:
    consumer = AIOKafkaConsumer(settings.dead_letter_topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        found = []
        for _ in range(20):
            batch = await consumer.getmany(timeout_ms=500)
            found += [m for ms in batch.values() for m in ms]
            if len(found) >= expected:
                break
        return found
    finally:
        await consumer.stop()


async def test_an_event_that_cannot_be_routed_goes_to_dead_letters_and_the_next_is_routed(store: Complaints,
                                                                                            settings: Settings):
    ghost = load_tenants()["brandweer"].model_copy(update={"id": "spookzone"})  # unknown to routing
    bad = receive(store, ghost)
    good = receive(store, load_tenants()["brandweer"])
    with closing(Routing(settings)) as routing:
        follower = store_follower(settings, routing, "routing")
        await follower.catch_up()
        await follower.close()
    assert event_names(store, bad.id) == ["Received"]
    assert event_names(store, good.id) == ["Received", "Routed"]
    letters = await dead_letters(settings, 1)
    assert [m.key for m in letters] == [str(bad.id).encode()]
    assert dict(letters[0].headers)["consumer"] == b"routing"


def poison(kind: str) -> bytes:
    """A message that is not one of ours: undecodable, or our envelope with a type or tenant we do not know."""
    if kind == "undecodable":
        return b"{not a cloudevent"
    envelope = {"specversion": "1.0", "id": "x:1", "source": "urn:elsewhere", "type": "complaints.Received",
                "subject": "x", "sequence": "1", "tenant": "brandweer", "datacontenttype": "application/json",
                "data": {}}
    envelope |= {"unknown event type": {"type": "complaints.Exploded"}, "unknown tenant": {"tenant": "spookzone"}}[kind]
    return json.dumps(envelope).encode()


@pytest.mark.parametrize("kind, reason", [("undecodable", b""), ("unknown event type", b"complaints.Exploded"),
                                          ("unknown tenant", b"spookzone")])
async def test_a_poison_message_is_moved_aside_with_its_reason_and_does_not_block_its_partition(
        store: Complaints, settings: Settings, kind: str, reason: bytes):
    from complaints.adapters.kafka import ensure_topics

    await ensure_topics(settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=False)
    await producer.start()
    await producer.send_and_wait(settings.events_topic, poison(kind), key=b"x", partition=0,
                                 headers=[("content-type", b"application/cloudevents+json; charset=UTF-8")])
    await producer.stop()
    settings = settings.model_copy(update={"catch_up_interval_seconds": 60.0})  # only the broker wakes it
    dead_before = REGISTRY.get_sample_value("consumer_dead_letters_total", {"consumer": "routing"}) or 0
    routing = Routing(settings)
    task = asyncio.create_task(store_follower(settings, routing, "routing").run())
    try:
        letters = await dead_letters(settings, 1)
        assert letters and letters[0].value == poison(kind)
        assert reason in dict(letters[0].headers)["reason"], dict(letters[0].headers)
        assert REGISTRY.get_sample_value("consumer_dead_letters_total", {"consumer": "routing"}) == dead_before + 1
        case = receive(store, load_tenants()["brandweer"])
        from complaints.adapters.cloudevents import to_message

        event = next(iter(store.events.get(case.id)))
        message = to_message(event, store.recorder.max_notification_id())
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=False)
        await producer.start()
        await producer.send_and_wait(settings.events_topic, message.value, key=message.key, partition=0)
        await producer.stop()
        for _ in range(100):
            if event_names(store, case.id) == ["Received", "Routed"]:
                break
            await asyncio.sleep(0.1)
        assert event_names(store, case.id) == ["Received", "Routed"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        routing.close()
