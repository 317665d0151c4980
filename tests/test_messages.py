"""The complainant hears back, over real SMTP (the session's aiosmtpd server) from the running set's delivery
worker: the care company acknowledges receipt at once, sends the approved answer and confirms the close; each
message is an event on the case with the server's reply; a refused recipient is recorded as a final failure;
an imported register's history sends nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from complaints.adapters.store import Complaints
from complaints.web.auth import Credentials
from tests.helpers import wait_until


@pytest.fixture(scope="module")
def care(module_stack) -> dict[str, dict[str, str]]:
    """Headers for the care company: its intake and import systems, a handler, the local manager, the director."""
    settings = module_stack.settings
    store = Complaints(settings)
    credentials = Credentials(store, settings)
    headers = {role: {"X-API-Key": credentials.issue_key(name=f"zb-{role}", tenant="zorgbedrijf", role=role)}
               for role in ("intake", "import")}
    for name, roles, team in (("an", ["handler"], "klantendienst"), ("cas", ["manager"], None),
                              ("dirk", ["director"], None)):
        token = credentials.token_for(subject=name, tenants=["zorgbedrijf"], roles=roles, team=team)
        headers[name] = {"Authorization": f"Bearer {token}"}
    store.close()
    return headers


def post(stack, care, email: str) -> dict[str, Any]:
    posted = httpx.post(f"{stack.url('intake')}/v1/tenants/zorgbedrijf/complaints", headers=care["intake"], json={
        "channel": "e-mail", "signal_type": "klacht", "subject": "Rolstoelvervoer", "text": "De bus kwam niet",
        "complainant": {"name": "Mevrouw Peeters", "email": email, "preferred_language": "nl"}}, timeout=30)
    assert posted.status_code == 201, posted.text
    return posted.json()


def history(stack, care, case_id: str) -> list[dict[str, Any]]:
    return httpx.get(f"{stack.url('intake')}/v1/tenants/zorgbedrijf/complaints/{case_id}/history",
                     headers=care["cas"], timeout=10).json()["events"]


def of_type(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in entries if e["type"] == kind]


def test_receipt_is_acknowledged_at_once_by_e_mail_and_recorded_with_the_servers_reply(module_stack, care, inbox):
    case = post(module_stack, care, "peeters@example.be")
    mail = wait_until(lambda: inbox.to("peeters@example.be"))[0]
    assert mail["Subject"] == f"Ontvangstmelding: {case['case_number']}"
    body = mail.get_content()
    assert "Beste Mevrouw Peeters" in body and case["case_number"] in body
    sent = wait_until(lambda: of_type(history(module_stack, care, case["case_id"]), "MessageSent"))
    decided = of_type(history(module_stack, care, case["case_id"]), "MessageDecided")
    assert [d["data"]["kind"] for d in decided] == ["acknowledgement"]
    message_id = decided[0]["data"]["message_id"]
    assert mail["Message-ID"] == f"<{message_id}@zorgbedrijf.complaints>"  # stable: a re-send is recognisable
    assert sent[0]["data"]["reply"].startswith("250 ") and sent[0]["actor"] == "system:delivery"
    assert "peeters@example.be" not in str(history(module_stack, care, case["case_id"])[1:])  # only in the sealed
    assert len(inbox.to("peeters@example.be")) == 1  # once, though routing and the clock wrote beside it


def test_the_approved_answer_is_sent_as_approved_and_the_close_is_confirmed(module_stack, care, inbox):
    address = "janssens@example.be"
    case = post(module_stack, care, address)
    url = f"{module_stack.url('qualification')}/v1/tenants/zorgbedrijf/complaints/{case['case_id']}"
    wait_until(lambda: httpx.get(f"{module_stack.url('intake')}/v1/tenants/zorgbedrijf/complaints/{case['case_id']}",
                                 headers=care["cas"]).json().get("due_date"))
    answer = "Onze excuses: de rit werd door een planningsfout niet ingepland. Wij betalen de taxi terug."
    for path, who, body in (("qualification", "an", {"qualification": "gegrond"}),
                            ("answer-draft", "an", {"text": answer, "channel": "e-mail"}),
                            ("approvals", "cas", None), ("approvals", "dirk", None), ("answer", "an", None),
                            ("close", "an", {"reason": "answered"})):
        done = httpx.post(f"{url}/{path}", headers=care[who], json=body, timeout=30)
        assert done.status_code == 200, (path, done.text)

    mails = wait_until(lambda: len(inbox.to(address)) == 3 and inbox.to(address))
    subjects = [m["Subject"] for m in mails]
    assert subjects[0].startswith("Ontvangstmelding") and subjects[2] == f"Uw dossier {case['case_number']} is afgesloten"
    assert subjects[1] == f"Antwoord op uw klacht: {case['case_number']}"
    assert answer in mails[1].get_content()  # exactly what was approved
    kinds = wait_until(lambda: [e["data"]["kind"] for e in of_type(history(module_stack, care, case["case_id"]),
                                                                      "MessageDecided")] if len(of_type(
        history(module_stack, care, case["case_id"]), "MessageSent")) == 3 else None)
    assert kinds == ["acknowledgement", "answer", "closing-confirmation"]
    assert len(inbox.to(address)) == 3


def test_a_refused_recipient_is_a_final_delivery_failure_on_the_case(module_stack, care, inbox):
    case = post(module_stack, care, "refused@example.be")
    failed = wait_until(lambda: of_type(history(module_stack, care, case["case_id"]), "DeliveryFailed"))
    assert failed[0]["data"]["final"] is True and "550" in failed[0]["data"]["reason"]
    assert not inbox.to("refused@example.be")


def test_an_imported_registers_history_sends_nothing(module_stack, care, inbox):
    item = {"reference": "ZB-OUD-1", "received_at": "2023-03-01T10:00:00+01:00", "channel": "e-mail",
            "signal_type": "klacht", "subject": "Oud", "text": "Uit het oude register",
            "complainant": {"email": "oud@example.be"}}
    imported = httpx.post(f"{module_stack.url('intake')}/v1/tenants/zorgbedrijf/imports", headers=care["import"],
                          json={"items": [item]}, timeout=30)
    assert imported.status_code == 200 and imported.json()["created"] == 1, imported.text
    fresh = post(module_stack, care, "nieuw@example.be")  # sent after the import: once it is there, so was the other
    wait_until(lambda: inbox.to("nieuw@example.be"))
    case_id = imported.json()["items"][0]["case_id"]
    assert not inbox.to("oud@example.be") and not of_type(history(module_stack, care, case_id), "MessageDecided")
    assert fresh["case_number"]


def work(stack, care, case_id: str, steps) -> None:
    url = f"{stack.url('qualification')}/v1/tenants/zorgbedrijf/complaints/{case_id}"
    for path, who, body in steps:
        done = httpx.post(f"{url}/{path}", headers=care[who], json=body, timeout=30)
        assert done.status_code == 200, (path, done.text)


def routed(stack, care, case_id: str) -> None:
    wait_until(lambda: httpx.get(f"{stack.url('intake')}/v1/tenants/zorgbedrijf/complaints/{case_id}",
                                 headers=care["cas"]).json().get("due_date"))


def test_a_question_to_the_complainant_is_a_message_and_the_preview_is_what_is_sent(module_stack, care, inbox):
    address = "vraag@example.be"
    case = post(module_stack, care, address)
    routed(module_stack, care, case["case_id"])
    work(module_stack, care, case["case_id"], [
        ("information-requests", "an", {"text": "Op welke dag kwam de bus niet?"})])
    asked = wait_until(lambda: len(inbox.to(address)) == 2 and inbox.to(address)[1])
    assert asked["Subject"] == f"Vraag over uw klacht: {case['case_number']}"
    assert "Op welke dag kwam de bus niet?" in asked.get_content() and "/track/" in asked.get_content()

    answer = "Het ging om een fout in de planning; de rit wordt terugbetaald."
    work(module_stack, care, case["case_id"], [
        ("information-received", "an", {"text": "Maandag 2 maart"}),
        ("qualification", "an", {"qualification": "gegrond"}),
        ("answer-draft", "an", {"text": answer, "channel": "e-mail"})])
    url = f"{module_stack.url('qualification')}/v1/tenants/zorgbedrijf/complaints/{case['case_id']}"
    preview = httpx.get(f"{url}/answer-preview", headers=care["cas"], timeout=10)
    assert preview.status_code == 200, preview.text
    assert preview.json()["channel"] == "e-mail" and answer in preview.json()["body"]
    work(module_stack, care, case["case_id"], [("approvals", "cas", None), ("approvals", "dirk", None),
                                               ("answer", "an", None)])
    sent = wait_until(lambda: len(inbox.to(address)) == 3 and inbox.to(address)[2])
    assert sent["Subject"] == preview.json()["subject"]
    assert sent.get_content().strip() == preview.json()["body"].strip()  # what was approved is what went out


def test_a_bounced_answer_goes_by_post_and_the_letter_is_printed_and_marked_posted(module_stack, care, inbox):
    posted = httpx.post(f"{module_stack.url('intake')}/v1/tenants/zorgbedrijf/complaints", headers=care["intake"],
                        timeout=30, json={"channel": "e-mail", "signal_type": "klacht", "subject": "Factuur",
                                          "text": "Te hoog", "complainant": {
                                              "name": "Mevrouw Dupré", "email": "refused@example.be",
                                              "address": "Kerkstraat 1, 2000 Antwerpen"}})
    case = posted.json()
    routed(module_stack, care, case["case_id"])
    work(module_stack, care, case["case_id"], [
        ("qualification", "an", {"qualification": "ongegrond"}),
        ("answer-draft", "an", {"text": "De factuur klopt: € 12 per rit.", "channel": "e-mail"}),
        ("approvals", "cas", None), ("approvals", "dirk", None), ("answer", "an", None)])
    case_url = f"{module_stack.url('intake')}/v1/tenants/zorgbedrijf/complaints/{case['case_id']}"

    def answer_failed():
        messages = httpx.get(case_url, headers=care["an"], timeout=10).json()["messages"]
        return [m for m in messages if m["kind"] == "answer" and m["status"] == "failed"]
    [bounced] = wait_until(answer_failed)  # visible to the handler
    url = f"{module_stack.url('qualification')}/v1/tenants/zorgbedrijf/complaints/{case['case_id']}/messages"
    again = httpx.post(f"{url}/{bounced['message_id']}/by-post", headers=care["an"], timeout=10)
    assert again.status_code == 200, again.text
    [letter] = [m for m in again.json()["messages"] if m.get("replaces") == bounced["message_id"]]
    assert (letter["channel"], letter["status"]) == ("post", "decided")
    assert httpx.post(f"{url}/{bounced['message_id']}/by-post", headers=care["an"], timeout=10).status_code == 409

    page = httpx.get(f"{url}/{letter['message_id']}/letter", headers=care["an"], timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Mevrouw Dupré" in page.text and "2000 Antwerpen" in page.text and "€ 12 per rit" in page.text
    pdf = httpx.get(f"{url}/{letter['message_id']}/letter", params={"format": "pdf"}, headers=care["an"], timeout=10)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert httpx.get(f"{url}/{letter['message_id']}/letter", timeout=10).status_code == 401

    done = httpx.post(f"{url}/{letter['message_id']}/posted", headers=care["an"], timeout=10)
    assert done.status_code == 200, done.text
    [now] = [m for m in done.json()["messages"] if m["message_id"] == letter["message_id"]]
    assert now["status"] == "sent" and now["posted_by"] == "user:an"
    assert httpx.post(f"{url}/{letter['message_id']}/posted", headers=care["an"], timeout=10).status_code == 409
    assert not inbox.to("refused@example.be")
