"""The event store on each store (PostgreSQL and the embedded SQLite): case numbers under concurrency, and
opening it at start-up."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest

from complaints.settings import Settings
from complaints.adapters.store import Submission, Complaints
from complaints.model.tenants import load_tenants
from launcher.infra import start_postgres


def test_case_numbers_are_gap_free_and_unique_under_concurrent_intake(any_store_settings: Settings):
    # Two applications stand for two intake processes competing for the same counter.
    apps = [Complaints(any_store_settings), Complaints(any_store_settings)]
    tenant = load_tenants()["brandweer"]

    def receive(i: int) -> str:
        return apps[i % 2].receive(tenant, Submission("test"), actor="test", received_at=datetime(2023, 5, 1, tzinfo=timezone.utc),
            channel="e-mail", signal_type="klacht", subject=f"#{i}", text="...",
        )[0].case_number

    try:
        with ThreadPoolExecutor(max_workers=16) as pool:
            numbers = list(pool.map(receive, range(60)))
        assert sorted(numbers) == [f"BZA-2023-{n:04d}" for n in range(1, 61)]
    finally:
        for app in apps:
            app.close()


def test_a_case_number_counts_in_the_year_the_case_was_received(any_store_settings: Settings):
    app = Complaints(any_store_settings)
    tenant = load_tenants()["brandweer"]
    old = app.receive(tenant, Submission("test"), actor="import", received_at=datetime(2023, 12, 31, 23, 0, tzinfo=timezone.utc),
                      channel="e-mail", signal_type="klacht", subject="a", text="b")[0]
    new = app.receive(tenant, Submission("test"), actor="import", received_at=datetime(2024, 1, 2, tzinfo=timezone.utc),
                      channel="e-mail", signal_type="klacht", subject="a", text="b")[0]
    assert (old.case_number, new.case_number) == ("BZA-2023-0001", "BZA-2024-0001")
    app.close()


@pytest.fixture(params=["postgres", "sqlite"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path):
    """A function that makes a new, empty database of this store and returns its URL."""
    if request.param == "postgres":
        postgres = request.getfixturevalue("postgres")
        return lambda: postgres.create_database(f"crowd_{uuid.uuid4().hex[:8]}")
    return lambda: f"sqlite:///{tmp_path / f'crowd_{uuid.uuid4().hex[:8]}.db'}"


def test_processes_starting_together_on_a_fresh_database_all_open_the_store(fresh_database):
    # Every service creates the tables it needs as it starts, and a set starts all at once. Without
    # taking turns this failed in every run on PostgreSQL ("relation ... already exists", a duplicate
    # pg_type key); `make run` starts its set on a fresh SQLite file the same way.
    for _ in range(6):
        settings = Settings(database_url=fresh_database())
        together = threading.Barrier(10)

        def open_store(_: int) -> Complaints:
            together.wait()
            return Complaints(settings)

        with ThreadPoolExecutor(max_workers=10) as pool:
            opening = [pool.submit(open_store, i) for i in range(10)]
        try:
            stores = [opened.result() for opened in opening]
            assert stores[0].recorder.max_notification_id() is None
        finally:
            for opened in opening:
                if opened.exception() is None:
                    opened.result().close()


def test_a_process_started_before_the_database_waits_for_it():
    # PostgreSQL only: SQLite is a file the process opens itself, there is no server to wait for.
    # A deployment starts the services and PostgreSQL together: the store is opened once it is up.
    postgres = start_postgres()
    try:
        settings = Settings(database_url=postgres.create_database("late"))
        postgres.halt()
        late = threading.Timer(3.0, postgres.start)
        late.start()
        try:
            store = Complaints(settings)
        finally:
            late.join()  # started before it is stopped below, whatever happened
        assert store.recorder.max_notification_id() is None
        store.close()
    finally:
        postgres.stop()
