"""Fixtures for every test folder: the real PostgreSQL and broker, and the running set.

PostgreSQL and the broker are started once per session (and always stopped);
each test that needs a store gets a database of its own, so tests never see
each other's events.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from complaints.settings import Settings
from launcher.infra import Broker, Postgres, free_port, start_broker, start_postgres
from launcher.stack import SERVICES, Stack

_names = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    pg = start_postgres()
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def broker() -> Iterator[Broker]:
    b = start_broker(log_path=Path(os.environ.get("TEST_LOG_DIR", ".data/test-logs")) / "broker.log")
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[dict]:
    """A broker of this test's own, to stop and replace: {"broker": Broker, "port": int}."""
    port = free_port()
    holder = {"broker": start_broker(port, log_path=tmp_path / "broker.log"), "port": port}
    yield holder
    holder["broker"].stop()


@pytest.fixture
def database_url(postgres: Postgres) -> str:
    return postgres.create_database(f"t{os.getpid()}_{next(_names)}")


def settings_for(database_url: str, broker: Broker) -> Settings:
    """Settings on this database, with topics of their own on the shared broker."""
    suffix = uuid.uuid4().hex[:8]
    return Settings(
        database_url=database_url,
        kafka_bootstrap_servers=broker.bootstrap,
        events_topic=f"complaints.events.{suffix}",
        dead_letter_topic=f"complaints.deadletter.{suffix}",
        catch_up_interval_seconds=0.5,
    )


@pytest.fixture
def settings(database_url: str, broker: Broker) -> Settings:
    """Settings for one test: its own database and its own topics on the shared broker."""
    return settings_for(database_url, broker)


STORES = ("postgres", "sqlite")


@pytest.fixture(params=STORES)
def any_store_settings(request: pytest.FixtureRequest, broker: Broker, tmp_path: Path) -> Settings:
    """As `settings`, once per store: PostgreSQL (production, the end-to-end tests) and the embedded SQLite
    file that `make run` uses. A scenario that takes this runs on both (`-k sqlite` picks one store).

    PostgreSQL is started only for the `postgres` case; the topics are on the shared broker either way. (Built
    like `settings` rather than asking for it, so a test class may override `settings` with this one.)"""
    if request.param == "postgres":
        database_url = request.getfixturevalue("database_url")
    else:
        database_url = f"sqlite:///{tmp_path / 'complaints.db'}"
    return settings_for(database_url, broker)


@pytest.fixture
def any_store(any_store_settings: Settings):
    """As `store`, on `any_store_settings` (once per store)."""
    from complaints.adapters.store import Complaints

    store = Complaints(any_store_settings)
    yield store
    store.close()


def stack_env(settings: Settings) -> dict[str, str]:
    env = {
        "DATABASE_URL": settings.database_url,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "EVENTS_TOPIC": settings.events_topic,
        "DEAD_LETTER_TOPIC": settings.dead_letter_topic,
        "CATCH_UP_INTERVAL_SECONDS": str(settings.catch_up_interval_seconds),
    }
    for _, port_field in SERVICES.values():
        env[port_field.upper()] = str(free_port())
    return env


def running_stack(settings: Settings, name: str) -> Iterator[Stack]:
    running = Stack(stack_env(settings), log_dir=Path(os.environ.get("TEST_LOG_DIR", ".data/test-logs")) / name)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def stack(settings: Settings, tmp_path: Path) -> Iterator[Stack]:
    """The relay and the four services as separate uvicorn processes, on this test's database."""
    yield from running_stack(settings, tmp_path.name)


@pytest.fixture(scope="module")
def module_stack(postgres: Postgres, broker: Broker, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """One running set for a whole module whose tests do not disturb each other (fuzzing, bad input):
    starting five processes per test would cost more than the tests themselves."""
    name = f"m{os.getpid()}_{next(_names)}"
    yield from running_stack(settings_for(postgres.create_database(name), broker), f"{request.module.__name__}-{name}")


@pytest.fixture
def store(settings: Settings):
    """The event store of this test's database."""
    from complaints.adapters.store import Complaints

    store = Complaints(settings)
    yield store
    store.close()


@pytest.fixture
def auth(settings: Settings) -> dict[str, dict[str, str]]:
    """Request headers per role for the fire zone (and `other-tenant` for a police-zone intake key)."""
    return auth_headers(settings)


@pytest.fixture(scope="module")
def module_auth(module_stack: Stack) -> dict[str, dict[str, str]]:
    """As `auth`, on the module's running set."""
    return auth_headers(module_stack.settings)


def auth_headers(settings: Settings) -> dict[str, dict[str, str]]:
    from complaints.web.auth import Credentials
    from complaints.adapters.store import Complaints

    store = Complaints(settings)
    credentials = Credentials(store, settings)
    headers = {role: {"X-API-Key": credentials.issue_key(name=f"test-{role}", tenant="brandweer", role=role)}
               for role in ("intake", "import")}
    headers["other-tenant"] = {"X-API-Key": credentials.issue_key(name="test-pz", tenant="politiezone", role="intake")}
    for role in ("handler", "manager", "auditor"):
        token = credentials.token_for(subject=f"{role}@brandweer", tenants=["brandweer"], roles=[role],
                                      team="communicatie")
        headers[role] = {"Authorization": f"Bearer {token}"}
    store.close()
    return headers
