"""Routes: the tenants' public configuration, receiving a complaint, reading a case."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from werkzeug.http import parse_etags
from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field, create_model

from complaints.application.callers import Caller
from complaints.application.errors import Unchanged
from complaints.application.intake import Complainant
from complaints.model.deduplication import IdempotencyKeyReused, Submission
from complaints.model.tenants import Tenant
from complaints.web.auth import require
from complaints.web.deps import CasesDep, IfMatch, IntakeDep, TenantDep
from complaints.web.problems import Problem, documented, invalid_fields
from complaints.web.views import CaseReference, CaseState, CaseStatus, CaseView

router = APIRouter()
ERRORS = documented(_401="No, unknown, revoked or expired credentials",
                    _403="Credentials not granted this tenant or role", _404="Unknown tenant or case")


# --- who is calling ---------------------------------------------------------------------------
class Me(BaseModel):
    """Who these credentials are, as the platform reads them (a frontend shows who is logged in)."""

    kind: Literal["person", "system"]
    subject: str = Field(description="A person's subject (`sub`), or the calling system's name")
    tenants: list[str]
    roles: list[str]
    team: str | None


@router.get("/v1/me", response_model=Me, tags=["tenants"], responses=ERRORS)
def me(caller: Annotated[Caller, Depends(require("who-am-i"))]) -> Me:
    """The caller's kind, subject, tenants, roles and team, from their credentials."""
    return Me(kind=caller.kind, subject=caller.name, tenants=sorted(caller.tenants), roles=sorted(caller.roles),
              team=caller.team)


# --- tenants ---------------------------------------------------------------------------------
class TenantSummary(BaseModel):
    id: str
    name: str
    version: str


@router.get("/v1/tenants", response_model=list[TenantSummary], tags=["tenants"], responses=ERRORS)
def list_tenants(caller: Annotated[Caller, Depends(require("read-configuration"))],
                 request: Request) -> list[TenantSummary]:
    """The tenants these credentials are granted."""
    return [TenantSummary(id=t.id, name=t.name, version=t.version)
            for t in request.app.state.tenants.values() if t.id in caller.tenants]


# The tenant's file as clients may read it: every field but the routing rules (they stay inside).
TenantConfiguration = create_model(
    "TenantConfiguration", __doc__="A tenant's public configuration: its codes and labels, windows and tables.",
    **{name: (field.annotation, field) for name, field in Tenant.model_fields.items() if name != "routing"})


@router.get("/v1/tenants/{tenant}", response_model=TenantConfiguration, tags=["tenants"], responses=ERRORS)
def tenant_configuration(_: Annotated[Caller, Depends(require("read-configuration"))],
                         tenant: TenantDep) -> dict[str, Any]:
    """The tenant's public configuration: codes and labels to build forms from (routing rules stay inside)."""
    return tenant.model_dump(exclude={"routing"})


# --- complaints ------------------------------------------------------------------------------
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
        "sender_reference": "ELOKET-2023-000123"}]})
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
    received_at: AwareDatetime | None = Field(default=None, description=(
        "When it came in; defaults to now. Refused when later than now (beyond `CLOCK_SKEW_SECONDS`) or more "
        "than the tenant's `intake_max_age_days` ago (older cases come in through the import)"))


class Acknowledgement(BaseModel):
    case_id: UUID
    case_number: str = Field(examples=["BZA-2023-0007"])
    tenant: str
    received_at: datetime
    due_date: date | None = Field(description="Known once the case is routed, usually within a second")
    status: CaseState


class CaseList(BaseModel):
    items: list[CaseStatus]


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
    caller: Annotated[Caller, Depends(require("receive"))], tenant: TenantDep, body: NewComplaint, intake: IntakeDep,
    idempotency_key: Annotated[str | None, Header(description="IETF Idempotency-Key: a retry with the same key "
                                                              "and body returns the same case")] = None,
) -> Any:
    """Receives a complaint and acknowledges it at once with its case number."""
    submission = Submission(sender=caller.name, idempotency_key=_idempotency_key(idempotency_key),
                            request_hash=request_hash(body), reference=body.sender_reference)
    try:
        complaint, created = intake.receive(
            caller, tenant, submission, received_at=body.received_at,
            complainant=body.complainant.model_dump(mode="json", exclude_none=True) if body.complainant else None,
            channel=body.channel, signal_type=body.signal_type, category=body.category, district=body.district,
            entity=body.entity, subject=body.subject, text=body.text,
            attachments=[a.model_dump(mode="json") for a in body.attachments])
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
    caller: Annotated[Caller, Depends(require("find-by-reference"))], tenant: TenantDep, intake: IntakeDep,
    sender_reference: Annotated[str, Query(max_length=200, description="The sender's own reference")],
) -> CaseList:
    """The calling system's case with this reference of its own (an empty list if none)."""
    complaint = intake.find_by_reference(caller, tenant, sender_reference)
    return CaseList(items=[CaseStatus.of(complaint)] if complaint else [])


@router.get("/v1/tenants/{tenant}/complaints/{case_id}", response_model=CaseStatus | CaseView,
            tags=["complaints"], responses={**ERRORS, 200: {"headers": {"ETag": {
                "description": 'The case version, e.g. "7": `If-None-Match` on the next read, `If-Match` on a command',
                "schema": {"type": "string"}}}},
                304: {"description": "`If-None-Match` names the current version: nothing new, nothing logged"}})
def read(caller: Annotated[Caller, Depends(require("read-case"))], tenant: TenantDep, case_id: UUID,
         cases: CasesDep,
         as_of: Annotated[AwareDatetime | None, Query(description="The state as the store knew it then")] = None,
         version: Annotated[int | None, Query(ge=1, description="The state after this many events")] = None,
         if_none_match: Annotated[str | None, Header(description='The ETag of the version held, e.g. "7"')] = None,
         ) -> Any:
    """A posting system sees the status of the cases it sent (state, team, due date, answered at); people
    who may read the case (its team's handlers, the tenant's managers, directors and auditors) see the full
    state with what they may do next, or (`as_of`, `version`) the state as it stood then, rebuilt from the
    events. Another tenant's case is a 404. The `ETag` is the case's version: with `If-None-Match` a case
    that has not changed is a 304 (an auditor's read is logged once per window, a 304 not at all)."""
    held = parse_etags(if_none_match)  # a list, W/ tags and `*` as RFC 9110 has them; none when absent
    try:
        record = cases.read(caller, tenant, case_id, as_of=as_of, version=version,
                            unless=lambda current: held.contains_weak(str(current)))
    except Unchanged as unchanged:
        return Response(status_code=304, headers=_version_headers(unchanged.version))
    view = CaseView.of(record) if caller.kind == "person" else CaseStatus.of(record.case)
    headers = _version_headers(record.case.version) if as_of is None and version is None else {}
    return JSONResponse(view.model_dump(mode="json"), headers=headers)


def _version_headers(version: int) -> dict[str, str]:
    # What is shown depends on who asks and in which language, so a shared cache keeps them apart.
    return {"ETag": f'"{version}"', "Vary": "Authorization, X-API-Key, Accept-Language"}


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "to": "stad", "channel": "e-mail", "signal_type": "klacht", "category": "parkeren",
        "reason": "Gaat over een parkeervergunning van de stad, niet over de politie"}]})
    to: str = Field(description="The organisation it belongs to (a tenant id)")
    channel: str = Field(description="How it reached the target, in the target's channel codes")
    signal_type: str = Field(description="The target's signal type for it")
    category: str | None = Field(default=None, description="The target's category, if known")
    reason: str = Field(min_length=1, max_length=2000)


class Transferred(BaseModel):
    case: CaseView = Field(description="This organisation's case, closed as transferred, with `transferred_to`")
    transferred_to: CaseReference


@router.post("/v1/tenants/{tenant}/complaints/{case_id}/transfer", response_model=Transferred,
             tags=["complaints"], responses=ERRORS)
def transfer(caller: Annotated[Caller, Depends(require("work-cases"))], tenant: TenantDep, case_id: UUID,
             body: Transfer, cases: CasesDep, version: IfMatch, request: Request) -> Transferred:
    """Transfers a complaint that belongs to another organisation (the police zone's complaint about a city
    service, or the reverse): closed here as `Transferred`, a new case there in its own codes, linking back,
    dated from the first receipt where the target's rules say its window runs from then, the complainant
    sealed again under the target's own keys (each side's erasure is its own). The complainant keeps using
    this case's number: it is the new case's reference."""
    tenants = request.app.state.tenants
    if body.to not in tenants:
        raise invalid_fields([{"field": "to", "message": "unknown organisation", "allowed": sorted(tenants)}])
    target = tenants[body.to]
    record, moved = cases.transfer(caller, tenant, case_id, target, channel=body.channel,
                                   signal_type=body.signal_type, category=body.category, reason=body.reason,
                                   expected_version=version)
    return Transferred(case=CaseView.of(record), transferred_to=record.case.transferred_to)


@router.delete("/v1/tenants/{tenant}/complaints/{case_id}/tracking", response_model=CaseView, tags=["complaints"],
               responses={**ERRORS, **documented(_409="Revoked already", _412="If-Match names an older version")})
def revoke_tracking(caller: Annotated[Caller, Depends(require("work-cases"))], tenant: TenantDep, case_id: UUID,
                    cases: CasesDep, version: IfMatch,
                    reason: Annotated[str, Query(min_length=1, max_length=500, description="Why, for the record")]
                    = "revoked by the organisation") -> CaseView:
    """Stops the complainant's tracking link from working (forwarded to someone, say): the same 404 as an
    unknown link from then on. By the owning team's handlers or a manager."""
    return CaseView.of(cases.revoke_tracking(caller, tenant, case_id, reason, version))
