"""The record of erasures: who erased which pseudonyms, of which cases, when and why (never who the person was).

An erasure by hand names its reason (the request's reference); the tenant's retention period erases with
the reason `retention`. The read models follow `ComplainantErased` to drop the pseudonyms it names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

RETENTION = "retention"
SYSTEM_RETENTION = "system:retention"


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
        self.subjects_erased: set[str] = set()  # so that retention, run twice at once, erases nobody twice

    class ComplainantErased(Aggregate.Event):
        """Version 2 names the tenant (so it can travel on the broker), every pseudonym erased (one person may
        have had several) and the cases the erasure was asked for or found; version 1 named one pseudonym."""

        class_version = 2
        tenant: str
        subjects: list[str]
        case_ids: list[str]
        reason: str
        actor: str
        occurred_at: datetime

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["tenant"] = ""  # the aggregate's, not the event's: a consumer matches on the pseudonyms
            state["subjects"] = [state.pop("subject")]
            state["case_ids"] = []

    @event(ComplainantErased)
    def erased(self, tenant: str, subjects: list[str], case_ids: list[str], reason: str, actor: str,
               occurred_at: datetime) -> None:
        self.subjects_erased.update(subjects)
