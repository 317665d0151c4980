"""The broker adapter: producers, consumers and topics, set up the same way everywhere.

The idempotent producer is off because the bundled broker (Tansu) does not
support it; exactly-once effects come from the consumers' tracking records.
Every client connects with the same security (`connection`): TLS and this
process's own SASL user in production, plain TCP to the bundled broker.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context

from complaints.settings import Settings

log = logging.getLogger(__name__)
METADATA_MAX_AGE_MS = 5000  # notice a broker that came back empty within seconds


def connection(settings: Settings) -> dict[str, Any]:
    """The broker's address and how to connect to it, the same for every client of this process."""
    options: dict[str, Any] = {"bootstrap_servers": settings.kafka_bootstrap_servers,
                               "security_protocol": settings.kafka_security_protocol}
    if settings.kafka_uses_tls:
        options["ssl_context"] = create_ssl_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_uses_sasl:
        options.update(sasl_mechanism=settings.kafka_sasl_mechanism, sasl_plain_username=settings.kafka_username,
                       sasl_plain_password=settings.kafka_password.get_secret_value())
    return options


def producer(settings: Settings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **connection(settings),
        enable_idempotence=False,
        acks="all",
        linger_ms=5,
        request_timeout_ms=10000,
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
    )


def group_id(settings: Settings, consumer_name: str) -> str:
    """A consumer's group on the events topic. Named after both: the bundled broker never completes a
    rebalance of a group whose members move to another topic (as each test's own topics do)."""
    return f"{consumer_name}@{settings.events_topic}"


def consumer(settings: Settings, group_id: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        settings.events_topic,
        **connection(settings),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )


async def ensure_topics(settings: Settings) -> None:
    """Creates the topics the broker lacks (the bundled broker forgets them when it restarts). In production
    the deployment creates them beforehand, and the relay's broker user may see them but not create them."""
    admin = AIOKafkaAdminClient(**connection(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, settings.topic_partitions, 1)
            for name in (settings.events_topic, settings.dead_letter_topic)
            if name not in existing
        ]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


async def broker_reachable(settings: Settings) -> bool:
    client = AIOKafkaClient(**connection(settings), request_timeout_ms=2000)
    try:
        await client.bootstrap()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        await client.close()
