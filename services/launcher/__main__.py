"""`make run`: the broker, the relay and the four services on the embedded default, the gateway in front.

Everything lives in `.data/` (the SQLite store and read models, the logs);
Ctrl-C stops every process cleanly. A process that exits, the bundled broker
too, is started again (`Supervisor`): SUPERVISE_BACKOFF_SECONDS before the first
restart (1), doubling up to SUPERVISE_MAX_BACKOFF_SECONDS (30); SUPERVISE_FAILURES
exits (5) within SUPERVISE_WINDOW_SECONDS (60) are reported as a process that
keeps failing.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

from pythonjsonlogger.json import JsonFormatter

from complaints.settings import Settings
from launcher.credentials import demo_credentials, write_dev_people
from launcher.demo import load_demo
from launcher.infra import Broker, listening, start_broker, start_mail_sink
from launcher.stack import GATEWAY, SERVICES, Exited, Stack, Supervisor, Watched

DATA = Path(os.environ.get("COMPLAINTS_DATA_DIR", ".data"))


def supervisor(stack: Stack) -> Supervisor:
    """The restart policy, from the environment."""
    return Supervisor(stack, backoff=float(os.environ.get("SUPERVISE_BACKOFF_SECONDS", "1")),
                      max_backoff=float(os.environ.get("SUPERVISE_MAX_BACKOFF_SECONDS", "30")),
                      failures=int(os.environ.get("SUPERVISE_FAILURES", "5")),
                      window=float(os.environ.get("SUPERVISE_WINDOW_SECONDS", "60")))


def watch_broker(watch: Supervisor, broker: Broker, log_path: Path) -> None:
    """The bundled broker keeps its messages in memory: one started again is empty. The processes recreate
    its topics and keep their positions (the chaos test "broker replaced by an empty one")."""

    def restart(_: threading.Event) -> subprocess.Popen[bytes]:
        try:
            broker.process = start_broker(broker.port, log_path=log_path).process
        except (RuntimeError, TimeoutError) as error:
            raise Exited(f"did not come back ({error})") from None
        return broker.process

    watch.watch("broker", Watched(lambda: broker.process, restart, log_path))


def log_to(path: Path) -> None:
    """The launcher's own log (restarts, as JSON lines like the services' logs), beside theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                       rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                                       static_fields={"service": "launcher"}))
    logger = logging.getLogger("launcher")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def say_development() -> None:
    """`make run` is a trial on this machine: it says so in its data folder, where the processes it starts
    and the CLI commands run beside it read it (the settings are production's unless told otherwise)."""
    DATA.mkdir(parents=True, exist_ok=True)
    said = DATA / "complaints.env"
    if not said.exists():
        said.write_text("# Written by `make run`: this data folder is a development trial.\nENVIRONMENT=development\n")


def main() -> int:
    say_development()
    settings = Settings(_env_file=DATA / "complaints.env")
    log_to(DATA / "logs" / "launcher.log")
    env = {"ENVIRONMENT": settings.environment, "DATABASE_URL": settings.database_url,
           "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "GATEWAY_PORT": str(settings.gateway_port)}
    env.update({field.upper(): str(getattr(settings, field)) for _, field in SERVICES.values()})
    broker = None
    if settings.embedded_broker:
        port = int(settings.kafka_bootstrap_servers.rsplit(":", 1)[1])
        broker = start_broker(port, log_path=DATA / "logs" / "broker.log")
    mail_sink = None
    smtp = urlsplit(settings.smtp_url.get_secret_value())
    # A server on this machine that is not there yet (the default, 127.0.0.1:8025): the launcher's own sink.
    if smtp.scheme == "smtp" and smtp.hostname in ("127.0.0.1", "localhost") and not listening(smtp.hostname,
                                                                                               smtp.port or 25):
        mail_sink = start_mail_sink(smtp.hostname, smtp.port or 25, DATA / "mail")
    # The console's login picker offers the demo people, in development only (never their API keys: a file
    # of its own, written with the credentials below).
    dev_people = DATA / "dev-people.json" if settings.environment == "development" else None
    stack = Stack(env, log_dir=DATA / "logs", dev_people=dev_people)
    watch = supervisor(stack)
    stopping = threading.Event()

    def on_sigterm(*_: object) -> None:
        watch.stop(wait=False)
        stopping.set()

    def on_sigint(*_: object) -> None:
        # Ctrl-C in a terminal reaches the services too, and they exit at once: no restart from here on.
        watch.stop(wait=False)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    # Ctrl-C stops the set even when this was started with SIGINT ignored (a background job of a script
    # inherits that), which would otherwise leave every service running.
    signal.signal(signal.SIGINT, on_sigint)
    try:
        stack.start()
        stack.start(GATEWAY)  # after the services: it is their front door
        watch.start()
        if broker:
            watch_broker(watch, broker, DATA / "logs" / "broker.log")
        credentials = demo_credentials(settings, DATA / "demo-credentials.json")
        if dev_people:
            write_dev_people(dev_people, credentials["people"])
        report = load_demo(stack.url(GATEWAY), credentials["api_keys"]["brandweer"]["import"])
        print(f"Store and read models: {settings.database_url}   broker: {settings.kafka_bootstrap_servers}"
              + (f"   (pid {broker.process.pid})" if broker else ""))
        print(f"  {GATEWAY:<14} {stack.url(GATEWAY)}   (one origin for people and browsers)   "
              f"pid {stack.processes[GATEWAY].pid}")
        print(f"  {'console':<14} {stack.url(GATEWAY)}/   (the reference console"
              + ("; log in as one of the demo people)" if dev_people else ")"))
        print(f"  {'':<14} CORS for {' '.join(settings.cors_origins) or 'no origin'} (CORS_ORIGINS); "
              "each service on its own port, for operators:")
        for name in SERVICES:
            print(f"  {name:<14} {stack.url(name)}   (docs: {stack.url(name)}/docs)   pid {stack.processes[name].pid}")
        if mail_sink:
            print(f"  {'mail':<14} smtp://{smtp.hostname}:{smtp.port}   every message to complainants is kept in "
                  f"{DATA / 'mail'}/new/ (SMTP_URL sends them elsewhere)")
        print(f"Demo: BZA's 13 complaints of 2023 imported ({report['created']} new, "
              f"{report['already_present']} already present)")
        print(f"Demo credentials ({DATA / 'demo-credentials.json'}):")
        for tenant, keys in credentials["api_keys"].items():
            print(f"  {tenant:<12} X-API-Key  " + "  ".join(f"{role}={key}" for role, key in keys.items()))
        print("  Bearer tokens: one per people role under \"tokens\", and under \"people\" two persons per role "
              "(handlers of two teams; the care company's directors) to see who may do what:")
        for tenant, people in credentials["people"].items():
            print(f"  {tenant:<12} " + "  ".join(f"{p['sub']}" + (f" ({p['team']})" if p["team"] else "")
                                                 for p in people))
        key = credentials["api_keys"]["brandweer"]["intake"]
        print(f"Try: curl -H 'X-API-Key: {key}' {stack.url(GATEWAY)}/v1/tenants/brandweer")
        print("A process that exits is started again (restarts are printed here and logged in launcher.log).")
        print(f"Logs in {DATA / 'logs'}/. Ctrl-C stops everything.", flush=True)
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping...", flush=True)
        stack.stop()  # the supervisor first
        if any(watch.restarts.values()):
            print("Restarts: " + ", ".join(f"{name} {n}" for name, n in watch.restarts.items() if n), flush=True)
        if broker:
            broker.stop()
        if mail_sink:
            mail_sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
