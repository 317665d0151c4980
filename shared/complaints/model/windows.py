"""Response windows: when an answer is due, and how long a case took, in the tenant's own counting.

A window is a number of days of a kind over a calendar. `calendar` days count
every day except the calendar's (the schools leave out school holidays);
`working` days also leave out weekends (the city: weekends, Belgian public
holidays and its closing days). The calendars come from the `holidays`
package. Time comes in as arguments, never from a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

import holidays

from complaints.model.tenants import Calendar, Tenant, Term, Window

LEGAL_CEILING_DAYS = 45  # the Flemish complaints decree; also the window of a type the tenant did not set
Counts = Callable[[date], bool]


@dataclass(frozen=True)
class DueDate:
    due: date
    days: int
    day_kind: str
    calendar: str
    config_version: str
    ceiling: date  # the latest any pause or extension may move it to


@cache
def _days_off(country: str, subdivision: str | None, categories: tuple[str, ...]) -> holidays.HolidayBase | frozenset:
    if not categories:
        return frozenset()
    return holidays.country_holidays(country, subdiv=subdivision, categories=categories)


def counts(calendar: Calendar, day_kind: str) -> Counts:
    """Whether a day counts towards a window of this kind over this calendar."""
    off = _days_off(calendar.country, calendar.subdivision, calendar.categories)
    closed = frozenset(calendar.closing_days)

    def counted(day: date) -> bool:
        if day_kind == "working" and day.weekday() >= 5:
            return False
        return day not in off and day not in closed

    return counted


def add_days(start: date, days: int, counted: Counts) -> date:
    """The day on which the `days`-th counted day after `start` falls."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if counted(day):
            left -= 1
    return day


def days_between(start: date, end: date, counted: Counts) -> int:
    """Counted days after `start` up to and including `end`: a lead time in the window's own counting."""
    return sum(1 for n in range(1, (end - start).days + 1) if counted(start + timedelta(days=n)))


def window_for(tenant: Tenant, signal_type: str) -> Window:
    return tenant.window_for(signal_type) or Window(signal_type=signal_type, days=tenant.ceiling_days)


def due_date(tenant: Tenant, *, signal_type: str, start: date, days: int | None = None) -> DueDate:
    """The due date of a window started on `start` (`days` overrides the window's, for an extension)."""
    window = window_for(tenant, signal_type)
    counted = counts(tenant.calendar, window.day_kind)
    ceiling = add_days(start, tenant.ceiling_days, counted)
    length = min(days or window.days, tenant.ceiling_days)
    return DueDate(add_days(start, length, counted), length, window.day_kind, tenant.calendar.label,
                   tenant.version, ceiling)


def paused(tenant: Tenant, *, signal_type: str, due: date, ceiling: date, paused_from: date,
           resumed_on: date) -> date:
    """The due date moved by the counted days the clock stood still, never past the ceiling."""
    counted = counts(tenant.calendar, window_for(tenant, signal_type).day_kind)
    moved = add_days(due, days_between(paused_from, resumed_on, counted), counted)
    return min(moved, ceiling)


def clock_start(tenant: Tenant, *, received_at: datetime, routed_at: datetime) -> date:
    """The day a case's window starts: the day it came in, or the day it was routed where the tenant says so."""
    return (routed_at if tenant.clock_starts == "routed" else received_at).date()


def warning_day(tenant: Tenant, *, signal_type: str, due: date) -> date:
    """The day `deadline_warning_days` counted days before the due date (in the window's own counting)."""
    counted = counts(tenant.calendar, window_for(tenant, signal_type).day_kind)
    day, left = due, tenant.deadline_warning_days
    while left > 0:
        day -= timedelta(days=1)
        if counted(day):
            left -= 1
    return day


def extended(tenant: Tenant, *, signal_type: str, start: date, days: int | None) -> DueDate:
    """The due date of a window extended once to `days` (default: what the tenant allows); a
    `WindowRuleBroken` when the tenant does not extend this window or `days` is beyond what it allows."""
    window = window_for(tenant, signal_type)
    if window.extendable_to is None:
        raise WindowRuleBroken("days", f"{tenant.name} does not extend {signal_type} windows")
    days = days or window.extendable_to
    if days > window.extendable_to or days > tenant.ceiling_days:
        raise WindowRuleBroken("days", f"at most {window.extendable_to} days; the legal ceiling is "
                                       f"{tenant.ceiling_days} days")
    return due_date(tenant, signal_type=signal_type, start=start, days=days)


class WindowRuleBroken(ValueError):
    """A request the tenant's window rules refuse (a 422 naming the field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def lead_time(tenant: Tenant, *, signal_type: str, received: date, answered: date) -> int:
    return days_between(received, answered, counts(tenant.calendar, window_for(tenant, signal_type).day_kind))


@dataclass(frozen=True)
class TermDue:
    """When a term that runs from receipt is due, and the day it warns (None: too short to warn)."""

    due: date
    warn_on: date | None


def term_due(tenant: Tenant, term: Term, *, received: date) -> TermDue:
    """The due day of a term (the acknowledgement's, the admissibility decision's) from the day of receipt, and
    its warning day: `deadline_warning_days` counted days before, but never on the day the term starts, when
    what it waits for (an acknowledgement sent at once) is seconds away; a term of 0 days (at once) warns never."""
    counted = counts(tenant.calendar, term.day_kind)
    due = add_days(received, term.days, counted)
    day, left = due, tenant.deadline_warning_days
    while left > 0:
        day -= timedelta(days=1)
        if counted(day):
            left -= 1
    warn_on = max(day, received + timedelta(days=1))
    return TermDue(due, warn_on if warn_on <= due else None)
