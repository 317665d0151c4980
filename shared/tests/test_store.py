"""The event store on the real PostgreSQL: case numbers under concurrency, and opening it at start-up."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from complaints.settings import Settings
from complaints.store import Submission, Complaints
from complaints.tenants import load_tenants
from launcher.infra import start_postgres


def test_case_numbers_are_gap_free_and_unique_under_concurrent_intake(settings: Settings):
    # Two applications stand for two intake processes competing for the same counter.
    apps = [Complaints(settings), Complaints(settings)]
    tenant = load_tenants()["brandweer"]

    def receive(i: int) -> str:
        return apps[i % 2].receive(tenant, Submission("test"), actor="test", received_at=datetime(2023, 5, 1, tzinfo=timezone.utc),
            channel="e-mail", signal_type="klacht", subject=f"#{i}", text="...",
        )[0].case_number

    with ThreadPoolExecutor(max_workers=16) as pool:
        numbers = list(pool.map(receive, range(60)))
    assert sorted(numbers) == [f"BZA-2023-{n:04d}" for n in range(1, 61)]
    for app in apps:
        app.close()


def test_a_case_number_counts_in_the_year_the_case_was_received(settings: Settings):
    app = Complaints(settings)
    tenant = load_tenants()["brandweer"]
    old = app.receive(tenant, Submission("test"), actor="import", received_at=datetime(2023, 12, 31, 23, 0, tzinfo=timezone.utc),
                      channel="e-mail", signal_type="klacht", subject="a", text="b")[0]
    new = app.receive(tenant, Submission("test"), actor="import", received_at=datetime(2024, 1, 2, tzinfo=timezone.utc),
                      channel="e-mail", signal_type="klacht", subject="a", text="b")[0]
    assert (old.case_number, new.case_number) == ("BZA-2023-0001", "BZA-2024-0001")
    app.close()


def test_processes_starting_together_on_a_fresh_database_all_open_the_store(postgres):
    # Every service creates the tables it needs as it starts, and a set starts all at once. Without
    # taking turns this failed in every run ("relation ... already exists", a duplicate pg_type key).
    for _ in range(6):
        settings = Settings(database_url=postgres.create_database(f"crowd_{uuid.uuid4().hex[:8]}"))
        together = threading.Barrier(10)

        def open_store(_: int) -> Complaints:
            together.wait()
            return Complaints(settings)

        with ThreadPoolExecutor(max_workers=10) as pool:
            stores = list(pool.map(open_store, range(10)))
        assert stores[0].recorder.max_notification_id() is None
        for store in stores:
            store.close()


def test_a_process_started_before_the_database_waits_for_it():
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
