"""The cases each calling system sent: the index by which Open311's `GET requests` (and FixMyStreet's updates)
list a system's own requests without their ids.

It follows the store's `Received` events (no broker, like the complainant index), one row per case a system
sent (`sent_requests`: tenant, sender, when it was received); a person's or the platform's own cases are not
in it. It starts from the store's first event, so a system's cases from before it are found too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import Index, String, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from complaints.adapters.readmodel import Base, Moment, SqlProjection
from complaints.model.complaint import Complaint

UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
TOPICS = (get_topic(getattr(Complaint, "Received")),)
SYSTEMS = "system:"  # how events record a calling system as the actor


class SentRequest(Base):
    __tablename__ = "sent_requests"
    __table_args__ = (Index("ix_sent_requests_sender", "tenant", "sender", "received_at"),)
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(50))
    sender: Mapped[str] = mapped_column(String(250))
    received_at: Mapped[datetime] = mapped_column(Moment())


class SentRequests(SqlProjection):
    name = "sent-requests"

    async def handle(self, session: AsyncSession, event: Any) -> None:
        if type(event).__name__ != "Received" or not str(event.actor).startswith(SYSTEMS):
            return
        table = SentRequest.__table__
        row = {"case_id": str(event.originator_id), "tenant": event.tenant, "sender": event.actor,
               "received_at": event.occurred_at}
        upsert = UPSERT[session.bind.dialect.name](table).values(**row)
        await session.execute(upsert.on_conflict_do_nothing(index_elements=["case_id"]))

    async def sent(self, tenant: str, sender: str, since: datetime, until: datetime, limit: int) -> list[str]:
        """The case ids this system sent to the tenant, received within the range, newest first."""
        table = SentRequest.__table__
        query = (select(table.c.case_id).where(table.c.tenant == tenant, table.c.sender == sender,
                                               table.c.received_at >= since, table.c.received_at <= until)
                 .order_by(table.c.received_at.desc()).limit(limit))
        async with self.sessions() as session:
            return list((await session.scalars(query)).all())
