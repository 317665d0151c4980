"""Reporting's process: the projection follower, the reports and the handlers' queue."""

from __future__ import annotations

from fastapi import FastAPI

from complaints.application.clock import Clock
from complaints.settings import Settings, get_settings
from complaints.web.app import create_app
from reporting import live
from reporting.api import router
from reporting.consumer import wire


def build(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_app("reporting", settings or get_settings(), wire=wire, routers=[router, live.router], clock=clock)


app = build()
