"""Operations: readiness follows the database and the broker, a busy database is a 503 and not a
500, and a stopping intake answers every request it has begun (nothing committed without its 201)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from complaints.settings import Settings
from complaints.adapters.store import Complaints
from conftest import stack_env
from launcher.infra import Postgres, start_broker, start_postgres
from launcher.stack import Stack
from tests.chaos.harness import intake_key
from tests.helpers import complaint, wait_until

CONSUMERS = ("relay", "routing", "qualification", "reporting")


def readiness(stack: Stack) -> dict[str, dict]:
    return {name: httpx.get(f"{stack.url(name)}/readyz", timeout=10).json() for name in stack.processes}


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    pg = start_postgres()
    yield pg
    pg.stop()


def running(settings: Settings, tmp_path: Path) -> Stack:
    stack = Stack(stack_env(settings), log_dir=tmp_path / "logs")
    stack.start()
    return stack


def post(stack: Stack, key: dict[str, str], n: int, **extra) -> httpx.Response:
    return httpx.post(f"{stack.url('intake')}/v1/tenants/brandweer/complaints", json=complaint(n, **extra),
                      headers=key, timeout=30)


def test_readiness_and_intake_follow_the_database_down_and_back(settings, own_postgres, tmp_path):
    settings = settings.model_copy(update={"database_url": own_postgres.create_database("ops")})
    key = intake_key(settings)
    stack = running(settings, tmp_path)
    try:
        assert all(r["ready"] for r in readiness(stack).values())
        own_postgres.halt()
        wait_until(lambda: all(not r["ready"] and r["checks"]["database"] is False
                               for r in readiness(stack).values()), timeout=30)

        refused = post(stack, key, 1)  # after the request's few seconds of retries
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/store-unavailable") and refused.headers["retry-after"]

        own_postgres.start()
        wait_until(lambda: all(r["ready"] for r in readiness(stack).values()), timeout=60)
        accepted = post(stack, key, 2)
        assert accepted.status_code == 201
        case = accepted.json()["case_id"]
        store = Complaints(settings)
        try:
            wait_until(lambda: store.get(case).due_date is not None, timeout=60)  # routed and clocked after it
        finally:
            store.close()
    finally:
        stack.stop()


def test_readiness_of_the_consumers_follows_the_broker_while_intake_stays_ready(settings, own_broker, tmp_path):
    settings = settings.model_copy(update={"kafka_bootstrap_servers": f"127.0.0.1:{own_broker['port']}"})
    stack = running(settings, tmp_path)
    try:
        own_broker["broker"].stop()
        wait_until(lambda: all(r["checks"]["broker"] is False and not r["ready"]
                               for name, r in readiness(stack).items() if name in CONSUMERS), timeout=30)
        assert readiness(stack)["intake"]["ready"], "intake needs only the store"

        own_broker["broker"] = start_broker(own_broker["port"], log_path=tmp_path / "broker-2.log")
        wait_until(lambda: all(r["ready"] for r in readiness(stack).values()), timeout=60)
    finally:
        stack.stop()


def test_a_stopping_intake_answers_every_request_it_has_begun(settings, tmp_path):
    key = intake_key(settings)
    stack = running(settings, tmp_path)
    try:
        sent_term = threading.Event()
        answered_after_term: list[int] = []

        def one(n: int) -> int | str:
            try:
                # A connection of its own per request: what a stopping server refuses is then a refused connect.
                response = post(stack, {**key, "Connection": "close"}, n, sender_reference=f"drain-{n}")
            except httpx.HTTPError as error:
                return type(error).__name__
            if sent_term.is_set():
                answered_after_term.append(n)
            return response.status_code

        with ThreadPoolExecutor(max_workers=40) as pool:
            results = pool.map(one, range(80))
            time.sleep(0.3)  # let requests reach the server
            stack.processes["intake"].send_signal(signal.SIGTERM)
            sent_term.set()
            outcomes = dict(enumerate(results))
        # uvicorn ends by re-raising the signal it handled: a clean stop shows as -SIGTERM.
        assert stack.processes["intake"].wait(timeout=30) in (0, -signal.SIGTERM)

        store = Complaints(settings)
        try:
            committed = {n for n in outcomes if store.find_by_reference("brandweer", "city", f"drain-{n}")}
        finally:
            store.close()
        print(f"\n201 after SIGTERM: {len(answered_after_term)}; outcomes: "
              f"{ {o: list(outcomes.values()).count(o) for o in set(outcomes.values())} }")
        assert answered_after_term, "no request was in flight when intake was told to stop"
        assert all(outcomes[n] == 201 for n in committed), "a complaint was committed but its 201 was lost"
        # What it had not begun is refused or closed at the connection (uncommitted, as checked above),
        # never answered with an error status: the sender may retry it as it is.
        assert all(o == 201 for o in outcomes.values() if isinstance(o, int)), outcomes
    finally:
        stack.stop()
