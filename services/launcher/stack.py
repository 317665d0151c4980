"""The set of processes, each a uvicorn server as in production, started and stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from complaints.settings import Settings
from launcher.infra import free_port

# service -> (ASGI app, the setting that holds its port); the relay starts first.
SERVICES: dict[str, tuple[str, str]] = {
    "relay": ("relay.app:app", "relay_port"),
    "intake": ("intake.app:app", "intake_port"),
    "routing": ("routing.app:app", "routing_port"),
    "qualification": ("qualification.app:app", "qualification_port"),
    "reporting": ("reporting.app:app", "reporting_port"),
}


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.settings = Settings(**{k.lower(): v for k, v in self.env.items() if k.lower() in Settings.model_fields})
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # instance name -> (service, port); a second instance of a service is added by `add_instance`.
        self.instances = {name: (name, getattr(self.settings, port)) for name, (_, port) in SERVICES.items()}

    def url(self, name: str) -> str:
        return f"http://{self.settings.host}:{self.instances[name][1]}"

    def add_instance(self, service: str) -> str:
        """Another process of a service (same database, same consumer groups), on a port of its own."""
        name = f"{service}-{sum(1 for s, _ in self.instances.values() if s == service) + 1}"
        self.instances[name] = (service, free_port())
        return name

    def start(self, *names: str, timeout: float = 60.0) -> None:
        names = names or tuple(SERVICES)
        for name in names:
            service, port = self.instances[name]
            log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", SERVICES[service][0], "--host", self.settings.host,
                 "--port", str(port), "--no-access-log", "--timeout-graceful-shutdown", "20"],
                env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            for name in names:
                self._wait_healthy(name, timeout)
        except BaseException:
            self.stop()  # never leave half a set running
            raise

    def _wait_healthy(self, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(self._why(name, f"exited with {self.processes[name].returncode}"))
            try:
                if httpx.get(self.url(name) + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(self._why(name, f"not healthy after {timeout}s"))

    def _why(self, name: str, what: str, lines: int = 40) -> str:
        """The failure with the end of the process's log: a CI run keeps the message, not the log folder."""
        log = self.log_dir / f"{name}.log"
        tail = log.read_text(errors="replace").splitlines()[-lines:] if log.exists() else []
        return "\n".join([f"{name} {what}; the end of {log}:", *tail])

    def kill(self, name: str) -> None:
        """kill -9: no shutdown, no drain; whatever was in hand is lost with the process."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def stop(self, *names: str) -> None:
        names = names or tuple(reversed(list(self.processes)))
        for name in names:
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
