"""Fixtures for every test folder: the real PostgreSQL and broker, and the running set.

PostgreSQL and the broker are started once per session (and always stopped);
each test that needs a store gets a database of its own, so tests never see
each other's events.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# The tests run as development, said explicitly (the settings default to production); the processes they
# start inherit it.
os.environ["ENVIRONMENT"] = "development"
# The tests call endpoints at machine speed (route walks, fuzzing, load): they measure the system, not the
# rate limiter, which tests/test_rate_limits.py sets and checks on its own.
os.environ["RATE_LIMIT"] = "100000/second"
os.environ["RATE_LIMIT_WITHOUT_CREDENTIALS"] = "100000/second"

from complaints.settings import Settings  # noqa: E402 - after the environment it reads
from launcher.infra import Broker, Postgres, free_port, start_broker, start_postgres, use_ports
from launcher.stack import GATEWAY, SERVICES, Stack
from tests.mail import Inbox, start_inbox

# Each test worker (pytest-xdist: gw0, gw1, ...) its own 4,000 ports below the kernel's range for outgoing
# connections (32768 and up), handed out by launcher.infra.free_port: two workers never take the same port.
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
use_ports(12000 + 4000 * _worker, 15999 + 4000 * _worker)

# A real SMTP server (aiosmtpd) for the session: every process a test starts sends the complainants' mail there.
# A mail the server cannot take is tried again after 0.1 s, then 0.2 s, not a minute.
_inbox, _smtp = start_inbox()
os.environ["SMTP_URL"] = f"smtp://127.0.0.1:{_smtp.port}"
os.environ["SMTP_BACKOFF_SECONDS"] = "[0.1, 0.5]"
os.environ["SMTP_ATTEMPTS"] = "3"


@pytest.fixture(scope="session")
def inbox() -> Inbox:
    """Every message the session's SMTP server took (and the recipients it refused: `refused@…`)."""
    return _inbox

_names = itertools.count()
_session_postgres: list[Postgres] = []  # the session's cluster, once a test has started it
_database_tests: dict[str, str] = {}  # database name -> the test it was made for (names a leak's culprit)
_module_connections: list[tuple[str, int, int]] = []  # (module, client connections before, after)

# How long a module's closed connections may take to go (a stopped process's backends end a moment later).
CONNECTIONS_SETTLE_SECONDS = 5.0


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    pg = start_postgres()
    _session_postgres.append(pg)
    try:
        yield pg
    finally:
        _session_postgres.clear()
        pg.stop()


def client_connections(pg: Postgres) -> dict[str, int]:
    """Client connections to the cluster per database, not counting the one that asks."""
    import psycopg

    with psycopg.connect(pg.admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT datname, count(*) FROM pg_stat_activity WHERE datname IS NOT NULL "
                            "AND backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY datname")
        return dict(rows.fetchall())


@pytest.fixture(scope="module", autouse=True)
def no_leaked_connections(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails a module that leaves more PostgreSQL client connections open than it found: a store
    (`Complaints`, `Routing`, `Qualification`), engine or pool that was never closed. Set up first and torn
    down last in its module, so a module-scoped stack has been stopped by then; closed connections get a few
    seconds to go. Nothing is garbage-collected first, on purpose: a store that only the collector would close
    is a leak. (Python 3.11 freed most unclosed stores at once by reference counting; 3.13.0's
    `functools.singledispatchmethod` caches each instance whose `policy` ran, CPython gh-127750, so an
    unclosed consumer stayed open for the rest of the session there.)"""
    before = _connections_now()
    yield
    if not _session_postgres:
        return
    deadline = time.monotonic() + CONNECTIONS_SETTLE_SECONDS
    while (open_now := _connections_by_database()) is not None and sum(open_now.values()) > before \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    if open_now is None:
        return
    after = sum(open_now.values())
    _module_connections.append((request.module.__name__, before, after))
    if after > before:
        culprits = ", ".join(f"{count} on {name} ({_database_tests.get(name, 'made by this module')})"
                             for name, count in sorted(open_now.items()))
        pytest.fail(f"{request.module.__name__} left {after - before} PostgreSQL connection(s) open "
                    f"({before} before, {after} after): {culprits}", pytrace=False)


def _connections_by_database() -> dict[str, int] | None:
    import psycopg

    try:
        return client_connections(_session_postgres[0]) if _session_postgres else {}
    except psycopg.OperationalError as error:
        if "too many clients" in str(error):  # what this guards against, at its worst
            pytest.fail(f"every connection the test cluster allows is taken: {error}", pytrace=False)
        return None  # the cluster is not answering (stopped by a test): nothing to count


def _connections_now() -> int:
    return sum((_connections_by_database() or {}).values())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """With -v, or when a module leaked: the client connections before and after each module."""
    leaked = any(after > before for _, before, after in _module_connections)
    if _module_connections and (leaked or config.option.verbose > 0):
        terminalreporter.section("PostgreSQL client connections per module (before -> after)")
        for module, before, after in _module_connections:
            terminalreporter.write_line(f"{before:4d} -> {after:4d}  {module}{'  LEAK' if after > before else ''}")


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
def database_url(postgres: Postgres, request: pytest.FixtureRequest) -> str:
    name = f"t{os.getpid()}_{next(_names)}"
    _database_tests[name] = request.node.nodeid
    return postgres.create_database(name)


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
    for port_field in [*(field for _, field in SERVICES.values()), "gateway_port"]:
        env[port_field.upper()] = str(free_port())
    return env


def running_stack(settings: Settings, name: str, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    log_dir = Path(os.environ.get("TEST_LOG_DIR", ".data/test-logs")) / name
    running = Stack({**stack_env(settings), **(extra_env or {})}, log_dir=log_dir)
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
    starting five processes per test would cost more than the tests themselves. A module's `STACK_ENV` adds
    settings of its own (a shorter heartbeat, say)."""
    name = f"m{os.getpid()}_{next(_names)}"
    yield from running_stack(settings_for(postgres.create_database(name), broker), f"{request.module.__name__}-{name}",
                             getattr(request.module, "STACK_ENV", None))


@pytest.fixture(scope="module")
def gateway(module_stack: Stack) -> str:
    """The gateway (Caddy, on the Caddyfile deploy/ uses) in front of the module's running set: its URL. Only the
    tests that ask for it start it; the module's stack stops it with the rest."""
    module_stack.start(GATEWAY)
    return module_stack.url(GATEWAY)


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
