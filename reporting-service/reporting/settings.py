"""Reporting's view of the one settings object."""

from complaints.settings import Settings, get_settings

SERVICE = "reporting"

__all__ = ["SERVICE", "Settings", "get_settings"]
