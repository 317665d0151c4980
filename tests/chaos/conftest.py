"""The chaos scenarios' fixture: a running set of their own, with the broker or database the fault needs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from complaints.settings import Settings
from launcher.infra import free_port, start_postgres
from tests.chaos.faults import Chaos


@pytest.fixture
def chaos(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> Iterator[Chaos]:
    """The fault's name is the parameter: a restarted database or a replaced broker is the scenario's own."""
    fault = request.param
    log_dir = Path(os.environ.get("TEST_LOG_DIR", ".data/test-logs")) / tmp_path.name
    own_postgres = start_postgres() if fault == "postgres restarted" else None
    if own_postgres:
        settings = settings.model_copy(update={"database_url": own_postgres.create_database("chaos")})
    broker_port = free_port() if fault == "broker replaced by an empty one" else None
    if broker_port:
        settings = settings.model_copy(update={"kafka_bootstrap_servers": f"127.0.0.1:{broker_port}"})
    running = Chaos(settings, log_dir, own_postgres, broker_port)
    try:
        yield running
    finally:
        running.close()
        if own_postgres:
            own_postgres.stop()
