"""Handler commands on a case, the same way in every service: who may act, which version, one save."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi import Request
from pydantic import BaseModel

from complaints.auth import Caller, forbidden
from complaints.domain import ALLOWED, Complaint
from complaints.personal import PersonalData
from complaints.problems import invalid_fields, known_tenant
from complaints.tenants import Tenant
from complaints.store import Complaints


class CaseView(BaseModel):
    """A case's full current state, as a handler sees it."""

    case_id: UUID
    case_number: str
    tenant: str
    status: str
    version: int
    allowed_commands: list[str]
    channel: str
    signal_type: str
    category: str | None
    district: str | None
    entity: str | None
    subject: str
    text: str
    complainant: dict[str, Any]
    team: str | None
    routing_rule: str | None
    via_oversight: bool
    received_at: datetime
    due_date: date | None
    ceiling: date | None
    paused_since: date | None
    paused_days: int
    extended: bool
    mediation: bool
    qualification: str | None
    notes: list[dict[str, Any]]
    draft: dict[str, Any] | None
    approvals: list[dict[str, Any]]
    answer: str | None
    answer_channel: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    forwarded_to: str | None
    deadline_events: list[str]

    @classmethod
    def of(cls, complaint: Complaint, personal: PersonalData) -> CaseView:
        fields = {name: getattr(complaint, name) for name in cls.model_fields
                  if name not in ("case_id", "allowed_commands", "complainant")}
        return cls(case_id=complaint.id, allowed_commands=list(ALLOWED[complaint.status]),
                   complainant=personal.open(complaint.complainant), **fields)


def tenant_of(request: Request, tenant: str) -> Tenant:
    """The path's tenant, as the service's store knows the rules."""
    return known_tenant(request.app.state.wiring.store.tenants, tenant)


def ensure_may_act(caller: Caller, complaint: Complaint) -> None:
    """Only the owning team's handlers, or a manager of the tenant, act on a case; auditors only read."""
    if "manager" in caller.roles:
        return
    if "handler" in caller.roles and caller.team is not None and caller.team == complaint.team:
        return
    raise forbidden(f"Only team {complaint.team!r} or a manager may act on this case")


def expected_version(if_match: str | None) -> int | None:
    """`If-Match: "7"` (an ETag of the case version) or `If-Match: 7`."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise invalid_fields([{"field": "header.If-Match", "message": "the case version, e.g. \"7\""}])
    return int(value)


async def act(store: Complaints, caller: Caller, tenant: str, case_id: UUID,
              command: Callable[[Complaint], None], if_match: str | None = None) -> CaseView:
    def guarded(complaint: Complaint) -> None:
        ensure_may_act(caller, complaint)
        command(complaint)

    complaint = await asyncio.to_thread(store.change, tenant, case_id, guarded,
                                        expected_version=expected_version(if_match))
    return CaseView.of(complaint, store.personal)
