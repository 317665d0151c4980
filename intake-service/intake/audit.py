"""Audit routes: a case's history, its state at any moment, verification of its hash chains, an export
an outside party can check, and the log of auditors' reads."""

from __future__ import annotations

import base64
import html
from datetime import datetime
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from complaints.audit import ReadLog, diff, entry, state_of
from complaints.auth import Caller, require
from complaints.cloudevents import plain
from complaints.chain import Broken, global_link, verify_stream
from complaints.problems import Problem, documented, invalid_fields
from complaints.store import CaseNotFound, Complaints, now
from intake.deps import StoreDep, TenantDep

router = APIRouter(prefix="/v1/tenants/{tenant}/complaints/{case_id}", tags=["audit"],
                   responses=documented(_401="No or bad credentials", _403="Not this tenant or role",
                                        _404="Unknown tenant or case"))
AuditorDep = Annotated[Caller, Depends(require("auditor", "manager", "handler"))]
PROCEDURE = ("For each event in version order: content = sha256(f'{case_id}\\n{version}\\n{topic}\\n' + state); "
             "stream_hash = sha256(f'{previous stream_hash or empty}|{content}'); "
             "global_hash = sha256(f'{previous_global_hash}|{notification_id}|{content}'). Every computed value must "
             "equal the recorded one. services/audit/verify_export.py does this with the standard library only.")


def log_read(store: Complaints, caller: Caller, tenant: str, case_id: UUID, what: str) -> None:
    """An auditor's read is itself on record: who looked at which case, when."""
    if "auditor" not in caller.roles:
        return
    try:
        log: ReadLog = store.repository.get(ReadLog.id_for(case_id))
    except AggregateNotFoundError:
        log = ReadLog(case_id=case_id, tenant=tenant)
    log.viewed(by=caller.actor, what=what, at=now())
    store.save(log)


def events_of(store: Complaints, tenant: str, case_id: UUID) -> list[Any]:
    """The case's events, without replaying them (a damaged stream must still be shown and verified)."""
    events = list(store.events.get(case_id))
    if not events or getattr(events[0], "tenant", None) != tenant or type(events[0]).__name__ != "Received":
        raise CaseNotFound(tenant, case_id)  # another tenant's case is as absent as none
    return events


def verification(store: Complaints, case_id: UUID) -> dict[str, Any]:
    recorder: Any = store.recorder
    stored = list(recorder.select_events(case_id))
    links = recorder.stream_links(case_id)
    broken = verify_stream(stored, links, str(case_id))
    if broken is None:
        for link in links:  # each global link, against the link before it in the store's order
            if global_link(recorder.link_before(link.notification_id), link.notification_id,
                           link.content_hash) != link.global_hash:
                broken = Broken(link.notification_id, str(case_id), link.originator_version,
                                "the store's chain is broken here")
                break
    return {"valid": broken is None, "events": len(stored),
            "first_broken": None if broken is None else vars(broken)}


@router.get("/history")
def history(caller: AuditorDep, tenant: TenantDep, case_id: UUID, store: StoreDep, request: Request,
            format: Annotated[str | None, Query(pattern="^(json|html)$")] = None) -> Any:
    """Every event in order: type, who, when it happened and when it was recorded, the configuration version
    that decided it, and a readable summary. `?format=html` (or `Accept: text/html`) gives a printable page."""
    events = events_of(store, tenant.id, case_id)
    log_read(store, caller, tenant.id, case_id, "history")
    entries = [entry(e) for e in events]
    for item in entries:  # readable while the complainant's key exists; shown as erased after
        if "complainant" in item["data"]:
            item["data"]["complainant"] = store.personal.open(item["data"]["complainant"])
    if format == "html" or (format is None and "text/html" in request.headers.get("accept", "")):
        return HTMLResponse(_page(tenant.id, case_id, entries))
    return JSONResponse({"case_id": str(case_id), "tenant": tenant.id, "events": plain(entries)})


@router.get("/diff")
def version_diff(caller: AuditorDep, tenant: TenantDep, case_id: UUID, store: StoreDep,
                 from_version: Annotated[int, Query(alias="from", ge=1)],
                 to_version: Annotated[int, Query(alias="to", ge=1)]) -> dict[str, Any]:
    """What changed in the case between two versions."""
    events = events_of(store, tenant.id, case_id)
    if max(from_version, to_version) > len(events):
        raise Problem(404, "version-not-found", "No such version", f"The case has {len(events)} versions")
    log_read(store, caller, tenant.id, case_id, f"diff {from_version}..{to_version}")
    before = state_of(store.repository.get(case_id, version=from_version))
    after = state_of(store.repository.get(case_id, version=to_version))
    return {"case_id": str(case_id), "from": from_version, "to": to_version, "changes": plain(diff(before, after))}


@router.get("/verify")
def verify(caller: AuditorDep, tenant: TenantDep, case_id: UUID, store: StoreDep) -> dict[str, Any]:
    """Checks the case's events against both hash chains; names the first broken link."""
    events_of(store, tenant.id, case_id)
    log_read(store, caller, tenant.id, case_id, "verify")
    return {"case_id": str(case_id), **verification(store, case_id)}


@router.get("/export")
def export(caller: AuditorDep, tenant: TenantDep, case_id: UUID, store: StoreDep) -> dict[str, Any]:
    """One document with the stored events, their chain links and the verification result."""
    events_of(store, tenant.id, case_id)
    log_read(store, caller, tenant.id, case_id, "export")
    recorder: Any = store.recorder
    links = {link.originator_version: link for link in recorder.stream_links(case_id)}
    items = []
    for stored in recorder.select_events(case_id):
        link = links.get(stored.originator_version)
        items.append({
            "version": stored.originator_version, "topic": stored.topic,
            "state_base64": base64.b64encode(bytes(stored.state)).decode(),
            "notification_id": link.notification_id if link else None,
            "content_hash": link.content_hash if link else None, "stream_hash": link.stream_hash if link else None,
            "global_hash": link.global_hash if link else None,
            "previous_global_hash": recorder.link_before(link.notification_id) if link else None,
        })
    return {"case_id": str(case_id), "tenant": tenant.id, "exported_at": now().isoformat(), "procedure": PROCEDURE,
            "events": items, "verification": verification(store, case_id)}


@router.get("/reads")
def reads(_: Annotated[Caller, Depends(require("auditor", "manager"))], tenant: TenantDep, case_id: UUID,
          store: StoreDep) -> dict[str, Any]:
    """Who read this case's record as an auditor, and when."""
    events_of(store, tenant.id, case_id)
    try:
        return {"case_id": str(case_id), "reads": store.repository.get(ReadLog.id_for(case_id)).reads}
    except AggregateNotFoundError:
        return {"case_id": str(case_id), "reads": []}


def _page(tenant: str, case_id: UUID, entries: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{e['version']}</td><td>{html.escape(str(e['occurred_at']))}</td>"
        f"<td>{html.escape(str(e['recorded_at']))}</td><td>{html.escape(e['type'])}</td>"
        f"<td>{html.escape(str(e['actor']))}</td><td>{html.escape(e['summary'])}</td>"
        f"<td>{html.escape(str(e['config_version'] or ''))}</td></tr>" for e in entries)
    return (f"<!doctype html><html lang='nl'><head><meta charset='utf-8'><title>Case {case_id}</title>"
            "<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;"
            "padding:4px 8px;vertical-align:top}@media print{a{display:none}}</style></head><body>"
            f"<h1>History of case {case_id}</h1><p>Tenant {html.escape(tenant)}. Printed {now().isoformat()}.</p>"
            "<table><tr><th>#</th><th>Happened</th><th>Recorded</th><th>Event</th><th>By</th><th>What</th>"
            f"<th>Rules</th></tr>{rows}</table></body></html>")


tenant_router = APIRouter(prefix="/v1/tenants/{tenant}", tags=["audit"])


def tenant_cases(store: Complaints, tenant: str) -> list[UUID]:
    """The tenant's case ids, from the store's notification log (the one truth there is)."""
    found, start = [], 1
    topic = "complaints.domain:Complaint.Received"
    while True:
        batch = store.recorder.select_notifications(start=start, limit=1000, topics=[topic])
        for notification in batch:
            if store.mapper.to_domain_event(notification).tenant == tenant:
                found.append(notification.originator_id)
        if len(batch) < 1000:
            return found
        start = batch[-1].id + 1


@tenant_router.get("/verify")
def verify_tenant(_: Annotated[Caller, Depends(require("auditor", "manager"))], tenant: TenantDep,
                  store: StoreDep) -> dict[str, Any]:
    """Checks every case of the tenant; names the first broken link (the whole store: `intake.cli verify`)."""
    cases = tenant_cases(store, tenant.id)
    for case_id in cases:
        result = verification(store, case_id)
        if not result["valid"]:
            return {"tenant": tenant.id, "valid": False, "cases_checked": cases.index(case_id) + 1,
                    "first_broken": {"case_id": str(case_id), **result["first_broken"]}}
    return {"tenant": tenant.id, "valid": True, "cases_checked": len(cases), "first_broken": None}


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"email": "a.burger@example.be"}]})
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=50)
    reason: str = Field(min_length=1, max_length=2000, description="e.g. the GDPR request's reference")


class Erasures(Aggregate):
    """The record of erasures: who erased which pseudonym, when and why (never who the person was)."""

    @staticmethod
    def id_for(tenant: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"complaints:erasures:{tenant}")

    @classmethod
    def create_id(cls, tenant: str) -> UUID:
        return cls.id_for(tenant)

    @event("Started")
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant

    @event("ComplainantErased")
    def erased(self, subject: str, reason: str, actor: str, occurred_at: datetime) -> None:
        pass


@tenant_router.post("/erasures", responses=documented(_422="Neither e-mail nor phone given"))
def erase_complainant(caller: Annotated[Caller, Depends(require("manager"))], tenant: TenantDep,
                      body: ErasureRequest, store: StoreDep) -> dict[str, Any]:
    """Erases a complainant's personal data everywhere by deleting their key; history, counts and chains stay."""
    contact = {k: v for k, v in (("email", body.email), ("phone", body.phone)) if v}
    if not contact:
        raise invalid_fields([{"field": "email", "message": "give the e-mail address or the phone number"}])
    subject = store.personal.subject_of(tenant.id, contact)
    erased = store.personal.erase(subject)
    try:
        record: Erasures = store.repository.get(Erasures.id_for(tenant.id))
    except AggregateNotFoundError:
        record = Erasures(tenant=tenant.id)
    record.erased(subject=subject, reason=body.reason, actor=caller.actor, occurred_at=now())
    store.save(record)
    return {"subject": subject, "erased": erased}
