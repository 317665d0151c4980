"""Routing's composition root: the store, the follower that routes, and health."""

from __future__ import annotations

from complaints.service import consumer_app
from routing.api import router
from routing.consumer import wire
from routing.settings import SERVICE, get_settings

app = consumer_app(SERVICE, get_settings(), wire=wire, router=router)
