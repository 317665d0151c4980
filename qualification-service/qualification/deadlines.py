"""Deadline events: `DeadlineApproaching` and `DeadlineBreached`, once per case and due date; and the same for
the two terms that run from receipt (`term_index`): the acknowledgement's (`AcknowledgementDeadline…`, for a case
the platform decided to acknowledge, until it is sent) and the admissibility decision's (`AdmissibilityDeadline…`,
for the signal types the tenant's term names, until the investigation starts or the case is closed as
inadmissible, or qualified, answered or transferred first).

No timer is the source of truth. A projection keeps an index of open cases and
their current due dates (moved by pauses and extensions); a loop asks it, each
`deadline_check_seconds`, which cases have reached their warning day or passed
their due date, and records the event on the case. The case itself refuses a
second event for the same due date, so a restart, a redelivery or a second
scheduler changes nothing; after downtime the first round catches up.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic
from sqlalchemy import Boolean, Date, Index, String, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from complaints.model.complaint import SYSTEM_QUALIFICATION, TERMS, Complaint, StaleVersion
from complaints.adapters.readmodel import Base, SqlProjection
from complaints.adapters.store import CaseProcess
from complaints.application.clock import Clock
from complaints.model.tenants import Tenant
from complaints.model.windows import term_due, warning_day

log = logging.getLogger(__name__)
UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
# Every event that can change a case's due dates or whether its window and terms still run.
TOPICS = tuple(get_topic(getattr(Complaint, name)) for name in (
    "ClockStarted", "InformationRequested", "InformationReceived", "WindowExtended", "Answered", "Closed",
    "Transferred", "Reopened", "DeadlineApproaching", "DeadlineBreached",
    "Received", "InvestigationStarted", "Qualified", "MessageDecided", "MessageSent", "AcknowledgementDeadlineApproaching",
    "AcknowledgementDeadlineBreached", "AdmissibilityDeadlineApproaching", "AdmissibilityDeadlineBreached"))


class Deadline(Base):
    __tablename__ = "deadline_index"
    __table_args__ = (Index("ix_deadline_index_due", "open", "warn_on", "due_date"),)
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(50))
    due_date: Mapped[date] = mapped_column(Date)
    warn_on: Mapped[date] = mapped_column(Date)
    open: Mapped[bool] = mapped_column(Boolean)
    warned_for: Mapped[date | None] = mapped_column(Date)
    breached_for: Mapped[date | None] = mapped_column(Date)


class TermDeadline(Base):
    """A case's term (`acknowledgement` or `admissibility`): its due and warning day, and whether it still runs."""

    __tablename__ = "term_index"
    __table_args__ = (Index("ix_term_index_due", "running", "warn_on", "due_date"),)
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    term: Mapped[str] = mapped_column(String(20), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(50))
    due_date: Mapped[date] = mapped_column(Date)
    warn_on: Mapped[date | None] = mapped_column(Date)  # None: too short a term to warn (at once)
    running: Mapped[bool] = mapped_column(Boolean)
    warned_for: Mapped[date | None] = mapped_column(Date)
    breached_for: Mapped[date | None] = mapped_column(Date)


def term_rows(case: Complaint, tenant: Tenant) -> list[dict[str, Any]]:
    """The case's terms as index rows: the admissibility decision's where the tenant's term names its signal type,
    the acknowledgement's once one is decided; none for a part (its complaint's terms run)."""
    rows = []
    for term in TERMS:
        rule = getattr(tenant, f"{term}_window")
        owed = case.acknowledgement_id is not None if term == "acknowledgement" else True
        if case.part_of is not None or not owed or not rule.runs_for(case.signal_type):
            continue
        due = term_due(tenant, rule, received=case.received_at.date())
        rows.append({"case_id": str(case.id), "term": term, "tenant": case.tenant, "due_date": due.due,
                     "warn_on": due.warn_on, "running": case.term_running(term),
                     "warned_for": due.due if f"{term}:approaching:{due.due}" in case.deadline_events else None,
                     "breached_for": due.due if f"{term}:breached:{due.due}" in case.deadline_events else None})
    return rows


class DeadlineIndex(SqlProjection):
    name = "deadlines"

    def __init__(self, engine: Any, store: CaseProcess) -> None:
        super().__init__(engine)
        self.store = store

    async def handle(self, session: AsyncSession, event: Any) -> None:
        case: Complaint = await asyncio.to_thread(self.store.get, event.originator_id)
        insert = UPSERT[session.bind.dialect.name]
        for term in term_rows(case, self.store.tenants[case.tenant]):
            changed = {k: v for k, v in term.items() if k not in ("case_id", "term")}
            await session.execute(insert(TermDeadline).values(**term).on_conflict_do_update(
                index_elements=["case_id", "term"], set_=changed))
        if case.due_date is None:
            return
        row = {"tenant": case.tenant, "due_date": case.due_date, "open": case.is_open,
               "warn_on": warning_day(self.store.tenants[case.tenant], signal_type=case.signal_type,
                                      due=case.due_date),
               "warned_for": case.due_date if f"approaching:{case.due_date}" in case.deadline_events else None,
               "breached_for": case.due_date if f"breached:{case.due_date}" in case.deadline_events else None}
        upsert = UPSERT[session.bind.dialect.name](Deadline).values(case_id=str(case.id), **row)
        await session.execute(upsert.on_conflict_do_update(index_elements=["case_id"], set_=row))

    async def due(self, today: date) -> list[Deadline]:
        async with self.sessions() as session:
            rows = await session.scalars(select(Deadline).where(Deadline.open, or_(
                (Deadline.warn_on <= today) & or_(Deadline.warned_for.is_(None), Deadline.warned_for != Deadline.due_date),
                (Deadline.due_date < today) & or_(Deadline.breached_for.is_(None),
                                                 Deadline.breached_for != Deadline.due_date))))
            return list(rows)

    async def due_terms(self, today: date) -> list[TermDeadline]:
        async with self.sessions() as session:
            rows = await session.scalars(select(TermDeadline).where(TermDeadline.running, or_(
                and_(TermDeadline.warn_on <= today, or_(TermDeadline.warned_for.is_(None),
                                                        TermDeadline.warned_for != TermDeadline.due_date)),
                and_(TermDeadline.due_date < today, or_(TermDeadline.breached_for.is_(None),
                                                        TermDeadline.breached_for != TermDeadline.due_date)))))
            return list(rows)


class Scheduler:
    """Runs the index's follower and the check loop side by side (one worker of the service)."""

    def __init__(self, follower: Any, index: DeadlineIndex, interval: float, clock: Clock) -> None:
        self.follower, self.index, self.interval, self.clock = follower, index, interval, clock

    async def run(self) -> None:
        async with asyncio.TaskGroup() as both:  # stopped, both have stopped (see `Together`)
            both.create_task(self.follower.run())
            both.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            try:
                today = self.clock.now().date()
                await self.check(today)
                await self.check_terms(today)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next round tries again; the index is durable
                log.warning("deadline check failed", extra={"error": repr(exc)})
            await asyncio.sleep(self.interval)

    async def check(self, today: date) -> int:
        """Records every deadline event due by `today`; returns how many it recorded."""
        recorded = 0
        for row in await self.index.due(today):
            recorded += await asyncio.to_thread(self._record, row, today)
        return recorded

    async def check_terms(self, today: date) -> int:
        """Records every event of the acknowledgement's and the admissibility decision's terms due by `today`."""
        recorded = 0
        for row in await self.index.due_terms(today):
            recorded += await asyncio.to_thread(self._record_term, row, today)
        return recorded

    def _record_term(self, row: TermDeadline, today: date) -> int:
        fired: list[bool] = []

        def command(case: Complaint) -> None:
            at = self.clock.now()
            if row.warn_on is not None and row.warn_on <= today:
                fired.append(case.warn_term(term=row.term, due_date=row.due_date, actor=SYSTEM_QUALIFICATION, at=at))
            if row.due_date < today:
                fired.append(case.breach_term(term=row.term, due_date=row.due_date, actor=SYSTEM_QUALIFICATION, at=at))

        try:
            self.index.store.change(row.tenant, UUID(row.case_id), command)
        except (StaleVersion, IntegrityError):
            return 0  # as for the window: the next round decides again
        if any(fired):
            log.info("term event recorded", extra={"case_id": row.case_id, "term": row.term,
                                                   "due_date": str(row.due_date)})
        return sum(fired)

    def _record(self, row: Deadline, today: date) -> int:
        fired: list[bool] = []

        def command(case: Complaint) -> None:
            at = self.clock.now()
            if row.warn_on <= today:
                fired.append(case.warn_deadline(due_date=row.due_date, actor=SYSTEM_QUALIFICATION, at=at))
            if row.due_date < today:
                fired.append(case.breach_deadline(due_date=row.due_date, actor=SYSTEM_QUALIFICATION, at=at))

        try:
            self.index.store.change(row.tenant, UUID(row.case_id), command)
        except (StaleVersion, IntegrityError):
            return 0  # the case moved meanwhile: the index hears of it and the next round decides again
        if any(fired):
            log.info("deadline event recorded", extra={"case_id": row.case_id, "due_date": str(row.due_date)})
        return sum(fired)
