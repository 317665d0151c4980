"""A running intake and reporting for a test module, and a manager's view of each tenant's published tables:
the case sets of seed 001 are imported through the public import API and the tables read back (the tests of
reporting-service/tests/test_published_tables*.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

from complaints.adapters.store import Complaints
from complaints.settings import Settings
from complaints.web.auth import Credentials
from conftest import settings_for
from intake.app import build as intake_app
from reporting.app import build as reporting_app
from tests.seed001 import batches


class Published:
    """The module's running intake and reporting, and a manager's view of each tenant's reports."""

    def __init__(self, settings: Settings) -> None:
        self.store = Complaints(settings)
        self.credentials = Credentials(self.store, settings)
        self.intake = TestClient(intake_app(settings)).__enter__()
        self.reporting = TestClient(reporting_app(settings)).__enter__()
        self.imported: set[str] = set()

    def close(self) -> None:
        self.reporting.__exit__(None, None, None)
        self.intake.__exit__(None, None, None)
        self.store.close()

    def manager(self, tenant: str) -> dict[str, str]:
        token = self.credentials.token_for(subject=f"manager@{tenant}", tenants=[tenant], roles=["manager"])
        return {"Authorization": f"Bearer {token}"}

    def load(self, tenant: str, items: list[dict[str, Any]]) -> None:
        """Imports the tenant's case set once, then waits for the projection to hold all of it."""
        if tenant in self.imported:
            return
        key = {"X-API-Key": self.credentials.issue_key(name="register", tenant=tenant, role="import")}
        for batch in batches(items):
            answer = self.intake.post(f"/v1/tenants/{tenant}/imports", headers=key, json={"items": batch})
            assert answer.status_code == 200, answer.text
            assert answer.json()["created"] == len(batch), [i for i in answer.json()["items"] if i["errors"]][:3]
        wiring = self.reporting.app.state.wiring
        deadline = time.monotonic() + 300
        while wiring.resources["follower"].position < (self.store.recorder.max_notification_id() or 0):
            assert time.monotonic() < deadline, "the projection did not catch up"
            time.sleep(0.2)
        self.imported.add(tenant)

    def table(self, tenant: str, report: str, year: int = 2023) -> dict[str, Any]:
        answer = self.reporting.get(f"/v1/tenants/{tenant}/reports/{report}", params={"year": year},
                                    headers=self.manager(tenant))
        assert answer.status_code == 200, answer.text
        return answer.json()


def running(postgres: Any, broker: Any, name: str) -> Iterator[Published]:
    """One set for a module, on a database of its own (a module fixture yields from this)."""
    published = Published(settings_for(postgres.create_database(f"p{os.getpid()}_{name}"), broker))
    try:
        yield published
    finally:  # also when the module's fixture failed before its own yield
        published.close()
