"""What auditors rely on: a readable history, the state at any moment, and a log of their own reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic", "tenant", "actor", "occurred_at",
            "config_version"}


class ReadLog(Aggregate):
    """Who looked at a case's record, and when: auditors' reads are on record too."""

    @staticmethod
    def id_for(case_id: UUID) -> UUID:
        return uuid5(NAMESPACE_URL, f"complaints:read-log:{case_id}")

    @classmethod
    def create_id(cls, case_id: UUID, **_: Any) -> UUID:
        return cls.id_for(case_id)

    @event("Opened")
    def __init__(self, case_id: UUID, tenant: str) -> None:
        self.case_id = case_id
        self.tenant = tenant
        self.reads: list[dict[str, Any]] = []

    @event("Viewed")
    def viewed(self, by: str, what: str, at: datetime) -> None:
        self.reads.append({"by": by, "what": what, "at": at.isoformat()})

    def seen_within(self, by: str, what: str, at: datetime, window: timedelta) -> bool:
        """Whether `by` read this part of the record (the state, the history, the export...) less than
        `window` before `at`: a frontend that polls must not fill the log with one look."""
        kind = _kind(what)
        return any(read["by"] == by and _kind(read["what"]) == kind
                   and at - datetime.fromisoformat(read["at"]) < window for read in reversed(self.reads))


def _kind(what: str) -> str:
    return what.split(" (", 1)[0]  # "state (version 7)" is a read of the state


def _team(value: Any) -> str:
    return f"team {value}" if value else "no team"


SUMMARIES = {
    "Received": lambda e: f"Received via {e.channel} as {e.signal_type}" + (f" ({e.category})" if e.category else "")
                          + f", case number {e.case_number}"
                          + (f", a part of complaint {e.part_of['case_number']}" if getattr(e, "part_of", None)
                             else ""),
    "Routed": lambda e: f"Routed to {_team(e.team)} by rule {e.rule_id}",
    "Rerouted": lambda e: f"Rerouted from {_team(e.from_team)} to {_team(e.team)}: {e.reason}",
    "CategorySet": lambda e: f"Category set to {e.category}" + (f" (was {e.previous})" if e.previous else ""),
    "ClockStarted": lambda e: f"Due on {e.due_date}: {e.window_days} {e.day_kind} days from {e.started_on} "
                              f"({e.calendar})",
    "InvestigationStarted": lambda e: "Investigation started",
    "NoteAdded": lambda e: "Note added",
    "InformationRequested": lambda e: "Information asked of the complainant"
                                      + ("; the clock stops" if e.pauses_clock else ""),
    "InformationReceived": lambda e: f"Information received after {e.paused_days} days; due on {e.due_date}",
    "StaffHeard": lambda e: "Involved staff heard",
    "MediationProposed": lambda e: "Mediation proposed",
    "WindowExtended": lambda e: f"Window extended to {e.window_days} days, due on {e.due_date}: {e.reason}",
    "Qualified": lambda e: f"Qualified as {e.qualification}",
    "AnswerDrafted": lambda e: f"Answer drafted, to go by {e.channel}",
    "AnswerApproved": lambda e: f"Answer approved: {e.step}",
    "Answered": lambda e: f"Answer sent by {e.channel}",
    "Closed": lambda e: f"Closed: {e.reason}" + (f", forwarded to {e.forwarded_to}" if e.forwarded_to else ""),
    "Reopened": lambda e: f"Reopened: {e.reason}",
    "DeadlineApproaching": lambda e: f"Deadline of {e.due_date} approaching",
    "DeadlineBreached": lambda e: f"Deadline of {e.due_date} passed without an answer",
    "Split": lambda e: "Split into parts for " + ", ".join(f"{_team(p['team'])} ({p['case_number']})" for p in e.parts),
    "PartQualified": lambda e: f"The part of {_team(e.team)} qualified as {e.qualification}",
    "Transferred": lambda e: f"Transferred to {e.to_tenant} as case {e.to_case_number}: {e.reason}",
    "ActionAdded": lambda e: f"{e.kind.capitalize()} action {e.number} for {_team(e.team)}",
    "ActionDone": lambda e: f"Action {e.number} done",
    "Assigned": lambda e: f"Assigned to {e.assignee} of {_team(e.team)}",
    "Unassigned": lambda e: f"Given back by {e.previous}",
    "MessageDecided": lambda e: f"{e.kind.capitalize().replace('-', ' ')} to the complainant, by {e.channel}",
    "MessageSent": lambda e: f"Message sent (the mail server said: {e.reply})",
    "DeliveryFailed": lambda e: ("Message not delivered: " if e.final else "Message not delivered yet: ") + e.reason,
    "TrackingRevoked": lambda e: f"The complainant's tracking link revoked: {e.reason}",
    "LetterPosted": lambda e: "Letter printed and posted",
    "FeedbackGiven": lambda e: f"The complainant rated the handling {e.rating}/5, "
                               f"{'resolved' if e.resolved else 'not resolved'}"
                               + {"flag": ": flagged for a manager", "reopen": ": reopened"}.get(e.calls_for, ""),
    "AcknowledgementDeadlineApproaching": lambda e: f"Acknowledgement due on {e.due_date}, not sent yet",
    "AcknowledgementDeadlineBreached": lambda e: f"Acknowledgement due on {e.due_date} not sent in time",
    "AdmissibilityDeadlineApproaching": lambda e: f"Admissibility decision due on {e.due_date}, not taken yet",
    "AdmissibilityDeadlineBreached": lambda e: f"Admissibility decision due on {e.due_date} not taken in time",
}


def _team_nl(value: Any) -> str:
    return f"team {value}" if value else "geen team"


SUMMARIES_NL = {
    "Received": lambda e: f"Ontvangen via {e.channel} als {e.signal_type}" + (f" ({e.category})" if e.category else "")
                          + f", dossiernummer {e.case_number}"
                          + (f", een deel van klacht {e.part_of['case_number']}" if getattr(e, "part_of", None)
                             else ""),
    "Routed": lambda e: f"Toegewezen aan {_team_nl(e.team)} door regel {e.rule_id}",
    "Rerouted": lambda e: f"Doorgestuurd van {_team_nl(e.from_team)} naar {_team_nl(e.team)}: {e.reason}",
    "CategorySet": lambda e: f"Categorie {e.category}" + (f" (was {e.previous})" if e.previous else ""),
    "ClockStarted": lambda e: f"Te beantwoorden tegen {e.due_date}: {e.window_days} "
                              f"{'werkdagen' if e.day_kind == 'working' else 'kalenderdagen'} vanaf {e.started_on} "
                              f"({e.calendar})",
    "InvestigationStarted": lambda e: "Onderzoek gestart",
    "NoteAdded": lambda e: "Notitie toegevoegd",
    "InformationRequested": lambda e: "Info gevraagd aan de klager" + ("; de termijn staat stil" if e.pauses_clock
                                                                       else ""),
    "InformationReceived": lambda e: f"Info ontvangen na {e.paused_days} dagen; te beantwoorden tegen {e.due_date}",
    "StaffHeard": lambda e: "Betrokken medewerkers gehoord",
    "MediationProposed": lambda e: "Bemiddeling voorgesteld",
    "WindowExtended": lambda e: f"Termijn verlengd tot {e.window_days} dagen, te beantwoorden tegen {e.due_date}: "
                                f"{e.reason}",
    "Qualified": lambda e: f"Gekwalificeerd als {e.qualification}",
    "AnswerDrafted": lambda e: f"Antwoord opgesteld, te versturen per {e.channel}",
    "AnswerApproved": lambda e: f"Antwoord goedgekeurd: {e.step}",
    "Answered": lambda e: f"Antwoord verstuurd per {e.channel}",
    "Closed": lambda e: f"Afgesloten: {e.reason}" + (f", doorgestuurd naar {e.forwarded_to}" if e.forwarded_to else ""),
    "Reopened": lambda e: f"Heropend: {e.reason}",
    "DeadlineApproaching": lambda e: f"Termijn van {e.due_date} nadert",
    "DeadlineBreached": lambda e: f"Termijn van {e.due_date} verstreken zonder antwoord",
    "Split": lambda e: "Opgesplitst in delen voor " + ", ".join(f"{_team_nl(p['team'])} ({p['case_number']})"
                                                               for p in e.parts),
    "PartQualified": lambda e: f"Het deel van {_team_nl(e.team)} gekwalificeerd als {e.qualification}",
    "Transferred": lambda e: f"Overgedragen aan {e.to_tenant} als dossier {e.to_case_number}: {e.reason}",
    "ActionAdded": lambda e: f"{'Opvolgactie' if e.kind == 'follow-up' else 'Verbeteractie'} {e.number} voor "
                             f"{_team_nl(e.team)}",
    "ActionDone": lambda e: f"Actie {e.number} uitgevoerd",
    "Assigned": lambda e: f"Toegewezen aan {e.assignee} van {_team_nl(e.team)}",
    "Unassigned": lambda e: f"Teruggegeven door {e.previous}",
    "MessageDecided": lambda e: f"{MESSAGE_KINDS_NL.get(e.kind, e.kind)} aan de klager, per {e.channel}",
    "MessageSent": lambda e: f"Bericht verstuurd (de mailserver antwoordde: {e.reply})",
    "DeliveryFailed": lambda e: ("Bericht niet bezorgd: " if e.final else "Bericht nog niet bezorgd: ") + e.reason,
    "TrackingRevoked": lambda e: f"Opvolglink van de klager ingetrokken: {e.reason}",
    "LetterPosted": lambda e: "Brief afgedrukt en verstuurd",
    "FeedbackGiven": lambda e: f"De klager gaf de behandeling {e.rating}/5, "
                               f"{'opgelost' if e.resolved else 'niet opgelost'}"
                               + {"flag": ": gemarkeerd voor een leidinggevende", "reopen": ": heropend"}.get(
                                   e.calls_for, ""),
    "AcknowledgementDeadlineApproaching": lambda e: f"Ontvangstmelding te versturen tegen {e.due_date}, nog niet "
                                                    "verstuurd",
    "AcknowledgementDeadlineBreached": lambda e: f"Ontvangstmelding niet tijdig verstuurd (uiterlijk {e.due_date})",
    "AdmissibilityDeadlineApproaching": lambda e: f"Beslissing over de ontvankelijkheid te nemen tegen {e.due_date}, "
                                                  "nog niet genomen",
    "AdmissibilityDeadlineBreached": lambda e: "Beslissing over de ontvankelijkheid niet tijdig genomen "
                                               f"(uiterlijk {e.due_date})",
}
MESSAGE_KINDS_NL = {"acknowledgement": "Ontvangstmelding", "information-request": "Vraag om informatie",
                    "answer": "Antwoord",
                    "closing-confirmation": "Bevestiging van de afsluiting"}
SUMMARIES_BY_LANGUAGE = {"en": SUMMARIES, "nl": SUMMARIES_NL}


def summary(domain_event: Any, language: str = "en") -> str:
    """A readable line for the event, in `language` (English where there is none)."""
    kind = type(domain_event).__name__
    summaries = SUMMARIES_BY_LANGUAGE.get(language, SUMMARIES)
    return summaries.get(kind, SUMMARIES.get(kind, lambda e: kind))(domain_event)


def entry(domain_event: Any, language: str = "en") -> dict[str, Any]:
    """One line of a case's history, its summary in `language`."""
    return {
        "version": domain_event.originator_version,
        "type": type(domain_event).__name__,
        "actor": getattr(domain_event, "actor", None),
        "occurred_at": getattr(domain_event, "occurred_at", domain_event.timestamp),
        "recorded_at": domain_event.timestamp,
        "config_version": getattr(domain_event, "config_version", None),
        "summary": summary(domain_event, language),
        "data": {k: v for k, v in vars(domain_event).items() if k not in ENVELOPE},
    }


def state_of(complaint: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(complaint).items() if not k.startswith("_")}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k) and k not in ("_version", "_modified_on")}
