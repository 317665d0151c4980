"""What makes a repeated post the same case.

City systems retry on time-outs. A post with an `Idempotency-Key` the sender
used before is the same request (if the body is the same) or a mistake (if it
is not); a post with a sender's reference the sender used before is the same
complaint. Both are small aggregates saved in the same atomic write as the
case they point at, so two concurrent retries can never create two cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class IdempotencyKey(Aggregate):
    @staticmethod
    def id_for(tenant: str, sender: str, key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"complaints:idempotency-key:{tenant}:{sender}:{key}")

    @classmethod
    def create_id(cls, tenant: str, sender: str, key: str, **_: Any) -> UUID:
        return cls.id_for(tenant, sender, key)

    @event("Used")
    def __init__(self, tenant: str, sender: str, key: str, request_hash: str, case_id: UUID,
                 used_at: datetime | None = None) -> None:
        self.request_hash = request_hash
        self.case_id = case_id
        self.used_at = used_at  # None in events stored before keys expired: then the recorded time counts

    @event("UsedAgain")
    def use_again(self, request_hash: str, case_id: UUID, used_at: datetime) -> None:
        """The key used again after its window closed: from now on it stands for this request and case."""
        self.request_hash = request_hash
        self.case_id = case_id
        self.used_at = used_at

    def expired(self, used_since: datetime | None) -> bool:
        return used_since is not None and (self.used_at or self.modified_on) < used_since


class SenderReference(Aggregate):
    @staticmethod
    def id_for(tenant: str, sender: str, reference: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"complaints:sender-reference:{tenant}:{sender}:{reference}")

    @classmethod
    def create_id(cls, tenant: str, sender: str, reference: str, **_: Any) -> UUID:
        return cls.id_for(tenant, sender, reference)

    @event("Used")
    def __init__(self, tenant: str, sender: str, reference: str, case_id: UUID) -> None:
        self.case_id = case_id


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key with a different body."""

    def __init__(self, case_id: UUID) -> None:
        super().__init__("this Idempotency-Key was used with a different request body")
        self.case_id = case_id


@dataclass(frozen=True)
class Submission:
    """Who sent a complaint (the calling system's name), and what makes a repeat of it recognisable."""

    sender: str
    idempotency_key: str | None = None
    request_hash: str = ""
    reference: str | None = None
    used_at: datetime | None = None  # when the sender's Idempotency-Key is used (the application's clock)
    keys_used_since: datetime | None = None  # an Idempotency-Key last used before this is free again
