"""The record of skipped events: what a consumer could not apply, kept in the store's database.

The broker's dead-letter topic is a copy for whoever listens; this table is the
record. A consumer that cannot apply an event writes the case, the event and
the reason here before it moves its position past it, so "every accepted case
is routed and clocked" is something the system can watch: a manager lists the
open ones, and once the cause is fixed asks for a re-drive; each consumer then
applies its own skipped events of that case again, in order, exactly once
(`Follower.redrive_pending`). One mechanism for every consumer and for the
messages the mail server would not take (the delivery worker records those
here as it records the failure on the case; a re-drive sends them again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, Column, Index, String, Table, Text, and_, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from complaints.adapters.readmodel import Base, Moment

skipped_events = Table(
    "skipped_events", Base.metadata,
    Column("consumer", String(100), primary_key=True),
    Column("notification_id", BigInteger, primary_key=True),
    Column("tenant", String(50), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("skipped_at", Moment(), nullable=False),
    Column("redrive_requested_at", Moment()),
    Column("redriven_at", Moment()),
    Index("ix_skipped_events_tenant_case", "tenant", "case_id"),
)


@dataclass(frozen=True)
class Skipped:
    consumer: str
    notification_id: int
    tenant: str
    case_id: UUID
    event_type: str
    reason: str
    skipped_at: datetime
    redrive_requested_at: datetime | None
    redriven_at: datetime | None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _record(*, consumer: str, notification_id: int, tenant: str, case_id: UUID, event_type: str,
            reason: str) -> Any:
    return insert(skipped_events).values(consumer=consumer, notification_id=notification_id, tenant=tenant,
                                         case_id=str(case_id), event_type=event_type, reason=reason[:4000],
                                         skipped_at=_now())


def record_now(engine: Engine, **skipped: Any) -> None:
    """`SkippedEvents.record` from a consumer's own (synchronous) policy: a message that could not be
    delivered is recorded here, for the one re-drive, as the policy records the failure on the case."""
    try:
        with engine.begin() as conn:
            conn.execute(_record(**skipped))
    except IntegrityError:
        pass


class SkippedEvents:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def record(self, *, consumer: str, notification_id: int, tenant: str, case_id: UUID, event_type: str,
                     reason: str) -> None:
        """Once per consumer and event (a crash between this and the position's move records it once)."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(_record(consumer=consumer, notification_id=notification_id, tenant=tenant,
                                           case_id=case_id, event_type=event_type, reason=reason))
        except IntegrityError:
            pass

    async def of_tenant(self, tenant: str, *, open_only: bool = True) -> list[Skipped]:
        query = select(skipped_events).where(skipped_events.c.tenant == tenant)
        if open_only:
            query = query.where(skipped_events.c.redriven_at.is_(None))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(skipped_events.c.notification_id))).mappings().all()
        return [Skipped(**{**row, "case_id": UUID(row["case_id"])}) for row in rows]

    async def request_redrive(self, tenant: str, case_id: UUID) -> int:
        """Asks every consumer to apply this case's skipped events again; how many were asked for."""
        async with self.engine.begin() as conn:
            asked = await conn.execute(update(skipped_events).where(
                skipped_events.c.tenant == tenant, skipped_events.c.case_id == str(case_id),
                skipped_events.c.redriven_at.is_(None)).values(redrive_requested_at=_now()))
        return asked.rowcount

    async def requested(self, consumer: str) -> list[int]:
        """The notification ids this consumer is asked to apply again, in order."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(skipped_events.c.notification_id).where(
                skipped_events.c.consumer == consumer, skipped_events.c.redrive_requested_at.is_not(None),
                skipped_events.c.redriven_at.is_(None)).order_by(skipped_events.c.notification_id))
        return [row[0] for row in rows]

    async def mark_redriven(self, consumer: str, notification_id: int,
                            session: AsyncSession | None = None) -> bool:
        """Marks the event applied again; False if it already was. Inside `session` when the effect is in
        the same database (a read model): then effect and mark commit together."""
        statement = update(skipped_events).where(and_(
            skipped_events.c.consumer == consumer, skipped_events.c.notification_id == notification_id,
            skipped_events.c.redriven_at.is_(None))).values(redriven_at=_now())
        if session is not None:
            return (await session.execute(statement)).rowcount == 1
        async with self.engine.begin() as conn:
            return (await conn.execute(statement)).rowcount == 1

    async def unrequest(self, consumer: str, notification_id: int) -> None:
        """A re-drive that did not succeed either: it waits for the next one asked for (a webhook receiver still
        away through a whole retry period)."""
        async with self.engine.begin() as conn:
            await conn.execute(update(skipped_events).where(
                skipped_events.c.consumer == consumer, skipped_events.c.notification_id == notification_id,
                skipped_events.c.redriven_at.is_(None)).values(redrive_requested_at=None))
