"""Routing's routes: preview a rule change, reroute a case, close it early, set its category."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from complaints.auth import Caller, require
from complaints.casework import CaseView, act, tenant_of
from complaints.problems import documented, invalid_fields
from complaints.routing import choose_team
from complaints.store import now
from complaints.tenants import Tenant

router = APIRouter(prefix="/v1/tenants/{tenant}", tags=["routing"])
HANDLERS = require("handler", "manager")
ERRORS = documented(_401="No or bad credentials", _403="Not this tenant, team or role",
                    _404="Unknown tenant or case", _409="The case's state does not allow this",
                    _412="If-Match names an older version of the case", _422="Invalid fields, each named")
IfMatch = Annotated[str | None, Header(description='The case version the command was decided on, e.g. "3"')]


def _known(tenant: Tenant, field: str, vocabulary: str, value: str | None) -> list[dict[str, Any]]:
    allowed = tenant.codes(vocabulary)
    if value is None or value in allowed:
        return []
    return [{"field": field, "message": f"unknown {field} {value!r}", "allowed": allowed}]


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
def preview(_: Annotated[Caller, Depends(HANDLERS)], request: Request, tenant: str,
            complaint: WouldBeComplaint) -> RoutePreview:
    """Which rule and team the current rules give a would-be complaint (for checking a rule change)."""
    config = tenant_of(request, tenant)
    errors = sum((_known(config, f, v, getattr(complaint, f)) for f, v in
                  (("channel", "channels"), ("signal_type", "signal_types"), ("category", "categories"),
                   ("district", "districts"), ("entity", "entities"))), [])
    if errors:
        raise invalid_fields(errors)
    route = choose_team(config, **complaint.model_dump())
    return RoutePreview(team=route.team, rule_id=route.rule_id, config_version=route.config_version)


class Reroute(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"team": "financien", "reason": "Bezwaar tegen een factuur"}]})
    team: str
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/complaints/{case_id}/reroute", response_model=CaseView, responses=ERRORS)
async def reroute(caller: Annotated[Caller, Depends(HANDLERS)], request: Request, tenant: str, case_id: UUID,
                  body: Reroute, if_match: IfMatch = None) -> CaseView:
    """Hands the case to another team of the tenant, with the reason; the new team sees it at once."""
    config = tenant_of(request, tenant)
    if errors := _known(config, "team", "teams", body.team):
        raise invalid_fields(errors)
    return await act(request.app.state.wiring.store, caller, tenant, case_id,
                     lambda c: c.reroute(team=body.team, reason=body.reason, rule_id=None,
                                         config_version=config.version, actor=caller.actor, at=now()), if_match)


class EarlyClose(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"qualification": "niet-ontvankelijk-onbevoegd", "reason": "Bevoegdheid van de politiezone",
         "forward_to": "Politiezone Antwerpen"}]})
    qualification: str = Field(description="An inadmissible code of the tenant's scheme")
    reason: str = Field(min_length=1, max_length=2000, description="e.g. not competent, no concrete data, spam")
    forward_to: str | None = Field(default=None, max_length=300, description="The organisation it was sent on to")


@router.post("/complaints/{case_id}/close-inadmissible", response_model=CaseView, responses=ERRORS)
async def close_inadmissible(caller: Annotated[Caller, Depends(HANDLERS)], request: Request, tenant: str,
                             case_id: UUID, body: EarlyClose, if_match: IfMatch = None) -> CaseView:
    """Closes an inadmissible case at once: it leaves the queues and its window stops."""
    config = tenant_of(request, tenant)
    if not config.closes_early(body.qualification):
        allowed = [q.code for q in config.qualifications if q.closes_early]
        raise invalid_fields([{"field": "qualification", "message": "not an inadmissible code of the scheme",
                               "allowed": allowed}])
    return await act(request.app.state.wiring.store, caller, tenant, case_id,
                     lambda c: c.close_early(qualification=body.qualification, reason=body.reason,
                                             forward_to=body.forward_to, config_version=config.version,
                                             actor=caller.actor, at=now()), if_match)


class CategoryChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str


@router.put("/complaints/{case_id}/category", response_model=CaseView, responses=ERRORS)
async def set_category(caller: Annotated[Caller, Depends(HANDLERS)], request: Request, tenant: str,
                       case_id: UUID, body: CategoryChange, if_match: IfMatch = None) -> CaseView:
    """Sets or corrects the category/keyword; a case routed by the rules is routed again by them."""
    config = tenant_of(request, tenant)
    if errors := _known(config, "category", "categories", body.category):
        raise invalid_fields(errors)
    return await act(request.app.state.wiring.store, caller, tenant, case_id,
                     lambda c: c.set_category(category=body.category, config_version=config.version,
                                              actor=caller.actor, at=now()), if_match)
