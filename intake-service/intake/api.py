"""Routes: receive a complaint, read a case."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi import APIRouter, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from complaints.domain import Complaint
from complaints.problems import Problem, invalid_fields
from complaints.store import now
from complaints.tenants import Tenant
from intake.deps import StoreDep, TenantDep

router = APIRouter(prefix="/v1/tenants/{tenant}/complaints", tags=["complaints"])


class Complainant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    preferred_answer_channel: Literal["e-mail", "post", "phone"] | None = None


class NewComplaint(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(description="A channel code of the tenant (GET /v1/tenants/{tenant})")
    signal_type: str = Field(description="complaint, report, question, suggestion or compliment, in the tenant's codes")
    category: str | None = Field(default=None, description="Category or keyword, when the sender knows it")
    subject: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=20000)
    complainant: Complainant | None = Field(default=None, description="Absent for an anonymous complaint")
    sender_reference: str | None = Field(default=None, max_length=200)
    received_at: AwareDatetime | None = Field(default=None, description="Defaults to now")


class Acknowledgement(BaseModel):
    case_id: UUID
    case_number: str
    tenant: str
    received_at: datetime
    due_date: date | None


class Case(BaseModel):
    case_id: UUID
    case_number: str
    tenant: str
    status: str
    channel: str
    signal_type: str
    category: str | None
    subject: str
    received_at: datetime
    team: str | None
    routing_rule: str | None
    due_date: date | None
    qualification: str | None
    version: int


def _check_vocabulary(tenant: Tenant, body: NewComplaint) -> None:
    errors: list[dict[str, Any]] = []
    for field, vocabulary in (("channel", "channels"), ("signal_type", "signal_types"), ("category", "categories")):
        value = getattr(body, field)
        allowed = tenant.codes(vocabulary)
        if value is not None and value not in allowed:
            errors.append({"field": field, "message": f"unknown {field} {value!r}", "allowed": allowed})
    if errors:
        raise invalid_fields(errors)


def _case(complaint: Complaint) -> Case:
    return Case(
        case_id=complaint.id, case_number=complaint.case_number, tenant=complaint.tenant,
        status=complaint.status, channel=complaint.channel, signal_type=complaint.signal_type,
        category=complaint.category, subject=complaint.subject, received_at=complaint.received_at,
        team=complaint.team, routing_rule=complaint.routing_rule, due_date=complaint.due_date,
        qualification=complaint.qualification, version=complaint.version,
    )


@router.post("", status_code=201, response_model=Acknowledgement)
def receive(tenant: TenantDep, body: NewComplaint, store: StoreDep, response: Response) -> Acknowledgement:
    _check_vocabulary(tenant, body)
    complaint = store.receive(
        tenant, actor="intake", received_at=body.received_at or now(),
        channel=body.channel, signal_type=body.signal_type, category=body.category,
        subject=body.subject, text=body.text,
        complainant=body.complainant.model_dump(exclude_none=True) if body.complainant else None,
        sender_reference=body.sender_reference,
    )
    response.headers["Location"] = f"/v1/tenants/{tenant.id}/complaints/{complaint.id}"
    return Acknowledgement(case_id=complaint.id, case_number=complaint.case_number, tenant=tenant.id,
                           received_at=complaint.received_at, due_date=complaint.due_date)


@router.get("/{case_id}", response_model=Case)
def read(tenant: TenantDep, case_id: UUID, store: StoreDep) -> Case:
    try:
        complaint = store.get(case_id)
    except AggregateNotFoundError:
        complaint = None
    # Another tenant's case is as absent as a case that does not exist.
    if not isinstance(complaint, Complaint) or complaint.tenant != tenant.id:
        raise Problem(404, "case-not-found", "No such case", f"No case {case_id} for tenant {tenant.id}")
    return _case(complaint)
