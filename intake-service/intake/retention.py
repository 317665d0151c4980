"""Retention: each tenant's personal data is erased once a complainant's cases have all been closed longer
than the tenant keeps it (`retention.personal_data_days_after_close` in its file).

As with the deadlines, no timer is the source of truth. An index (`complainant_cases`: each case's pseudonym,
when it closed, whether its pseudonym was erased) follows the store; a loop asks it, each
`retention_check_seconds`, which pseudonyms are past the period, and erases them through the audit use case,
recorded as `ComplainantErased` with the reason `retention`. The stored events are never touched, so every
hash chain still verifies. A pseudonym erased is marked in the index (by the loop, and again when the index
follows the record), so a second round or a second intake erases nothing twice. It lives in intake because
intake owns erasure: it alone may delete keys.

Following the store also does two things for erasure itself: each case's contacts are linked to its
pseudonym (`PersonalData.index`: cases sealed before pseudonyms were random become erasable by any contact
they gave), and each erasure record's keys are deleted again (an erasure whose deletion broke off after its
record was saved is completed).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import Boolean, Index, String, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from complaints.adapters.personal import PersonalData
from complaints.adapters.readmodel import Base, Moment, SqlProjection
from complaints.adapters.store import ERASURE_TOPICS
from complaints.application.audit import Audit
from complaints.application.clock import Clock
from complaints.model.complaint import Complaint
from complaints.model.tenants import Tenant

log = logging.getLogger(__name__)
UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
TOPICS = (*(get_topic(getattr(Complaint, name)) for name in ("Received", "Closed", "Transferred", "Reopened")),
          *ERASURE_TOPICS)
ROUND = 500  # pseudonyms per erasure record


class ComplainantCase(Base):
    __tablename__ = "complainant_cases"
    __table_args__ = (Index("ix_complainant_cases_tenant_subject", "tenant", "erased", "subject"),)
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(36))
    closed_at: Mapped[datetime | None] = mapped_column(Moment())
    erased: Mapped[bool] = mapped_column(Boolean, default=False)


class ComplainantIndex(SqlProjection):
    name = "complainants"

    def __init__(self, engine: Any, personal: PersonalData) -> None:
        super().__init__(engine)
        self.personal = personal

    async def handle(self, session: AsyncSession, event: Any) -> None:
        kind, case_id = type(event).__name__, str(event.originator_id)
        table = ComplainantCase.__table__
        if kind == "Received" and event.complainant:
            await asyncio.to_thread(self.personal.index, event.tenant, event.complainant)
            row = {"tenant": event.tenant, "subject": event.complainant["subject"], "closed_at": None,
                   "erased": False}
            upsert = UPSERT[session.bind.dialect.name](table).values(case_id=case_id, **row)
            await session.execute(upsert.on_conflict_do_nothing(index_elements=["case_id"]))
        elif kind in ("Closed", "Transferred", "Reopened"):
            closed_at = None if kind == "Reopened" else event.occurred_at
            await session.execute(update(table).where(table.c.case_id == case_id).values(closed_at=closed_at))
        elif kind == "ComplainantErased" and event.subjects:
            await asyncio.to_thread(self.personal.erase, event.subjects)
            await self.mark_erased(event.subjects, session)

    async def mark_erased(self, subjects: list[str], session: AsyncSession | None = None) -> None:
        table = ComplainantCase.__table__
        statement = update(table).where(table.c.subject.in_(subjects)).values(erased=True)
        if session is not None:
            await session.execute(statement)
            return
        async with self.sessions.begin() as own:
            await own.execute(statement)

    async def due(self, tenant: str, closed_before: datetime, limit: int = ROUND) -> dict[str, list[str]]:
        """The tenant's pseudonyms not yet erased whose every case closed before then, with their cases."""
        table = ComplainantCase.__table__
        mine = (table.c.tenant == tenant) & table.c.erased.is_(False)
        past = (select(table.c.subject).where(mine).group_by(table.c.subject)
                .having(func.count() == func.count(table.c.closed_at), func.max(table.c.closed_at) < closed_before)
                .limit(limit))
        async with self.sessions() as session:
            rows = await session.execute(select(table.c.subject, table.c.case_id)
                                         .where(mine, table.c.subject.in_(past)))
        found: dict[str, list[str]] = defaultdict(list)
        for subject, case_id in rows:
            found[subject].append(case_id)
        return dict(found)


INDEX_WAIT_SECONDS = 60.0


class Retention:
    """Runs the index's follower and the retention loop side by side (intake's worker)."""

    def __init__(self, follower: Any, index: ComplainantIndex, audit: Audit, tenants: dict[str, Tenant],
                 interval: float, clock: Clock) -> None:
        self.follower, self.index, self.audit, self.tenants = follower, index, audit, tenants
        self.interval, self.clock = interval, clock

    async def run(self) -> None:
        async with asyncio.TaskGroup() as both:  # stopped, both have stopped (see `Together`)
            both.create_task(self.follower.run())
            both.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next round tries again; the index is durable
                log.warning("retention check failed", extra={"error": repr(exc)})
            await asyncio.sleep(self.interval)

    async def check(self) -> int:
        """Erases every pseudonym past its tenant's period now; returns how many."""
        if not await self._index_caught_up():
            log.warning("retention round skipped: the complainant index is behind the store")
            return 0
        erased = 0
        for tenant in self.tenants.values():
            closed_before = tenant.retention.closed_before(self.clock.now())
            while closed_before is not None and (due := await self.index.due(tenant.id, closed_before)):
                await asyncio.to_thread(self.audit.erase_expired, tenant, due)
                await self.index.mark_erased(list(due))
                erased += len(due)
                log.info("personal data past retention erased", extra={"tenant": tenant.id, "pseudonyms": len(due)})
        return erased

    async def _index_caught_up(self) -> bool:
        """Waits until the index has followed the store as far as it went when the round began: a case of a
        pseudonym received meanwhile keeps it from being erased with that person's closed cases."""
        head = await asyncio.to_thread(self.follower.store.recorder.max_notification_id) or 0
        waited = 0.0
        while self.follower.position < head:
            if waited >= INDEX_WAIT_SECONDS:
                return False
            await asyncio.sleep(0.1)
            waited += 0.1
        return True
