"""Intake's composition root: settings, store, credentials and routes wired once, served by uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from complaints import observability, problems
from complaints.auth import Credentials
from complaints.limits import BodySizeLimit
from complaints.store import Complaints
from complaints.tenants import load_tenants
from intake import audit, imports
from intake.api import router
from intake.settings import SERVICE, Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    observability.setup_logging(SERVICE, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = await asyncio.to_thread(Complaints, settings)
        app.state.credentials = Credentials(app.state.store, settings)
        yield
        app.state.store.close()

    app = FastAPI(title="Complaints intake", version="0.1.0", lifespan=lifespan,
                  description="City systems post complaints here. Systems authenticate with `X-API-Key`, "
                              "people with `Authorization: Bearer <JWT>`. Errors are RFC 9457 problem documents.")
    app.state.settings = settings
    app.state.tenants = load_tenants(settings.tenants_dir)
    problems.install(app)
    app.include_router(router)
    app.include_router(imports.router)
    app.include_router(audit.router)
    app.include_router(audit.tenant_router)

    async def database() -> bool:
        await asyncio.to_thread(app.state.store.recorder.max_notification_id)
        return True

    # Intake needs only the store: it accepts complaints while the broker is down,
    # and the relay publishes them when it is back.
    app.include_router(observability.health_router({"database": database}))
    observability.mount_metrics(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


app = create_app()
