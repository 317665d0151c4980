"""Routes: the tenants' public configuration, receiving a complaint, reading a case."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from complaints.auth import Caller, forbidden, require
from complaints.casework import CaseView
from complaints.deduplication import IdempotencyKeyReused
from complaints.domain import Complaint
from complaints.problems import Problem, documented, invalid_fields
from complaints.store import Submission, now
from complaints.tenants import CONDITIONS, Tenant
from intake.audit import log_read
from intake.deps import StoreDep, TenantDep

router = APIRouter()
READERS = ("intake", "import", "handler", "manager", "auditor")
ERRORS = documented(_401="No, unknown, revoked or expired credentials",
                    _403="Credentials not granted this tenant or role", _404="Unknown tenant or case")


# --- tenants ---------------------------------------------------------------------------------
class TenantSummary(BaseModel):
    id: str
    name: str
    version: str


@router.get("/v1/tenants", response_model=list[TenantSummary], tags=["tenants"], responses=ERRORS)
def list_tenants(caller: Annotated[Caller, Depends(require(*READERS))], request: Request) -> list[TenantSummary]:
    """The tenants these credentials are granted."""
    tenants: dict[str, Tenant] = request.app.state.tenants
    return [TenantSummary(id=t.id, name=t.name, version=t.version)
            for t in tenants.values() if t.id in caller.tenants]


@router.get("/v1/tenants/{tenant}", tags=["tenants"], responses=ERRORS)
def tenant_configuration(_: Annotated[Caller, Depends(require(*READERS))], tenant: TenantDep) -> dict[str, Any]:
    """The tenant's public configuration: codes and labels to build forms from (routing rules stay inside)."""
    return tenant.model_dump(exclude={"routing"})


# --- complaints ------------------------------------------------------------------------------
class Complainant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    preferred_answer_channel: Literal["e-mail", "post", "phone"] | None = None


class Attachment(BaseModel):
    """A reference to a file the sender keeps; the platform stores no file bodies."""

    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl
    media_type: str = Field(pattern=r"^[\w.+-]+/[\w.+-]+$", examples=["image/jpeg"])
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class NewComplaint(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "channel": "e-mail", "signal_type": "klacht", "category": "overlast",
        "subject": "Geluidshinder door sirenes", "text": "Moeten de wagens 's nachts echt altijd met sirenes rijden?",
        "complainant": {"name": "A. Burger", "email": "a.burger@example.be", "preferred_answer_channel": "e-mail"},
        "sender_reference": "ELOKET-2023-000123", "received_at": "2023-05-11T08:12:00+02:00"}]})
    channel: str = Field(description="A channel code of the tenant (see GET /v1/tenants/{tenant})")
    signal_type: str = Field(description="complaint, report, question, suggestion or compliment, in the tenant's codes")
    category: str | None = Field(default=None, description="Category or keyword, when the sender knows it")
    district: str | None = Field(default=None, description="The district it is about (the city's districts)")
    entity: str | None = Field(default=None, description="The legal entity it is about (the care company's)")
    subject: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=20000, description="Stored as given (UTF-8), never as markup")
    complainant: Complainant | None = Field(default=None, description="Absent for an anonymous complaint")
    attachments: list[Attachment] = Field(default=[], max_length=50)
    sender_reference: str | None = Field(default=None, max_length=200,
                                         description="The sender's own reference; a second post with it is the same case")
    received_at: AwareDatetime | None = Field(default=None, description="Defaults to now")


class Acknowledgement(BaseModel):
    case_id: UUID
    case_number: str = Field(examples=["BZA-2023-0007"])
    tenant: str
    received_at: datetime
    due_date: date | None = Field(description="Known once the case is routed, usually within a second")
    status: str


class CaseStatus(BaseModel):
    """What a posting system may see of its case."""

    case_id: UUID
    case_number: str
    tenant: str
    status: str
    channel: str
    signal_type: str
    category: str | None
    subject: str
    sender_reference: str | None
    received_at: datetime
    team: str | None
    due_date: date | None
    answered_at: datetime | None
    version: int


class CaseList(BaseModel):
    items: list[CaseStatus]


def check_vocabulary(tenant: Tenant, values: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    errors = []
    for field, vocabulary in CONDITIONS.items():
        value = values.get(field)
        allowed = tenant.codes(vocabulary)
        if value is not None and value not in allowed:
            errors.append({"field": prefix + field, "message": f"unknown {field} {value!r}", "allowed": allowed})
    return errors


def case_status(complaint: Complaint) -> CaseStatus:
    return CaseStatus(
        case_id=complaint.id, case_number=complaint.case_number, tenant=complaint.tenant, status=complaint.status,
        channel=complaint.channel, signal_type=complaint.signal_type, category=complaint.category,
        subject=complaint.subject, sender_reference=complaint.sender_reference, received_at=complaint.received_at,
        team=complaint.team, due_date=complaint.due_date, answered_at=complaint.answered_at, version=complaint.version,
    )


def request_hash(body: BaseModel) -> str:
    canonical = json.dumps(body.model_dump(mode="json", exclude_unset=True), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.strip().strip('"')  # the draft sends it as a structured-field string: "..."
    if not key or len(key) > 255 or not key.isprintable():
        raise invalid_fields([{"field": "header.Idempotency-Key", "message": "1 to 255 printable characters"}])
    return key


@router.post("/v1/tenants/{tenant}/complaints", status_code=201, response_model=Acknowledgement, tags=["complaints"],
             responses={**ERRORS,
                        200: {"description": "This sender's reference was already received: the existing case",
                              "model": Acknowledgement},
                        **documented(_400="Malformed JSON", _413="Body too large",
                                     _422="Invalid fields (each named, with allowed values), or an "
                                          "Idempotency-Key reused with a different body")})
def receive(
    caller: Annotated[Caller, Depends(require("intake"))],
    tenant: TenantDep, body: NewComplaint, store: StoreDep,
    idempotency_key: Annotated[str | None, Header(description="IETF Idempotency-Key: a retry with the same key "
                                                              "and body returns the same case")] = None,
) -> Any:
    """Receives a complaint and acknowledges it at once with its case number."""
    errors = check_vocabulary(tenant, body.model_dump())
    if errors:
        raise invalid_fields(errors)
    submission = Submission(sender=caller.name, idempotency_key=_idempotency_key(idempotency_key),
                            request_hash=request_hash(body), reference=body.sender_reference)
    try:
        complaint, created = store.receive(
            tenant, submission, actor=caller.actor, received_at=body.received_at or now(),
            channel=body.channel, signal_type=body.signal_type, category=body.category,
            district=body.district, entity=body.entity, via_oversight=tenant.is_oversight(body.channel),
            subject=body.subject, text=body.text,
            complainant=store.personal.seal(tenant.id, body.complainant.model_dump(mode="json", exclude_none=True)
                                            if body.complainant else None),
            attachments=[a.model_dump(mode="json") for a in body.attachments],
        )
    except IdempotencyKeyReused as reused:
        raise Problem(422, "idempotency-key-reused", "This Idempotency-Key was used with another body",
                      f"The key was first used for case {reused.case_id}",
                      errors=[{"field": "header.Idempotency-Key", "message": "already used with a different body"}])
    ack = Acknowledgement(case_id=complaint.id, case_number=complaint.case_number, tenant=tenant.id,
                          received_at=complaint.received_at, due_date=complaint.due_date, status=complaint.status)
    location = f"/v1/tenants/{tenant.id}/complaints/{complaint.id}"
    # A replayed key gets the first answer again (201); a known reference without a key is the existing case (200).
    replay = created or submission.idempotency_key is not None
    return JSONResponse(ack.model_dump(mode="json"), status_code=201 if replay else 200,
                        headers={"Location": location})


@router.get("/v1/tenants/{tenant}/complaints", response_model=CaseList, tags=["complaints"], responses=ERRORS)
def find_by_reference(
    caller: Annotated[Caller, Depends(require("intake", "import"))], tenant: TenantDep, store: StoreDep,
    sender_reference: Annotated[str, Query(max_length=200, description="The sender's own reference")],
) -> CaseList:
    """The calling system's case with this reference of its own (an empty list if none)."""
    complaint = store.find_by_reference(tenant.id, caller.name, sender_reference)
    return CaseList(items=[case_status(complaint)] if complaint else [])


@router.get("/v1/tenants/{tenant}/complaints/{case_id}", response_model=CaseStatus | CaseView,
            tags=["complaints"], responses=ERRORS)
def read(caller: Annotated[Caller, Depends(require(*READERS))], tenant: TenantDep, case_id: UUID,
         store: StoreDep,
         as_of: Annotated[AwareDatetime | None, Query(description="The state as the store knew it then")] = None,
         version: Annotated[int | None, Query(ge=1, description="The state after this many events")] = None,
         ) -> CaseStatus | CaseView:
    """A posting system sees the status (state, team, due date, answered at); handlers, managers and
    auditors see the full current state, or (`as_of`, `version`) the state as it stood then, rebuilt
    from the events. Another tenant's case is a 404."""
    complaint = store.case(tenant.id, case_id)
    if as_of is not None or version is not None:
        if caller.kind != "person":
            raise forbidden("Earlier states are for handlers, managers and auditors")
        if as_of is not None:
            known = [e.originator_version for e in store.events.get(case_id) if e.timestamp <= as_of]
            if not known:
                raise Problem(404, "version-not-found", "The case did not exist yet", f"Nothing recorded by {as_of}")
            version = min(version or known[-1], known[-1])
        if version > complaint.version:
            raise Problem(404, "version-not-found", "No such version", f"The case has {complaint.version} versions")
        complaint = store.repository.get(case_id, version=version)
    log_read(store, caller, tenant.id, case_id, f"state (version {complaint.version})")
    return CaseView.of(complaint, store.personal) if caller.kind == "person" else case_status(complaint)
