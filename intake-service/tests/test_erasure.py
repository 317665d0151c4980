"""Personal data is sealed per complainant; erasing a complainant leaves history, counts and chains intact."""

import pytest
from fastapi.testclient import TestClient

from complaints.settings import Settings
from intake.app import build
from intake.cli import verify_store

URL = "/v1/tenants/brandweer/complaints"


@pytest.fixture
def client(settings: Settings):
    with TestClient(build(settings)) as client:
        yield client


def post(client, auth, name: str, email: str) -> str:
    response = client.post(URL, headers=auth["intake"], json={
        "channel": "e-mail", "signal_type": "klacht", "subject": "Sirenes", "text": "Te luid",
        "complainant": {"name": name, "email": email, "phone": "03 123 45 67"}})
    return response.json()["case_id"]


def test_erasing_a_complainant_makes_their_data_unreadable_everywhere_and_keeps_the_record(client, store, auth):
    first = post(client, auth, "Anna Peeters", "anna.peeters@example.be")
    second = post(client, auth, "Anna Peeters", "Anna.Peeters@Example.be")  # the same person
    other = post(client, auth, "Bart Janssens", "bart@example.be")
    stored = b"".join(bytes(n.state) for n in store.recorder.select_notifications(start=1, limit=1000))
    assert b"anna.peeters" not in stored.lower() and b"Anna Peeters" not in stored  # sealed in the events

    handler = auth["manager"]
    assert client.get(f"{URL}/{first}", headers=handler).json()["complainant"]["name"] == "Anna Peeters"
    assert store.get(first).complainant["subject"] == store.get(second).complainant["subject"]

    assert client.post("/v1/tenants/brandweer/erasures", headers=auth["handler"],
                       json={"email": "anna.peeters@example.be", "reason": "AVG-2024-12"}).status_code == 403
    erased = client.post("/v1/tenants/brandweer/erasures", headers=handler,
                         json={"email": " ANNA.PEETERS@example.be", "reason": "AVG-2024-12"}).json()
    assert erased["erased"] is True

    for case_id in (first, second):
        assert client.get(f"{URL}/{case_id}", headers=handler).json()["complainant"] == {"erased": True}
        history = client.get(f"{URL}/{case_id}/history", headers=auth["auditor"]).json()["events"]
        assert history[0]["data"]["complainant"] == {"erased": True}
    assert client.get(f"{URL}/{other}", headers=handler).json()["complainant"]["name"] == "Bart Janssens"
    assert verify_store(store)["valid"] is True  # nothing in the record was edited
