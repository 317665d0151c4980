"""Intake's view of the one settings object (ports and URLs live there, for every process)."""

from complaints.settings import Settings, get_settings

SERVICE = "intake"

__all__ = ["SERVICE", "Settings", "get_settings"]
