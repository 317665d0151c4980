"""Reporting's routes: the case projection, per tenant."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import func, select

from complaints.auth import require
from complaints.problems import Problem
from reporting.deps import SessionDep, TenantDep
from reporting.projection import CaseSummary

# People only: handlers, managers and auditors of the tenant.
router = APIRouter(prefix="/v1/tenants/{tenant}", tags=["reports"],
                   dependencies=[Depends(require("handler", "manager", "auditor"))])


class ChannelStatusCount(BaseModel):
    channel: str
    status: str
    count: int


class ChannelStatusReport(BaseModel):
    tenant: str
    rows: list[ChannelStatusCount]
    total: int


class ProjectedCase(BaseModel):
    case_id: UUID
    case_number: str
    status: str
    channel: str
    signal_type: str
    category: str | None
    team: str | None
    due_date: date | None
    received_at: datetime
    events_applied: int


@router.get("/reports/channel-status", response_model=ChannelStatusReport)
async def channel_status(tenant: TenantDep, session: SessionDep) -> ChannelStatusReport:
    """Cases per channel and status (every case the projection has seen)."""
    query = (
        select(CaseSummary.channel, CaseSummary.status, func.count())
        .where(CaseSummary.tenant == tenant)
        .group_by(CaseSummary.channel, CaseSummary.status)
        .order_by(CaseSummary.channel, CaseSummary.status)
    )
    rows = [ChannelStatusCount(channel=c, status=s, count=n) for c, s, n in (await session.execute(query)).all()]
    return ChannelStatusReport(tenant=tenant, rows=rows, total=sum(r.count for r in rows))


@router.get("/cases/{case_id}", response_model=ProjectedCase)
async def projected_case(tenant: TenantDep, case_id: UUID, session: SessionDep) -> ProjectedCase:
    summary = await session.get(CaseSummary, str(case_id))
    if summary is None or summary.tenant != tenant:
        raise Problem(404, "case-not-found", "No such case in the projection",
                      f"No case {case_id} for tenant {tenant} (yet)")
    return ProjectedCase.model_validate(summary, from_attributes=True)
