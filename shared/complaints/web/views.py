"""What the API shows of a case: the full view for people, the status for the system that sent it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from complaints.application.cases import CaseRecord
from complaints.model.complaint import Complaint
from complaints.model.labels import ACTIONS, STATUSES, word


class ActionLink(BaseModel):
    """Something this caller may do next on the case: the name is the path's last segment."""

    name: str = Field(examples=["answer-draft"])
    label: str = Field(examples=["Draft the answer"], description="In the caller's language (Accept-Language)")
    method: str = Field(examples=["POST"])
    href: str = Field(examples=["/v1/tenants/zorgbedrijf/complaints/0b7c…/answer-draft"])


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


class CaseView(BaseModel):
    """A case's full current state, as a person who may read it sees it."""

    case_id: UUID
    case_number: str
    tenant: str
    status: str
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
    complainant: dict[str, Any]
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
    notes: list[dict[str, Any]]
    draft: dict[str, Any] | None
    approvals: list[dict[str, Any]]
    answer: str | None
    answer_channel: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    forwarded_to: str | None
    transferred_from: dict[str, Any] | None = Field(description="The organisation, case id and number it was "
                                                                "transferred from (the complainant's reference)")
    transferred_to: dict[str, Any] | None = Field(description="The organisation, case id and number it went to")
    part_of: dict[str, Any] | None = Field(description="A part of a complaint about several teams: the "
                                                       "complaint's case id and number (its window, its answer)")
    parts: list[PartLink] = Field(description="The parts of a complaint split over several teams, each its team's "
                                              "case; the answer waits until every part is qualified")
    deadline_events: list[str]
    actions: list[FollowUpAction] = Field(description="Follow-up and improvement actions, by number")

    @classmethod
    def of(cls, record: CaseRecord) -> CaseView:
        case = record.case
        own = ("case_id", "allowed_actions", "next_approval_step", "complainant", "actions", "parts", "status_label")
        fields = {name: getattr(case, name) for name in cls.model_fields if name not in own}
        return cls(case_id=case.id, complainant=record.complainant, next_approval_step=record.next_approval_step,
                   actions=[FollowUpAction.of(case, number) for number in case.actions],
                   parts=[PartLink(**part) for part in case.parts.values()],
                   status_label=word(STATUSES, case.status, record.language),
                   allowed_actions=[ActionLink(name=a.name, label=word(ACTIONS, a.name, record.language),
                                               method=a.method, href=a.href) for a in record.allowed_actions],
                   **fields)


class CaseStatus(BaseModel):
    """What a posting system may see of a case it sent."""

    case_id: UUID
    case_number: str
    tenant: str
    status: str
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
