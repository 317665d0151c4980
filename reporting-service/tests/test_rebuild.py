"""Rebuilding the projection by replay gives the live tables, resumes after an interruption, and swaps in; on
each store (PostgreSQL and the embedded SQLite)."""

import asyncio
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from sqlalchemy import event, inspect, select
from sqlalchemy.engine import make_url

from complaints.adapters.follower import Follower
from complaints.adapters.readmodel import ProjectionTracking, create_engine
from complaints.settings import Settings
from complaints.adapters.store import COMPLAINT_EVENT_TOPICS, Complaints, Submission
from complaints.model.tenants import load_tenants
from reporting.projection import CaseProjection, case_summaries
from reporting.rebuild import rebuild

T = load_tenants()


async def rows(settings: Settings) -> list[dict]:
    engine = create_engine(settings)
    async with engine.connect() as conn:
        result = [dict(r) for r in (await conn.execute(select(case_summaries).order_by("case_id"))).mappings()]
    await engine.dispose()
    return result


def cases(store: Complaints, n: int, offset: int = 0) -> None:
    at = datetime(2023, 3, 1, tzinfo=timezone.utc)
    for i in range(offset, offset + n):
        case = store.receive(T["brandweer"], Submission("test"), actor="test", received_at=at + timedelta(hours=i),
                             channel="e-mail", signal_type="klacht", subject=f"#{i}", text="...",
                             complainant=store.personal.seal("brandweer", {"email": f"p{i % 7}@example.be"}))[0]
        case.route(team="communicatie", rule_id="default", config_version="1", actor="t", at=at)
        case.qualify(qualification="ongegrond" if i % 3 else "gegrond", config_version="1", actor="t", at=at)
        if i % 2:
            case.answer_complainant(text="Antwoord", channel="post", actor="t", at=at + timedelta(days=i % 40))
        store.save(case)


async def test_a_rebuild_equals_the_live_projection_resumes_and_the_live_follower_goes_on(
        any_store_settings: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("reporting.rebuild.BATCH", 500)
    store = Complaints(any_store_settings)
    cases(store, 220)  # about 900 case events: two batches
    engine = create_engine(any_store_settings)
    live = CaseProjection(engine, T)
    await live.create_tables(any_store_settings)
    follower = Follower(name=live.name, settings=any_store_settings, store=store, topics=COMPLAINT_EVENT_TOPICS,
                        apply=live.apply, skip=live.skip, load_position=live.position)
    await follower.catch_up()
    before = await rows(any_store_settings)
    assert len(before) == 220

    with pytest.raises(KeyboardInterrupt):
        await rebuild(any_store_settings, show_progress=False, stop_after_batches=1)
    async with engine.connect() as conn:
        halfway = (await conn.execute(select(ProjectionTracking).where(
            ProjectionTracking.application_name.like("rebuild:%")))).mappings().all()
    assert len(halfway) == 1 and halfway[0]["notification_id"] > 0

    name = await rebuild(any_store_settings, show_progress=False)
    assert halfway[0]["application_name"] == f"rebuild:{name}"  # the same rebuild, resumed
    assert halfway[0]["notification_id"] < await asyncio.to_thread(store.recorder.max_notification_id)
    assert await rows(any_store_settings) == before
    # The rebuilt table was filled without its indexes; it is swapped in with every one of them.
    async with engine.connect() as conn:
        indexes = await conn.run_sync(lambda sync: inspect(sync).get_indexes(case_summaries.name))
    assert sorted(i["name"].replace(name, "case_summaries") for i in indexes) == sorted(
        i.name for i in case_summaries.indexes)

    cases(store, 1, offset=500)  # the live follower carries on in the swapped-in table
    await follower.catch_up()
    after = await rows(any_store_settings)
    assert len(after) == 221 and all(r["events_applied"] >= 3 for r in after)
    await engine.dispose()
    store.close()


def live_table_seen_by_others(settings: Settings) -> bool:
    """Whether another connection sees a live table now (it sees only what was committed)."""
    url = make_url(settings.database_url)
    if settings.is_postgres:
        with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
            return conn.execute("SELECT to_regclass('case_summaries') IS NOT NULL").fetchone()[0]
    with closing(sqlite3.connect(url.database, timeout=0)) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'case_summaries'").fetchone()[0] == 1


async def test_the_swap_is_one_transaction_so_the_live_table_is_never_missing(
        any_store_settings: Settings, monkeypatch: pytest.MonkeyPatch):
    store = Complaints(any_store_settings)
    engine = create_engine(any_store_settings)
    try:
        cases(store, 3)
        live = CaseProjection(engine, T)
        await live.create_tables(any_store_settings)
        await Follower(name=live.name, settings=any_store_settings, store=store, topics=COMPLAINT_EVENT_TOPICS,
                       apply=live.apply, skip=live.skip, load_position=live.position).catch_up()  # a running service
        seen: list[bool] = []

        def watched(settings: Settings):
            rebuilding = create_engine(settings)

            @event.listens_for(rebuilding.sync_engine, "after_cursor_execute")
            def after_each(conn, cursor, statement, *_):
                if "RENAME TO" in statement:
                    seen.append(live_table_seen_by_others(settings))

            return rebuilding

        monkeypatch.setattr("reporting.rebuild.create_engine", watched)
        await rebuild(any_store_settings, show_progress=False)
        # After each rename (live -> retired, rebuilt -> live) a report still reads the live table of before.
        assert seen == [True, True]
        assert len(await rows(any_store_settings)) == 3
    finally:
        await engine.dispose()
        store.close()
