"""Response windows: when an answer is due.

For now every window counts calendar days; working days and holiday calendars
come with the windows issue. Time comes in as an argument, never from a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from complaints.tenants import Tenant

# The Flemish complaints decree's ceiling, used when a tenant sets no window for a type.
LEGAL_CEILING_DAYS = 45


@dataclass(frozen=True)
class DueDate:
    due: date
    days: int
    day_kind: str
    config_version: str


def due_date(tenant: Tenant, *, signal_type: str, start: date) -> DueDate:
    window = tenant.window_for(signal_type)
    days = window.days if window else LEGAL_CEILING_DAYS
    return DueDate(start + timedelta(days=days), days, "calendar", tenant.version)
