"""Intake's process: complaints in, case numbers out; cases read, audited and erased."""

from __future__ import annotations

from fastapi import FastAPI

from complaints.application.clock import Clock
from complaints.settings import Settings, get_settings
from complaints.web.app import create_app
from intake import api, audit, imports, keys, open311, tracking
from intake.consumer import wire


def build(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    routers = [api.router, imports.router, audit.router, audit.tenant_router, keys.router, tracking.router,
               open311.router]
    return create_app("intake", settings or get_settings(), wire=wire, routers=routers, clock=clock,
                      description="City systems post complaints here. Systems authenticate with `X-API-Key`, people "
                                  "with `Authorization: Bearer <JWT>`. Errors are RFC 9457 problem documents.")

app = build()
