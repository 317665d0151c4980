"""Which messages a case calls for (pure), and how they read (the tenants' templates)."""

from datetime import datetime, timedelta, timezone

import pytest

from complaints.adapters import letters
from complaints.adapters.mail import Rendered, Templates, context
from complaints.model import messages
from complaints.model.complaint import CommandRefused, Complaint
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


def test_the_citys_answer_carries_the_ombudsmans_contact_details_once():
    stad = TENANTS["stad"]
    answered = case("stad")
    answered.route(team=stad.teams[0].code, rule_id="default", config_version="1", actor="system:routing", at=NOW)
    answered.start_investigation(actor="user:an", at=NOW)
    answered.qualify(qualification=stad.qualifications[0].code, config_version="1", actor="user:an", at=NOW)
    answered.draft_answer(text="Het voetpad wordt hersteld.", channel="e-mail", actor="user:an", at=NOW)
    for step in stad.codes("approvals"):
        answered.approve(steps=stad.codes("approvals"), actor=f"user:{step}", at=NOW)
    answered.send_answer(steps=stad.codes("approvals"), footer=stad.answer_footer, actor="user:an", at=NOW)
    rendered = Templates(BUNDLED).render(stad, "answer", "nl", context(answered, stad, {"name": "Jan"}, "nl",
                                                                       tracking_url=None))
    assert rendered.subject == "Antwoord op uw klacht: ZB-1"
    assert "Het voetpad wordt hersteld." in rendered.body and rendered.body.count(stad.answer_footer) == 1


def test_an_information_request_carries_its_question_by_the_way_the_complainant_can_be_reached():
    asked = case()
    asked.route(team="klantendienst", rule_id="default", config_version="1", actor="system:routing", at=NOW)
    asked.request_information(question="Welke dag was de rit?", pauses_clock=True, actor="user:an", at=NOW)
    [by_mail] = decide("InformationRequested", asked, {"email": "a@example.be", "address": "Kerkstraat 1"})
    assert (by_mail.kind, by_mail.channel) == ("information-request", "e-mail")
    assert decide("InformationRequested", asked, {"address": "Kerkstraat 1, 2000 Antwerpen"})[0].channel == "post"
    assert decide("InformationRequested", asked, {"phone": "03 000 00 00"}) == []  # the handler calls
    asked.decide_message(message_id=by_mail.message_id, kind=by_mail.kind, channel=by_mail.channel, language="nl",
                         actor="system:delivery", at=NOW)
    assert asked.messages[by_mail.message_id]["question"] == "Welke dag was de rit?"
    asked.receive_information(summary="maandag", moved_due_date=None, actor="user:an", at=NOW)
    assert asked.messages[by_mail.message_id]["question"] == "Welke dag was de rit?"  # kept with the message
    rendered = Templates(BUNDLED).render(TENANTS["zorgbedrijf"], "information-request", "nl", context(
        asked, TENANTS["zorgbedrijf"], {}, "nl", tracking_url="http://x/track/t", question="Welke dag was de rit?"))
    assert "Welke dag was de rit?" in rendered.body and "http://x/track/t" in rendered.body


def test_a_bounced_message_goes_again_by_post_once_and_a_letter_is_posted_once():
    bounced = case()
    bounced.decide_message(message_id="m1", kind="answer", channel="e-mail", language="nl", actor="system:delivery",
                           at=NOW)
    with pytest.raises(CommandRefused):  # not failed: nothing to send again
        bounced.send_by_post(message_id="m1", new_id="m2", actor="user:an", at=NOW)
    bounced.record_delivery_failure(message_id="m1", reason="550 no such user", final=True, actor="system:delivery",
                                    at=NOW)
    bounced.send_by_post(message_id="m1", new_id="m2", actor="user:an", at=NOW)
    assert bounced.messages["m2"] == {**bounced.messages["m2"], "kind": "answer", "channel": "post",
                                      "status": "decided", "replaces": "m1"}
    with pytest.raises(CommandRefused):
        bounced.send_by_post(message_id="m1", new_id="m3", actor="user:an", at=NOW)
    bounced.record_posted(message_id="m2", actor="user:an", at=NOW)
    assert bounced.messages["m2"]["status"] == "sent" and bounced.messages["m2"]["posted_by"] == "user:an"
    with pytest.raises(CommandRefused):
        bounced.record_posted(message_id="m2", actor="user:an", at=NOW)
    with pytest.raises(CommandRefused):
        bounced.record_posted(message_id="m1", actor="user:an", at=NOW)  # an e-mail is not posted


def test_a_letter_prints_as_html_and_as_a_pdf_with_the_address_and_its_dutch_and_french_letters():
    rendered = Rendered("Antwoord op uw klacht: ZB-1", "Beste Mevrouw Dupré,\n\nWij betalen € 12 terug.\n")
    written = letters.letter(rendered, sender="Zorgbedrijf Antwerpen", reference="ZB-1", on=NOW.date(),
                             contact={"name": "Mevrouw Dupré", "address": "Kerkstraat 1, 2000 Antwerpen"})
    assert written.recipient == ("Mevrouw Dupré", "Kerkstraat 1", "2000 Antwerpen")
    page = letters.html(written)
    assert "Kerkstraat 1<br>2000 Antwerpen" in page and "€ 12" in page
    assert "<script>" not in letters.html(letters.letter(Rendered("s", "<script>x</script>"), sender="Z",
                                                         reference="1", on=NOW.date(), contact={}))
    document = letters.pdf(written)
    assert document.startswith(b"%PDF-") and len(document) > 500


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
@pytest.mark.parametrize("kind", messages.KINDS)
def test_every_bundled_template_renders_in_every_language(kind, language):
    complaint = case("stad")
    rendered = Templates(BUNDLED).render(TENANTS["stad"], kind, language, context(
        complaint, TENANTS["stad"], {"name": "Jan"}, language, tracking_url="http://x/track/t", question="Wanneer?",
        answer="Het voetpad wordt hersteld."))
    assert rendered.subject and "ZB-1" in rendered.subject and "Jan" in rendered.body
    assert ("http://x/track/t" in rendered.body) == (kind in ("acknowledgement", "information-request",
                                                              "closing-confirmation"))


def test_the_city_writes_in_the_language_the_complainant_prefers_where_it_has_one():
    complaint = case("stad")
    assert decide("Received", complaint, {"email": "a@b.be", "preferred_language": "fr"}, tenant="stad")[0].language \
        == "fr"
    assert decide("Received", complaint, {"email": "a@b.be", "preferred_language": "de"}, tenant="stad")[0].language \
        == "nl"
