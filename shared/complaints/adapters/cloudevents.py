"""The CloudEvents 1.0 envelope of a complaint event on the broker (structured mode).

`id` is the event's stable id (case id and version), so a republished event is
recognisably the same; `sequence` is the store's notification id, the order
every consumer follows; the Kafka key is the case id, so one case's events stay
in one partition, in order.
"""

from __future__ import annotations

from datetime import date, datetime
from collections.abc import Collection
from typing import Any
from uuid import UUID

from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import KafkaMessage, from_structured, to_structured

SOURCE = "urn:complaints:store"
TYPE_PREFIX = "complaints."
ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp"}


def plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def event_id(domain_event: Any) -> str:
    return f"{domain_event.originator_id}:{domain_event.originator_version}"


def to_message(domain_event: Any, notification_id: int) -> KafkaMessage:
    attributes = vars(domain_event)
    data = {k: plain(v) for k, v in attributes.items() if k not in ENVELOPE_FIELDS}
    data["version"] = domain_event.originator_version
    data["recorded_at"] = domain_event.timestamp.isoformat()
    event = CloudEvent(
        {
            "id": event_id(domain_event),
            "source": f"{SOURCE}:{attributes.get('tenant', '')}",
            "type": TYPE_PREFIX + type(domain_event).__name__,
            "subject": str(domain_event.originator_id),
            "time": (attributes.get("occurred_at") or domain_event.timestamp).isoformat(),
            "datacontenttype": "application/json",
            "sequence": f"{notification_id:020d}",
            "tenant": attributes.get("tenant", ""),
        },
        data,
    )
    message = to_structured(event, key_mapper=lambda e: e["subject"].encode())
    # Structured mode: the whole envelope is the value (the SDK would label it with the data's type).
    return message._replace(headers={"content-type": b"application/cloudevents+json; charset=UTF-8"})


def sequence_of(value: bytes, headers: dict[str, bytes], *, types: Collection[str] | None = None,
                tenants: Collection[str] | None = None, wanted: Collection[str] | None = None) -> int:
    """The notification id a message carries; raises on anything that is not our envelope, naming
    what is wrong (also an event type or a tenant outside the given ones). 0 for a valid event of a
    type outside `wanted` (one the consumer does not apply)."""
    event = from_structured(KafkaMessage(headers=headers, key=None, value=value))
    if types is not None and event["type"] not in types:
        raise ValueError(f"unknown event type {event['type']!r}")
    if tenants is not None and event.get("tenant") not in tenants:
        raise ValueError(f"unknown tenant {event.get('tenant')!r}")
    if wanted is not None and event["type"] not in wanted:
        return 0
    return int(event["sequence"])


def event_type(topic: str) -> str:
    """The CloudEvents type of a stored event topic (`complaints.domain:Complaint.Received`)."""
    return TYPE_PREFIX + topic.rsplit(".", 1)[-1]
