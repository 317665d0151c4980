"""The use cases on a case: reading it, and every command a handler, manager or director gives.

One method per use case. Each takes the caller, asks the permission policy,
loads the case, calls one method of the aggregate with the time from the
injected clock, and saves once (`Complaints.change`). What it returns is a
`CaseRecord`: the case, its complainant as far as the caller may see them, and
what this caller may do next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from complaints.adapters.store import Complaints
from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.application.clock import Clock
from complaints.application.errors import InvalidFields, Unchanged, VersionNotFound
from complaints.application.permissions import Action
from complaints.model.audit import ReadLog
from complaints.model.complaint import CommandRefused, Complaint, StaleVersion
from complaints.model.tenants import Tenant
from complaints.model.windows import WindowRuleBroken, extended, paused, window_for


@dataclass(frozen=True)
class CaseRecord:
    """A case as one caller sees it: its state, its complainant, and their next actions."""

    case: Complaint
    complainant: dict[str, Any]
    allowed_actions: list[Action]
    next_approval_step: str | None
    language: str = "en"  # of the labels shown with it (the tenant's, as the caller chose)


class CaseWork:
    def __init__(self, store: Complaints, clock: Clock, read_log_window: timedelta = timedelta(hours=1)) -> None:
        self.store, self.clock = store, clock
        self.read_log_window = read_log_window

    # --- reading ---------------------------------------------------------------------------------
    def record(self, caller: Caller, tenant: Tenant, case: Complaint) -> CaseRecord:
        if caller.kind == "system":  # a system sees its case's status: no complainant, no actions to offer
            return CaseRecord(case=case, complainant={}, allowed_actions=[], next_approval_step=None,
                              language=tenant.language)
        return CaseRecord(case=case, complainant=self.store.personal.open(case.complainant),
                          allowed_actions=permissions.allowed_actions(caller, case, tenant),
                          next_approval_step=case.next_approval_step(tenant.codes("approvals")),
                          language=tenant.language)

    def read(self, caller: Caller, tenant: Tenant, case_id: UUID, *, as_of: datetime | None = None,
             version: int | None = None, unless: Callable[[int], bool] | None = None) -> CaseRecord:
        """The case now, or (`as_of`, `version`: people only) as it stood then, rebuilt from its events.
        Who may read it is decided on the case as it is now (its current team). `unless` says whether the
        caller has this version already: then `Unchanged`, and nothing is logged (they read nothing new)."""
        permissions.ensure(caller, "read-case")
        case = self.store.case(tenant.id, case_id)
        permissions.ensure_may_read(caller, team=case.team, received_by=case.received_by)
        if as_of is None and version is None and unless is not None and unless(case.version):
            raise Unchanged(case.version)
        if as_of is not None or version is not None:
            permissions.ensure(caller, "audit-case")
            case = self._earlier(case, as_of, version)
        self.log_read(caller, tenant, case_id, f"state (version {case.version})")
        return self.record(caller, tenant, case)

    def _earlier(self, case: Complaint, as_of: datetime | None, version: int | None) -> Complaint:
        if as_of is not None:
            known = [e.originator_version for e in self.store.events.get(case.id) if e.timestamp <= as_of]
            if not known:
                raise VersionNotFound(f"Nothing of this case was recorded by {as_of}")
            version = min(version or known[-1], known[-1])
        assert version is not None
        if version > case.version:
            raise VersionNotFound(f"The case has {case.version} versions")
        return self.store.repository.get(case.id, version=version)

    def log_read(self, caller: Caller, tenant: Tenant, case_id: UUID, what: str) -> None:
        """An auditor's read is itself on record: who looked at which case, when; the same look again
        within the read-log window is the same read."""
        if "auditor" not in caller.roles:
            return
        for attempt in range(3):
            at = self.clock.now()
            log = self.store.find(ReadLog.id_for(case_id)) or ReadLog(case_id=case_id, tenant=tenant.id)
            if log.seen_within(caller.actor, what, at, self.read_log_window):
                return
            log.viewed(by=caller.actor, what=what, at=at)
            try:
                self.store.save(log)
                return
            except IntegrityError:  # another read was logged at the same moment: look again
                if attempt == 2:
                    raise

    # --- commands --------------------------------------------------------------------------------
    def _act(self, caller: Caller, tenant: Tenant, case_id: UUID, action: str,
             command: Callable[[Complaint, datetime], list[Complaint] | None],
             expected_version: int | None) -> CaseRecord:
        """Decides and saves one command; `command` returns the other cases it changed (saved together)."""
        at = self.clock.now()

        def decided(case: Complaint) -> list[Complaint] | None:
            permissions.authorize(caller, action, case, tenant)
            try:
                return command(case, at)
            except WindowRuleBroken as broken:
                raise InvalidFields([{"field": broken.field, "message": broken.message,
                                      "ceiling_days": tenant.ceiling_days}]) from None
            except CommandRefused as refused:  # a rule of the aggregate's own: still list the caller's actions
                refused.allowed = [a.name for a in permissions.allowed_actions(caller, case, tenant)]
                raise

        case = self.store.change(tenant.id, case_id, decided, expected_version=expected_version)
        return self.record(caller, tenant, case)

    def add_action(self, caller: Caller, tenant: Tenant, case_id: UUID, *, kind: str, what: str, team: str,
                   due_on: date | None, expected_version: int | None = None) -> tuple[Complaint, str]:
        """Records a follow-up or improvement action a team owns; returns the case and the action's number."""
        _known(tenant, team=team)
        numbers: list[str] = []
        record = self._act(caller, tenant, case_id, "actions", lambda c, at: numbers.append(c.add_action(
            kind=kind, what=what, team=team, due_on=due_on, actor=caller.actor, at=at)), expected_version)
        return record.case, numbers[-1]  # decided again after a conflict: the last decision is the one saved

    def complete_action(self, caller: Caller, tenant: Tenant, case_id: UUID, number: str, outcome: str,
                        expected_version: int | None = None) -> Complaint:
        """Marks an action done, by its owning team or whoever may act on the case. Returns the case (not a
        record: the owning team may not be allowed to read the case itself)."""
        at = self.clock.now()

        def decided(case: Complaint) -> None:
            permissions.ensure_may_complete(caller, case, number)
            case.complete_action(number=number, outcome=outcome, actor=caller.actor, at=at)

        return self.store.change(tenant.id, case_id, decided, expected_version=expected_version)

    def start_investigation(self, caller: Caller, tenant: Tenant, case_id: UUID,
                            expected_version: int | None = None) -> CaseRecord:
        return self._act(caller, tenant, case_id, "investigation",
                         lambda c, at: c.start_investigation(actor=caller.actor, at=at), expected_version)

    def add_note(self, caller: Caller, tenant: Tenant, case_id: UUID, text: str,
                 expected_version: int | None = None) -> CaseRecord:
        return self._act(caller, tenant, case_id, "notes",
                         lambda c, at: c.add_note(text=text, actor=caller.actor, at=at), expected_version)

    def request_information(self, caller: Caller, tenant: Tenant, case_id: UUID, question: str,
                            expected_version: int | None = None) -> CaseRecord:
        """Asks the complainant; the clock stops meanwhile where the tenant's window allows it."""
        return self._act(caller, tenant, case_id, "information-requests", lambda c, at: c.request_information(
            question=question, pauses_clock=window_for(tenant, c.signal_type).pausable, actor=caller.actor, at=at),
            expected_version)

    def receive_information(self, caller: Caller, tenant: Tenant, case_id: UUID, summary: str,
                            expected_version: int | None = None) -> CaseRecord:
        """The complainant answered; a stopped clock moves the due date by the counted days it stood still."""
        def command(c: Complaint, at: datetime) -> None:
            moved = None
            if c.paused_since and c.due_date and c.ceiling:
                moved = paused(tenant, signal_type=c.signal_type, due=c.due_date, ceiling=c.ceiling,
                               paused_from=c.paused_since, resumed_on=at.date())
            c.receive_information(summary=summary, moved_due_date=moved, actor=caller.actor, at=at)

        return self._act(caller, tenant, case_id, "information-received", command, expected_version)

    def hear_staff(self, caller: Caller, tenant: Tenant, case_id: UUID, note: str,
                   expected_version: int | None = None) -> CaseRecord:
        return self._act(caller, tenant, case_id, "staff-hearings",
                         lambda c, at: c.hear_staff(note=note, actor=caller.actor, at=at), expected_version)

    def propose_mediation(self, caller: Caller, tenant: Tenant, case_id: UUID, note: str,
                          expected_version: int | None = None) -> CaseRecord:
        return self._act(caller, tenant, case_id, "mediation",
                         lambda c, at: c.propose_mediation(note=note, actor=caller.actor, at=at), expected_version)

    def extend(self, caller: Caller, tenant: Tenant, case_id: UUID, reason: str, days: int | None = None,
               expected_version: int | None = None) -> CaseRecord:
        """Extends the window once, with a reason, as far as the tenant allows, never past the ceiling."""
        def command(c: Complaint, at: datetime) -> None:
            assert c.clock_started_on is not None  # the policy refuses an extension before the clock runs
            due = extended(tenant, signal_type=c.signal_type, start=c.clock_started_on, days=days)
            c.extend_window(reason=reason, due=due, actor=caller.actor, at=at)

        return self._act(caller, tenant, case_id, "extension", command, expected_version)

    def qualify(self, caller: Caller, tenant: Tenant, case_id: UUID, qualification: str,
                expected_version: int | None = None) -> CaseRecord:
        """Qualifies the case; a part's qualification is recorded on its complaint too, in the same save."""
        _known(tenant, qualification=qualification)

        def command(c: Complaint, at: datetime) -> list[Complaint] | None:
            c.qualify(qualification=qualification, config_version=tenant.version, actor=caller.actor, at=at)
            if c.part_of is None:
                return None
            complaint = self.store.case(tenant.id, UUID(c.part_of["case_id"]))
            complaint.record_part_qualification(part=c, actor=caller.actor, at=at)
            return [complaint]

        return self._act(caller, tenant, case_id, "qualification", command, expected_version)

    def draft_answer(self, caller: Caller, tenant: Tenant, case_id: UUID, text: str, channel: str,
                     expected_version: int | None = None) -> CaseRecord:
        """Drafts the answer: by e-mail only to a complainant with an address, otherwise by post."""
        def command(c: Complaint, at: datetime) -> None:
            if channel == "e-mail" and not self.store.personal.open(c.complainant).get("email"):
                raise InvalidFields([{"field": "channel", "message": "the complainant has no e-mail address",
                                      "allowed": ["post"]}])
            c.draft_answer(text=text, channel=channel, actor=caller.actor, at=at,
                           qualified=tenant.qualifies(c.signal_type))

        return self._act(caller, tenant, case_id, "answer-draft", command, expected_version)

    def approve(self, caller: Caller, tenant: Tenant, case_id: UUID,
                expected_version: int | None = None) -> CaseRecord:
        """Gives the next approval step, by a person of the step's role who neither wrote the draft
        nor gave an earlier step."""
        return self._act(caller, tenant, case_id, "approvals", lambda c, at: c.approve(
            steps=tenant.codes("approvals"), actor=caller.actor, at=at), expected_version)

    def send_answer(self, caller: Caller, tenant: Tenant, case_id: UUID,
                    expected_version: int | None = None) -> CaseRecord:
        """Sends the fully approved answer (with the tenant's obligatory text; via the oversight body if it
        came so)."""
        def command(c: Complaint, at: datetime) -> list[Complaint]:
            c.send_answer(steps=tenant.codes("approvals"), footer=tenant.answer_footer, actor=caller.actor, at=at)
            parts = [self.store.case(tenant.id, UUID(part_id)) for part_id in c.parts]
            for part in parts:  # one answer for every team's part: the parts close with it
                part.close_with_complaint(complaint=c, actor=caller.actor, at=at)
            return parts

        return self._act(caller, tenant, case_id, "answer", command, expected_version)

    def close(self, caller: Caller, tenant: Tenant, case_id: UUID, reason: str, confirmation_sent: bool,
              expected_version: int | None = None) -> CaseRecord:
        return self._act(caller, tenant, case_id, "close", lambda c, at: c.close(
            reason=reason, confirmation_sent=confirmation_sent, actor=caller.actor, at=at), expected_version)

    def reopen(self, caller: Caller, tenant: Tenant, case_id: UUID, reason: str,
               expected_version: int | None = None) -> CaseRecord:
        return self._act(caller, tenant, case_id, "reopen",
                         lambda c, at: c.reopen(reason=reason, actor=caller.actor, at=at), expected_version)

    # --- who works it ----------------------------------------------------------------------------
    def assign(self, caller: Caller, tenant: Tenant, case_id: UUID, assignee: str,
               expected_version: int | None = None) -> CaseRecord:
        """Makes the case a person's work: a handler takes one of their team's, a manager assigns anyone."""
        permissions.ensure_may_assign(caller, assignee)
        return self._act(caller, tenant, case_id, "assign",
                         lambda c, at: c.assign(assignee=assignee, actor=caller.actor, at=at), expected_version)

    def unassign(self, caller: Caller, tenant: Tenant, case_id: UUID,
                 expected_version: int | None = None) -> CaseRecord:
        """Gives the case back to its team (the assignee, or a manager)."""
        return self._act(caller, tenant, case_id, "unassign",
                         lambda c, at: c.unassign(actor=caller.actor, at=at), expected_version)

    def revoke_tracking(self, caller: Caller, tenant: Tenant, case_id: UUID, reason: str,
                        expected_version: int | None = None) -> CaseRecord:
        """Stops the complainant's tracking link from working (a handler of the team, or a manager)."""
        return self._act(caller, tenant, case_id, "revoke-tracking",
                         lambda c, at: c.revoke_tracking(reason=reason, actor=caller.actor, at=at), expected_version)

    # --- routing by hand -------------------------------------------------------------------------
    def reroute(self, caller: Caller, tenant: Tenant, case_id: UUID, team: str, reason: str,
                expected_version: int | None = None) -> CaseRecord:
        """Hands the case to another team of the tenant, with the reason; the new team sees it at once."""
        _known(tenant, team=team)
        return self._act(caller, tenant, case_id, "reroute", lambda c, at: c.reroute(
            team=team, reason=reason, rule_id=None, config_version=tenant.version, actor=caller.actor, at=at),
            expected_version)

    def close_early(self, caller: Caller, tenant: Tenant, case_id: UUID, qualification: str, reason: str,
                    forward_to: str | None = None, expected_version: int | None = None) -> CaseRecord:
        """Closes an inadmissible case at once with the scheme's code for it: its window stops."""
        if not tenant.closes_early(qualification):
            raise InvalidFields([{"field": "qualification", "message": "not an inadmissible code of the scheme",
                                  "allowed": [q.code for q in tenant.qualifications if q.closes_early]}])
        return self._act(caller, tenant, case_id, "close-inadmissible", lambda c, at: c.close_early(
            qualification=qualification, reason=reason, forward_to=forward_to, config_version=tenant.version,
            actor=caller.actor, at=at), expected_version)

    def transfer(self, caller: Caller, source: Tenant, case_id: UUID, target: Tenant, *, channel: str,
                 signal_type: str, category: str | None, reason: str,
                 expected_version: int | None = None) -> tuple[CaseRecord, Complaint]:
        """Transfers a case that belongs to another organisation: closed here (`Transferred`), a new case there
        in the target's own codes, linking back, dated from the first receipt where the target's rules say
        its window runs from then. Returns the source case as the caller sees it, and the new case."""
        if target.id == source.id:
            raise InvalidFields([{"field": "to", "message": "a transfer goes to another organisation"}])
        _known(target, channel=channel, signal_type=signal_type, **({"category": category} if category else {}))
        at = self.clock.now()

        def decide(case: Complaint) -> None:
            if expected_version is not None and case.version != expected_version:
                raise StaleVersion(expected_version, case.version)
            permissions.authorize(caller, "transfer", case, source)

        first = self.store.case(source.id, case_id).received_at
        case, moved = self.store.transfer(
            source, case_id, target, decide=decide, actor=caller.actor, at=at, reason=reason,
            received_at=first if target.transfer_window_from == "first-receipt" else at,
            channel=channel, signal_type=signal_type, category=category)
        return self.record(caller, source, case), moved

    def split(self, caller: Caller, tenant: Tenant, case_id: UUID, parts: list[tuple[str, str]],
              expected_version: int | None = None) -> tuple[CaseRecord, list[Complaint]]:
        """Splits a complaint about several teams into a part per (team, subject), each routed to its team,
        saved with the complaint. Returns the complaint as the caller sees it, and the new parts."""
        errors = []
        for i, (team, _) in enumerate(parts):
            errors += tenant.unknown_codes({"team": team}, prefix=f"parts.{i}.")
            if team in (other for other, _ in parts[:i]):
                errors.append({"field": f"parts.{i}.team", "message": f"a second part for team {team!r}"})
        if errors:
            raise InvalidFields(errors)
        made: list[Complaint] = []

        def command(c: Complaint, at: datetime) -> list[Complaint]:
            made.extend(c.split(parts=parts, config_version=tenant.version, actor=caller.actor, at=at))
            return made

        return self._act(caller, tenant, case_id, "parts", command, expected_version), made

    def set_category(self, caller: Caller, tenant: Tenant, case_id: UUID, category: str,
                     expected_version: int | None = None) -> CaseRecord:
        """Sets or corrects the category; a case the rules routed is routed again by them (routing's policy)."""
        _known(tenant, category=category)

        def set_category(case: Complaint, at: datetime) -> None:
            _known(tenant, category=category, signal_type=case.signal_type)  # a keyword of the case's kind
            case.set_category(category=category, config_version=tenant.version, actor=caller.actor, at=at)

        return self._act(caller, tenant, case_id, "category", set_category, expected_version)


def _known(tenant: Tenant, **values: str) -> None:
    if errors := tenant.unknown_codes(values):
        raise InvalidFields(errors)
