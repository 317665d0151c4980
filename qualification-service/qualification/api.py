"""The handler workflow: commands on a case after routing, each an event with the acting person.

Routes parse, call the use case (`complaints.application.cases`) and map. Every
command takes `If-Match` (the case version) against lost updates; who may give
it and when is the permission policy's to say: 403 for who, 409 for the state
(listing what this caller may do instead).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from complaints.application.callers import Caller
from complaints.web.auth import require
from complaints.web.deps import CasesDep, IfMatch, TenantDep
from complaints.web.problems import documented
from complaints.web.views import CaseView, FollowUpAction

router = APIRouter(prefix="/v1/tenants/{tenant}/complaints/{case_id}", tags=["handler workflow"])
WorkerDep = Annotated[Caller, Depends(require("work-cases"))]
ERRORS = documented(_401="No or bad credentials", _403="Not this tenant, not the owning team, or not this "
                                                       "person's approval step",
                    _404="Unknown tenant or case", _409="The state does not allow this: the caller's allowed actions",
                    _412="If-Match names an older version", _422="Invalid fields, each named")


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20000)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class Extension(Reason):
    days: int | None = Field(default=None, gt=0, description="The new window; defaults to what the tenant allows")


class QualificationChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"qualification": "ongegrond"}]})
    qualification: str


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20000)
    channel: Literal["e-mail", "post"]


class Closing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="answered", max_length=2000)
    confirmation_sent: bool = Field(default=True, description="The closing confirmation went to the complainant")


@router.post("/investigation", response_model=CaseView, responses=ERRORS)
def start_investigation(caller: WorkerDep, tenant: TenantDep, case_id: UUID, cases: CasesDep,
                        version: IfMatch) -> CaseView:
    return CaseView.of(cases.start_investigation(caller, tenant, case_id, version))


@router.post("/notes", response_model=CaseView, responses=ERRORS)
def add_note(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Text, cases: CasesDep,
             version: IfMatch) -> CaseView:
    return CaseView.of(cases.add_note(caller, tenant, case_id, body.text, version))


@router.post("/information-requests", response_model=CaseView, responses=ERRORS)
def request_information(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Text, cases: CasesDep,
                        version: IfMatch) -> CaseView:
    """Asks the complainant; the clock stops meanwhile where the tenant's window allows it."""
    return CaseView.of(cases.request_information(caller, tenant, case_id, body.text, version))


@router.post("/information-received", response_model=CaseView, responses=ERRORS)
def information_received(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Text, cases: CasesDep,
                         version: IfMatch) -> CaseView:
    """The complainant answered; a stopped clock moves the due date by the counted days it stood still."""
    return CaseView.of(cases.receive_information(caller, tenant, case_id, body.text, version))


@router.post("/staff-hearings", response_model=CaseView, responses=ERRORS)
def hear_staff(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Text, cases: CasesDep,
               version: IfMatch) -> CaseView:
    return CaseView.of(cases.hear_staff(caller, tenant, case_id, body.text, version))


@router.post("/mediation", response_model=CaseView, responses=ERRORS)
def propose_mediation(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Text, cases: CasesDep,
                      version: IfMatch) -> CaseView:
    return CaseView.of(cases.propose_mediation(caller, tenant, case_id, body.text, version))


@router.post("/extension", response_model=CaseView, responses=ERRORS)
def extend(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Extension, cases: CasesDep,
           version: IfMatch) -> CaseView:
    """Extends the window once, with a reason, where the tenant allows it, never past the legal ceiling."""
    return CaseView.of(cases.extend(caller, tenant, case_id, body.reason, body.days, version))


@router.post("/qualification", response_model=CaseView, responses=ERRORS)
def qualify(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: QualificationChoice, cases: CasesDep,
            version: IfMatch) -> CaseView:
    return CaseView.of(cases.qualify(caller, tenant, case_id, body.qualification, version))


@router.post("/answer-draft", response_model=CaseView, responses=ERRORS)
def draft_answer(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Draft, cases: CasesDep,
                 version: IfMatch) -> CaseView:
    """Drafts the answer: by e-mail only to a complainant with an address, otherwise by post."""
    return CaseView.of(cases.draft_answer(caller, tenant, case_id, body.text, body.channel, version))


@router.post("/approvals", response_model=CaseView, responses=ERRORS)
def approve(caller: WorkerDep, tenant: TenantDep, case_id: UUID, cases: CasesDep, version: IfMatch) -> CaseView:
    """Gives the next approval step: by a person of the step's role (the tenant file says which), never the
    draft's author, one step per person. `next_approval_step` on the case says which step is next."""
    return CaseView.of(cases.approve(caller, tenant, case_id, version))


@router.post("/answer", response_model=CaseView, responses=ERRORS)
def send_answer(caller: WorkerDep, tenant: TenantDep, case_id: UUID, cases: CasesDep, version: IfMatch) -> CaseView:
    """Sends the answer once every approval step is given (with the tenant's obligatory text; via the
    oversight body if it came so)."""
    return CaseView.of(cases.send_answer(caller, tenant, case_id, version))


@router.post("/close", response_model=CaseView, responses=ERRORS)
def close(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Closing, cases: CasesDep,
          version: IfMatch) -> CaseView:
    return CaseView.of(cases.close(caller, tenant, case_id, body.reason, body.confirmation_sent, version))


@router.post("/reopen", response_model=CaseView, responses=ERRORS)
def reopen(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Reason, cases: CasesDep,
           version: IfMatch) -> CaseView:
    return CaseView.of(cases.reopen(caller, tenant, case_id, body.reason, version))


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"assignee": "an.peeters@stad"}]})
    assignee: str = Field(min_length=1, max_length=200, description="The person's subject (their token's `sub`)")


@router.post("/assignment", response_model=CaseView, responses=ERRORS)
def assign(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: Assignment, cases: CasesDep,
           version: IfMatch) -> CaseView:
    """Makes the case a person's work: a handler takes an unassigned case of their team for themselves, a
    manager assigns it to anyone (or reassigns it). Colleagues of the team still act on it; a reroute clears it."""
    return CaseView.of(cases.assign(caller, tenant, case_id, body.assignee, version))


@router.delete("/assignment", response_model=CaseView, responses=ERRORS)
def unassign(caller: WorkerDep, tenant: TenantDep, case_id: UUID, cases: CasesDep, version: IfMatch) -> CaseView:
    """Gives the case back to its team: by the assignee, or a manager."""
    return CaseView.of(cases.unassign(caller, tenant, case_id, version))


class NewAction(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "kind": "improvement", "what": "Bodycam aanzetten bij elke interventie", "team": "klantenmanagement",
        "due_on": "2024-03-31"}]})
    kind: Literal["follow-up", "improvement"] = Field(description="follow-up: an extra action on this case; "
                                                                  "improvement: a pain point it showed")
    what: str = Field(min_length=1, max_length=2000)
    team: str = Field(description="The team that owns it (a team code of the tenant)")
    due_on: date | None = None


class Done(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(min_length=1, max_length=2000, description="What was done")


@router.post("/actions", status_code=201, response_model=FollowUpAction, responses=ERRORS)
def add_action(caller: WorkerDep, tenant: TenantDep, case_id: UUID, body: NewAction, cases: CasesDep,
               version: IfMatch, response: Response) -> FollowUpAction:
    """Records a follow-up action (the fire zone's extra acties) or an improvement action (verbeterpunt)
    owned by a team, in any state of the case, a closed one's too. Its team sees it in `GET …/actions`."""
    case, number = cases.add_action(caller, tenant, case_id, kind=body.kind, what=body.what, team=body.team,
                                    due_on=body.due_on, expected_version=version)
    response.headers["Location"] = f"/v1/tenants/{tenant.id}/complaints/{case_id}/actions/{number}"
    return FollowUpAction.of(case, number)


@router.post("/actions/{number}/done", response_model=FollowUpAction, responses=ERRORS)
def complete_action(caller: WorkerDep, tenant: TenantDep, case_id: UUID, number: str, body: Done,
                    cases: CasesDep, version: IfMatch) -> FollowUpAction:
    """Marks an action done: by a handler of its own team (who need not own the case) or whoever may act
    on the case."""
    case = cases.complete_action(caller, tenant, case_id, number, body.outcome, version)
    return FollowUpAction.of(case, number)
