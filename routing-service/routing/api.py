"""Routing's routes: preview a rule change, reroute a case, split it over teams, close it early, set its
category."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from complaints.application.callers import Caller
from complaints.application.errors import InvalidFields
from complaints.model.routing import choose_team
from complaints.web.auth import require
from complaints.web.deps import CasesDep, IfMatch, TenantDep
from complaints.web.problems import documented
from complaints.web.views import CaseView, PartLink

router = APIRouter(prefix="/v1/tenants/{tenant}", tags=["routing"])
WorkerDep = Annotated[Caller, Depends(require("work-cases"))]
ERRORS = documented(_401="No or bad credentials", _403="Not this tenant, team or role",
                    _404="Unknown tenant or case", _409="The case's state does not allow this",
                    _412="If-Match names an older version of the case", _422="Invalid fields, each named")


class WouldBeComplaint(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"channel": "e-mail", "signal_type": "klacht", "category": "facturatie"}]})
    channel: str
    signal_type: str
    category: str | None = None
    district: str | None = None
    entity: str | None = None


class RoutePreview(BaseModel):
    team: str
    rule_id: str
    config_version: str


@router.post("/routing/preview", response_model=RoutePreview, responses=ERRORS)
def preview(_: Annotated[Caller, Depends(require("preview-routing"))], tenant: TenantDep,
            complaint: WouldBeComplaint) -> RoutePreview:
    """Which rule and team the current rules give a would-be complaint (for checking a rule change)."""
    if errors := tenant.unknown_codes(complaint.model_dump()):
        raise InvalidFields(errors)
    route = choose_team(tenant, **complaint.model_dump())
    return RoutePreview(team=route.team, rule_id=route.rule_id, config_version=route.config_version)


class Reroute(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"team": "financien", "reason": "Bezwaar tegen een factuur"}]})
    team: str
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/complaints/{case_id}/reroute", response_model=CaseView, responses=ERRORS)
def reroute(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Reroute, cases: CasesDep,
            version: IfMatch) -> CaseView:
    """Hands the case to another team of the tenant, with the reason; the new team sees it at once."""
    return CaseView.of(cases.reroute(caller, tenant, case_id, body.team, body.reason, version))


class EarlyClose(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"qualification": "niet-ontvankelijk-onbevoegd", "reason": "Bevoegdheid van de politiezone",
         "forward_to": "Politiezone Antwerpen"}]})
    qualification: str = Field(description="An inadmissible code of the tenant's scheme")
    reason: str = Field(min_length=1, max_length=2000, description="e.g. not competent, no concrete data, spam")
    forward_to: str | None = Field(default=None, max_length=300, description="The organisation it was sent on to")


@router.post("/complaints/{case_id}/close-inadmissible", response_model=CaseView, responses=ERRORS)
def close_inadmissible(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: EarlyClose, cases: CasesDep,
                       version: IfMatch) -> CaseView:
    """Closes an inadmissible case at once: it leaves the queues and its window stops."""
    return CaseView.of(cases.close_early(caller, tenant, case_id, body.qualification, body.reason,
                                         body.forward_to, version))


class CategoryChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str


@router.put("/complaints/{case_id}/category", response_model=CaseView, responses=ERRORS)
def set_category(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: CategoryChange, cases: CasesDep,
                 version: IfMatch) -> CaseView:
    """Sets or corrects the category/keyword; a case routed by the rules is routed again by them."""
    return CaseView.of(cases.set_category(caller, tenant, case_id, body.category, version))


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")
    team: str
    subject: str = Field(min_length=1, max_length=300, description="What of the complaint concerns this team")


class Split(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"parts": [
        {"team": "mpa", "subject": "Bewonerskaart niet verlengd"},
        {"team": "os-loketten", "subject": "Onvriendelijk onthaald aan het loket"}]}]})
    parts: list[Part] = Field(min_length=1, max_length=20)


class SplitCase(BaseModel):
    complaint: CaseView = Field(description="The complaint, with its `parts`")
    parts: list[PartLink] = Field(description="The parts made now, each a case of its team")


@router.post("/complaints/{case_id}/parts", response_model=SplitCase, status_code=201, responses=ERRORS)
def split(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Split, cases: CasesDep,
          version: IfMatch) -> SplitCase:
    """Splits a complaint about several teams into parts: each its own case, routed to its team, which
    investigates and qualifies it. The complaint keeps its number and window, and is answered once every part
    is qualified; the parts close with that answer."""
    record, made = cases.split(caller, tenant, case_id, [(p.team, p.subject) for p in body.parts], version)
    return SplitCase(complaint=CaseView.of(record), parts=[PartLink.of(part) for part in made])
