"""The case projection on each store (PostgreSQL and the embedded SQLite): each event applied once, effect and
position together."""

from datetime import datetime, timezone

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from sqlalchemy.ext.asyncio import create_async_engine

from complaints.settings import Settings
from complaints.adapters.store import Submission, Complaints
from complaints.model.tenants import load_tenants
from sqlalchemy import select

from reporting.projection import CaseProjection, case_summaries


@pytest.fixture
async def projection(any_store_settings: Settings):
    engine = create_async_engine(any_store_settings.async_database_url())
    projection = CaseProjection(engine, load_tenants())
    await projection.create_tables(any_store_settings)
    yield projection
    await engine.dispose()


async def row(projection: CaseProjection, case_id):
    async with projection.sessions() as session:
        query = select(case_summaries).where(case_summaries.c.case_id == str(case_id))
        return (await session.execute(query)).mappings().first()


def received(store: Complaints):
    case = store.receive(load_tenants()["brandweer"], Submission("test"), actor="test", received_at=datetime(2023, 1, 12, tzinfo=timezone.utc),
                         channel="e-mail", signal_type="klacht", subject="RIB", text="te snel", category="overlast")[0]
    notification = store.recorder.select_notifications(start=1, limit=10, topics=[
        "complaints.domain:Complaint.Received"])[0]
    return case, store.mapper.to_domain_event(notification), notification.id


async def test_an_event_applied_twice_is_refused_and_counted_once(any_store: Complaints, projection: CaseProjection):
    case, event, notification_id = received(any_store)
    await projection.apply(event, Tracking("reporting", notification_id))
    with pytest.raises(IntegrityError):
        await projection.apply(event, Tracking("reporting", notification_id))
    summary = await row(projection, case.id)
    assert (summary["events_applied"], summary["status"], summary["channel"]) == (1, "received", "e-mail")
    assert await projection.position() == notification_id


async def test_a_skipped_event_moves_the_position_without_an_effect(any_store: Complaints, projection: CaseProjection):
    case, _, notification_id = received(any_store)
    await projection.skip(Tracking("reporting", notification_id))
    assert await row(projection, case.id) is None
    assert await projection.position() == notification_id


async def test_a_reroute_moves_the_case_to_the_new_teams_rows_at_once(
        any_store_settings: Settings, any_store: Complaints, projection: CaseProjection):
    from complaints.adapters.follower import Follower
    from complaints.adapters.store import COMPLAINT_EVENT_TOPICS

    store = any_store
    case, _, _ = received(store)
    complaint = store.get(case.id)
    complaint.route(team="communicatie", rule_id="default", config_version="1", actor="t", at=complaint.received_at)
    complaint.reroute(team="financien", reason="factuur", rule_id=None, config_version="1", actor="t",
                      at=complaint.received_at)
    complaint.set_category(category="facturatie", config_version="1", actor="t", at=complaint.received_at)
    store.save(complaint)
    follower = Follower(name=projection.name, settings=any_store_settings, store=store, topics=COMPLAINT_EVENT_TOPICS,
                        apply=projection.apply, skip=projection.skip, load_position=projection.position)
    await follower.catch_up()
    summary = await row(projection, case.id)
    assert (summary["team"], summary["category"], summary["status"], summary["events_applied"]) == \
        ("financien", "facturatie", "routed", 4)


async def test_a_batch_overlapping_what_was_applied_is_refused_whole_and_the_follower_applies_the_rest_once(
        any_store_settings: Settings, any_store: Complaints, projection: CaseProjection):
    from complaints.adapters.follower import Follower
    from complaints.adapters.store import COMPLAINT_EVENT_TOPICS

    store = any_store
    case, _, _ = received(store)
    case.add_note(text="gebeld", actor="handler@brandweer", at=datetime(2023, 1, 13, tzinfo=timezone.utc))
    case.add_note(text="nogmaals", actor="handler@brandweer", at=datetime(2023, 1, 14, tzinfo=timezone.utc))
    store.save(case)
    notifications = store.recorder.select_notifications(start=1, limit=100, topics=COMPLAINT_EVENT_TOPICS)
    events = [(store.mapper.to_domain_event(n), n.id) for n in notifications]
    assert len(events) == 3

    await projection.apply(*events[0][:1], Tracking("reporting", events[0][1]))  # one applied already...
    with pytest.raises(IntegrityError):  # ...so a batch from the start would apply it twice
        await projection.apply_batch(events)
    assert (await row(projection, case.id))["events_applied"] == 1

    # A follower that thinks it is at the start (a second instance) falls back to one at a time.
    follower = Follower(name="reporting", settings=any_store_settings, store=store, topics=COMPLAINT_EVENT_TOPICS,
                        apply=projection.apply, skip=projection.skip, load_position=projection.position,
                        apply_batch=projection.apply_batch)
    await follower.catch_up()
    assert (await row(projection, case.id))["events_applied"] == 3
    assert await projection.position() == events[-1][1]


async def test_a_case_is_found_by_the_words_of_its_text_on_either_store(any_store: Complaints,
                                                                        projection: CaseProjection):
    """PostgreSQL matches Dutch words (its full-text search); SQLite, for `make run`, a substring in any case."""
    from reporting.api import _words
    from reporting.projection import case_search

    case, event, notification_id = received(any_store)  # one event at a time, and in a batch: the same words
    await projection.apply(event, Tracking("reporting", notification_id))
    other = any_store.receive(load_tenants()["brandweer"], Submission("test"), actor="test",
                              received_at=datetime(2023, 1, 13, tzinfo=timezone.utc), channel="e-mail",
                              signal_type="klacht", subject="Vuilnisbak", text="Niet geleegd")[0]
    later = any_store.recorder.select_notifications(start=notification_id + 1, limit=10, topics=[
        "complaints.domain:Complaint.Received"])[0]
    await projection.apply_batch([(any_store.mapper.to_domain_event(later), later.id)])

    async def found(q: str) -> set[str]:
        async with projection.sessions() as session:
            return set((await session.scalars(select(case_search.c.case_id).where(_words(session, q)))).all())

    assert await found("Snel") == {str(case.id)}
    assert await found("vuilnisbak") == {str(other.id)}
    assert await found("geleegd") == {str(other.id)}
