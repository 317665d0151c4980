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
