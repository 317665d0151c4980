"""The intake use cases: a complaint received from a calling system, an old register imported, a
system's own case found again by its reference.

An imported case becomes an ordinary case stream whose events carry the
original times (`occurred_at`) while the store records when they were imported.
Items are checked and saved one by one: a rejected item never blocks the others,
and an item whose reference was imported before is reported as already present.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, ValidationError

from complaints.adapters.store import Complaints, Submission
from complaints.application import permissions, reactions
from complaints.application.callers import Caller
from complaints.application.clock import Clock
from complaints.application.errors import InvalidFields
from complaints.model.complaint import CommandRefused, Complaint
from complaints.model.tenants import Tenant

STEPS = ("received_at", "routed_at", "qualified_at", "answered_at", "closed_at")


class Complainant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=50)
    address: str | None = Field(default=None, max_length=500)
    preferred_answer_channel: Literal["e-mail", "post", "phone"] | None = None
    preferred_language: Literal["nl", "fr", "en"] | None = Field(
        default=None, description="The language of the messages sent to them, where the tenant writes in it")


class ImportItem(BaseModel):
    """One case of the old register."""

    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1, max_length=200, description="The case's number in the old register")
    received_at: AwareDatetime
    channel: str
    signal_type: str
    category: str | None = None
    district: str | None = None
    entity: str | None = None
    subject: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=20000)
    complainant: Complainant | None = None
    team: str | None = Field(default=None, description="The team it was routed to; else the tenant's rules decide")
    routed_at: AwareDatetime | None = None
    qualification: str | None = None
    qualified_at: AwareDatetime | None = None
    answer: str | None = Field(default=None, max_length=20000)
    answer_channel: Literal["e-mail", "post", "phone"] | None = None
    answered_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None


@dataclass(frozen=True)
class ItemResult:
    index: int
    reference: str | None
    outcome: Literal["created", "already_present", "rejected"]
    case: Complaint | None = None
    errors: tuple[dict[str, Any], ...] = ()


class Intake:
    def __init__(self, store: Complaints, clock: Clock, skew: timedelta = timedelta(minutes=5),
                 key_window: timedelta = timedelta(hours=24)) -> None:
        self.store, self.clock, self.skew, self.key_window = store, clock, skew, key_window

    def receive(self, caller: Caller, tenant: Tenant, submission: Submission, *, received_at: datetime | None,
                complainant: dict[str, Any] | None, **fields: Any) -> tuple[Complaint, bool]:
        """Records the complaint with its case number (True), or returns the case this submission made
        before (False). `fields`: channel, signal type, category, district, entity, subject, text, attachments."""
        permissions.ensure(caller, "receive")
        received_at = received_at or self.clock.now()
        if errors := tenant.unknown_codes(fields) + self._received_problems(tenant, received_at, fields):
            raise InvalidFields(errors)
        # A key repeated within its window is a retry; used again after it, a genuine new complaint.
        now = self.clock.now()
        submission = replace(submission, used_at=now, keys_used_since=now - self.key_window)
        return self.store.receive(
            tenant, submission, actor=caller.actor, received_at=received_at,
            via_oversight=tenant.is_oversight(fields["channel"]),
            complainant=self.store.personal.seal(tenant.id, complainant), **fields)

    def _received_problems(self, tenant: Tenant, received_at: datetime, fields: dict[str, Any]) -> list[dict[str, Any]]:
        """A complaint is received now, give or take the sender's clock, and not long ago. Within these bounds
        (and the import's: its floor, and now) every window can be computed, so every accepted case is clocked:
        before them, a date in 9999 got its 201 and was never clocked."""
        now = self.clock.now()
        if received_at > now + self.skew:
            return [{"field": "received_at", "message": f"is in the future (now is {now.isoformat()})"}]
        if received_at < now - timedelta(days=tenant.intake_max_age_days):
            return [{"field": "received_at", "message": f"is more than {tenant.intake_max_age_days} days ago: "
                                                        "older cases come in through the import"}]
        return []

    def find_by_reference(self, caller: Caller, tenant: Tenant, reference: str) -> Complaint | None:
        """The calling system's case with this reference of its own."""
        permissions.ensure(caller, "find-by-reference")
        return self.store.find_by_reference(tenant.id, caller.name, reference)

    def import_items(self, caller: Caller, tenant: Tenant, items: list[dict[str, Any]]) -> list[ItemResult]:
        permissions.ensure(caller, "import")
        return [self._import(caller, tenant, index, raw) for index, raw in enumerate(items)]

    def _import(self, caller: Caller, tenant: Tenant, index: int, raw: dict[str, Any]) -> ItemResult:
        reference = raw.get("reference") if isinstance(raw.get("reference"), str) else None
        try:
            item = ImportItem.model_validate(raw)
        except ValidationError as exc:
            errors = tuple({"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors())
            return ItemResult(index, reference, "rejected", errors=errors)
        if errors := self._problems(tenant, item):
            return ItemResult(index, reference, "rejected", errors=tuple(errors))
        try:
            case, created = self.store.receive(
                tenant, Submission(sender=caller.name, reference=item.reference), actor=caller.actor,
                received_at=item.received_at, history=_history(tenant, item, caller.actor),
                channel=item.channel, signal_type=item.signal_type, category=item.category, district=item.district,
                entity=item.entity, via_oversight=tenant.is_oversight(item.channel), subject=item.subject,
                text=item.text,
                complainant=self.store.personal.seal(
                    tenant.id, item.complainant.model_dump(mode="json", exclude_none=True) if item.complainant
                    else None),
            )
        except CommandRefused as refused:
            return ItemResult(index, reference, "rejected", errors=({"field": "(steps)", "message": str(refused)},))
        return ItemResult(index, reference, "created" if created else "already_present", case=case)

    def _problems(self, tenant: Tenant, item: ImportItem) -> list[dict[str, Any]]:
        errors = tenant.unknown_codes(item.model_dump())
        steps = [(name, getattr(item, name)) for name in STEPS if getattr(item, name) is not None]
        for (earlier, a), (later, b) in zip(steps, steps[1:]):
            if b < a:
                errors.append({"field": later, "message": f"is before {earlier}"})
        if any(moment > self.clock.now() for _, moment in steps):
            errors.append({"field": "received_at", "message": "dates must not be in the future"})
        elif item.received_at.date() < tenant.import_floor:
            errors.append({"field": "received_at", "message": f"is before {tenant.import_floor}, the oldest "
                                                              f"case {tenant.name} imports"})
        if item.signal_type in tenant.codes("signal_types"):
            qualified = tenant.qualifies(item.signal_type)
            if item.answered_at and not item.qualification and qualified:
                errors.append({"field": "qualification",
                               "message": f"an answered {item.signal_type} needs its qualification"})
            elif item.qualification and not qualified:
                errors.append({"field": "qualification",
                               "message": f"{tenant.name} does not qualify a {item.signal_type}"})
        return errors


def _history(tenant: Tenant, item: ImportItem, actor: str):  # noqa: ANN202 - a closure for Complaints.receive
    """The old register's steps as events, each at its original time."""
    def replay(complaint: Complaint) -> None:
        routed_at = item.routed_at or item.received_at
        reactions.route(complaint, tenant, team=item.team, actor=actor, at=routed_at)
        reactions.start_clock(complaint, tenant, routed_at=routed_at, actor=actor, at=routed_at)
        if item.qualification:
            complaint.qualify(qualification=item.qualification, config_version=tenant.version, actor=actor,
                              at=item.qualified_at or item.answered_at or item.closed_at or item.received_at)
        if item.answered_at:
            complaint.answer_complainant(text=item.answer or "", channel=item.answer_channel or "post",
                                         actor=actor, at=item.answered_at,
                                         qualified=tenant.qualifies(item.signal_type))
        if item.closed_at:
            complaint.close(reason="imported", actor=actor, at=item.closed_at)

    return replay
