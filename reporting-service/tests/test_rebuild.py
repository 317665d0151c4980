"""Rebuilding the projection by replay gives the live tables, resumes after an interruption, and swaps in."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select

from complaints.follower import Follower
from complaints.readmodel import ProjectionTracking, create_engine
from complaints.settings import Settings
from complaints.store import COMPLAINT_EVENT_TOPICS, Complaints, Submission
from complaints.tenants import load_tenants
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
        settings: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("reporting.rebuild.BATCH", 500)
    store = Complaints(settings)
    cases(store, 220)  # about 900 case events: two batches
    engine = create_engine(settings)
    live = CaseProjection(engine, T)
    await live.create_tables()
    follower = Follower(name=live.name, settings=settings, store=store, topics=COMPLAINT_EVENT_TOPICS,
                        apply=live.apply, skip=live.skip, load_position=live.position)
    await follower.catch_up()
    before = await rows(settings)
    assert len(before) == 220

    with pytest.raises(KeyboardInterrupt):
        await rebuild(settings, show_progress=False, stop_after_batches=1)
    async with engine.connect() as conn:
        halfway = (await conn.execute(select(ProjectionTracking).where(
            ProjectionTracking.application_name.like("rebuild:%")))).mappings().all()
    assert len(halfway) == 1 and halfway[0]["notification_id"] > 0

    name = await rebuild(settings, show_progress=False)
    assert halfway[0]["application_name"] == f"rebuild:{name}"  # the same rebuild, resumed
    assert halfway[0]["notification_id"] < await asyncio.to_thread(store.recorder.max_notification_id)
    assert await rows(settings) == before
    # The rebuilt table was filled without its indexes; it is swapped in with every one of them.
    async with engine.connect() as conn:
        indexes = await conn.run_sync(lambda sync: inspect(sync).get_indexes(case_summaries.name))
    assert sorted(i["name"].replace(name, "case_summaries") for i in indexes) == sorted(
        i.name for i in case_summaries.indexes)

    cases(store, 1, offset=500)  # the live follower carries on in the swapped-in table
    await follower.catch_up()
    after = await rows(settings)
    assert len(after) == 221 and all(r["events_applied"] >= 3 for r in after)
    await engine.dispose()
    store.close()
