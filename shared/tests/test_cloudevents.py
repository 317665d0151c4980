"""The envelope on the broker: CloudEvents 1.0, keyed by case, with the notification id as sequence."""

import json
from datetime import datetime, timezone

import pytest

from complaints.adapters.cloudevents import sequence_of, to_message
from complaints.model.complaint import Complaint


def test_a_received_event_becomes_a_structured_cloudevent_keyed_by_case():
    complaint = Complaint(tenant="brandweer", actor="intake", occurred_at=datetime(2023, 1, 12, tzinfo=timezone.utc),
                          config_version="2023.1", case_number="BZA-2023-0001", channel="e-mail",
                          signal_type="klacht", subject="RIB", text="te snel")
    event = complaint.collect_events()[0]
    message = to_message(event, notification_id=42)
    envelope = json.loads(message.value)
    assert envelope["specversion"] == "1.0"
    assert envelope["id"] == f"{complaint.id}:1"
    assert envelope["type"] == "complaints.Received"
    assert envelope["subject"] == str(complaint.id)
    assert envelope["time"].startswith("2023-01-12")
    assert envelope["data"]["case_number"] == "BZA-2023-0001"
    assert message.key == str(complaint.id).encode()
    assert sequence_of(message.value, message.headers) == 42


def test_a_message_that_is_not_our_envelope_is_refused():
    with pytest.raises(Exception):
        sequence_of(b"not json", {})


def test_a_consumer_is_woken_only_by_the_types_it_applies():
    complaint = Complaint(tenant="brandweer", actor="intake", occurred_at=datetime(2023, 1, 12, tzinfo=timezone.utc),
                          config_version="2023.1", case_number="BZA-2023-0001", channel="e-mail",
                          signal_type="klacht", subject="RIB", text="te snel")
    message = to_message(complaint.collect_events()[0], notification_id=7)
    known = {"complaints.Received", "complaints.Routed"}
    assert sequence_of(message.value, message.headers, types=known, wanted={"complaints.Received"}) == 7
    assert sequence_of(message.value, message.headers, types=known, wanted={"complaints.Routed"}) == 0
    with pytest.raises(ValueError, match="unknown event type"):  # validated first: a poison message stays one
        sequence_of(message.value, message.headers, types={"complaints.Routed"}, wanted={"complaints.Routed"})
