"""The relay's process: the outbox worker, health and metrics."""

from __future__ import annotations

from fastapi import FastAPI

from complaints.application.clock import Clock
from complaints.settings import Settings, get_settings
from complaints.web.app import create_app
from relay.consumer import wire


def build(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_app("relay", settings or get_settings(), wire=wire, routers=[], clock=clock)


app = build()
