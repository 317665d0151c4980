"""The Complaint aggregate: what each command records, what it refuses, and replay."""

from datetime import date, datetime, timezone

import pytest

from complaints.model.complaint import CommandRefused, Complaint
from complaints.model.windows import DueDate

AT = datetime(2023, 3, 21, 9, 30, tzinfo=timezone.utc)
DUE = DueDate(date(2023, 4, 20), 30, "calendar", "BE", "2023.1", date(2023, 5, 5))


def received(**overrides) -> Complaint:
    fields = dict(tenant="brandweer", actor="intake", occurred_at=AT, config_version="2023.1",
                  case_number="BZA-2023-0001", channel="e-mail", signal_type="klacht",
                  subject="Schade aan brandalarm", text="...", category="dienstverlening")
    return Complaint(**{**fields, **overrides})


def test_every_event_carries_tenant_actor_and_when_it_happened():
    complaint = received()
    complaint.route(team="communicatie", rule_id="default", config_version="2023.1", actor="system:routing", at=AT)
    for event in complaint.collect_events():
        assert event.tenant == "brandweer"
        assert event.actor in ("intake", "system:routing")
        assert event.occurred_at == AT


def test_a_case_goes_from_received_to_closed_in_order():
    complaint = received()
    complaint.route(team="communicatie", rule_id="default", config_version="2023.1", actor="r", at=AT)
    complaint.start_clock(due=DUE, started_on=date(2023, 3, 21), actor="q", at=AT)
    complaint.start_investigation(actor="handler", at=AT)
    complaint.qualify(qualification="ongegrond", config_version="2023.1", actor="handler", at=AT)
    complaint.answer_complainant(text="Antwoord", channel="e-mail", actor="handler", at=AT)
    complaint.close(reason="answered", actor="handler", at=AT)
    names = [type(e).__name__ for e in complaint.collect_events()]
    assert names == ["Received", "Routed", "ClockStarted", "InvestigationStarted", "Qualified", "Answered", "Closed"]
    assert complaint.status == "closed"


def test_a_routed_case_cannot_be_routed_again():
    complaint = received()
    complaint.route(team="communicatie", rule_id="default", config_version="2023.1", actor="r", at=AT)
    with pytest.raises(CommandRefused) as refused:
        complaint.route(team="financien", rule_id="x", config_version="2023.1", actor="r", at=AT)
    assert refused.value.status == "routed"


def test_the_clock_starts_only_once():
    complaint = received()
    complaint.start_clock(due=DUE, started_on=date(2023, 3, 21), actor="q", at=AT)
    with pytest.raises(CommandRefused):
        complaint.start_clock(due=DUE, started_on=date(2023, 3, 22), actor="q", at=AT)


def test_replaying_the_events_rebuilds_the_same_case():
    complaint = received()
    complaint.route(team="communicatie", rule_id="default", config_version="2023.1", actor="r", at=AT)
    events = complaint.collect_events()
    replayed = None
    for event in events:
        replayed = event.mutate(replayed)
    assert replayed.__dict__ == complaint.__dict__


def test_actions_are_numbered_recorded_in_any_state_even_closed_and_completed_once():
    complaint = received()
    complaint.route(team="communicatie", rule_id="default", config_version="2023.1", actor="r", at=AT)
    complaint.qualify(qualification="ongegrond", config_version="2023.1", actor="h", at=AT)
    complaint.answer_complainant(text="Antwoord", channel="e-mail", actor="h", at=AT)
    complaint.close(reason="answered", actor="h", at=AT)
    first = complaint.add_action(kind="follow-up", what="Alarm nakijken", team="preventie",
                                 due_on=date(2023, 4, 1), actor="h", at=AT)
    second = complaint.add_action(kind="improvement", what="Wachttijd meten", team="communicatie", due_on=None,
                                  actor="h", at=AT)
    assert (first, second, complaint.status) == ("1", "2", "closed")
    complaint.complete_action(number="1", outcome="Hersteld", actor="p", at=AT)
    with pytest.raises(CommandRefused, match="done already"):
        complaint.complete_action(number="1", outcome="again", actor="p", at=AT)
    with pytest.raises(CommandRefused, match="no action 3"):
        complaint.complete_action(number="3", outcome="x", actor="p", at=AT)
    replayed = None
    for event in complaint.collect_events():
        replayed = event.mutate(replayed)
    assert replayed.actions["1"]["outcome"] == "Hersteld" and replayed.actions["2"]["done_at"] is None


def split_in_three() -> tuple[Complaint, list[Complaint]]:
    complaint = received()
    complaint.route(team="communicatie", rule_id="default", config_version="2023.1", actor="r", at=AT)
    parts = complaint.split(parts=[("communicatie", "Onthaal"), ("preventie", "Alarm"), ("financien", "Factuur")],
                            config_version="2023.1", actor="handler", at=AT)
    return complaint, parts


def test_a_complaint_about_three_teams_is_split_into_parts_routed_to_their_teams_without_a_clock():
    complaint, parts = split_in_three()
    assert [(p.team, p.status, p.case_number, p.received_at) for p in parts] == [
        ("communicatie", "routed", "BZA-2023-0001/1", AT), ("preventie", "routed", "BZA-2023-0001/2", AT),
        ("financien", "routed", "BZA-2023-0001/3", AT)]
    assert all(p.part_of == {"case_id": str(complaint.id), "case_number": "BZA-2023-0001"} for p in parts)
    assert [type(e).__name__ for e in parts[1].collect_events()] == ["Received", "Routed"]
    assert complaint.unqualified_parts() == ["communicatie", "preventie", "financien"]
    with pytest.raises(CommandRefused, match="has a part for team 'preventie' already"):
        complaint.split(parts=[("preventie", "Nog eens")], config_version="2023.1", actor="handler", at=AT)


def test_a_part_is_qualified_by_its_team_and_its_complaint_answers_once_all_are():
    complaint, parts = split_in_three()
    complaint.qualify(qualification="gegrond", config_version="2023.1", actor="handler", at=AT)
    with pytest.raises(CommandRefused, match="communicatie, preventie, financien"):
        complaint.draft_answer(text="Antwoord", channel="e-mail", actor="handler", at=AT)
    with pytest.raises(CommandRefused, match="its complaint does the rest"):
        parts[0].draft_answer(text="Antwoord", channel="e-mail", actor="handler", at=AT)
    for part in parts:
        part.qualify(qualification="gegrond", config_version="2023.1", actor="handler", at=AT)
        complaint.record_part_qualification(part=part, actor="handler", at=AT)
    complaint.draft_answer(text="Antwoord", channel="e-mail", actor="handler", at=AT)
    parts[0].qualify(qualification="ongegrond", config_version="2023.1", actor="handler", at=AT)
    with pytest.raises(CommandRefused, match="qualifications stand"):
        complaint.record_part_qualification(part=parts[0], actor="handler", at=AT)
    complaint.send_answer(steps=[], footer=None, actor="handler", at=AT)
    for part in parts:
        part.close_with_complaint(complaint=complaint, actor="handler", at=AT)
    assert [p.status for p in parts] == ["closed"] * 3 and complaint.status == "answered"
    replayed = None
    for event in complaint.collect_events():
        replayed = event.mutate(replayed)
    assert replayed.__dict__ == complaint.__dict__


def test_a_split_complaint_is_neither_transferred_nor_closed_early_without_its_parts():
    complaint, _ = split_in_three()
    with pytest.raises(CommandRefused, match="split into parts"):
        complaint.close_early(qualification="niet-ontvankelijk-onbevoegd", reason="x", forward_to=None,
                              config_version="2023.1", actor="handler", at=AT)


def test_an_auditors_read_log_counts_a_look_once_per_window_and_kind():
    from datetime import timedelta
    from uuid import uuid4

    from complaints.model.audit import ReadLog

    log = ReadLog(case_id=uuid4(), tenant="brandweer")
    at = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    hour = timedelta(hours=1)
    log.viewed(by="user:audrey", what="state (version 3)", at=at)
    assert log.seen_within("user:audrey", "state (version 4)", at + timedelta(minutes=59), hour)
    assert not log.seen_within("user:audrey", "state (version 4)", at + hour, hour)
    assert not log.seen_within("user:audrey", "history", at, hour)  # another part of the record
    assert not log.seen_within("user:bert", "state (version 3)", at, hour)  # another auditor
