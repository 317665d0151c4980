"""The live stream: each change to the tenant's cases, pushed as a server-sent event once it is committed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import AwareDatetime, BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.web.auth import require
from complaints.web.deps import TenantDep
from complaints.web.problems import Problem, documented, invalid_fields
from reporting.changes import Changes, TooManyStreams

router = APIRouter(prefix="/v1/tenants/{tenant}", tags=["reports"])


class EventStream(EventSourceResponse):
    media_type = "text/event-stream"  # as a class attribute, where FastAPI looks for the contract's media type


class CaseChange(BaseModel):
    """The `data` of each `case-changed` event (its `id` is the position to resume from). Read the case for
    its new state: `GET /v1/tenants/{tenant}/complaints/{case_id}` with `If-None-Match`."""

    case_id: UUID
    case_number: str | None
    type: str = Field(description="The event, e.g. Received, Routed, ClockStarted, Answered", examples=["Routed"])
    version: int = Field(description="The case's version after it: its new ETag")
    team: str | None = Field(description="The team that owns the case after it")
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    summary: str = Field(description="One readable line, in the caller's language (Accept-Language)")


# The schema is of each event's `data` (OpenAPI 3.1 has no way to say "a stream of these").
STREAM = {"description": "A stream of `case-changed` events (`id`, `event`, `data`: a CaseChange as JSON), "
                         "with a comment line as heartbeat", "model": CaseChange}


@router.get("/events", response_class=EventStream, responses={
    200: STREAM, **documented(_401="No or bad credentials", _403="Not a person of this tenant, or a handler asking "
                                                                 "for another team", _404="Unknown tenant",
                              _422="Invalid parameters", _503="This process serves as many streams as it may")})
async def follow_changes(
    caller: Annotated[Caller, Depends(require("follow-changes"))], tenant: TenantDep, request: Request,
    team: Annotated[str | None, Query(description="Only this team's cases (a handler: their own, always)")] = None,
    case_id: Annotated[UUID | None, Query(description="Only this case")] = None,
    last_event_id: Annotated[int | None, Header(ge=0, description="The `id` of the last event received: the "
                                                                  "stream resumes right after it")] = None,
) -> EventStream:
    """Each change to a case the caller may read, pushed once it is committed: from now on, or after
    `Last-Event-ID` (a browser's EventSource sends it when it reconnects), so nothing is missed or repeated.
    A heartbeat comment keeps a quiet stream open through proxies."""
    if team is not None and team not in tenant.codes("teams"):
        raise invalid_fields([{"field": "query.team", "message": "not a team of this tenant",
                               "allowed": sorted(tenant.codes("teams"))}])
    team = permissions.queue_team(caller, team, "follow-changes")
    changes: Changes = request.app.state.wiring.resources["changes"]
    settings = request.app.state.settings
    try:
        changes.admit()
    except TooManyStreams:
        raise Problem(503, "too-many-streams", "Too many live streams", "Try again shortly",
                      headers={"Retry-After": "5"}) from None

    async def events() -> AsyncIterator[ServerSentEvent]:
        async for change in changes.follow(caller, tenant.id, after=last_event_id, team=team, case_id=case_id):
            yield ServerSentEvent(id=str(change.id), event="case-changed", data=change.data(tenant.language))

    return EventStream(events(), ping=settings.stream_heartbeat_seconds,
                               headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
