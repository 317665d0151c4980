"""Faults under a steady load, then a count: every accepted case complete, nothing applied twice.

One scenario per fault, in the manner of Kafka's own system tests (bounce a
part while clients write, then count). Each runs the five processes as
separate uvicorn servers on real PostgreSQL and the broker; the fault lands a
few seconds into the load. `CHAOS_RATE` (complaints/s) and `CHAOS_SECONDS` set
the load; the defaults keep each scenario well under a minute on two cores.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from complaints.settings import Settings
from conftest import stack_env
from launcher.infra import Broker, Postgres, free_port, start_broker, start_postgres
from launcher.stack import Stack
from tests.chaos.harness import Load, intake_key, settle

RATE = float(os.environ.get("CHAOS_RATE", "40"))
SECONDS = float(os.environ.get("CHAOS_SECONDS", "8"))
FAULT_AT = 3.0  # seconds into the load
DOWN_FOR = 2.0  # how long a killed part stays down


class Chaos:
    """The running set, the broker and the database one scenario may break."""

    def __init__(self, settings: Settings, log_dir: Path, postgres: Postgres | None = None,
                 broker_port: int | None = None) -> None:
        self.settings, self.log_dir, self.postgres = settings, log_dir, postgres
        self.broker_port = broker_port
        self.broker: Broker | None = start_broker(broker_port, log_path=log_dir / "broker.log") if broker_port else None
        self.stack = Stack({**stack_env(settings), "DEADLINE_CHECK_SECONDS": "1"}, log_dir=log_dir)

    def close(self) -> None:
        self.stack.stop()
        if self.broker:
            self.broker.stop()


def kill_and_restart(service: str) -> Callable[[Chaos], None]:
    def fault(chaos: Chaos) -> None:
        chaos.stack.kill(service)
        time.sleep(DOWN_FOR)
        chaos.stack.start(service)
    return fault


def replace_broker(chaos: Chaos) -> None:
    """A fresh broker on the same address: every topic, message and committed offset is gone."""
    assert chaos.broker is not None
    chaos.broker.stop()
    time.sleep(DOWN_FOR)
    chaos.broker = start_broker(chaos.broker_port, log_path=chaos.log_dir / "broker-2.log")


def restart_postgres(chaos: Chaos) -> None:
    """An immediate stop (as a crash: the server recovers from its WAL), then a start."""
    assert chaos.postgres is not None
    chaos.postgres.halt()
    time.sleep(DOWN_FOR)
    chaos.postgres.start()


SECOND_INSTANCES = ("routing", "qualification", "reporting")


def kill_one_of_two(chaos: Chaos) -> None:
    """Each consumer runs twice in one group; one of each dies mid-batch and the group rebalances."""
    for service in SECOND_INSTANCES:
        chaos.stack.kill(service)


def stop_consumers_gracefully(chaos: Chaos) -> None:
    """SIGTERM mid-load, as a deployment does: each finishes the event in hand and exits by itself."""
    for name in SECOND_INSTANCES:
        process = chaos.stack.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        # uvicorn ends by re-raising the signal it handled; -SIGKILL or a timeout would mean no clean stop.
        assert process.wait(timeout=20) in (0, -signal.SIGTERM), f"{name} did not stop cleanly"
    chaos.stack.start(*SECOND_INSTANCES)


FAULTS: dict[str, Callable[[Chaos], None]] = {
    **{f"kill -9 {service}": kill_and_restart(service)
       for service in ("intake", "relay", "routing", "qualification", "reporting", "delivery")},
    "broker replaced by an empty one": replace_broker,
    "postgres restarted": restart_postgres,
    "two consumers per group, one killed": kill_one_of_two,
    "consumers stopped gracefully and restarted": stop_consumers_gracefully,
}


@pytest.fixture
def chaos(request, settings: Settings, tmp_path: Path) -> Iterator[Chaos]:
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


@pytest.mark.parametrize("chaos", list(FAULTS), indirect=True)
def test_every_accepted_case_is_complete_exactly_once_after(chaos: Chaos, request, inbox) -> None:
    fault = FAULTS[request.node.callspec.params["chaos"]]
    chaos.stack.start()
    if fault is kill_one_of_two:
        chaos.stack.start(*(chaos.stack.add_instance(service) for service in SECOND_INSTANCES))
    load = Load(chaos.stack, intake_key(chaos.settings), rate=RATE, seconds=SECONDS).start()
    time.sleep(FAULT_AT)
    fault(chaos)
    load.wait()

    ledger = settle(chaos.stack, chaos.settings.database_url, load, inbox)

    assert not load.given_up, f"{len(load.given_up)} complaints never got a 201"
    assert ledger.accepted >= RATE * SECONDS * 0.9, "the load did not run"
    assert not ledger.duplicates, f"applied twice: {ledger.duplicates[:5]}"
    assert not ledger.lost, f"incomplete: {ledger.lost[:5]}"
    assert ledger.mails >= len(load.mailed) > 0, "every acknowledgement reached the mail server"
    # A message is sent again only by a crash between the server's 250 and the commit that records it: a
    # killed delivery worker, or the database going away under it. Never by anything else.
    may_resend = request.node.callspec.params["chaos"] in ("kill -9 delivery", "postgres restarted")
    assert not ledger.resent or may_resend, f"sent twice without a crash: {ledger.resent[:5]}"
