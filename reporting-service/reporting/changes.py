"""Case changes as they are committed, for the live stream (server-sent events).

One subscription to the store per process (`complaints.adapters.pushed`: LISTEN/NOTIFY
on PostgreSQL) keeps a window of the most recent case events. Each stream follows
the notification log from a position of its own: inside the window it reads the
window, further back (a `Last-Event-ID` from before it, a slow reader) it reads the
store. So a reconnect resumes right after the last event it was sent, with nothing
missed and nothing repeated, and each pushed event's id is its notification id.

Who may see a change is the permission policy's read rule on the team that owns the
case (for a reroute, the team before and after). The owning team is known from the
event itself (routing), from the window, or else from the case's projected row.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prometheus_client import Gauge
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from complaints.adapters import pushed
from complaints.adapters.retries import any_error, until_available
from complaints.adapters.store import COMPLAINT_EVENT_TOPICS, Complaints
from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.model.audit import summary
from reporting.projection import case_summaries

WINDOW = 2000  # recent events kept for the streams (a few seconds at peak; older ones come from the store)
READ_BATCH = 200
KNOWN_CASES = 100_000  # owning teams remembered (the projection's row answers for the others)
OPEN = Gauge("live_streams_open", "Live streams of case changes open in this process")


@dataclass(frozen=True)
class Change:
    """One committed case event, with what decides who may see it."""

    id: int  # its notification id: the stream's event id
    event: Any
    teams: tuple[str | None, ...]  # the owning team(s): before and after for a reroute
    case_number: str | None

    def data(self, language: str) -> str:
        event = self.event
        return json.dumps({
            "case_id": str(event.originator_id), "case_number": self.case_number, "type": type(event).__name__,
            "version": event.originator_version, "team": self.teams[-1],
            "occurred_at": getattr(event, "occurred_at", event.timestamp).isoformat(),
            "recorded_at": event.timestamp.isoformat(), "summary": summary(event, language)})


class TooManyStreams(Exception):
    """This process serves as many streams as it may (a 503: try again later, or another instance)."""


class Changes:
    def __init__(self, store: Complaints, engine: AsyncEngine, *, max_streams: int) -> None:
        self.store, self.engine, self.max_streams = store, engine, max_streams
        self.recent: deque[Change] = deque(maxlen=WINDOW)
        self.floor = 0  # every case event after this one, up to `head`, is in `recent` (or fell out of it)
        self.head = 0
        self.open = 0
        self._moved = asyncio.Condition()
        self._known: OrderedDict[UUID, tuple[str | None, str | None]] = OrderedDict()  # case: (team, number)

    # --- following the store (the reporting service's worker) ---------------------------------------
    async def run(self) -> None:
        async for attempt in until_available(retry_on=any_error):
            with attempt:
                await self._follow()

    async def _follow(self) -> None:
        start = await asyncio.to_thread(self.store.recorder.max_notification_id) or 0
        async with self._moved:
            self.recent.clear()
            self.floor = self.head = max(self.head, start)
        async with aclosing(pushed.batches(self.store, gt=self.floor, topics=COMPLAINT_EVENT_TOPICS,
                                           size=READ_BATCH)) as events:
            async for batch in events:
                changes = await self._changes([(event, tracking.notification_id) for event, tracking in batch],
                                              self._known)
                async with self._moved:
                    evicting = len(self.recent) + len(changes) > WINDOW
                    self.recent.extend(changes)
                    if evicting:  # a stream behind the window's first event reads the store from here
                        self.floor = self.recent[0].id - 1
                    self.head = changes[-1].id
                    self._moved.notify_all()

    async def _changes(self, events: list[tuple[Any, int]], known: OrderedDict[UUID, tuple[str | None, str | None]],
                       ) -> list[Change]:
        """The events with their owning teams and case numbers, as of each event: from the events, from
        `known` (what the events before said), else the projected rows. The live window keeps its own
        `known`; a read further back starts one of its own, so old events never teach the window old teams."""
        told = {e.originator_id for e, _ in events if type(e).__name__ in ("Received", "Routed")}
        unknown = {e.originator_id for e, _ in events} - told - known.keys()
        if unknown:
            async with self.engine.connect() as conn:
                rows = await conn.execute(select(case_summaries.c.case_id, case_summaries.c.team,
                                                 case_summaries.c.case_number)
                                          .where(case_summaries.c.case_id.in_([str(i) for i in unknown])))
                for case_id, team, number in rows:
                    _remember(known, UUID(case_id), team, number)
        changes = []
        for event, notification_id in events:
            team, number = known.get(event.originator_id, (None, None))
            teams: tuple[str | None, ...] = (team,)
            kind = type(event).__name__
            if kind == "Received":
                number = event.case_number
            elif kind in ("Routed", "Rerouted"):
                teams = (getattr(event, "from_team", team), event.team) if kind == "Rerouted" else (event.team,)
                team = event.team
            _remember(known, event.originator_id, team, number)
            changes.append(Change(notification_id, event, teams, number))
        return changes

    # --- one stream ----------------------------------------------------------------------------------
    def admit(self) -> None:
        """Refuses a new stream when this process serves as many as it may."""
        if self.open >= self.max_streams:
            raise TooManyStreams()

    async def follow(self, caller: Caller, tenant: str, *, after: int | None, team: str | None,
                     case_id: UUID | None) -> AsyncIterator[Change]:
        """The changes this caller may see, of this tenant (and team, and case), after notification `after`
        (now, when None), as they are committed: for as long as the caller listens."""
        self.open += 1
        OPEN.inc()
        try:
            position = self.head if after is None else after
            while True:
                changes, position = await self._after(position)
                for change in changes:
                    event = change.event
                    if (event.tenant == tenant and (case_id is None or event.originator_id == case_id)
                            and (team is None or team in change.teams)
                            and permissions.may_see_change(caller, change.teams)):
                        yield change
                if not changes:
                    async with self._moved:
                        await self._moved.wait_for(lambda: self.head > position)
        finally:
            self.open -= 1
            OPEN.dec()

    async def _after(self, position: int) -> tuple[list[Change], int]:
        """The next changes after `position`, and the position they bring the reader to."""
        floor = self.floor
        if position >= floor:
            return [c for c in self.recent if c.id > position], max(position, self.head)
        notifications = await asyncio.to_thread(self.store.recorder.select_notifications, start=position + 1,
                                                limit=READ_BATCH, stop=floor, topics=COMPLAINT_EVENT_TOPICS)
        changes = await self._changes([(self.store.mapper.to_domain_event(n), n.id) for n in notifications],
                                      OrderedDict())
        return changes, changes[-1].id if len(changes) == READ_BATCH else floor


def _remember(known: OrderedDict[UUID, tuple[str | None, str | None]], case_id: UUID, team: str | None,
              number: str | None) -> None:
    known[case_id] = (team, number)
    known.move_to_end(case_id)
    while len(known) > KNOWN_CASES:
        known.popitem(last=False)
