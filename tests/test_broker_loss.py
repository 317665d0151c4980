"""The broker is a transport: when it loses its memory, the store still has everything."""

import asyncio
from uuid import UUID

from aiokafka import AIOKafkaConsumer

from complaints.adapters.cloudevents import sequence_of
from complaints.adapters.store import Complaints
from conftest import stack_env
from launcher.infra import start_broker
from launcher.stack import Stack
from tests.helpers import Api, complaint, metric, wait_until


async def sequences_on(bootstrap: str, topic: str) -> set[int]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        found: set[int] = set()
        for _ in range(10):
            batch = await consumer.getmany(timeout_ms=500)
            found |= {sequence_of(m.value, dict(m.headers)) for ms in batch.values() for m in ms}
        return found
    finally:
        await consumer.stop()


def test_complaints_posted_while_the_broker_is_down_are_routed_projected_and_published_after(
        settings, auth, own_broker, tmp_path):
    settings = settings.model_copy(update={"kafka_bootstrap_servers": f"127.0.0.1:{own_broker['port']}"})
    stack = Stack(stack_env(settings), log_dir=tmp_path / "logs")
    api = Api(stack, auth)
    try:
        stack.start()
        before = [api.post(complaint(n)).json() for n in range(3)]
        wait_until(lambda: all(api.settled(a["case_id"]) for a in before))

        own_broker["broker"].stop()
        during = [api.post(complaint(n)).json() for n in range(3, 13)]
        # The consumers read the store's notification log themselves while the broker is away.
        wait_until(lambda: all(api.settled(a["case_id"]) for a in during), timeout=90)

        own_broker["broker"] = start_broker(own_broker["port"], log_path=tmp_path / "broker-2.log")
        after = [api.post(complaint(n)).json() for n in range(13, 16)]
        wait_until(lambda: all(api.settled(a["case_id"]) for a in after), timeout=90)

        # The relay republished what the empty broker never saw, from its saved position.
        store = Complaints(settings)
        head = store.recorder.max_notification_id()
        wait_until(lambda: metric(stack, "relay", "relay_position") == head, timeout=60)
        on_new_broker = asyncio.run(sequences_on(settings.kafka_bootstrap_servers, settings.events_topic))
        received_after = [n.id for n in store.recorder.select_notifications(start=1, limit=1000)
                          if n.originator_id in {UUID(a["case_id"]) for a in after} and n.originator_version == 1]
        store.close()
        assert set(received_after) <= on_new_broker
        assert api.report()["total"] == 16
    finally:
        stack.stop()
