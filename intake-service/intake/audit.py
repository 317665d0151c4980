"""Audit routes: a case's history, what changed between versions, verification of its hash chains, an
export an outside party can check, the log of auditors' reads, and erasure of a complainant
(`complaints.application.audit` decides who may see what)."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from complaints.application.callers import Caller
from complaints.web.auth import require
from complaints.web.deps import AuditDep, ClockDep, TenantDep
from complaints.web.problems import documented

router = APIRouter(prefix="/v1/tenants/{tenant}/complaints/{case_id}", tags=["audit"],
                   responses=documented(_401="No or bad credentials", _403="Not this tenant, role or team",
                                        _404="Unknown tenant or case"))
ReaderDep = Annotated[Caller, Depends(require("audit-case"))]
# The printable history runs no script and loads nothing: its inline style is all it needs. What an
# event says is escaped; these headers keep a browser from reading it as anything else.
HISTORY_PAGE = {200: {"content": {"text/html": {"schema": {"type": "string"}}}}}
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                                           "base-uri 'none'; form-action 'none'",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class HistoryEntry(BaseModel):
    """One event of a case's history, as stored."""

    version: int
    type: str = Field(examples=["Routed"], description="The event's name")
    actor: str | None
    occurred_at: str = Field(description="When it happened, ISO 8601")
    recorded_at: str = Field(description="When the store recorded it, ISO 8601")
    config_version: str | None = Field(description="The tenant configuration version that decided it")
    summary: str
    data: dict[str, Any] = Field(description="The event's own fields (they differ per event type)")


class History(BaseModel):
    case_id: UUID
    tenant: str
    events: list[HistoryEntry]


class VersionDiff(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    case_id: UUID
    from_version: int = Field(alias="from")
    to_version: int = Field(alias="to")
    changes: dict[str, list[Any]] = Field(description="Per changed field of the case: [before, after]")


class BrokenLink(BaseModel):
    """The first link that does not hold: where, and what is wrong."""

    notification_id: int | None
    case_id: str | None
    version: int | None
    problem: str


class ChainCheck(BaseModel):
    """Whether the case's events hold against both hash chains, and the first link that does not."""

    valid: bool
    events: int
    first_broken: BrokenLink | None


class Verification(ChainCheck):
    case_id: UUID


class ExportedEvent(BaseModel):
    version: int
    topic: str
    state_base64: str
    notification_id: int | None
    content_hash: str | None
    stream_hash: str | None
    global_hash: str | None
    previous_global_hash: str | None


class Export(BaseModel):
    """Everything an outside party needs to check the case's record (`services/audit/verify_export.py`)."""

    case_id: UUID
    tenant: str
    exported_at: str = Field(description="ISO 8601")
    procedure: str = Field(description="How to recompute the hashes")
    events: list[ExportedEvent]
    verification: ChainCheck


class Read(BaseModel):
    by: str
    what: str = Field(examples=["history", "diff 1..3"])
    at: str = Field(description="When, ISO 8601")


class Reads(BaseModel):
    case_id: UUID
    reads: list[Read]


@router.get("/history", response_model=History, responses=HISTORY_PAGE)
def history(caller: ReaderDep, tenant: TenantDep, case_id: UUID, audit: AuditDep, clock: ClockDep,
            request: Request, format: Annotated[str | None, Query(pattern="^(json|html)$")] = None) -> Any:
    """Every event in order: type, who, when it happened and when it was recorded, the configuration version
    that decided it, and a readable summary. `?format=html` (or `Accept: text/html`) gives a printable page."""
    entries = audit.history(caller, tenant, case_id)
    if format == "html" or (format is None and "text/html" in request.headers.get("accept", "")):
        return HTMLResponse(_page(tenant.id, case_id, entries, clock.now()), headers=PAGE_HEADERS)
    return JSONResponse({"case_id": str(case_id), "tenant": tenant.id, "events": entries})


@router.get("/diff", response_model=VersionDiff)
def version_diff(caller: ReaderDep, tenant: TenantDep, case_id: UUID, audit: AuditDep,
                 from_version: Annotated[int, Query(alias="from", ge=1)],
                 to_version: Annotated[int, Query(alias="to", ge=1)]) -> dict[str, Any]:
    """What changed in the case between two versions."""
    changes = audit.diff(caller, tenant, case_id, from_version, to_version)
    return {"case_id": str(case_id), "from": from_version, "to": to_version, "changes": changes}


@router.get("/verify", response_model=Verification)
def verify(caller: ReaderDep, tenant: TenantDep, case_id: UUID, audit: AuditDep) -> dict[str, Any]:
    """Checks the case's events against both hash chains; names the first broken link."""
    return {"case_id": str(case_id), **audit.verify(caller, tenant, case_id)}


@router.get("/export", response_model=Export)
def export(caller: ReaderDep, tenant: TenantDep, case_id: UUID, audit: AuditDep) -> dict[str, Any]:
    """One document with the stored events, their chain links and the verification result."""
    return audit.export(caller, tenant, case_id)


@router.get("/reads", response_model=Reads)
def reads(caller: Annotated[Caller, Depends(require("read-log"))], tenant: TenantDep, case_id: UUID,
          audit: AuditDep) -> dict[str, Any]:
    """Who read this case's record as an auditor, and when."""
    return {"case_id": str(case_id), "reads": audit.reads(caller, tenant, case_id)}


def _page(tenant: str, case_id: UUID, entries: list[dict[str, Any]], printed: datetime) -> str:
    rows = "".join(
        f"<tr><td>{e['version']}</td><td>{html.escape(str(e['occurred_at']))}</td>"
        f"<td>{html.escape(str(e['recorded_at']))}</td><td>{html.escape(e['type'])}</td>"
        f"<td>{html.escape(str(e['actor']))}</td><td>{html.escape(e['summary'])}</td>"
        f"<td>{html.escape(str(e['config_version'] or ''))}</td></tr>" for e in entries)
    return (f"<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>Case {case_id}</title>"
            "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;"
            "padding:4px 8px;vertical-align:top}@media print{a{display:none}}</style></head><body>"
            f"<h1>History of case {case_id}</h1><p>Tenant {html.escape(tenant)}. Printed {printed.isoformat()}.</p>"
            "<table><tr><th>#</th><th>Happened</th><th>Recorded</th><th>Event</th><th>By</th><th>What</th>"
            f"<th>Rules</th></tr>{rows}</table></body></html>")


tenant_router = APIRouter(prefix="/v1/tenants/{tenant}", tags=["audit"],
                          responses=documented(_404="Unknown tenant"))


class BrokenCase(BrokenLink):
    case_id: str


class TenantVerification(BaseModel):
    tenant: str
    valid: bool
    cases_checked: int
    first_broken: BrokenCase | None


@tenant_router.get("/verify", response_model=TenantVerification)
def verify_tenant(caller: Annotated[Caller, Depends(require("verify-tenant"))], tenant: TenantDep,
                  audit: AuditDep) -> dict[str, Any]:
    """Checks every case of the tenant; names the first broken link (the whole store: `intake.cli verify`)."""
    return {"tenant": tenant.id, **audit.verify_tenant(caller, tenant)}


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"email": "a.burger@example.be", "reason": "AVG-2024-12"},
        {"case_id": "0b7f1a2e-5c1d-4a51-9f3e-2d6c8f0e7a11", "reason": "AVG-2024-13"}]})
    case_id: UUID | None = Field(default=None, description="A case of the complainant: whoever complained in it "
                                                           "(also one known only by name and address)")
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    reason: str = Field(min_length=1, max_length=2000, description="e.g. the GDPR request's reference")


class Erasure(BaseModel):
    subject: str | None = Field(description="One of the pseudonyms erased, as the events name them (none found: "
                                            "null)")
    subjects: list[str] = Field(description="Every pseudonym erased: each contact given on the complainant's "
                                            "cases leads to theirs")
    case_ids: list[str] = Field(description="The case the erasure was asked by, if any")
    erased: bool = Field(description="Whether a key was deleted (false: erased before, or never known)")


@tenant_router.post("/erasures", response_model=Erasure,
                    responses=documented(_422="Neither a case nor an e-mail or phone given, an unknown case, an "
                                              "empty e-mail or reason, a phone without digits: each field named"))
def erase_complainant(caller: Annotated[Caller, Depends(require("erase"))], tenant: TenantDep,
                      body: ErasureRequest, audit: AuditDep) -> dict[str, Any]:
    """Erases a complainant's personal data everywhere, by a case of theirs, their e-mail or their phone: their
    keys and contact links are deleted, the read models drop their pseudonym; history, counts and chains stay."""
    return audit.erase(caller, tenant, email=body.email, phone=body.phone, case_id=body.case_id,
                       reason=body.reason)
