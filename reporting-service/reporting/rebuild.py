"""Rebuilds the case projection from the event store, while the live one keeps serving.

    python -m reporting.rebuild

Replays every case event into a new table (`case_summaries_r<time>`), with a
progress bar (events/s, ETA) and its own position, so an interrupted rebuild
resumes where it stopped. The table gets its indexes once it is full. When it
has caught up, one transaction holds the live projection's position, applies
what is left, and swaps the new table in; the live follower then goes on from
there.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from sqlalchemy import MetaData, delete, select, text, update
from tqdm import tqdm

from complaints.adapters.privileges import grants_like
from complaints.adapters.readmodel import ProjectionTracking, create_engine
from complaints.settings import Settings, get_settings
from complaints.adapters.store import PUBLISHED_TOPICS, Complaints
from complaints.model.tenants import load_tenants
from reporting.projection import LIVE, CaseProjection, summaries_table

PREFIX = "rebuild:"
BATCH = 5000


async def _unfinished(projection_engine: Any) -> str | None:
    async with projection_engine.connect() as conn:
        names = (await conn.execute(select(ProjectionTracking.application_name).where(
            ProjectionTracking.application_name.like(PREFIX + "%")))).scalars().all()
    return names[0].removeprefix(PREFIX) if names else None


async def _events(store: Complaints, after: int, stop: int) -> list[tuple[Any, int]]:
    def read() -> list[tuple[Any, int]]:
        # Cut at `stop` here: asked of the database, the bound halved the read rate (its prepared plan).
        notifications = store.recorder.select_notifications(start=after + 1, limit=BATCH,
                                                            topics=PUBLISHED_TOPICS)
        return [(store.mapper.to_domain_event(n), n.id) for n in notifications if n.id <= stop]

    return await asyncio.to_thread(read)


async def rebuild(settings: Settings, *, show_progress: bool = True, stop_after_batches: int | None = None) -> str:
    """Rebuilds and swaps in the projection; returns the rebuilt table's name. `stop_after_batches`
    interrupts it on purpose (to show that the next run resumes)."""
    if not settings.schema_changes:
        raise SystemExit("a rebuild creates and swaps tables: run it as the tables' owner (the migration "
                         "step's DATABASE_URL and DATABASE_ROLES, SCHEMA_CHANGES=true)")
    store = await asyncio.to_thread(Complaints, settings)
    engine = create_engine(settings)
    tenants = load_tenants(settings.tenants_dir)
    live = CaseProjection(engine, tenants)
    await live.create_tables(settings)
    name = await _unfinished(engine) or f"{LIVE}_r{int(time.time() * 1000)}"
    building = CaseProjection(engine, tenants, table=summaries_table(MetaData(), name), name=PREFIX + name)
    await building.create_tables(settings)
    try:
        position = await building.position() or 0
        head = await asyncio.to_thread(store.recorder.max_notification_id) or 0
        with tqdm(total=head, initial=position, unit="event", desc=f"rebuild {LIVE}", disable=not show_progress,
                  file=sys.stderr) as bar:
            batches = 0
            ahead = asyncio.ensure_future(_events(store, position, head))
            try:
                while position < head:
                    events = await ahead
                    position = events[-1][1] if events else head
                    # The next batch is read and decoded while this one is written.
                    ahead = asyncio.ensure_future(_events(store, position, head))
                    async with building.sessions.begin() as session:
                        await building.fold(session, events)
                    bar.n = position
                    bar.refresh()
                    batches += 1
                    if stop_after_batches is not None and batches >= stop_after_batches:
                        raise KeyboardInterrupt("rebuild interrupted on purpose")
            finally:
                await asyncio.gather(ahead, return_exceptions=True)  # its thread still uses the store
        await building.create_indexes()
        await _swap(store, live, building, position, grants_like(settings, building.table.name, LIVE))
        return name
    finally:
        await engine.dispose()
        store.close()


async def _swap(store: Complaints, live: CaseProjection, building: CaseProjection, position: int,
                grants: list[str]) -> None:
    async with live.sessions.begin() as session:
        # Holding the live position keeps the live follower out until the new table is in place. The first
        # statement writes: on SQLite that is what opens the transaction (its driver begins one only before
        # a write), so the renames below commit together instead of each on its own.
        await session.execute(update(ProjectionTracking).where(ProjectionTracking.application_name == live.name)
                              .values(notification_id=ProjectionTracking.notification_id))
        tracked = await session.get(ProjectionTracking, live.name, with_for_update=True)
        target = tracked.notification_id if tracked else 0
        while position < target:
            events = await _events(store, position, target)
            for event, _ in events:
                await building.handle(session, event)
            position = events[-1][1] if events else target
        if tracked is None:
            session.add(ProjectionTracking(application_name=live.name, notification_id=position))
        else:
            tracked.notification_id = max(target, position)
        for grant in grants:  # the roles that use the live table may use its successor
            await session.execute(text(grant))
        retired = f"{LIVE}_retired_{int(time.time() * 1000)}"
        await session.execute(text(f'ALTER TABLE {LIVE} RENAME TO "{retired}"'))
        await session.execute(text(f'ALTER TABLE "{building.table.name}" RENAME TO {LIVE}'))
        await session.execute(text(f'DROP TABLE "{retired}"'))
        await session.execute(delete(ProjectionTracking).where(ProjectionTracking.application_name == building.name))


def main() -> int:
    name = asyncio.run(rebuild(get_settings()))
    print(f"rebuilt {LIVE} (built as {name}) and swapped it in")
    return 0


if __name__ == "__main__":
    sys.exit(main())
