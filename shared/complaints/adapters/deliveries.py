"""Each subscription's deliveries and its position, in the store's database.

A subscription's position is a row of `projection_tracking` named `webhook:<subscription id>`, like every
projection's; a delivery's record (`webhook_deliveries`) and the position's move are written in one
transaction, so a crash between the receiver's 2xx and that commit sends the event once more (at least once,
the same `webhook-id`), and never skips one. A delivery that is being retried has its row too (attempts, the
first attempt's moment), so the retry period survives a restart of the dispatcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import Tracking
from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.adapters.readmodel import Base, Moment, SqlProjection

webhook_deliveries = Table(
    "webhook_deliveries", Base.metadata,
    Column("subscription_id", String(36), primary_key=True),
    Column("notification_id", BigInteger, primary_key=True),
    Column("event_id", String(100), nullable=False),
    Column("tenant", String(50), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("status", String(20), nullable=False),  # retrying, delivered
    Column("attempts", Integer, nullable=False),
    Column("first_attempt_at", Moment(), nullable=False),
    Column("last_attempt_at", Moment(), nullable=False),
    Column("response_status", Integer),
    Column("error", Text),
)


@dataclass(frozen=True)
class Delivery:
    subscription_id: str
    notification_id: int
    event_id: str
    tenant: str
    case_id: str
    event_type: str
    status: str
    attempts: int
    first_attempt_at: datetime
    last_attempt_at: datetime
    response_status: int | None
    error: str | None


def consumer_name(subscription_id: UUID) -> str:
    """The subscription's name as a consumer: its position's row, its skipped events' record."""
    return f"webhook:{subscription_id}"


class DeliveryLog(SqlProjection):
    """One subscription's position and deliveries."""

    def __init__(self, engine: AsyncEngine, subscription_id: UUID) -> None:
        super().__init__(engine)
        self.subscription_id = str(subscription_id)
        self.name = consumer_name(subscription_id)

    async def attempt(self, notification_id: int) -> Delivery | None:
        async with self.sessions() as session:
            row = (await session.execute(select(webhook_deliveries).where(
                webhook_deliveries.c.subscription_id == self.subscription_id,
                webhook_deliveries.c.notification_id == notification_id))).mappings().first()
        return Delivery(**row) if row else None

    async def failed(self, notification_id: int, *, event_id: str, tenant: str, case_id: UUID, event_type: str,
                     at: datetime, response_status: int | None, error: str, restart: bool = False) -> Delivery:
        """Records one more failed attempt (`restart`: a re-drive's first, which starts a new retry period)."""
        async with self.sessions.begin() as session:
            await self._write(session, notification_id, event_id=event_id, tenant=tenant, case_id=case_id,
                              event_type=event_type, status="retrying", at=at, response_status=response_status,
                              error=error[:2000], restart=restart)
        found = await self.attempt(notification_id)
        assert found is not None
        return found

    async def delivered(self, notification_id: int, *, event_id: str, tenant: str, case_id: UUID, event_type: str,
                        at: datetime, response_status: int) -> None:
        """The receiver took it: the record and the position, together. Raises the store's IntegrityError if
        the position is there already (another dispatcher delivered it)."""
        async with self.sessions.begin() as session:
            await self._advance(session, Tracking(self.name, notification_id), refuse_old=True)
            await self._write(session, notification_id, event_id=event_id, tenant=tenant, case_id=case_id,
                              event_type=event_type, status="delivered", at=at, response_status=response_status,
                              error=None)

    async def passed(self, notification_id: int) -> None:
        """Moves the position past events that were not for this subscription."""
        await self.skip(Tracking(self.name, notification_id))

    async def _write(self, session, notification_id: int, *, event_id: str, tenant: str, case_id: UUID,  # noqa: ANN001
                     event_type: str, status: str, at: datetime, response_status: int | None, error: str | None,
                     restart: bool = False) -> None:
        this = (webhook_deliveries.c.subscription_id == self.subscription_id,
                webhook_deliveries.c.notification_id == notification_id)
        attempts = await session.scalar(select(webhook_deliveries.c.attempts).where(*this).with_for_update())
        if attempts is None:
            await session.execute(insert(webhook_deliveries).values(
                subscription_id=self.subscription_id, notification_id=notification_id, event_id=event_id,
                tenant=tenant, case_id=str(case_id), event_type=event_type, status=status, attempts=1,
                first_attempt_at=at, last_attempt_at=at, response_status=response_status, error=error))
            return
        values = dict(status=status, attempts=attempts + 1, last_attempt_at=at, response_status=response_status,
                      error=error)
        if restart:
            values["first_attempt_at"] = at
        await session.execute(update(webhook_deliveries).where(*this).values(**values))

    async def recent(self, limit: int = 50) -> list[Delivery]:
        async with self.sessions() as session:
            rows = (await session.execute(select(webhook_deliveries).where(
                webhook_deliveries.c.subscription_id == self.subscription_id)
                .order_by(webhook_deliveries.c.notification_id.desc()).limit(limit))).mappings().all()
        return [Delivery(**row) for row in rows]
