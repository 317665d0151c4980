"""The delivery worker's process: its follower, health and metrics (port 8006)."""

from __future__ import annotations

from fastapi import FastAPI

from complaints.application.clock import Clock
from complaints.settings import Settings, get_settings
from complaints.web.app import create_app
from delivery.consumer import wire


def build(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_app("delivery", settings or get_settings(), wire=wire, routers=[], clock=clock)


app = build()
