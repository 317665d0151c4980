"""The one shape of a consumer service: an app whose lifespan runs its worker (a follower, the relay).

Each service's `consumer.py` wires its store and follower (`Wiring`); this
module turns that into a FastAPI app with health, readiness, metrics and
problem details, so every service starts, reports and stops the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI

from complaints import kafka, observability, problems
from complaints.auth import Credentials
from complaints.limits import BodySizeLimit
from typing import Protocol
from complaints.settings import Settings
from complaints.store import Complaints

log = logging.getLogger(__name__)


class Worker(Protocol):
    async def run(self) -> None: ...


class Together:
    """Several workers of one service, run side by side."""

    def __init__(self, *workers: Worker) -> None:
        self.workers = workers

    async def run(self) -> None:
        await asyncio.gather(*(worker.run() for worker in self.workers))


@dataclass
class Wiring:
    store: Complaints
    worker: Worker
    checks: dict[str, observability.Check] = field(default_factory=dict)  # readiness beyond store and broker
    resources: dict[str, Any] = field(default_factory=dict)
    close: Callable[[], Awaitable[None]] | None = None


def consumer_app(service: str, settings: Settings, *, wire: Callable[[Settings], Awaitable[Wiring]],
                 router: APIRouter) -> FastAPI:
    observability.setup_logging(service, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wiring = await wire(settings)
        app.state.wiring = wiring
        app.state.credentials = Credentials(wiring.store, settings)
        checks.update(wiring.checks)
        task = asyncio.create_task(wiring.worker.run(), name=f"{service}-worker")
        task.add_done_callback(_report_crash)
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if wiring.close:
                await wiring.close()
            wiring.store.close()

    app = FastAPI(title=f"Complaints {service}", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    problems.install(app)
    app.include_router(router)

    async def database() -> bool:
        await asyncio.to_thread(app.state.wiring.store.recorder.max_notification_id)
        return True

    async def broker() -> bool:
        return await kafka.broker_reachable(settings)

    async def consumer() -> bool:
        return any(t.get_name() == f"{service}-worker" and not t.done() for t in asyncio.all_tasks())

    checks: dict[str, observability.Check] = {"database": database, "broker": broker, "consumer": consumer}
    app.include_router(observability.health_router(checks))
    observability.mount_metrics(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


def _report_crash(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("worker stopped", exc_info=task.exception())
