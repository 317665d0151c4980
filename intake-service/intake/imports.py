"""Historical import: cases from an old register, with their original dates and steps.

Each item becomes an ordinary case stream whose events carry the original time
(`occurred_at`) while the store records when they were imported. Items are
validated and saved one by one: a rejected item never blocks the others, and
an item whose reference was imported before is reported as already present.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from complaints.auth import Caller, require
from complaints.domain import CommandRefused, Complaint
from complaints.routing import choose_team
from complaints.problems import documented
from complaints.store import Complaints, Submission, now
from complaints.tenants import Tenant
from complaints.windows import due_date
from intake.api import ERRORS, Complainant, check_vocabulary
from intake.deps import StoreDep, TenantDep

router = APIRouter(tags=["imports"])
STEPS = ("received_at", "routed_at", "qualified_at", "answered_at", "closed_at")


class ImportItem(BaseModel):
    """One case of the old register."""

    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1, max_length=200, description="The case's number in the old register")
    received_at: AwareDatetime
    channel: str
    signal_type: str
    category: str | None = None
    district: str | None = None
    entity: str | None = None
    subject: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=20000)
    complainant: Complainant | None = None
    team: str | None = Field(default=None, description="The team it was routed to; else the tenant's rules decide")
    routed_at: AwareDatetime | None = None
    qualification: str | None = None
    qualified_at: AwareDatetime | None = None
    answer: str | None = Field(default=None, max_length=20000)
    answer_channel: Literal["e-mail", "post", "phone"] | None = None
    answered_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None


class ImportBatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [{
        "reference": "BZA-KL-2023-03", "received_at": "2023-03-21T10:00:00+01:00", "channel": "zonecommandant",
        "signal_type": "klacht", "category": "dienstverlening",
        "subject": "Schade aan brandalarm na poging tot resetten", "text": "...", "team": "communicatie",
        "qualification": "ongegrond", "qualified_at": "2023-04-12T09:00:00+02:00",
        "answered_at": "2023-04-14T09:00:00+02:00", "closed_at": "2023-04-14T09:00:00+02:00"}]}]})
    items: list[dict[str, Any]] = Field(min_length=1, max_length=1000, description="Checked one by one")


class ItemResult(BaseModel):
    index: int
    reference: str | None
    outcome: Literal["created", "already_present", "rejected"]
    case_id: UUID | None = None
    case_number: str | None = None
    errors: list[dict[str, Any]] = []


class ImportReport(BaseModel):
    created: int
    already_present: int
    rejected: int
    items: list[ItemResult]


def _problems(tenant: Tenant, item: ImportItem) -> list[dict[str, Any]]:
    errors = check_vocabulary(tenant, item.model_dump())
    if item.team is not None and item.team not in tenant.codes("teams"):
        errors.append({"field": "team", "message": f"unknown team {item.team!r}", "allowed": tenant.codes("teams")})
    if item.qualification is not None and item.qualification not in tenant.codes("qualifications"):
        errors.append({"field": "qualification", "message": f"unknown qualification {item.qualification!r}",
                       "allowed": tenant.codes("qualifications")})
    steps = [(name, getattr(item, name)) for name in STEPS if getattr(item, name) is not None]
    for (earlier, a), (later, b) in zip(steps, steps[1:]):
        if b < a:
            errors.append({"field": later, "message": f"is before {earlier}"})
    if any(moment > now() for _, moment in steps):
        errors.append({"field": "received_at", "message": "dates must not be in the future"})
    if item.answered_at and not item.qualification:
        errors.append({"field": "qualification", "message": "an answered case needs its qualification"})
    return errors


def _history(tenant: Tenant, item: ImportItem, actor: str):  # noqa: ANN202 - a closure for Complaints.receive
    def replay(complaint: Complaint) -> None:
        route = choose_team(tenant, channel=item.channel, signal_type=item.signal_type, category=item.category,
                            district=item.district, entity=item.entity)
        complaint.route(team=item.team or route.team, rule_id="import" if item.team else route.rule_id,
                        config_version=tenant.version, actor=actor, at=item.routed_at or item.received_at)
        started = (item.routed_at or item.received_at) if tenant.clock_starts == "routed" else item.received_at
        due = due_date(tenant, signal_type=item.signal_type, start=started.date())
        complaint.start_clock(due=due, started_on=started.date(), actor=actor, at=started)
        if item.qualification:
            complaint.qualify(qualification=item.qualification, config_version=tenant.version, actor=actor,
                              at=item.qualified_at or item.answered_at or item.closed_at or item.received_at)
        if item.answered_at:
            complaint.answer_complainant(text=item.answer or "", channel=item.answer_channel or "post",
                                         actor=actor, at=item.answered_at)
        if item.closed_at:
            complaint.close(reason="imported", actor=actor, at=item.closed_at)

    return replay


def import_item(store: Complaints, tenant: Tenant, caller: Caller, index: int, raw: dict[str, Any]) -> ItemResult:
    reference = raw.get("reference") if isinstance(raw.get("reference"), str) else None
    try:
        item = ImportItem.model_validate(raw)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return ItemResult(index=index, reference=reference, outcome="rejected", errors=errors)
    errors = _problems(tenant, item)
    if errors:
        return ItemResult(index=index, reference=reference, outcome="rejected", errors=errors)
    try:
        complaint, created = store.receive(
            tenant, Submission(sender=caller.name, reference=item.reference), actor=caller.actor,
            received_at=item.received_at, history=_history(tenant, item, caller.actor),
            channel=item.channel, signal_type=item.signal_type, category=item.category, district=item.district,
            entity=item.entity, via_oversight=tenant.is_oversight(item.channel), subject=item.subject,
            text=item.text,
            complainant=store.personal.seal(tenant.id, item.complainant.model_dump(mode="json", exclude_none=True)
                                            if item.complainant else None),
        )
    except CommandRefused as refused:
        return ItemResult(index=index, reference=reference, outcome="rejected",
                          errors=[{"field": "(steps)", "message": str(refused)}])
    return ItemResult(index=index, reference=reference, outcome="created" if created else "already_present",
                      case_id=complaint.id, case_number=complaint.case_number)


@router.post("/v1/tenants/{tenant}/imports", response_model=ImportReport,
             responses={**ERRORS, **documented(_413="Body too large", _422="Not a batch of 1 to 1000 items")})
def import_cases(caller: Annotated[Caller, Depends(require("import"))], tenant: TenantDep, batch: ImportBatch,
                 store: StoreDep) -> ImportReport:
    """Imports a batch of old cases; the answer says per item: created, already present, or rejected and why."""
    results = [import_item(store, tenant, caller, i, raw) for i, raw in enumerate(batch.items)]
    count = {outcome: sum(r.outcome == outcome for r in results) for outcome in ("created", "already_present", "rejected")}
    return ImportReport(**count, items=results)
