"""The read model: one summary row per case, kept by applying each event once.

`apply` writes the change and the projection's position in one transaction; an
event at or below the position raises the store's IntegrityError, which the
follower counts as a duplicate. `events_applied` lets anyone check that no
event was applied twice: it equals the case stream's version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from sqlalchemy import Date, DateTime, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class CaseSummary(Base):
    __tablename__ = "case_summaries"
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(50), index=True)
    case_number: Mapped[str] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(100))
    signal_type: Mapped[str] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30))
    team: Mapped[str | None] = mapped_column(String(100))
    due_date: Mapped[date | None] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    events_applied: Mapped[int] = mapped_column(Integer)


class ProjectionTracking(Base):
    """The projection's position, in its own database, written with its effects."""

    __tablename__ = "projection_tracking"
    application_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    notification_id: Mapped[int] = mapped_column(Integer)


STATUS_AFTER = {
    "Routed": "routed",
    "InvestigationStarted": "investigating",
    "Qualified": "qualified",
    "Answered": "answered",
    "Closed": "closed",
}


def _change(summary: CaseSummary, kind: str, event: Any) -> None:
    summary.events_applied += 1
    if kind in STATUS_AFTER:
        summary.status = STATUS_AFTER[kind]
    if kind in ("Routed", "Rerouted"):
        summary.team = event.team
        if summary.status == "received":
            summary.status = "routed"
    elif kind == "CategorySet":
        summary.category = event.category
    elif kind == "ClockStarted":
        summary.due_date = event.due_date


def _received(event: Any) -> CaseSummary:
    return CaseSummary(
        case_id=str(event.originator_id), tenant=event.tenant, case_number=event.case_number,
        channel=event.channel, signal_type=event.signal_type, category=event.category,
        status="received", team=None, due_date=None, received_at=event.occurred_at, events_applied=1,
    )


class CaseProjection:
    def __init__(self, engine: AsyncEngine, name: str = "reporting") -> None:
        self.name = name
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def create_tables(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def position(self) -> int | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(ProjectionTracking.notification_id).where(ProjectionTracking.application_name == self.name)
            )

    async def apply(self, event: Any, tracking: Tracking) -> None:
        kind = type(event).__name__
        async with self.sessions.begin() as session:
            position = await session.get(ProjectionTracking, self.name, with_for_update=True)
            if position is not None and position.notification_id >= tracking.notification_id:
                raise IntegrityError(f"{self.name} already at {position.notification_id}")
            if kind == "Received":
                session.add(_received(event))
            else:
                summary = await session.get(CaseSummary, str(event.originator_id))
                if summary is not None:
                    _change(summary, kind, event)
            if position is None:
                session.add(ProjectionTracking(application_name=self.name, notification_id=tracking.notification_id))
            else:
                position.notification_id = tracking.notification_id

    async def skip(self, tracking: Tracking) -> None:
        """Moves the position past an event that could not be applied (it went to dead letters)."""
        async with self.sessions.begin() as session:
            position = await session.get(ProjectionTracking, self.name, with_for_update=True)
            if position is None:
                session.add(ProjectionTracking(application_name=self.name, notification_id=tracking.notification_id))
            elif position.notification_id < tracking.notification_id:
                position.notification_id = tracking.notification_id
