"""Reporting's composition root: the store, the projection follower, the report routes."""

from __future__ import annotations

from complaints.service import consumer_app
from complaints.tenants import load_tenants
from reporting.api import router
from reporting.consumer import wire
from reporting.settings import SERVICE, get_settings

settings = get_settings()
app = consumer_app(SERVICE, settings, wire=wire, router=router)
app.state.tenants = load_tenants(settings.tenants_dir)
