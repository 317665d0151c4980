"""Redelivered messages change nothing: the consumers' positions are in the store, not in the broker."""

import asyncio

from aiokafka import AIOKafkaConsumer

from complaints.adapters import kafka
from tests.helpers import Api, complaint, metric, wait_until

CONSUMERS = ("routing", "qualification", "reporting")


async def rewind(settings, group: str) -> None:
    """Sets a consumer group's committed offsets back to the beginning, by joining the idle group."""
    consumer = AIOKafkaConsumer(settings.events_topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                                group_id=kafka.group_id(settings, group), enable_auto_commit=False)
    await consumer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=500)
        await consumer.commit({tp: 0 for tp in consumer.assignment()})
    finally:
        await consumer.stop()


def test_rewinding_the_consumer_groups_to_the_beginning_applies_nothing_twice(stack, settings, auth):
    api = Api(stack, auth)
    acks = [api.post(complaint(n)).json() for n in range(20)]
    wait_until(lambda: all(api.settled(a["case_id"]) for a in acks))
    published = metric(stack, "relay", "relay_published_total")
    assert published >= 60  # Received, Routed and ClockStarted of each case

    stack.stop(*CONSUMERS)
    for group in CONSUMERS:
        asyncio.run(rewind(settings, group))
    stack.start(*CONSUMERS)

    # Every message is delivered again...
    wait_until(lambda: metric(stack, "reporting", "consumer_messages_received_total") >= published, timeout=60)
    wait_until(lambda: metric(stack, "routing", "consumer_messages_received_total") >= published, timeout=60)
    # ...and every case still shows each of its events applied once.
    assert all(api.settled(a["case_id"]) for a in acks)
    assert metric(stack, "reporting", "consumer_events_applied_total") == 0
    assert metric(stack, "routing", "consumer_events_applied_total") == 0
