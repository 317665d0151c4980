"""Open311 in the platform's words (`complaints.model.open311`): a tenant's services and their attributes, a
posted request as a complaint's fields, and a case's status as its sender sees it."""

from datetime import datetime, timezone

import pytest

from complaints.model import open311
from complaints.model.complaint import Complaint
from complaints.model.tenants import load_tenants

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TENANTS = load_tenants()


def test_the_police_keywords_of_a_complaint_about_police_action_need_no_signal_type():
    police = TENANTS["politiezone"]
    attitude = next(s for s in open311.services(police) if s["service_code"] == "attitude")
    assert attitude["keywords"] == "klacht-politieoptreden"
    assert [a["code"] for a in open311.definition(police, "attitude")["attributes"]] == ["channel", "subject"]
    asked, errors = open311.received(police, {"service_code": "attitude", "description": "Onbeleefd"},
                                     {"channel": "e-loket"})
    assert errors == [] and asked.fields["signal_type"] == "klacht-politieoptreden"
    assert asked.fields["category"] == "attitude" and asked.fields["subject"] == "Onbeleefd"
    assert asked.complainant is None  # anonymous, and no location: a complaint about staff has none


def test_the_city_asks_for_its_district_and_the_care_company_for_its_legal_entity():
    assert "district" in [a["code"] for a in open311.definition(TENANTS["stad"], "sluikstort")["attributes"]]
    assert "entity" in [a["code"] for a in open311.definition(TENANTS["zorgbedrijf"], "vervoer")["attributes"]]
    with pytest.raises(open311.Unknown):
        open311.definition(TENANTS["stad"], "brandstichting")


def test_every_bad_field_of_a_post_is_named():
    _, errors = open311.received(TENANTS["brandweer"], {"service_code": "overlast", "lat": "91", "long": "4"},
                                 {"signal_type": "klacht", "channel": "fax", "district": "antwerpen"})
    named = " ".join(errors)
    assert "description" in named and "lat, long" in named and "attribute[channel]" in named
    assert "attribute[district]" in named  # the fire zone has no districts


def test_a_location_and_a_photo_are_kept_in_the_text():
    asked, _ = open311.received(TENANTS["brandweer"], {
        "service_code": "overlast", "description": "Sirenes", "lat": "51.2", "long": "4.4",
        "address_string": "Lange Nieuwstraat 1", "media_url": "https://example.be/1.jpg"},
        {"signal_type": "klacht", "channel": "e-mail"})
    assert asked.fields["text"] == ("Sirenes\n\nLocation: Lange Nieuwstraat 1 (51.2, 4.4)\n\n"
                                    "Media: https://example.be/1.jpg")


def test_the_status_notes_say_only_what_was_sent_to_the_complainant():
    case = Complaint(tenant="brandweer", actor="system:e-loket", occurred_at=NOW, config_version="1",
                     case_number="BZA-1", channel="e-mail", signal_type="klacht", category="overlast",
                     subject="Sirenes", text="Elke nacht", sender_reference="ELOKET-1")
    case.route(team="communicatie", rule_id="default", config_version="1", actor="system:routing", at=NOW)
    case.add_note(text="Interne nota", actor="user:h", at=NOW)
    assert open311.status_notes(case) is None  # nothing sent yet; never the note
    case.decide_message(message_id="m1", kind="acknowledgement", channel="e-mail", language="nl",
                        actor="system:delivery", at=NOW)
    assert open311.status_notes(case) is None  # decided, not sent
    case.record_sent(message_id="m1", reply="250 ok", actor="system:delivery", at=NOW)
    status = open311.request_status(case, TENANTS["brandweer"])
    assert status["status_notes"] == "Acknowledgement sent" and status["status"] == "open"
    assert status["sender_reference"] == "ELOKET-1" and status["service_code"] == "overlast"
    assert "communicatie" not in str(status) and "Interne nota" not in str(status)
    [update] = open311.updates(case)  # FixMyStreet's extension: one per message sent
    assert (update["update_id"], update["status"], update["description"]) == ("m1", "open", "Acknowledgement sent")
