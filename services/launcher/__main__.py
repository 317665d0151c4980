"""`make run`: the broker, the relay and the four services on the embedded default.

Everything lives in `.data/` (the SQLite store and read models, the logs);
Ctrl-C stops every process cleanly.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from complaints.settings import Settings
from launcher.credentials import demo_credentials
from launcher.demo import load_demo
from launcher.infra import start_broker
from launcher.stack import SERVICES, Stack

DATA = Path(os.environ.get("COMPLAINTS_DATA_DIR", ".data"))


def main() -> int:
    settings = Settings()
    DATA.mkdir(parents=True, exist_ok=True)
    env = {"DATABASE_URL": settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers}
    env.update({field.upper(): str(getattr(settings, field)) for _, field in SERVICES.values()})
    broker = None
    if settings.embedded_broker:
        port = int(settings.kafka_bootstrap_servers.rsplit(":", 1)[1])
        broker = start_broker(port, log_path=DATA / "logs" / "broker.log")
    stack = Stack(env, log_dir=DATA / "logs")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    # Ctrl-C stops the set even when this was started with SIGINT ignored (a background job of a script
    # inherits that), which would otherwise leave every service running.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        stack.start()
        credentials = demo_credentials(settings, DATA / "demo-credentials.json")
        report = load_demo(stack.url("intake"), credentials["api_keys"]["brandweer"]["import"])
        print(f"Store and read models: {settings.database_url}   broker: {settings.kafka_bootstrap_servers}")
        for name in SERVICES:
            print(f"  {name:<14} {stack.url(name)}   (docs: {stack.url(name)}/docs)")
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
        print(f"Try: curl -H 'X-API-Key: {key}' {stack.url('intake')}/v1/tenants/brandweer")
        print("Logs in .data/logs/. Ctrl-C stops everything.", flush=True)
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping...", flush=True)
        stack.stop()
        if broker:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
