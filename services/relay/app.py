"""The relay's composition root: the outbox worker, health and metrics."""

from __future__ import annotations

from fastapi import APIRouter

from complaints.service import consumer_app
from complaints.settings import get_settings
from relay.consumer import wire

app = consumer_app("relay", get_settings(), wire=wire, router=APIRouter())
