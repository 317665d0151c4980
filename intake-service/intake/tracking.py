"""The complainant's tracking link, without logging in: their case as JSON (`/v1/track/{token}`) and as a page
(`/track/{token}`, the link in their acknowledgement), and their feedback once the case is closed.

No credentials: the token is the credential (`complaints.model.tracking`). An unknown, malformed or revoked
token is the same plain 404. The rate limiter gives these paths a budget of their own per client address.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from complaints.application.tracking import Tracked
from complaints.model.complaint import CommandRefused
from complaints.model.labels import STATUSES, word
from complaints.model.messages import MessageKind
from complaints.web.deps import TrackingDep
from complaints.web.problems import documented
from complaints.web.views import CaseState

router = APIRouter(tags=["tracking"])
# No credentials but the token in the path: anonymous in the contract (`security: []`), on purpose.
ANONYMOUS: dict[str, Any] = {"security": []}
Token = Annotated[str, PathParam(max_length=64, description="The token of the complainant's tracking link")]
ERRORS = documented(_404="No such tracking link (unknown, malformed and revoked look alike)",
                    _429="Too many requests from this address")
PAGES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                    autoescape=select_autoescape(default=True))  # their own words come back: always escaped
LANGUAGES = ("nl", "en")


class SentMessage(BaseModel):
    kind: MessageKind
    channel: Literal["e-mail", "post"]
    sent_at: datetime | None = Field(description="When it went out (a letter: when it was decided)")
    question: str | None = Field(default=None, description="What an information request asked them")


class GivenFeedback(BaseModel):
    rating: int
    resolved: bool
    given_at: datetime


class TrackedCase(BaseModel):
    """A case as its complainant sees it: nothing about staff, notes or anyone else."""

    case_number: str
    organisation: str
    signal_type: str = Field(description="What they sent, in the tenant's words")
    subject: str
    status: CaseState
    status_label: str
    received_at: datetime
    due_date: date | None
    answered_at: datetime | None
    answer: str | None = Field(description="The answer, once it was sent (an ombudsman's case: theirs to send)")
    closed_at: datetime | None
    messages: list[SentMessage] = Field(description="What was sent to them, oldest first")
    feedback_until: datetime | None = Field(description="Until when they may rate the handling (None: not now)")
    feedback: GivenFeedback | None

    @classmethod
    def of(cls, tracked: Tracked, language: str) -> TrackedCase:
        case, tenant = tracked.case, tracked.tenant
        kind = next((c for c in tenant.signal_types if c.code == case.signal_type), None)
        sent = case.answer is not None and not str(case.answer_channel).startswith("via:")
        label = (kind.nl if language == "nl" and kind.nl else kind.label) if kind else case.signal_type
        return cls(
            case_number=case.case_number, organisation=tenant.name, subject=case.subject, signal_type=label,
            status=case.status, status_label=word(STATUSES, case.status, language), received_at=case.received_at,
            due_date=case.due_date, answered_at=case.answered_at if sent else None,
            answer=case.answer if sent else None,
            closed_at=case.closed_at, feedback_until=tracked.feedback_until,
            messages=[SentMessage(kind=m["kind"], channel=m["channel"], sent_at=m.get("sent_at") or m["decided_at"],
                                  question=m.get("question")) for m in case.messages.values() if m["status"] == "sent"],
            feedback=GivenFeedback(**case.feedback) if case.feedback else None)


class NewFeedback(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"rating": 2, "comment": "Het antwoord kwam laat en loste niets op.", "resolved": False}]})
    rating: int = Field(ge=1, le=5, description="1 (very poor) to 5 (very good)")
    comment: str | None = Field(default=None, max_length=2000)
    resolved: bool = Field(description="Whether the answer resolved what they complained about")


def _language(accept_language: str | None) -> str:
    return parse_accept_header(accept_language, LanguageAccept).best_match(LANGUAGES, default="nl")


AcceptLanguage = Annotated[str | None, Header(description="en for English; Dutch without it")]


@router.get("/v1/track/{token}", response_model=TrackedCase, responses=ERRORS, openapi_extra=ANONYMOUS)
def track(token: Token, tracking: TrackingDep, accept_language: AcceptLanguage = None) -> TrackedCase:
    """The complainant's case, through the link in their acknowledgement: no login, the token is the key."""
    return TrackedCase.of(tracking.view(token), _language(accept_language))


@router.post("/v1/track/{token}/feedback", status_code=201, response_model=TrackedCase,
             responses={**ERRORS, **documented(_409="Not closed, given already, or the period is over",
                                               _422="Invalid fields")}, openapi_extra=ANONYMOUS)
def give_feedback(token: Token, body: NewFeedback, tracking: TrackingDep,
                  accept_language: AcceptLanguage = None) -> TrackedCase:
    """The complainant rates the handling of their closed case, once per close, within the tenant's period; a
    low rating marked not resolved flags the case for a manager or reopens it, as the tenant's rules say."""
    tracked = tracking.give_feedback(token, rating=body.rating, comment=body.comment, resolved=body.resolved)
    return TrackedCase.of(tracked, _language(accept_language))


# --- the page the link opens -----------------------------------------------------------------------------
def _page(token: str, tracked: Tracked, language: str, *, status: int = 200,
          problem: str | None = None) -> HTMLResponse:
    html = PAGES.get_template("track.html").render(case=TrackedCase.of(tracked, language), language=language,
                                                   problem=problem, token=token)
    # The token is in the address: no referrer to other sites, no caching by anyone in between.
    return HTMLResponse(html, status_code=status, headers={
        "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"})


@router.get("/track/{token}", response_class=HTMLResponse, include_in_schema=False)
def track_page(token: Token, tracking: TrackingDep, accept_language: AcceptLanguage = None) -> HTMLResponse:
    return _page(token, tracking.view(token), _language(accept_language))


@router.post("/track/{token}/feedback", response_class=HTMLResponse, include_in_schema=False)
async def feedback_form(token: Token, request: Request, tracking: TrackingDep,
                        accept_language: AcceptLanguage = None) -> Any:
    """The page's form (urlencoded, no script): on success back to the page (303), else the page with why."""
    language = _language(accept_language)
    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    try:
        body = NewFeedback(rating=form.get("rating") or 0, comment=form.get("comment") or None,
                           resolved=form.get("resolved") == "yes")
        await run_in_threadpool(tracking.give_feedback, token, rating=body.rating, comment=body.comment,
                                resolved=body.resolved)
    except ValidationError:
        return _page(token, await run_in_threadpool(tracking.view, token), language, status=422, problem="rating")
    except CommandRefused as refused:
        return _page(token, await run_in_threadpool(tracking.view, token), language, status=409, problem=str(refused))
    return RedirectResponse(f"/track/{token}", status_code=303)
