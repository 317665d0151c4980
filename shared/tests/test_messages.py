"""Which messages a case calls for (pure), and how they read (the tenants' templates)."""

from datetime import datetime, timedelta, timezone

from complaints.adapters.mail import Templates
from complaints.model import messages
from complaints.model.complaint import Complaint
from complaints.model.tenants import BUNDLED, load_tenants

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TENANTS = load_tenants()


def case(tenant: str = "zorgbedrijf", **fields) -> Complaint:
    return Complaint(tenant=tenant, actor="system:e-loket", occurred_at=NOW, config_version="1", case_number="ZB-1",
                     channel="e-mail", signal_type="klacht", subject="Vervoer", text="De bus kwam niet", **fields)


def decide(trigger: str, complaint: Complaint, contact: dict, *, at: datetime = NOW, tenant: str = "zorgbedrijf"):
    return messages.decide(trigger, at, complaint.version, complaint, TENANTS[tenant], contact, NOW)


def test_receipt_is_acknowledged_by_e_mail_only_when_there_is_an_address_and_it_is_recent():
    complaint = case()
    [ack] = decide("Received", complaint, {"email": "a@example.be"})
    assert (ack.kind, ack.channel, ack.language) == ("acknowledgement", "e-mail", "nl")
    assert decide("Received", complaint, {"email": "a@example.be"}) == [ack]  # the same message when decided again
    assert decide("Received", complaint, {"phone": "03 000 00 00"}) == []
    assert decide("Received", complaint, {"email": "a@example.be"}, at=NOW - timedelta(days=30)) == []  # imported
    assert decide("Received", case(part_of={"case_id": "x", "case_number": "ZB-0"}), {"email": "a@example.be"}) == []


def test_the_answer_goes_the_way_it_was_drafted_and_the_close_is_confirmed_where_the_tenant_does_so():
    complaint = case()
    complaint.route(team="klantendienst", rule_id="default", config_version="1", actor="system:routing", at=NOW)
    complaint.answer_complainant(text="Antwoord", channel="e-mail", actor="user:an", at=NOW, qualified=False)
    [answer] = decide("Answered", complaint, {"email": "a@example.be", "preferred_language": "fr"})
    assert (answer.kind, answer.channel, answer.language) == ("answer", "e-mail", "nl")  # no French templates here
    [letter] = decide("Answered", complaint, {"address": "Kerkstraat 1"})
    assert letter.channel == "post"
    [confirmation] = decide("Closed", complaint, {"email": "a@example.be"})
    assert confirmation.kind == "closing-confirmation"
    assert decide("Closed", case("brandweer"), {"email": "a@example.be"}, tenant="brandweer") == []


def test_the_citys_answer_carries_the_ombudsmans_contact_details():
    rendered = Templates(BUNDLED).render(TENANTS["stad"], "answer", "nl", {
        "case_number": "ST-1", "tenant": "Stad", "name": "Jan", "signal_type": "klacht", "received_on": "2026-03-02",
        "due_date": None, "answer": "Het voetpad wordt hersteld.", "footer": TENANTS["stad"].answer_footer})
    assert rendered.subject == "Antwoord op uw klacht: ST-1"
    assert "Het voetpad wordt hersteld." in rendered.body and "ombudsvrouw" in rendered.body
