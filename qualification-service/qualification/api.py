"""The handler workflow: commands on a case after routing, each an event with the acting user.

Every command takes `If-Match` (the case version) against lost updates; a
command the state forbids is a 409 listing the allowed ones; only the owning
team or a manager of the tenant may act.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field

from complaints.auth import Caller, require
from complaints.casework import CaseView, act, tenant_of
from complaints.domain import Complaint
from complaints.problems import Problem, documented, invalid_fields
from complaints.store import now
from complaints.windows import due_date, paused, window_for

router = APIRouter(prefix="/v1/tenants/{tenant}/complaints/{case_id}", tags=["handler workflow"])
HandlerDep = Annotated[Caller, Depends(require("handler", "manager"))]
IfMatch = Annotated[str | None, Header(description='The case version the command was decided on, e.g. "4"')]
ERRORS = documented(_401="No or bad credentials", _403="Not this tenant, not the owning team, or the author "
                                                       "approving their own answer",
                    _404="Unknown tenant or case", _409="The state does not allow this: the allowed commands",
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


async def run(request: Request, caller: Caller, tenant: str, case_id: UUID, if_match: str | None,
              command) -> CaseView:  # noqa: ANN001 - a callable on the Complaint
    return await act(request.app.state.wiring.store, caller, tenant, case_id, command, if_match)


@router.post("/investigation", response_model=CaseView, responses=ERRORS)
async def start_investigation(caller: HandlerDep, request: Request, tenant: str, case_id: UUID,
                              if_match: IfMatch = None) -> CaseView:
    return await run(request, caller, tenant, case_id, if_match,
                     lambda c: c.start_investigation(actor=caller.actor, at=now()))


@router.post("/notes", response_model=CaseView, responses=ERRORS)
async def add_note(caller: HandlerDep, request: Request, tenant: str, case_id: UUID, body: Text,
                   if_match: IfMatch = None) -> CaseView:
    return await run(request, caller, tenant, case_id, if_match,
                     lambda c: c.add_note(text=body.text, actor=caller.actor, at=now()))


@router.post("/information-requests", response_model=CaseView, responses=ERRORS)
async def request_information(caller: HandlerDep, request: Request, tenant: str, case_id: UUID, body: Text,
                              if_match: IfMatch = None) -> CaseView:
    """Asks the complainant; the clock stops meanwhile where the tenant's window allows it."""
    config = tenant_of(request, tenant)

    def command(c: Complaint) -> None:
        c.request_information(question=body.text, pauses_clock=window_for(config, c.signal_type).pausable,
                              actor=caller.actor, at=now())

    return await run(request, caller, tenant, case_id, if_match, command)


@router.post("/information-received", response_model=CaseView, responses=ERRORS)
async def information_received(caller: HandlerDep, request: Request, tenant: str, case_id: UUID, body: Text,
                               if_match: IfMatch = None) -> CaseView:
    """The complainant answered; a stopped clock moves the due date by the counted days it stood still."""
    config = tenant_of(request, tenant)

    def command(c: Complaint) -> None:
        moved = None
        if c.paused_since and c.due_date and c.ceiling:
            moved = paused(config, signal_type=c.signal_type, due=c.due_date, ceiling=c.ceiling,
                           paused_from=c.paused_since, resumed_on=now().date())
        c.receive_information(summary=body.text, moved_due_date=moved, actor=caller.actor, at=now())

    return await run(request, caller, tenant, case_id, if_match, command)


@router.post("/staff-hearings", response_model=CaseView, responses=ERRORS)
async def hear_staff(caller: HandlerDep, request: Request, tenant: str, case_id: UUID, body: Text,
                     if_match: IfMatch = None) -> CaseView:
    return await run(request, caller, tenant, case_id, if_match,
                     lambda c: c.hear_staff(note=body.text, actor=caller.actor, at=now()))


@router.post("/mediation", response_model=CaseView, responses=ERRORS)
async def propose_mediation(caller: HandlerDep, request: Request, tenant: str, case_id: UUID, body: Text,
                            if_match: IfMatch = None) -> CaseView:
    return await run(request, caller, tenant, case_id, if_match,
                     lambda c: c.propose_mediation(note=body.text, actor=caller.actor, at=now()))


@router.post("/extension", response_model=CaseView, responses=ERRORS)
async def extend(caller: HandlerDep, request: Request, tenant: str, case_id: UUID, body: Extension,
                 if_match: IfMatch = None) -> CaseView:
    """Extends the window once, with a reason, where the tenant allows it, never past the legal ceiling."""
    config = tenant_of(request, tenant)

    def command(c: Complaint) -> None:
        window = window_for(config, c.signal_type)
        if window.extendable_to is None:
            raise invalid_fields([{"field": "days", "message": f"{config.name} does not extend {c.signal_type} windows"}])
        days = body.days or window.extendable_to
        if days > window.extendable_to or days > config.ceiling_days:
            raise invalid_fields([{"field": "days", "message": f"at most {window.extendable_to} days; the legal "
                                                              f"ceiling is {config.ceiling_days} days",
                                   "ceiling_days": config.ceiling_days}])
        assert c.clock_started_on is not None
        c.extend_window(reason=body.reason, due=due_date(config, signal_type=c.signal_type,
                                                         start=c.clock_started_on, days=days),
                        actor=caller.actor, at=now())

    return await run(request, caller, tenant, case_id, if_match, command)


@router.post("/qualification", response_model=CaseView, responses=ERRORS)
async def qualify(caller: HandlerDep, request: Request, tenant: str, case_id: UUID, body: QualificationChoice,
                  if_match: IfMatch = None) -> CaseView:
    config = tenant_of(request, tenant)
    if body.qualification not in config.codes("qualifications"):
        raise invalid_fields([{"field": "qualification", "message": f"unknown qualification {body.qualification!r}",
                               "allowed": config.codes("qualifications")}])
    return await run(request, caller, tenant, case_id, if_match,
                     lambda c: c.qualify(qualification=body.qualification, config_version=config.version,
                                         actor=caller.actor, at=now()))


@router.post("/answer-draft", response_model=CaseView, responses=ERRORS)
async def draft_answer(caller: HandlerDep, request: Request, tenant: str, case_id: UUID, body: Draft,
                       if_match: IfMatch = None) -> CaseView:
    """Drafts the answer: by e-mail only to a complainant with an address, otherwise by post."""

    def command(c: Complaint) -> None:
        if body.channel == "e-mail" and not request.app.state.wiring.store.personal.open(c.complainant).get("email"):
            raise invalid_fields([{"field": "channel", "message": "the complainant has no e-mail address",
                                   "allowed": ["post"]}])
        c.draft_answer(text=body.text, channel=body.channel, actor=caller.actor, at=now())

    return await run(request, caller, tenant, case_id, if_match, command)


@router.post("/approvals", response_model=CaseView, responses=ERRORS)
async def approve(caller: HandlerDep, request: Request, tenant: str, case_id: UUID,
                  if_match: IfMatch = None) -> CaseView:
    """Gives the next approval the tenant requires (never by the draft's author)."""
    steps = tenant_of(request, tenant).codes("approvals")
    if not steps:
        raise Problem(409, "command-refused", "This tenant's answers need no approval", state="drafted")
    return await run(request, caller, tenant, case_id, if_match,
                     lambda c: c.approve(steps=steps, actor=caller.actor, at=now()))


@router.post("/answer", response_model=CaseView, responses=ERRORS)
async def send_answer(caller: HandlerDep, request: Request, tenant: str, case_id: UUID,
                      if_match: IfMatch = None) -> CaseView:
    """Sends the approved answer (with the tenant's obligatory text; via the oversight body if it came so)."""
    config = tenant_of(request, tenant)
    return await run(request, caller, tenant, case_id, if_match,
                     lambda c: c.send_answer(steps=config.codes("approvals"), footer=config.answer_footer,
                                             actor=caller.actor, at=now()))


@router.post("/close", response_model=CaseView, responses=ERRORS)
async def close(caller: HandlerDep, request: Request, tenant: str, case_id: UUID, body: Closing,
                if_match: IfMatch = None) -> CaseView:
    return await run(request, caller, tenant, case_id, if_match,
                     lambda c: c.close(reason=body.reason, confirmation_sent=body.confirmation_sent,
                                       actor=caller.actor, at=now()))


@router.post("/reopen", response_model=CaseView, responses=ERRORS)
async def reopen(caller: HandlerDep, request: Request, tenant: str, case_id: UUID, body: Reason,
                 if_match: IfMatch = None) -> CaseView:
    return await run(request, caller, tenant, case_id, if_match,
                     lambda c: c.reopen(reason=body.reason, actor=caller.actor, at=now()))
