"""The record of erasures: who erased which pseudonym, when and why (never who the person was)."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class Erasures(Aggregate):
    @staticmethod
    def id_for(tenant: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"complaints:erasures:{tenant}")

    @classmethod
    def create_id(cls, tenant: str) -> UUID:
        return cls.id_for(tenant)

    @event("Started")
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    @event("ComplainantErased")
    def erased(self, subject: str, reason: str, actor: str, occurred_at: datetime) -> None:
        pass
