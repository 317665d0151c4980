"""Qualification's process: the follower that starts the clock, the deadlines, the handler workflow."""

from __future__ import annotations

from fastapi import FastAPI

from complaints.application.clock import Clock
from complaints.settings import Settings, get_settings
from complaints.web.app import create_app
from qualification import correspondence
from qualification.api import router
from qualification.consumer import wire


def build(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_app("qualification", settings or get_settings(), wire=wire,
                      routers=[router, correspondence.router], clock=clock)


app = build()
