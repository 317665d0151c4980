"""The read model: one summary row per case, kept by applying each event once.

`events_applied` lets anyone check that no event was applied twice: it equals
the case stream's version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from complaints.readmodel import Base, SqlProjection


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


STATUS_AFTER = {
    "Routed": "routed",
    "InvestigationStarted": "investigating",
    "InformationRequested": "awaiting-information",
    "InformationReceived": "investigating",
    "Qualified": "qualified",
    "AnswerDrafted": "drafted",
    "Answered": "answered",
    "Closed": "closed",
    "Reopened": "investigating",
}
DUE_DATE_SET_BY = ("ClockStarted", "InformationReceived", "WindowExtended")


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
    if kind in DUE_DATE_SET_BY:
        summary.due_date = event.due_date


def _received(event: Any) -> CaseSummary:
    return CaseSummary(
        case_id=str(event.originator_id), tenant=event.tenant, case_number=event.case_number,
        channel=event.channel, signal_type=event.signal_type, category=event.category,
        status="received", team=None, due_date=None, received_at=event.occurred_at, events_applied=1,
    )


class CaseProjection(SqlProjection):
    name = "reporting"

    async def handle(self, session: AsyncSession, event: Any) -> None:
        kind = type(event).__name__
        if kind == "Received":
            session.add(_received(event))
            return
        summary = await session.get(CaseSummary, str(event.originator_id))
        if summary is not None:
            _change(summary, kind, event)
