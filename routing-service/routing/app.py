"""Routing's process: the follower that routes, and the routes that reroute by hand."""

from __future__ import annotations

from fastapi import FastAPI

from complaints.application.clock import Clock
from complaints.settings import Settings, get_settings
from complaints.web.app import create_app
from routing.api import router
from routing.consumer import wire


def build(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    return create_app("routing", settings or get_settings(), wire=wire, routers=[router], clock=clock)


app = build()
