"""Historical import: cases from an old register, with their original dates and steps
(`complaints.application.intake` checks and saves them one by one)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from complaints.application.callers import Caller
from complaints.web.auth import require
from complaints.web.deps import IntakeDep, TenantDep
from complaints.web.problems import documented
from intake.api import ERRORS

router = APIRouter(tags=["imports"])


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


@router.post("/v1/tenants/{tenant}/imports", response_model=ImportReport,
             responses={**ERRORS, **documented(_413="Body too large", _422="Not a batch of 1 to 1000 items")})
def import_cases(caller: Annotated[Caller, Depends(require("import"))], tenant: TenantDep, batch: ImportBatch,
                 intake: IntakeDep) -> ImportReport:
    """Imports a batch of old cases; the answer says per item: created, already present, or rejected and why."""
    results = [ItemResult(index=r.index, reference=r.reference, outcome=r.outcome, errors=list(r.errors),
                          case_id=r.case.id if r.case else None, case_number=r.case.case_number if r.case else None)
               for r in intake.import_items(caller, tenant, batch.items)]
    count = {outcome: sum(r.outcome == outcome for r in results) for outcome in ("created", "already_present", "rejected")}
    return ImportReport(**count, items=results)
