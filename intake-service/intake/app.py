"""Intake's composition root: settings, store and routes wired once, served by uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from complaints import observability, problems
from complaints.store import Complaints
from complaints.tenants import load_tenants
from intake.api import router
from intake.settings import SERVICE, Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    observability.setup_logging(SERVICE, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = Complaints(settings)
        yield
        app.state.store.close()

    app = FastAPI(title="Complaints intake", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.tenants = load_tenants(settings.tenants_dir)
    problems.install(app)
    app.include_router(router)

    async def database() -> bool:
        import asyncio

        await asyncio.to_thread(app.state.store.recorder.max_notification_id)
        return True

    # Intake needs only the store: it accepts complaints while the broker is down,
    # and the relay publishes them when it is back.
    app.include_router(observability.health_router({"database": database}))
    observability.mount_metrics(app)
    return app


app = create_app()
