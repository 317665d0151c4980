"""The Complaint aggregate: one event stream per case.

Command methods decide (and refuse what the case's state forbids); the private
`@event` methods only change state, so replaying history runs the same code.
Every event carries the tenant, the actor (a user or a system) and when it
happened (`occurred_at`); the library adds when it was recorded (`timestamp`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from eventsourcing.domain import Aggregate, event

from complaints.model.windows import DueDate

SYSTEM_ROUTING = "system:routing"
SYSTEM_QUALIFICATION = "system:qualification"
SYSTEM_DELIVERY = "system:delivery"
# The reason a case closed as inadmissible starts with: that close is the reasoned notice to the complainant.
INADMISSIBLE = "inadmissible: "
# The terms before the answer's window, each running from receipt (`windows.term_due`).
TERMS = ("acknowledgement", "admissibility")


class CommandRefused(Exception):
    """A command that the case's current state does not allow (a 409).

    `allowed` starts as what the state allows anybody; the application narrows it to the caller's actions.
    """

    def __init__(self, command: str, status: str, detail: str | None = None) -> None:
        super().__init__(detail or f"cannot {command} a case that is {status}")
        self.command = command
        self.status = status
        self.allowed = list(ALLOWED.get(status, ()))


class NotPermitted(Exception):
    """A command this person may not give on this case (a 403: e.g. approving their own answer)."""


class CaseNotFound(LookupError):
    """No such case for this tenant: another tenant's case is as absent as one that does not exist."""

    def __init__(self, tenant: str, case_id: Any) -> None:
        super().__init__(f"No case {case_id} for tenant {tenant}")


class StaleVersion(Exception):
    """The case is no longer at the version the command was decided on."""

    def __init__(self, expected: int, current: int | None) -> None:
        super().__init__(f"the case was changed: expected version {expected}, it is now "
                         f"{current if current is not None else 'newer'}")
        self.expected, self.current = expected, current


# The topics the store keeps for these events, fixed here rather than taken from the module's path, so
# moving code never orphans years of stored history (the library's explicit topics).
STORED = "complaints.domain:Complaint."


class Complaint(Aggregate):
    """A complaint (or question, report, suggestion, compliment) from receipt to close."""

    TOPIC = "complaints.domain:Complaint"

    class Created(Aggregate.Created):
        TOPIC = STORED + "Created"

    @event("Received", topic=STORED + "Received")
    def __init__(
        self,
        tenant: str,
        actor: str,
        occurred_at: datetime,
        config_version: str,
        case_number: str,
        channel: str,
        signal_type: str,
        subject: str,
        text: str,
        category: str | None = None,
        complainant: dict[str, Any] | None = None,
        sender_reference: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        district: str | None = None,
        entity: str | None = None,
        via_oversight: bool = False,
        transferred_from: dict[str, Any] | None = None,
        part_of: dict[str, Any] | None = None,
    ) -> None:
        self.tenant = tenant
        self.received_by = actor  # the calling system (or importer) that sent it: it may read the case
        self.case_number = case_number
        self.channel = channel
        self.signal_type = signal_type
        self.category = category
        self.subject = subject
        self.text = text
        self.complainant = complainant or {}
        self.sender_reference = sender_reference
        self.attachments = attachments or []
        self.district = district
        self.entity = entity
        # Came via an ombudsman or oversight body: the answer goes back that way too.
        self.via_oversight = via_oversight
        # Transferred here by another organisation: its tenant, case id and number (the complainant's reference).
        self.transferred_from = transferred_from
        self.transferred_to: dict[str, Any] | None = None
        # A part of a complaint about several teams: the complaint's case id and number. A part is worked by
        # its team up to its qualification; its complaint keeps the window and answers for all its parts.
        self.part_of = part_of
        # The parts of this complaint, by case id: their team, number, subject and qualification.
        self.parts: dict[str, dict[str, Any]] = {}
        self.received_at = occurred_at
        self.status = status_after("Received", "")
        self.team: str | None = None
        self.routing_rule: str | None = None
        self.routed_by_hand = False
        self.forwarded_to: str | None = None
        self.due_date: date | None = None
        self.clock_started_on: date | None = None
        self.ceiling: date | None = None
        self.qualification: str | None = None
        self.answer: str | None = None
        self.answer_channel: str | None = None
        self.answered_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.notes: list[dict[str, Any]] = []
        self.paused_since: date | None = None
        self.open_question: str | None = None  # what the complainant was asked, until the answer came
        self.paused_days = 0
        self.extended = False
        self.mediation = False
        self.draft: dict[str, Any] | None = None
        self.approvals: list[dict[str, Any]] = []
        self.deadline_events: list[str] = []
        # Follow-up actions (the fire zone's extra acties) and improvement actions (verbeterpunten), by number.
        self.actions: dict[str, dict[str, Any]] = {}
        # Messages to the complainant, by message id: kind, channel, language, status (decided, sent, failed).
        self.messages: dict[str, dict[str, Any]] = {}
        # The person (their token's subject) whose work the case is; it stays after the close, as who handled it.
        self.assignee: str | None = None
        # The complainant's tracking link: its generation (a revocation moves it on) and whether it is revoked.
        self.tracking_generation = 0
        self.tracking_revoked = False
        # The complainant's feedback on the last close, and whether it flagged the case for a manager.
        self.feedback: dict[str, Any] | None = None
        self.flagged_by_feedback = False
        # The acknowledgement's term runs from the moment one is decided (the tenant sends one, by e-mail, to
        # this complainant) until it is sent.
        self.acknowledgement_id: str | None = None
        self.acknowledged_at: datetime | None = None
        # The admissibility decision's term runs until the first step that decides it: the investigation starts
        # (admissible) or the case is closed as inadmissible; or that settles it otherwise (qualified on its merits
        # or answered without a recorded investigation, transferred).
        self.admissibility: str | None = None
        self.admissibility_decided_at: datetime | None = None

    # --- routing -----------------------------------------------------------
    def route(self, *, team: str, rule_id: str, config_version: str, actor: str, at: datetime) -> None:
        if self.status != "received":
            raise CommandRefused("route", self.status)
        self._routed(tenant=self.tenant, actor=actor, occurred_at=at, team=team,
                     rule_id=rule_id, config_version=config_version)

    @event("Routed", topic=STORED + "Routed")
    def _routed(self, tenant: str, actor: str, occurred_at: datetime, team: str,
                rule_id: str, config_version: str) -> None:
        self.team = team
        self.routing_rule = rule_id
        self.status = status_after("Routed", self.status)

    def reroute(self, *, team: str, reason: str, rule_id: str | None, config_version: str,
                actor: str, at: datetime) -> None:
        """To another team of the tenant: by hand (`rule_id` None), or by the rules after a new category."""
        self._require("reroute")
        if team == self.team:
            raise CommandRefused(f"reroute to its own team {team!r}", self.status)
        self._rerouted(tenant=self.tenant, actor=actor, occurred_at=at, from_team=self.team, team=team,
                       reason=reason, rule_id=rule_id, config_version=config_version)

    @event("Rerouted", topic=STORED + "Rerouted")
    def _rerouted(self, tenant: str, actor: str, occurred_at: datetime, from_team: str | None, team: str,
                  reason: str, rule_id: str | None, config_version: str) -> None:
        self.team = team
        self.routing_rule = rule_id or "by-hand"
        self.routed_by_hand = self.routed_by_hand or rule_id is None
        self.status = status_after("Rerouted", self.status)
        # The assignee belonged to the team the case left: the new team takes it up (or a manager assigns it).
        self.assignee = None

    def set_category(self, *, category: str, config_version: str, actor: str, at: datetime) -> None:
        self._require("category")
        self._category_set(tenant=self.tenant, actor=actor, occurred_at=at, category=category,
                           previous=self.category, config_version=config_version)

    @event("CategorySet", topic=STORED + "CategorySet")
    def _category_set(self, tenant: str, actor: str, occurred_at: datetime, category: str,
                      previous: str | None, config_version: str) -> None:
        self.category = category

    # --- who works it -----------------------------------------------------------------------------------
    def assign(self, *, assignee: str, actor: str, at: datetime) -> None:
        """Makes the case `assignee`'s work (a person's subject), within its owning team."""
        self._require("assign")
        if assignee == self.assignee:
            raise CommandRefused("assign", self.status, f"the case is assigned to {assignee!r} already")
        self._assigned(tenant=self.tenant, actor=actor, occurred_at=at, assignee=assignee, team=self.team)

    @event("Assigned", topic=STORED + "Assigned")
    def _assigned(self, tenant: str, actor: str, occurred_at: datetime, assignee: str, team: str | None) -> None:
        self.assignee = assignee

    def unassign(self, *, actor: str, at: datetime) -> None:
        """Gives the case back to its team."""
        self._require("unassign")
        if self.assignee is None:
            raise CommandRefused("unassign", self.status, "the case is not assigned")
        self._unassigned(tenant=self.tenant, actor=actor, occurred_at=at, previous=self.assignee)

    @event("Unassigned", topic=STORED + "Unassigned")
    def _unassigned(self, tenant: str, actor: str, occurred_at: datetime, previous: str) -> None:
        self.assignee = None

    # --- complaints about several teams --------------------------------------------------------------
    def split(self, *, parts: list[tuple[str, str]], config_version: str, actor: str,
              at: datetime) -> list[Complaint]:
        """Splits off a part per (team, subject): each a new case, routed to its team, dated from the
        complaint's receipt and numbered after it. Returns the parts, to be saved with the complaint."""
        self._require("parts")
        teams = [part["team"] for part in self.parts.values()]
        for team, _ in parts:
            if team in teams:
                raise CommandRefused("split", self.status, f"the complaint has a part for team {team!r} already")
            teams.append(team)
        made = []
        for team, subject in parts:
            part = Complaint(
                tenant=self.tenant, actor=actor, occurred_at=self.received_at, config_version=config_version,
                case_number=f"{self.case_number}/{len(self.parts) + len(made) + 1}", channel=self.channel,
                signal_type=self.signal_type, category=self.category, subject=subject, text=self.text,
                district=self.district, entity=self.entity,
                part_of={"case_id": str(self.id), "case_number": self.case_number})
            part._routed(tenant=self.tenant, actor=actor, occurred_at=at, team=team, rule_id="split",
                         config_version=config_version)
            made.append(part)
        self._split(tenant=self.tenant, actor=actor, occurred_at=at, parts=[
            {"case_id": str(p.id), "case_number": p.case_number, "team": p.team, "subject": p.subject}
            for p in made])
        return made

    @event("Split", topic=STORED + "Split")
    def _split(self, tenant: str, actor: str, occurred_at: datetime, parts: list[dict[str, Any]]) -> None:
        for part in parts:
            self.parts[part["case_id"]] = {**part, "qualification": None}

    def record_part_qualification(self, *, part: Complaint, actor: str, at: datetime) -> None:
        """A part's team qualified its part; the answer waits until every part is qualified, and once it is
        drafted the parts' qualifications stand."""
        if str(part.id) not in self.parts:
            raise ValueError(f"case {part.id} is not a part of case {self.id}")
        if self.status not in PARTS_QUALIFIED_WHILE:
            raise CommandRefused("qualify a part of", self.status,
                                 f"the complaint's answer is {self.status} already: its parts' qualifications stand")
        self._part_qualified(tenant=self.tenant, actor=actor, occurred_at=at, part_id=str(part.id),
                             team=part.team, qualification=part.qualification)

    @event("PartQualified", topic=STORED + "PartQualified")
    def _part_qualified(self, tenant: str, actor: str, occurred_at: datetime, part_id: str, team: str,
                        qualification: str) -> None:
        self.parts[part_id] = {**self.parts[part_id], "qualification": qualification}

    def unqualified_parts(self) -> list[str]:
        """The teams whose part is not qualified yet."""
        return [part["team"] for part in self.parts.values() if part["qualification"] is None]

    def close_with_complaint(self, *, complaint: Complaint, actor: str, at: datetime) -> None:
        """A part closes when its complaint is answered: the complainant hears once, for every team."""
        if self.part_of is None or self.part_of["case_id"] != str(complaint.id):
            raise ValueError(f"case {self.id} is not a part of case {complaint.id}")
        if self.status != "closed":
            self._closed(tenant=self.tenant, actor=actor, occurred_at=at,
                         reason=f"answered with complaint {complaint.case_number}")

    def close_early(self, *, qualification: str, reason: str, forward_to: str | None, config_version: str,
                    actor: str, at: datetime) -> None:
        """Inadmissible: qualified with the scheme's code for it and closed at once; the window stops."""
        self._require("close-inadmissible")
        self._qualified(tenant=self.tenant, actor=actor, occurred_at=at, qualification=qualification,
                        config_version=config_version)
        self._closed(tenant=self.tenant, actor=actor, occurred_at=at, reason=f"{INADMISSIBLE}{reason}",
                     forwarded_to=forward_to)

    # --- the clock ---------------------------------------------------------
    def start_clock(self, *, due: DueDate, started_on: date, actor: str, at: datetime) -> None:
        if self.due_date is not None or self.status == "closed":
            raise CommandRefused("start the clock of", self.status)
        self._clock_started(tenant=self.tenant, actor=actor, occurred_at=at, started_on=started_on,
                            due_date=due.due, window_days=due.days, day_kind=due.day_kind,
                            calendar=due.calendar, ceiling=due.ceiling, config_version=due.config_version)

    @event("ClockStarted", topic=STORED + "ClockStarted")
    def _clock_started(self, tenant: str, actor: str, occurred_at: datetime, started_on: date, due_date: date,
                       window_days: int, day_kind: str, calendar: str, ceiling: date, config_version: str) -> None:
        self.clock_started_on = started_on
        self.due_date = due_date
        self.ceiling = ceiling

    # --- the handler's work --------------------------------------------------
    def _require(self, command: str, *, qualified: bool = True) -> None:
        if command not in ALLOWED[self.status]:
            raise CommandRefused(command, self.status)
        if (reason := refused_for_parts(self, command)) is not None:
            raise CommandRefused(command, self.status, reason)
        if needs_qualification_first(self.status, command, qualified):
            raise CommandRefused(command, self.status, f"a {self.signal_type} is qualified before it is answered")

    def start_investigation(self, *, actor: str, at: datetime) -> None:
        self._require("investigation")
        self._investigation_started(tenant=self.tenant, actor=actor, occurred_at=at)

    @event("InvestigationStarted", topic=STORED + "InvestigationStarted")
    def _investigation_started(self, tenant: str, actor: str, occurred_at: datetime) -> None:
        self.status = status_after("InvestigationStarted", self.status)
        self._admissibility_settled("admissible", occurred_at)

    def add_note(self, *, text: str, actor: str, at: datetime) -> None:
        self._require("notes")
        self._note_added(tenant=self.tenant, actor=actor, occurred_at=at, text=text)

    @event("NoteAdded", topic=STORED + "NoteAdded")
    def _note_added(self, tenant: str, actor: str, occurred_at: datetime, text: str) -> None:
        self.notes.append({"text": text, "by": actor, "at": occurred_at.isoformat()})

    def add_action(self, *, kind: str, what: str, team: str, due_on: date | None, actor: str,
                   at: datetime) -> str:
        """A follow-up or improvement action a team owns, numbered within the case; returns its number."""
        self._require("actions")
        number = str(len(self.actions) + 1)
        self._action_added(tenant=self.tenant, actor=actor, occurred_at=at, number=number, kind=kind, what=what,
                           team=team, due_on=due_on)
        return number

    @event("ActionAdded", topic=STORED + "ActionAdded")
    def _action_added(self, tenant: str, actor: str, occurred_at: datetime, number: str, kind: str, what: str,
                      team: str, due_on: date | None) -> None:
        self.actions[number] = {"number": number, "kind": kind, "what": what, "team": team, "due_on": due_on,
                                "added_by": actor, "added_at": occurred_at, "done_at": None, "done_by": None,
                                "outcome": None}

    def complete_action(self, *, number: str, outcome: str, actor: str, at: datetime) -> None:
        if number not in self.actions:
            raise CommandRefused("complete", self.status, f"the case has no action {number}")
        if self.actions[number]["done_at"] is not None:
            raise CommandRefused("complete", self.status, f"action {number} is done already")
        self._action_done(tenant=self.tenant, actor=actor, occurred_at=at, number=number, outcome=outcome)

    @event("ActionDone", topic=STORED + "ActionDone")
    def _action_done(self, tenant: str, actor: str, occurred_at: datetime, number: str, outcome: str) -> None:
        self.actions[number] = {**self.actions[number], "done_at": occurred_at, "done_by": actor, "outcome": outcome}

    def request_information(self, *, question: str, pauses_clock: bool, actor: str, at: datetime) -> None:
        self._require("information-requests")
        self._information_requested(tenant=self.tenant, actor=actor, occurred_at=at, question=question,
                                    pauses_clock=pauses_clock)

    @event("InformationRequested", topic=STORED + "InformationRequested")
    def _information_requested(self, tenant: str, actor: str, occurred_at: datetime, question: str,
                               pauses_clock: bool) -> None:
        self.status = status_after("InformationRequested", self.status)
        self.paused_since = occurred_at.date() if pauses_clock else None
        self.open_question = question

    def receive_information(self, *, summary: str, moved_due_date: date | None, actor: str, at: datetime) -> None:
        """`moved_due_date`: the due date moved by the paused time (None when the clock did not stop)."""
        self._require("information-received")
        paused_days = (at.date() - self.paused_since).days if self.paused_since else 0
        self._information_received(tenant=self.tenant, actor=actor, occurred_at=at, summary=summary,
                                   paused_days=paused_days, due_date=moved_due_date or self.due_date)

    @event("InformationReceived", topic=STORED + "InformationReceived")
    def _information_received(self, tenant: str, actor: str, occurred_at: datetime, summary: str,
                              paused_days: int, due_date: date | None) -> None:
        self.status = status_after("InformationReceived", self.status)
        self.open_question = None
        self.paused_since = None
        self.paused_days += paused_days
        self.due_date = due_date

    def hear_staff(self, *, note: str, actor: str, at: datetime) -> None:
        self._require("staff-hearings")
        self._staff_heard(tenant=self.tenant, actor=actor, occurred_at=at, note=note)

    @event("StaffHeard", topic=STORED + "StaffHeard")
    def _staff_heard(self, tenant: str, actor: str, occurred_at: datetime, note: str) -> None:
        self.notes.append({"text": f"Staff heard: {note}", "by": actor, "at": occurred_at.isoformat()})

    def propose_mediation(self, *, note: str, actor: str, at: datetime) -> None:
        self._require("mediation")
        self._mediation_proposed(tenant=self.tenant, actor=actor, occurred_at=at, note=note)

    @event("MediationProposed", topic=STORED + "MediationProposed")
    def _mediation_proposed(self, tenant: str, actor: str, occurred_at: datetime, note: str) -> None:
        self.mediation = True

    def extend_window(self, *, reason: str, due: DueDate, actor: str, at: datetime) -> None:
        """Once, with a reason; the tenant's rules (allowed, ceiling) were checked by who computed `due`."""
        self._require("extension")
        if self.extended:
            raise CommandRefused("extend the window a second time of", self.status)
        self._window_extended(tenant=self.tenant, actor=actor, occurred_at=at, reason=reason,
                              due_date=due.due, window_days=due.days, config_version=due.config_version)

    @event("WindowExtended", topic=STORED + "WindowExtended")
    def _window_extended(self, tenant: str, actor: str, occurred_at: datetime, reason: str, due_date: date,
                         window_days: int, config_version: str) -> None:
        self.extended = True
        self.due_date = due_date

    def qualify(self, *, qualification: str, config_version: str, actor: str, at: datetime) -> None:
        self._require("qualification")
        self._qualified(tenant=self.tenant, actor=actor, occurred_at=at,
                        qualification=qualification, config_version=config_version)

    @event("Qualified", topic=STORED + "Qualified")
    def _qualified(self, tenant: str, actor: str, occurred_at: datetime, qualification: str,
                   config_version: str) -> None:
        self.qualification = qualification
        self.status = status_after("Qualified", self.status)
        self._admissibility_settled("qualified", occurred_at)  # judged on its merits: admissible in effect
        self.draft = None
        self.approvals = []

    def draft_answer(self, *, text: str, channel: str, actor: str, at: datetime, qualified: bool = True) -> None:
        """`qualified`: the tenant qualifies this signal type, so the answer waits for a qualification."""
        self._require("answer-draft", qualified=qualified)
        self._answer_drafted(tenant=self.tenant, actor=actor, occurred_at=at, text=text, channel=channel)

    @event("AnswerDrafted", topic=STORED + "AnswerDrafted")
    def _answer_drafted(self, tenant: str, actor: str, occurred_at: datetime, text: str, channel: str) -> None:
        self.draft = {"text": text, "channel": channel, "author": actor}
        self.approvals = []  # a new draft needs every approval again
        self.status = status_after("AnswerDrafted", self.status)

    def next_approval_step(self, steps: list[str]) -> str | None:
        """The first of the tenant's approval `steps` the current draft still needs (None: none left)."""
        if self.status != "drafted":
            return None
        return next(iter(steps[len(self.approvals):]), None)

    def approve(self, *, steps: list[str], actor: str, at: datetime) -> None:
        """The next of the tenant's approval `steps`: never by the draft's author, one step per person."""
        self._require("approvals")
        step = self.next_approval_step(steps)
        if step is None:
            raise CommandRefused("approve an answer already fully approved in", self.status)
        if self.draft and actor == self.draft["author"]:
            raise NotPermitted("the author of an answer cannot approve it")
        if any(a["by"] == actor for a in self.approvals):
            raise NotPermitted("one person gives at most one approval step of an answer")
        self._answer_approved(tenant=self.tenant, actor=actor, occurred_at=at, step=step)

    @event("AnswerApproved", topic=STORED + "AnswerApproved")
    def _answer_approved(self, tenant: str, actor: str, occurred_at: datetime, step: str) -> None:
        self.approvals.append({"step": step, "by": actor, "at": occurred_at.isoformat()})

    def send_answer(self, *, steps: list[str], footer: str | None, actor: str, at: datetime) -> None:
        """Sends the approved draft; back via the oversight body when the case came that way."""
        self._require("answer")
        missing = steps[len(self.approvals):]
        if missing:
            raise CommandRefused(f"send (awaiting approval {missing[0]!r}) the answer of", self.status)
        assert self.draft is not None
        text = final_text(self.draft["text"], footer)
        channel = f"via:{self.channel}" if self.via_oversight else self.draft["channel"]
        self._answered(tenant=self.tenant, actor=actor, occurred_at=at, text=text, channel=channel)

    def answer_complainant(self, *, text: str, channel: str, actor: str, at: datetime,
                           qualified: bool = True) -> None:
        """An answer recorded as it was given (historical import: no drafts or approvals then)."""
        self._require("answer-draft", qualified=qualified)
        self._answered(tenant=self.tenant, actor=actor, occurred_at=at, text=text, channel=channel)

    @event("Answered", topic=STORED + "Answered")
    def _answered(self, tenant: str, actor: str, occurred_at: datetime, text: str, channel: str) -> None:
        self.answer = text
        self.answer_channel = channel
        self.answered_at = occurred_at
        self.status = status_after("Answered", self.status)
        self._admissibility_settled("answered", occurred_at)

    def close(self, *, reason: str, confirmation_sent: bool = False, actor: str, at: datetime) -> None:
        self._require("close")
        self._closed(tenant=self.tenant, actor=actor, occurred_at=at, reason=reason,
                     confirmation_sent=confirmation_sent)

    @event("Closed", topic=STORED + "Closed")
    def _closed(self, tenant: str, actor: str, occurred_at: datetime, reason: str,
                forwarded_to: str | None = None, confirmation_sent: bool = False) -> None:
        self.status = status_after("Closed", self.status)
        self.forwarded_to = forwarded_to
        self.closed_at = occurred_at
        if reason.startswith(INADMISSIBLE) and (self.admissibility, self.admissibility_decided_at) == \
                ("qualified", occurred_at):
            # `close_early` qualifies with the scheme's inadmissible code and closes in one command, at one moment:
            # that qualification was this decision, not one on the merits.
            self.admissibility = None
        self._admissibility_settled("inadmissible" if reason.startswith(INADMISSIBLE) else "closed", occurred_at)

    def transfer(self, *, to_tenant: str, to_case_id: str, to_case_number: str, reason: str, actor: str,
                 at: datetime) -> None:
        """Belongs to another organisation: closed here, with the case it became there (saved together)."""
        self._require("transfer")
        self._transferred(tenant=self.tenant, actor=actor, occurred_at=at, to_tenant=to_tenant,
                          to_case_id=to_case_id, to_case_number=to_case_number, reason=reason)

    @event("Transferred", topic=STORED + "Transferred")
    def _transferred(self, tenant: str, actor: str, occurred_at: datetime, to_tenant: str, to_case_id: str,
                     to_case_number: str, reason: str) -> None:
        self.status = status_after("Transferred", self.status)
        self.forwarded_to = to_tenant
        self.transferred_to = {"tenant": to_tenant, "case_id": to_case_id, "case_number": to_case_number}
        self.closed_at = occurred_at
        self._admissibility_settled("transferred", occurred_at)

    def reopen(self, *, reason: str, actor: str, at: datetime) -> None:
        self._require("reopen")
        self._reopened(tenant=self.tenant, actor=actor, occurred_at=at, reason=reason)

    @event("Reopened", topic=STORED + "Reopened")
    def _reopened(self, tenant: str, actor: str, occurred_at: datetime, reason: str) -> None:
        self.status = status_after("Reopened", self.status)
        self.draft = None
        self.approvals = []
        self.answer = None
        self.answered_at = None
        self.closed_at = None

    # --- deadlines -----------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    def warn_deadline(self, *, due_date: date, actor: str, at: datetime) -> bool:
        """Records `DeadlineApproaching` once per due date of an open case; False if there is nothing to do."""
        if not self.is_open or due_date != self.due_date or f"approaching:{due_date}" in self.deadline_events:
            return False
        self._deadline_approaching(tenant=self.tenant, actor=actor, occurred_at=at, due_date=due_date)
        return True

    @event("DeadlineApproaching", topic=STORED + "DeadlineApproaching")
    def _deadline_approaching(self, tenant: str, actor: str, occurred_at: datetime, due_date: date) -> None:
        self.deadline_events.append(f"approaching:{due_date}")

    def breach_deadline(self, *, due_date: date, actor: str, at: datetime) -> bool:
        """Records `DeadlineBreached` once per due date of a case still open after it."""
        if not self.is_open or due_date != self.due_date or f"breached:{due_date}" in self.deadline_events:
            return False
        self._deadline_breached(tenant=self.tenant, actor=actor, occurred_at=at, due_date=due_date)
        return True

    @event("DeadlineBreached", topic=STORED + "DeadlineBreached")
    def _deadline_breached(self, tenant: str, actor: str, occurred_at: datetime, due_date: date) -> None:
        self.deadline_events.append(f"breached:{due_date}")

    # --- the terms before the answer: the acknowledgement and the admissibility decision --------------
    # Each runs from receipt; the qualification service's index knows their due dates (the tenant's terms) and
    # records, as for the answer's window, one approaching and one breached event per term and due date.
    def _admissibility_settled(self, how: str, at: datetime) -> None:
        """Only state: called by the event methods of the steps that decide admissibility (the first counts)."""
        if self.admissibility is None:
            self.admissibility, self.admissibility_decided_at = how, at

    def term_running(self, term: str) -> bool:
        """Whether the case still waits for what `term` (one of `TERMS`) is about. A part has no terms of its
        own: its complaint's run."""
        if not self.is_open or self.part_of is not None:
            return False
        if term == "acknowledgement":
            return self.acknowledgement_id is not None and self.acknowledged_at is None
        return self.admissibility is None

    def warn_term(self, *, term: str, due_date: date, actor: str, at: datetime) -> bool:
        """Records the term's approaching event once per due date while it runs; False if there is nothing to do."""
        return self._term_event(term, "approaching", due_date, actor, at)

    def breach_term(self, *, term: str, due_date: date, actor: str, at: datetime) -> bool:
        """Records the term's breached event once per due date of a term still running after it."""
        return self._term_event(term, "breached", due_date, actor, at)

    def _term_event(self, term: str, what: str, due_date: date, actor: str, at: datetime) -> bool:
        if term not in TERMS or not self.term_running(term) or f"{term}:{what}:{due_date}" in self.deadline_events:
            return False
        record = {("acknowledgement", "approaching"): self._acknowledgement_approaching,
                  ("acknowledgement", "breached"): self._acknowledgement_breached,
                  ("admissibility", "approaching"): self._admissibility_approaching,
                  ("admissibility", "breached"): self._admissibility_breached}[(term, what)]
        record(tenant=self.tenant, actor=actor, occurred_at=at, due_date=due_date)
        return True

    @event("AcknowledgementDeadlineApproaching", topic=STORED + "AcknowledgementDeadlineApproaching")
    def _acknowledgement_approaching(self, tenant: str, actor: str, occurred_at: datetime, due_date: date) -> None:
        self.deadline_events.append(f"acknowledgement:approaching:{due_date}")

    @event("AcknowledgementDeadlineBreached", topic=STORED + "AcknowledgementDeadlineBreached")
    def _acknowledgement_breached(self, tenant: str, actor: str, occurred_at: datetime, due_date: date) -> None:
        self.deadline_events.append(f"acknowledgement:breached:{due_date}")

    @event("AdmissibilityDeadlineApproaching", topic=STORED + "AdmissibilityDeadlineApproaching")
    def _admissibility_approaching(self, tenant: str, actor: str, occurred_at: datetime, due_date: date) -> None:
        self.deadline_events.append(f"admissibility:approaching:{due_date}")

    @event("AdmissibilityDeadlineBreached", topic=STORED + "AdmissibilityDeadlineBreached")
    def _admissibility_breached(self, tenant: str, actor: str, occurred_at: datetime, due_date: date) -> None:
        self.deadline_events.append(f"admissibility:breached:{due_date}")

    # --- messages to the complainant -----------------------------------------
    # A message is decided by an event on the case (receipt, the answer, the close), then sent by the delivery
    # worker, which records what the mail server said. The address is never in these events: the worker opens
    # the complainant's sealed contact when it sends, so an erasure leaves the record without it.
    def decide_message(self, *, message_id: str, kind: str, channel: str, language: str, actor: str,
                       at: datetime, replaces: str | None = None) -> bool:
        """Records `MessageDecided` once per message id; False if it was decided already. `replaces`: the
        message this one sends again another way (a bounced answer, now by post)."""
        if message_id in self.messages:
            return False
        self._message_decided(tenant=self.tenant, actor=actor, occurred_at=at, message_id=message_id, kind=kind,
                              channel=channel, language=language, replaces=replaces)
        return True

    @event("MessageDecided", topic=STORED + "MessageDecided")
    def _message_decided(self, tenant: str, actor: str, occurred_at: datetime, message_id: str, kind: str,
                         channel: str, language: str, replaces: str | None = None) -> None:
        # A question goes with the message that asks it: the state holds it only until it is answered.
        self.messages[message_id] = {"kind": kind, "channel": channel, "language": language, "status": "decided",
                                     "decided_at": occurred_at, "replaces": replaces,
                                     "question": self.open_question if kind == "information-request" else None}
        if kind == "acknowledgement" and self.acknowledgement_id is None:
            self.acknowledgement_id = message_id

    def send_by_post(self, *, message_id: str, new_id: str, actor: str, at: datetime) -> None:
        """A message the mail server would not take (a bounced answer) goes again, as a letter."""
        message = self.messages.get(message_id)
        if message is None:
            raise CommandRefused("send by post", self.status, f"the case has no message {message_id}")
        if message["status"] != "failed":
            raise CommandRefused("send by post", self.status, "only a message that could not be delivered is "
                                                              "sent again by post")
        if any(m.get("replaces") == message_id for m in self.messages.values()):
            raise CommandRefused("send by post", self.status, "this message is being sent by post already")
        self._message_decided(tenant=self.tenant, actor=actor, occurred_at=at, message_id=new_id,
                              kind=message["kind"], channel="post", language=message["language"],
                              replaces=message_id)

    def record_posted(self, *, message_id: str, actor: str, at: datetime) -> None:
        """A handler printed the letter and posted it."""
        message = self.messages.get(message_id)
        if message is None or message["channel"] != "post":
            raise CommandRefused("mark as posted", self.status, f"the case has no letter {message_id}")
        if message["status"] != "decided":
            raise CommandRefused("mark as posted", self.status, "the letter was posted already")
        self._letter_posted(tenant=self.tenant, actor=actor, occurred_at=at, message_id=message_id)

    @event("LetterPosted", topic=STORED + "LetterPosted")
    def _letter_posted(self, tenant: str, actor: str, occurred_at: datetime, message_id: str) -> None:
        self.messages[message_id] = {**self.messages[message_id], "status": "sent", "sent_at": occurred_at,
                                     "posted_by": actor}

    def record_sent(self, *, message_id: str, reply: str, actor: str, at: datetime) -> bool:
        """Records `MessageSent` with the mail server's reply; False if it was recorded already."""
        if self.messages.get(message_id, {}).get("status") in (None, "sent"):
            return False
        self._message_sent(tenant=self.tenant, actor=actor, occurred_at=at, message_id=message_id, reply=reply)
        return True

    @event("MessageSent", topic=STORED + "MessageSent")
    def _message_sent(self, tenant: str, actor: str, occurred_at: datetime, message_id: str, reply: str) -> None:
        self.messages[message_id] = {**self.messages[message_id], "status": "sent", "reply": reply,
                                     "sent_at": occurred_at}
        if message_id == self.acknowledgement_id and self.acknowledged_at is None:
            self.acknowledged_at = occurred_at

    def record_delivery_failure(self, *, message_id: str, reason: str, final: bool, actor: str, at: datetime) -> bool:
        """Records `DeliveryFailed` (`final`: the recipient was refused, trying again would not help); a failure
        that was not final may become final (a re-drive found the recipient refused)."""
        message = self.messages.get(message_id, {})
        if message.get("status") in (None, "sent") or message.get("status") == "failed" and (
                message.get("final") or not final):
            return False
        self._delivery_failed(tenant=self.tenant, actor=actor, occurred_at=at, message_id=message_id, reason=reason,
                              final=final)
        return True

    @event("DeliveryFailed", topic=STORED + "DeliveryFailed")
    def _delivery_failed(self, tenant: str, actor: str, occurred_at: datetime, message_id: str, reason: str,
                         final: bool) -> None:
        self.messages[message_id] = {**self.messages[message_id], "status": "failed", "reason": reason,
                                     "final": final}


    # --- the complainant's link and feedback ---------------------------------------------------------
    def revoke_tracking(self, *, reason: str, actor: str, at: datetime) -> None:
        """The tracking link stops working (it was forwarded, or shown to someone it should not have been)."""
        self._require("revoke-tracking")
        if self.tracking_revoked:
            raise CommandRefused("revoke-tracking", self.status, "the tracking link is revoked already")
        self._tracking_revoked(tenant=self.tenant, actor=actor, occurred_at=at, reason=reason,
                               generation=self.tracking_generation)

    @event("TrackingRevoked", topic=STORED + "TrackingRevoked")
    def _tracking_revoked(self, tenant: str, actor: str, occurred_at: datetime, reason: str, generation: int) -> None:
        self.tracking_generation = generation + 1
        self.tracking_revoked = True

    def give_feedback(self, *, rating: int, comment: str | None, resolved: bool, calls_for: str | None,
                      refusal: str | None, actor: str, at: datetime) -> None:
        """The complainant's rating of a closed case (`refusal`: why the tenant's rules say not now).
        `calls_for`: "flag" marks the case for a manager, "reopen" reopens it with the feedback as reason."""
        if refusal is not None:
            raise CommandRefused("give feedback on", self.status, refusal)
        self._feedback_given(tenant=self.tenant, actor=actor, occurred_at=at, rating=rating, comment=comment,
                             resolved=resolved, calls_for=calls_for)
        if calls_for == "reopen":
            self._reopened(tenant=self.tenant, actor=actor, occurred_at=at,
                           reason=f"the complainant rated the handling {rating}/5 and says it is not resolved")

    @event("FeedbackGiven", topic=STORED + "FeedbackGiven")
    def _feedback_given(self, tenant: str, actor: str, occurred_at: datetime, rating: int, comment: str | None,
                        resolved: bool, calls_for: str | None) -> None:
        self.feedback = {"rating": rating, "comment": comment, "resolved": resolved, "given_at": occurred_at,
                         "for_close": self.closed_at, "calls_for": calls_for}
        self.flagged_by_feedback = calls_for == "flag"


def final_text(draft: str, footer: str | None) -> str:
    """The answer as it is sent: the draft as approved, with the text every answer of the tenant carries."""
    return f"{draft}\n\n{footer}" if footer and footer not in draft else draft


# The state each event leaves a case in: the one state machine (the projection asks it too).
STATUS_AFTER: dict[str, str] = {
    "Received": "received", "Routed": "routed", "InvestigationStarted": "investigating",
    "InformationRequested": "awaiting-information", "InformationReceived": "investigating",
    "Qualified": "qualified", "AnswerDrafted": "drafted", "Answered": "answered", "Closed": "closed",
    "Reopened": "investigating", "Transferred": "closed",
}
OPEN_STATES = ("received", "routed", "investigating", "awaiting-information", "qualified", "drafted")


def status_after(event: str, status: str) -> str:
    """The state a case is in after `event` (its type name), from `status`; other events keep the state."""
    if event == "Rerouted":  # a case rerouted before the rules routed it is routed now
        return "routed" if status == "received" else status
    return STATUS_AFTER.get(event, status)


# The actions each state allows, named as the paths that give them (`…/complaints/{id}/{action}`);
# who may take them is the application's permission policy.
# Taking a case on (or giving it back) needs a team to work in: not before routing, not once closed (the
# assignee then stays on record as who handled it).
ASSIGNMENT = ("assign", "unassign")
# The complainant's tracking link can be revoked whatever the case's state.
LINK = ("revoke-tracking",)
ALLOWED: dict[str, tuple[str, ...]] = {
    "received": ("reroute", "close-inadmissible", "transfer", "category", "notes", "actions", *LINK),
    "routed": ("investigation", "notes", "information-requests", "category", "qualification", "extension",
               "reroute", "close-inadmissible", "transfer", "answer-draft", "actions", "parts", *ASSIGNMENT, *LINK),
    "investigating": ("notes", "information-requests", "staff-hearings", "mediation", "category",
                      "qualification", "extension", "reroute", "close-inadmissible", "transfer", "answer-draft",
                      "actions", "parts", *ASSIGNMENT, *LINK),
    "awaiting-information": ("information-received", "notes", "extension", "reroute", "close-inadmissible",
                             "transfer", "actions", "parts", *ASSIGNMENT, *LINK),
    "qualified": ("answer-draft", "qualification", "notes", "category", "extension", "reroute", "actions", "parts",
                  *ASSIGNMENT, *LINK),
    "drafted": ("approvals", "answer", "answer-draft", "qualification", "notes", "extension", "actions",
                *ASSIGNMENT, *LINK),
    "answered": ("close", "reopen", "notes", "actions", *ASSIGNMENT, *LINK),
    # Actions follow up or improve on what a case showed: recorded in every state, a closed case's too.
    "closed": ("reopen", "actions", *LINK),
}
# An answer is drafted from these states only for a signal type the tenant does not qualify (a question):
# the others are qualified first.
BEFORE_QUALIFICATION = ("routed", "investigating")


def needs_qualification_first(status: str, action: str, qualified: bool) -> bool:
    """Whether `action` must wait for a qualification: drafting an answer to a case of a qualified kind."""
    return qualified and action == "answer-draft" and status in BEFORE_QUALIFICATION


# A part is investigated and qualified by its team; the rest (the window, information from the complainant,
# the answer, a transfer) is its complaint's.
PART_ACTIONS = frozenset({"investigation", "notes", "staff-hearings", "category", "qualification", "actions",
                          *ASSIGNMENT})
# A complaint split into parts stays here whole: not transferred or closed as inadmissible without its parts.
NOT_ONCE_SPLIT = frozenset({"transfer", "close-inadmissible"})
# The states of a complaint in which its parts' qualifications may still change (not once its answer is drafted).
PARTS_QUALIFIED_WHILE = ("routed", "investigating", "awaiting-information", "qualified")


def refused_for_parts(case: Complaint, action: str) -> str | None:
    """Why a case's parts (or being one) forbid `action`, an action its state allows; None if they do not."""
    if case.part_of is not None and action not in PART_ACTIONS:
        return (f"a part of complaint {case.part_of['case_number']} is investigated and qualified by its team; "
                "its complaint does the rest")
    if case.parts and action in NOT_ONCE_SPLIT:
        return "the complaint is split into parts: it is handled here as a whole"
    if action == "answer-draft" and (waiting := case.unqualified_parts()):
        return f"the answer waits for the qualification of the parts of team(s) {', '.join(waiting)}"
    return None
