"""Qualification's composition root: the store, the follower that starts the clock, and health."""

from __future__ import annotations

from complaints.service import consumer_app
from qualification.api import router
from qualification.consumer import wire
from qualification.settings import SERVICE, get_settings

app = consumer_app(SERVICE, get_settings(), wire=wire, router=router)
