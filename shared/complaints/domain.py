"""The Complaint aggregate: one event stream per case.

Command methods decide (and refuse what the case's state forbids); the private
`@event` methods only change state, so replaying history runs the same code.
Every event carries the tenant, the actor (a user or a system) and when it
happened (`occurred_at`); the library adds when it was recorded (`timestamp`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from eventsourcing.domain import Aggregate, event

from complaints.windows import DueDate

SYSTEM_ROUTING = "system:routing"
SYSTEM_QUALIFICATION = "system:qualification"


class CommandRefused(Exception):
    """A command that the case's current state does not allow."""

    def __init__(self, command: str, status: str) -> None:
        super().__init__(f"cannot {command} a case that is {status}")
        self.command = command
        self.status = status


class Complaint(Aggregate):
    """A complaint (or question, report, suggestion, compliment) from receipt to close."""

    @event("Received")
    def __init__(
        self,
        tenant: str,
        actor: str,
        occurred_at: datetime,
        config_version: str,
        case_number: str,
        channel: str,
        signal_type: str,
        subject: str,
        text: str,
        category: str | None = None,
        complainant: dict[str, Any] | None = None,
        sender_reference: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        district: str | None = None,
        entity: str | None = None,
        via_oversight: bool = False,
    ) -> None:
        self.tenant = tenant
        self.case_number = case_number
        self.channel = channel
        self.signal_type = signal_type
        self.category = category
        self.subject = subject
        self.text = text
        self.complainant = complainant or {}
        self.sender_reference = sender_reference
        self.attachments = attachments or []
        self.district = district
        self.entity = entity
        # Came via an ombudsman or oversight body: the answer goes back that way too.
        self.via_oversight = via_oversight
        self.received_at = occurred_at
        self.status = "received"
        self.team: str | None = None
        self.routing_rule: str | None = None
        self.routed_by_hand = False
        self.forwarded_to: str | None = None
        self.due_date: date | None = None
        self.clock_started_on: date | None = None
        self.ceiling: date | None = None
        self.qualification: str | None = None
        self.answer: str | None = None
        self.answered_at: datetime | None = None

    # --- routing -----------------------------------------------------------
    def route(self, *, team: str, rule_id: str, config_version: str, actor: str, at: datetime) -> None:
        if self.status != "received":
            raise CommandRefused("route", self.status)
        self._routed(tenant=self.tenant, actor=actor, occurred_at=at, team=team,
                     rule_id=rule_id, config_version=config_version)

    @event("Routed")
    def _routed(self, tenant: str, actor: str, occurred_at: datetime, team: str,
                rule_id: str, config_version: str) -> None:
        self.team = team
        self.routing_rule = rule_id
        self.status = "routed"

    def reroute(self, *, team: str, reason: str, rule_id: str | None, config_version: str,
                actor: str, at: datetime) -> None:
        """To another team of the tenant: by hand (`rule_id` None), or by the rules after a new category."""
        if self.status == "closed":
            raise CommandRefused("reroute", self.status)
        if team == self.team:
            raise CommandRefused(f"reroute to its own team {team!r}", self.status)
        self._rerouted(tenant=self.tenant, actor=actor, occurred_at=at, from_team=self.team, team=team,
                       reason=reason, rule_id=rule_id, config_version=config_version)

    @event("Rerouted")
    def _rerouted(self, tenant: str, actor: str, occurred_at: datetime, from_team: str | None, team: str,
                  reason: str, rule_id: str | None, config_version: str) -> None:
        self.team = team
        self.routing_rule = rule_id or "by-hand"
        self.routed_by_hand = self.routed_by_hand or rule_id is None
        if self.status == "received":
            self.status = "routed"

    def set_category(self, *, category: str, config_version: str, actor: str, at: datetime) -> None:
        if self.status == "closed":
            raise CommandRefused("set the category of", self.status)
        self._category_set(tenant=self.tenant, actor=actor, occurred_at=at, category=category,
                           previous=self.category, config_version=config_version)

    @event("CategorySet")
    def _category_set(self, tenant: str, actor: str, occurred_at: datetime, category: str,
                      previous: str | None, config_version: str) -> None:
        self.category = category

    def close_early(self, *, qualification: str, reason: str, forward_to: str | None, config_version: str,
                    actor: str, at: datetime) -> None:
        """Inadmissible: qualified with the scheme's code for it and closed at once; the window stops."""
        if self.status in ("answered", "closed"):
            raise CommandRefused("close early", self.status)
        self._qualified(tenant=self.tenant, actor=actor, occurred_at=at, qualification=qualification,
                        config_version=config_version)
        self._closed(tenant=self.tenant, actor=actor, occurred_at=at, reason=f"inadmissible: {reason}",
                     forwarded_to=forward_to)

    # --- the clock ---------------------------------------------------------
    def start_clock(self, *, due: DueDate, started_on: date, actor: str, at: datetime) -> None:
        if self.due_date is not None or self.status == "closed":
            raise CommandRefused("start the clock of", self.status)
        self._clock_started(tenant=self.tenant, actor=actor, occurred_at=at, started_on=started_on,
                            due_date=due.due, window_days=due.days, day_kind=due.day_kind,
                            calendar=due.calendar, ceiling=due.ceiling, config_version=due.config_version)

    @event("ClockStarted")
    def _clock_started(self, tenant: str, actor: str, occurred_at: datetime, started_on: date, due_date: date,
                       window_days: int, day_kind: str, calendar: str, ceiling: date, config_version: str) -> None:
        self.clock_started_on = started_on
        self.due_date = due_date
        self.ceiling = ceiling

    # --- the handler's work --------------------------------------------------
    def start_investigation(self, *, actor: str, at: datetime) -> None:
        if self.status != "routed":
            raise CommandRefused("start investigating", self.status)
        self._investigation_started(tenant=self.tenant, actor=actor, occurred_at=at)

    @event("InvestigationStarted")
    def _investigation_started(self, tenant: str, actor: str, occurred_at: datetime) -> None:
        self.status = "investigating"

    def qualify(self, *, qualification: str, config_version: str, actor: str, at: datetime) -> None:
        if self.status not in ("routed", "investigating"):
            raise CommandRefused("qualify", self.status)
        self._qualified(tenant=self.tenant, actor=actor, occurred_at=at,
                        qualification=qualification, config_version=config_version)

    @event("Qualified")
    def _qualified(self, tenant: str, actor: str, occurred_at: datetime, qualification: str,
                   config_version: str) -> None:
        self.qualification = qualification
        self.status = "qualified"

    def answer_complainant(self, *, text: str, channel: str, actor: str, at: datetime) -> None:
        if self.status != "qualified":
            raise CommandRefused("answer", self.status)
        self._answered(tenant=self.tenant, actor=actor, occurred_at=at, text=text, channel=channel)

    @event("Answered")
    def _answered(self, tenant: str, actor: str, occurred_at: datetime, text: str, channel: str) -> None:
        self.answer = text
        self.answered_at = occurred_at
        self.status = "answered"

    def close(self, *, reason: str, actor: str, at: datetime) -> None:
        if self.status == "closed":
            raise CommandRefused("close", self.status)
        self._closed(tenant=self.tenant, actor=actor, occurred_at=at, reason=reason)

    @event("Closed")
    def _closed(self, tenant: str, actor: str, occurred_at: datetime, reason: str,
                forwarded_to: str | None = None) -> None:
        self.status = "closed"
        self.forwarded_to = forwarded_to
