"""The faults the chaos scenarios inject, the running set they break, and one scenario run end to end.

One scenario per fault, in the manner of Kafka's own system tests (bounce a
part while clients write, then count). Each runs the processes as separate
uvicorn servers on real PostgreSQL and the broker; the fault lands a few
seconds into the load. `CHAOS_RATE` (complaints/s) and `CHAOS_SECONDS` set the
load. The default rate is about half of what two cores carry end to end (some
45 ms of CPU per case over the processes), so a scenario measures what a fault
does, not a backlog: at full rate the count waited minutes for the queue behind
a fault to drain on a loaded machine.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from complaints.settings import Settings
from conftest import stack_env
from launcher.infra import Broker, Postgres, start_broker
from launcher.stack import Stack
from tests.chaos.harness import Load, intake_key, settle
from tests.mail import Inbox

RATE = float(os.environ.get("CHAOS_RATE", "20"))
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


# Two groups, each its own test module, so that two test workers share them out.
KILLS: dict[str, Callable[[Chaos], None]] = {
    f"kill -9 {service}": kill_and_restart(service)
    for service in ("intake", "relay", "routing", "qualification", "reporting", "delivery")}
INFRASTRUCTURE: dict[str, Callable[[Chaos], None]] = {
    "broker replaced by an empty one": replace_broker,
    "postgres restarted": restart_postgres,
    "two consumers per group, one killed": kill_one_of_two,
    "consumers stopped gracefully and restarted": stop_consumers_gracefully,
}
FAULTS = KILLS | INFRASTRUCTURE
# A message is sent again only by a crash between the server's 250 and the commit that records it: a killed
# delivery worker, or the database going away under it. Never by anything else.
MAY_RESEND = frozenset({"kill -9 delivery", "postgres restarted"})


def every_accepted_case_complete_exactly_once(chaos: Chaos, name: str, inbox: Inbox) -> None:
    """The scenario: the set started, the load begun, the fault injected mid-load, then the count."""
    fault = FAULTS[name]
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
    assert not ledger.resent or name in MAY_RESEND, f"sent twice without a crash: {ledger.resent[:5]}"
