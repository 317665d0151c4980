"""Routes: what the complainant will read, and the letters a handler prints and posts.

The answer previewed as it will go out (template, language, the tenant's footer); a letter as HTML or PDF;
marking it posted; a bounced e-mail sent again by post. Each is the permission policy's to allow: whoever may
act on the case.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from complaints.application.callers import Caller
from complaints.web.auth import require
from complaints.web.deps import CorrespondenceDep, IfMatch, TenantDep
from complaints.web.problems import documented
from complaints.web.views import CaseView

router = APIRouter(prefix="/v1/tenants/{tenant}/complaints/{case_id}", tags=["handler workflow"])
WorkerDep = Annotated[Caller, Depends(require("work-cases"))]
MessageId = Annotated[str, Path(max_length=36, description="The message's id (the case view's `messages`)")]
ERRORS = documented(_401="No or bad credentials", _403="Not this tenant or not the owning team",
                    _404="Unknown tenant or case", _409="No such message or letter, or not in a state for this",
                    _412="If-Match names an older version")


class AnswerPreview(BaseModel):
    """The drafted answer exactly as it will be sent once approved."""

    subject: str
    body: str
    channel: Literal["e-mail", "post"] | None = Field(description="How it will go (None: no address to write "
                                                                  "to, or an ombudsman's case they answer)")
    language: str


@router.get("/answer-preview", response_model=AnswerPreview, responses=ERRORS)
def preview_answer(caller: WorkerDep, tenant: TenantDep, case_id: UUID,
                   correspondence: CorrespondenceDep) -> AnswerPreview:
    """The draft rendered with the tenant's template, in the complainant's language, with the text every answer
    of the tenant carries (the city: its ombudsman): what the approvers approve is what goes out."""
    preview = correspondence.preview_answer(caller, tenant, case_id)
    return AnswerPreview(subject=preview.rendered.subject, body=preview.rendered.body, channel=preview.channel,
                         language=preview.language)


@router.get("/messages/{message_id}/letter", response_class=Response, responses={
    **ERRORS, 200: {"description": "The letter, to print", "content": {
        "text/html": {"schema": {"type": "string"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})
def print_letter(caller: WorkerDep, tenant: TenantDep, case_id: UUID, message_id: MessageId,
                 correspondence: CorrespondenceDep,
                 format: Annotated[Literal["html", "pdf"], Query(description="html (print from the browser) or "
                                                                             "pdf")] = "html") -> Response:
    """A letter of the case (a message by post), addressed to the complainant: to print, then mark posted."""
    printed = correspondence.print_letter(caller, tenant, case_id, message_id, format)
    return Response(printed.content, media_type=printed.media_type, headers={
        "Content-Disposition": f'inline; filename="{printed.filename}"', "Cache-Control": "no-store"})


@router.post("/messages/{message_id}/posted", response_model=CaseView, responses=ERRORS)
def mark_posted(caller: WorkerDep, tenant: TenantDep, case_id: UUID, message_id: MessageId,
                correspondence: CorrespondenceDep, version: IfMatch) -> CaseView:
    """The letter was printed and posted (`LetterPosted`): the complainant's tracking page lists it."""
    return CaseView.of(correspondence.mark_posted(caller, tenant, case_id, message_id, version))


@router.post("/messages/{message_id}/by-post", response_model=CaseView, responses=ERRORS)
def send_by_post(caller: WorkerDep, tenant: TenantDep, case_id: UUID, message_id: MessageId,
                 correspondence: CorrespondenceDep, version: IfMatch) -> CaseView:
    """A message the mail server would not take (a bounced answer) goes again as a letter: a new message by
    post, to print and mark posted. Needs the complainant's postal address."""
    return CaseView.of(correspondence.send_by_post(caller, tenant, case_id, message_id, version))
