"""The intake API on the real PostgreSQL, in process."""

import pytest
from fastapi.testclient import TestClient

from complaints.settings import Settings
from intake.app import create_app


@pytest.fixture
def client(settings: Settings):
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_complaint_is_acknowledged_with_a_case_number_and_can_be_read_back(client):
    response = client.post("/v1/tenants/brandweer/complaints", json={
        "channel": "e-mail", "signal_type": "klacht", "subject": "Sirenes", "text": "Te luid 's nachts",
        "received_at": "2023-05-11T08:00:00+02:00", "complainant": {"name": "A. Burger", "email": "a@example.be"},
    })
    assert response.status_code == 201
    ack = response.json()
    assert ack["case_number"] == "BZA-2023-0001"
    state = client.get(response.headers["location"]).json()
    assert (state["status"], state["subject"], state["version"]) == ("received", "Sirenes", 1)


def test_another_tenants_case_is_not_found(client):
    ack = client.post("/v1/tenants/brandweer/complaints", json={
        "channel": "e-mail", "signal_type": "klacht", "subject": "s", "text": "t"}).json()
    response = client.get(f"/v1/tenants/politiezone/complaints/{ack['case_id']}")
    assert response.status_code == 404
    assert response.json()["type"].endswith("/case-not-found")


def test_a_received_at_without_timezone_is_refused_by_name(client):
    response = client.post("/v1/tenants/brandweer/complaints", json={
        "channel": "e-mail", "signal_type": "klacht", "subject": "s", "text": "t", "received_at": "2023-05-11T08:00:00"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["received_at"]


def test_a_bad_case_id_is_refused_by_name(client):
    response = client.get("/v1/tenants/brandweer/complaints/not-a-uuid")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["path.case_id"]
