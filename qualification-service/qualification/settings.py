"""Qualification's view of the one settings object."""

from complaints.settings import Settings, get_settings

SERVICE = "qualification"

__all__ = ["SERVICE", "Settings", "get_settings"]
