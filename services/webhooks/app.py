"""The webhooks process: the subscriptions' routes, the dispatcher, health and metrics (port 8007)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from complaints.adapters import webhooks
from complaints.adapters.store import Complaints
from complaints.application.clock import Clock
from complaints.application.subscriptions import Subscriptions
from complaints.settings import Settings, get_settings
from complaints.web.app import Wiring, create_app
from webhooks import dispatcher
from webhooks.api import router


def subscriptions(settings: Settings, store: Complaints, clock: Clock) -> Subscriptions:
    production = settings.environment != "development"

    async def check(url: str) -> str | None:
        return await webhooks.refusal(url, settings.webhook_allowed_networks)

    return Subscriptions(store, clock, settings.webhook_secret.get_secret_value().encode(), https_only=production,
                         check_address=check if production else None)


def build(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()

    async def wire(settings: Settings, clock: Clock) -> Wiring:
        store = await asyncio.to_thread(Complaints, settings)
        use_cases = subscriptions(settings, store, clock)
        worker, close = await dispatcher.build(settings, store, use_cases, clock)

        async def running() -> bool:
            return any(t.get_name() == "webhooks-worker" and not t.done() for t in asyncio.all_tasks())

        # The dispatcher reads the store alone: no broker to wait for.
        return Wiring(store=store, worker=worker, worker_needed_for_ready=False, checks={"dispatcher": running},
                      resources={"subscriptions": use_cases}, close=close)

    return create_app("webhooks", settings, wire=wire, routers=[router], clock=clock, description=(
        "Webhook subscriptions: a tenant's manager (bearer token) or a calling system with the `subscriber` role "
        "(`X-API-Key`) has case events POSTed to a callback URL, as CloudEvents signed per Standard Webhooks. "
        "Errors are RFC 9457 problem documents."))


app = build()
