"""Routing's view of the one settings object."""

from complaints.settings import Settings, get_settings

SERVICE = "routing"

__all__ = ["SERVICE", "Settings", "get_settings"]
