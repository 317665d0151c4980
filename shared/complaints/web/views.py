"""What the API shows of a case: the full view for people, the status for the system that sent it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from complaints.application.cases import CaseRecord
from complaints.application.permissions import CASE_ACTIONS
from complaints.model.complaint import OPEN_STATES, STATUS_AFTER, Complaint
from complaints.model.labels import ACTIONS, STATUSES, word
from complaints.model.messages import MessageKind

# Named enums, built from the state machine and the permission policy so they cannot drift from them: a
# client generated from the contract gets a union type of each.
CaseState = StrEnum("CaseState", [(state, state) for state in dict.fromkeys((*OPEN_STATES, *STATUS_AFTER.values()))])
CaseState.__doc__ = "The state a case is in (open: every state but answered and closed)."
CaseCommand = StrEnum("CaseCommand", [(name, name) for name in CASE_ACTIONS])
CaseCommand.__doc__ = "A command on a case: the last segment of its path, `/v1/tenants/{t}/complaints/{id}/{name}`."


class Sparse(BaseModel):
    """A stored record whose keys are there or not (a complainant gives what they give): shown as stored,
    without the absent keys as nulls."""

    @model_serializer(mode="wrap")
    def _as_given(self, handler: SerializerFunctionWrapHandler):  # noqa: ANN202 - untyped keeps the model's schema
        return {k: v for k, v in handler(self).items() if k in self.model_fields_set}


class ActionLink(BaseModel):
    """Something this caller may do next on the case: the name is the path's last segment."""

    name: CaseCommand = Field(examples=["answer-draft"])
    label: str = Field(examples=["Draft the answer"], description="In the caller's language (Accept-Language)")
    method: Literal["POST", "PUT", "DELETE"] = Field(examples=["POST"])
    href: str = Field(examples=["/v1/tenants/zorgbedrijf/complaints/0b7c…/answer-draft"])
    operation_id: str = Field(examples=["draft_answer"], description="The contract's operation this calls")


class CaseComplainant(Sparse):
    """Who complained, as far as the caller may see: `{}` when anonymous, `{"erased": true}` once erased."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    preferred_answer_channel: str | None = None
    erased: bool | None = None


class Note(BaseModel):
    text: str
    by: str
    at: str = Field(description="When, ISO 8601")


class AnswerDraft(BaseModel):
    text: str
    channel: str = Field(examples=["e-mail", "post"])
    author: str


class Approval(BaseModel):
    step: str = Field(description="The approval step's code (the tenant's `approvals`)")
    by: str
    at: str = Field(description="When, ISO 8601")


class CaseReference(Sparse):
    """Another case: a part's complaint, or the case a transfer came from or went to (with its organisation)."""

    tenant: str | None = None
    case_id: UUID
    case_number: str


class FollowUpAction(BaseModel):
    """A follow-up action (extra actie) or an improvement action (verbeterpunt) on a case, owned by a team."""

    case_id: UUID
    case_number: str
    number: str = Field(description="Its number within the case: …/actions/{number}/done completes it")
    kind: Literal["follow-up", "improvement"]
    what: str
    team: str
    due_on: date | None
    added_by: str
    added_at: datetime
    done_by: str | None
    done_at: datetime | None
    outcome: str | None

    @classmethod
    def of(cls, case: Complaint, number: str) -> FollowUpAction:
        return cls(case_id=case.id, case_number=case.case_number, **case.actions[number])


class PartLink(BaseModel):
    """A part of a complaint about several teams: a case of its own, of one team."""

    case_id: UUID
    case_number: str
    team: str
    subject: str
    qualification: str | None = Field(description="Its team's qualification (None: not qualified yet)")

    @classmethod
    def of(cls, part: Complaint) -> PartLink:
        return cls(case_id=part.id, case_number=part.case_number, team=part.team or "", subject=part.subject,
                   qualification=part.qualification)


class CaseMessage(Sparse):
    """A message to the complainant, as decided by an event on the case and as its delivery went."""

    message_id: str
    kind: MessageKind
    channel: Literal["e-mail", "post"]
    language: str
    status: Literal["decided", "sent", "failed"] = Field(description="decided: not sent yet (a letter waits "
                                                                      "to be posted); sent (a letter: posted); "
                                                                      "failed: see `reason`")
    decided_at: datetime
    sent_at: datetime | None = None
    reply: str | None = Field(default=None, description="What the mail server said when it took the message")
    reason: str | None = Field(default=None, description="Why the delivery failed")
    final: bool | None = Field(default=None, description="A refused recipient: sending again would not help")
    replaces: str | None = Field(default=None, description="The message this one sends again (by post)")
    question: str | None = Field(default=None, description="What an information request asks")
    posted_by: str | None = Field(default=None, description="Who posted the letter")


class Feedback(BaseModel):
    """The complainant's rating of the handling, given through their tracking link after the close."""

    rating: int = Field(ge=1, le=5)
    comment: str | None
    resolved: bool
    given_at: datetime
    calls_for: Literal["flag", "reopen"] | None = Field(description="What the tenant's rules made of it")


class CaseView(BaseModel):
    """A case's full current state, as a person who may read it sees it."""

    case_id: UUID
    case_number: str
    tenant: str
    status: CaseState
    status_label: str = Field(description="The state in the caller's language (Accept-Language)")
    version: int
    allowed_actions: list[ActionLink] = Field(description="Exactly what this caller may do next, given their "
                                                          "role, team, authorship, the approvals and the state")
    next_approval_step: str | None = Field(description="The approval step the draft needs next (None: none)")
    channel: str
    signal_type: str
    category: str | None
    district: str | None
    entity: str | None
    subject: str
    text: str
    complainant: CaseComplainant
    team: str | None
    assignee: str | None = Field(description="Whose work it is (a person's subject), within the owning team; "
                                             "None: the team's. A reroute clears it")
    routing_rule: str | None
    via_oversight: bool
    received_at: datetime
    due_date: date | None
    ceiling: date | None
    paused_since: date | None
    paused_days: int
    extended: bool
    mediation: bool
    qualification: str | None
    notes: list[Note]
    draft: AnswerDraft | None
    approvals: list[Approval]
    answer: str | None
    answer_channel: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    forwarded_to: str | None
    transferred_from: CaseReference | None = Field(description="The organisation, case id and number it was "
                                                                "transferred from (the complainant's reference)")
    transferred_to: CaseReference | None = Field(description="The organisation, case id and number it went to")
    part_of: CaseReference | None = Field(description="A part of a complaint about several teams: the "
                                                       "complaint's case id and number (its window, its answer)")
    parts: list[PartLink] = Field(description="The parts of a complaint split over several teams, each its team's "
                                              "case; the answer waits until every part is qualified")
    deadline_events: list[str]
    actions: list[FollowUpAction] = Field(description="Follow-up and improvement actions, by number")
    messages: list[CaseMessage] = Field(description="Messages to the complainant, oldest first: a failed answer "
                                                    "can then be sent by post")
    feedback: Feedback | None = Field(description="The complainant's rating after the last close")
    flagged_by_feedback: bool = Field(description="A low rating marked not resolved: for a manager to look at")
    tracking_revoked: bool = Field(description="The complainant's tracking link no longer works")

    @classmethod
    def of(cls, record: CaseRecord) -> CaseView:
        case = record.case
        own = ("case_id", "allowed_actions", "next_approval_step", "complainant", "actions", "parts", "status_label",
               "messages")
        fields = {name: getattr(case, name) for name in cls.model_fields if name not in own}
        return cls(case_id=case.id, complainant=record.complainant, next_approval_step=record.next_approval_step,
                   actions=[FollowUpAction.of(case, number) for number in case.actions],
                   parts=[PartLink(**part) for part in case.parts.values()],
                   messages=[CaseMessage(message_id=m, **message) for m, message in case.messages.items()],
                   status_label=word(STATUSES, case.status, record.language),
                   allowed_actions=[ActionLink(**vars(a), label=word(ACTIONS, a.name, record.language))
                                    for a in record.allowed_actions], **fields)


class CaseStatus(BaseModel):
    """What a posting system may see of a case it sent."""

    case_id: UUID
    case_number: str
    tenant: str
    status: CaseState
    channel: str
    signal_type: str
    category: str | None
    subject: str
    sender_reference: str | None
    received_at: datetime
    team: str | None
    due_date: date | None
    answered_at: datetime | None
    version: int

    @classmethod
    def of(cls, case: Complaint) -> CaseStatus:
        return cls(case_id=case.id, **{name: getattr(case, name) for name in cls.model_fields if name != "case_id"})
