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

    def url(self, service: str) -> str:
        return f"http://{self.settings.host}:{getattr(self.settings, SERVICES[service][1])}"

    def start(self, *services: str, timeout: float = 60.0) -> None:
        names = services or tuple(SERVICES)
        for name in names:
            app, port_field = SERVICES[name]
            log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", app, "--host", self.settings.host,
                 "--port", str(getattr(self.settings, port_field)), "--no-access-log"],
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
                raise RuntimeError(f"{name} exited with {self.processes[name].returncode}; see {self.log_dir / name}.log")
            try:
                if httpx.get(self.url(name) + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{name} not healthy after {timeout}s; see {self.log_dir / name}.log")

    def stop(self, *services: str) -> None:
        names = services or tuple(reversed(list(self.processes)))
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
