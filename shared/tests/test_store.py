"""The event store on the real PostgreSQL: case numbers under concurrency."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from complaints.settings import Settings
from complaints.store import Submission, Complaints
from complaints.tenants import load_tenants


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
