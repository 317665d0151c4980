"""The one app factory: every process (intake, routing, qualification, reporting, the relay) is built here.

Each service's `consumer.py` wires its store and its worker, if it has one
(`Wiring`); this module turns that into a FastAPI app with the use cases, health,
readiness, metrics and problem details, so every service starts, reports and
stops the same way. This is the composition root: settings, the clock, the
store and the use cases are put together here, once per process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline

from complaints.adapters import kafka
from complaints.adapters.mail import Templates
from complaints.adapters.store import Complaints
from complaints.application.audit import Audit
from complaints.application.cases import CaseWork
from complaints.application.clock import Clock, SystemClock
from complaints.application.intake import Intake
from complaints.application.correspondence import Correspondence
from complaints.application.systems import Systems
from complaints.application.tracking import Tracking
from complaints.model.tenants import load_tenants
from complaints.settings import Settings
from complaints.web import observability, openapi, problems
from complaints.web.auth import Credentials
from complaints.web.limits import BodySizeLimit, RateLimit

log = logging.getLogger(__name__)


class Worker(Protocol):
    async def run(self) -> None: ...


class Together:
    """Several workers of one service, run side by side."""

    def __init__(self, *workers: Worker) -> None:
        self.workers = workers

    async def run(self) -> None:
        # A task group, not gather: a cancelled gather returns as soon as one worker has stopped, and the
        # others finished what they held (an event being applied, its connection) after the service had
        # disposed of its engine, into a pool no longer used, open until the garbage collector came by.
        async with asyncio.TaskGroup() as workers:
            for worker in self.workers:
                workers.create_task(worker.run())


@dataclass
class Wiring:
    store: Complaints
    worker: Worker | None = None
    # Whether readiness waits for the broker and the worker: intake's worker (retention) needs neither to
    # accept complaints, and reads the store alone.
    worker_needed_for_ready: bool = True
    checks: dict[str, observability.Check] = field(default_factory=dict)  # readiness beyond store and broker
    resources: dict[str, Any] = field(default_factory=dict)
    close: Callable[[], Awaitable[None]] | None = None


Wire = Callable[[Settings, Clock], Awaitable[Wiring]]


def create_app(service: str, settings: Settings, *, wire: Wire, routers: Sequence[APIRouter] = (),
               clock: Clock | None = None, description: str = "") -> FastAPI:
    observability.setup_logging(service, settings.log_level)
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wiring = await wire(settings, clock)
        app.state.wiring = wiring
        app.state.credentials = Credentials(wiring.store, settings)
        read_log_window = timedelta(seconds=settings.read_log_window_seconds)
        app.state.cases = CaseWork(wiring.store, clock, read_log_window)
        app.state.audit = Audit(wiring.store, clock, read_log_window)
        app.state.intake = Intake(wiring.store, clock, timedelta(seconds=settings.clock_skew_seconds),
                                  timedelta(hours=settings.idempotency_key_hours))
        app.state.systems = Systems(wiring.store)
        app.state.correspondence = Correspondence(app.state.cases, Templates(settings.tenants_dir),
                                                  settings.tracking_secret.get_secret_value().encode(),
                                                  settings.public_url)
        app.state.tracking = Tracking(wiring.store, clock, settings.tracking_secret.get_secret_value().encode(),
                                      app.state.tenants)
        checks.update(wiring.checks)
        task = None
        if wiring.worker is not None:
            if wiring.worker_needed_for_ready:
                checks.update(broker=broker, consumer=consumer)
            task = asyncio.create_task(wiring.worker.run(), name=f"{service}-worker")
            task.add_done_callback(_report_crash)
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            if wiring.close:
                await wiring.close()
            wiring.store.close()

    # Offline: /docs loads Swagger UI from the package's own files, not a CDN a city network may not reach.
    app = FastAPIOffline(
        title=f"Complaints {service}", version="0.2.0", lifespan=lifespan, description=description or (
            "Systems authenticate with `X-API-Key`, people with `Authorization: Bearer <JWT>`. "
            "Errors are RFC 9457 problem documents."),
        redoc_url=None, generate_unique_id_function=openapi.operation_id,
        swagger_ui_parameters={"persistAuthorization": True})
    openapi.install(app)
    app.state.settings = settings
    app.state.clock = clock
    app.state.tenants = load_tenants(settings.tenants_dir)
    problems.install(app)
    for router in routers:
        app.include_router(router)

    async def database() -> bool:
        await asyncio.to_thread(app.state.wiring.store.recorder.max_notification_id)
        return True

    async def broker() -> bool:
        return await kafka.broker_reachable(settings)

    async def consumer() -> bool:
        return any(t.get_name() == f"{service}-worker" and not t.done() for t in asyncio.all_tasks())

    # Intake needs only the store: it accepts complaints while the broker is down, and the relay
    # publishes them when it is back. A service whose worker consumes needs the broker and its worker too.
    checks: dict[str, observability.Check] = {"database": database}
    app.include_router(observability.health_router(checks))
    observability.mount_metrics(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimit, per_credential=settings.rate_limit,
                       per_address=settings.rate_limit_without_credentials,
                       per_tracking_address=settings.tracking_rate_limit)
    return app


def _report_crash(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("worker stopped", exc_info=task.exception())
