"""The intake API on the real PostgreSQL, in process: idempotency, numbering, validation, credentials."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from complaints.web.auth import ApiKey, Credentials
from complaints.settings import Settings
from complaints.adapters.store import Complaints
from complaints.model.tenants import TenantFileError
from complaints.application.clock import FixedClock
from intake.app import build

# Intake's clock stands a few days after the complaints these tests post (received 2023-05-11).
CLOCK = FixedClock(datetime(2023, 5, 15, 9, 0, tzinfo=timezone.utc))

URL = "/v1/tenants/brandweer/complaints"


def body(n: int = 0, **overrides):
    return {"channel": "e-mail", "signal_type": "klacht", "category": "overlast", "subject": f"Sirenes {n}",
            "text": "Te luid 's nachts", "received_at": "2023-05-11T08:00:00+02:00", **overrides}


@pytest.fixture
def client(settings: Settings):
    with TestClient(build(settings, CLOCK)) as client:
        yield client


def case_count(store: Complaints) -> int:
    return sum(1 for n in store.recorder.select_notifications(start=1, limit=10_000)
               if n.topic.endswith("Complaint.Received"))


# --- acknowledgement and reading back ---------------------------------------------------------
def test_a_complaint_is_acknowledged_with_a_case_number_and_can_be_read_back(client, auth):
    response = client.post(URL, headers=auth["intake"], json=body(
        complainant={"name": "A. Burger", "email": "a@example.be"}, sender_reference="ELOKET-1",
        attachments=[{"url": "https://files.example/1.jpg", "media_type": "image/jpeg", "sha256": "a" * 64}]))
    assert response.status_code == 201
    ack = response.json()
    assert (ack["case_number"], ack["status"]) == ("BZA-2023-0001", "received")
    state = client.get(response.headers["location"], headers=auth["intake"]).json()
    assert (state["status"], state["subject"], state["sender_reference"], state["version"]) == \
        ("received", "Sirenes 0", "ELOKET-1", 1)
    assert state["answered_at"] is None


def test_text_is_stored_exactly_as_given(client, auth, store):
    text = "<script>alert('x')</script> — één € \U0001F692"
    ack = client.post(URL, headers=auth["intake"], json=body(text=text)).json()
    assert store.get(ack["case_id"]).text == text


def test_another_tenants_case_is_not_found(client, auth):
    ack = client.post(URL, headers=auth["intake"], json=body()).json()
    response = client.get(f"/v1/tenants/politiezone/complaints/{ack['case_id']}", headers=auth["other-tenant"])
    assert response.status_code == 404
    assert response.json()["type"].endswith("/case-not-found")


# --- idempotency --------------------------------------------------------------------------------
def test_the_same_idempotency_key_and_body_returns_the_same_201_and_case(client, auth, store):
    headers = {**auth["intake"], "Idempotency-Key": '"8e03978e-40d5-43e8-bc93-6894a57f9324"'}
    responses = [client.post(URL, headers=headers, json=body()) for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert len({r.json()["case_id"] for r in responses}) == 1
    assert len({r.headers["location"] for r in responses}) == 1
    assert case_count(store) == 1


def test_twenty_concurrent_posts_with_one_key_make_one_case_and_no_gap(client, auth, store):
    headers = {**auth["intake"], "Idempotency-Key": "retry-storm"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda _: client.post(URL, headers=headers, json=body()), range(20)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["case_id"] for r in responses}) == 1
    assert case_count(store) == 1
    assert client.post(URL, headers=auth["intake"], json=body(1)).json()["case_number"] == "BZA-2023-0002"


def test_a_key_repeated_after_its_24_hours_is_a_new_complaint_and_within_them_the_same(settings, auth, store):
    now = datetime.now(timezone.utc)  # the key's use is recorded at the store's time
    headers, posted = {**auth["intake"], "Idempotency-Key": "dagelijks"}, body(received_at=None)

    def post_at(moment: datetime) -> str:
        with TestClient(build(settings, FixedClock(moment))) as at:
            response = at.post(URL, headers=headers, json=posted)
            assert response.status_code == 201, response.text
            return response.json()["case_id"]

    first = post_at(now)
    assert post_at(now + timedelta(hours=23)) == first  # a late retry: the same case
    second = post_at(now + timedelta(hours=25))  # a week's routine report sent again: a new one
    assert second != first and case_count(store) == 2
    assert post_at(now + timedelta(hours=25, minutes=5)) == second  # and the key now stands for it


def test_the_same_key_with_another_body_is_refused(client, auth, store):
    headers = {**auth["intake"], "Idempotency-Key": "k-1"}
    assert client.post(URL, headers=headers, json=body(1)).status_code == 201
    response = client.post(URL, headers=headers, json=body(2))
    assert response.status_code == 422
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert response.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert case_count(store) == 1


def test_a_repeated_sender_reference_is_the_same_case(client, auth, store):
    first = client.post(URL, headers=auth["intake"], json=body(sender_reference="CC-4711"))
    again = client.post(URL, headers=auth["intake"], json=body(sender_reference="CC-4711"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["case_id"] == again.json()["case_id"]
    found = client.get(URL, params={"sender_reference": "CC-4711"}, headers=auth["intake"]).json()
    assert [c["case_id"] for c in found["items"]] == [first.json()["case_id"]]
    assert client.get(URL, params={"sender_reference": "nope"}, headers=auth["intake"]).json() == {"items": []}
    assert case_count(store) == 1


def test_a_hundred_concurrent_posts_get_a_hundred_gap_free_case_numbers(client, auth):
    with ThreadPoolExecutor(max_workers=25) as pool:
        responses = list(pool.map(lambda n: client.post(URL, headers=auth["intake"], json=body(n)), range(100)))
    assert {r.status_code for r in responses} == {201}
    assert sorted(r.json()["case_number"] for r in responses) == [f"BZA-2023-{n:04d}" for n in range(1, 101)]


# --- validation -----------------------------------------------------------------------------------
def test_a_sender_whose_clock_runs_a_little_ahead_is_still_heard(client, auth):
    response = client.post(URL, headers=auth["intake"], json=body(received_at="2023-05-15T09:04:00+00:00"))
    assert response.status_code == 201 and response.json()["received_at"].startswith("2023-05-15T09:04")


@pytest.mark.parametrize(("change", "field"), [
    ({"channel": "fax"}, "channel"),
    ({"signal_type": "klaagzang"}, "signal_type"),
    ({"category": "brandkranen"}, "category"),
    ({"subject": ""}, "subject"),
    ({"text": "x" * 20001}, "text"),
    ({"received_at": "2023-05-11T08:00:00"}, "received_at"),  # no offset
    ({"received_at": "2099-01-01T08:00:00+01:00"}, "received_at"),  # in the future
    ({"received_at": "9999-12-20T08:00:00+01:00"}, "received_at"),  # once accepted, and never clocked
    ({"received_at": "2023-05-15T09:10:00+00:00"}, "received_at"),  # beyond the 5 minutes a sender's clock may run ahead
    ({"received_at": "2019-03-01T08:00:00+01:00"}, "received_at"),  # in a year already published: the import's
    ({"received_at": "1900-01-01T08:00:00+01:00"}, "received_at"),
    ({"complainant": {"email": "not-an-address"}}, "complainant.email"),
    ({"complainant": {"preferred_answer_channel": "pigeon"}}, "complainant.preferred_answer_channel"),
    ({"attachments": [{"url": "https://f.example/x", "media_type": "image/png", "sha256": "xyz"}]},
     "attachments.0.sha256"),
    ({"colour": "red"}, "colour"),
])
def test_each_bad_field_is_named(client, auth, store, change, field):
    response = client.post(URL, headers=auth["intake"], json=body(**change))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert case_count(store) == 0


def test_an_unknown_code_lists_the_allowed_values(client, auth):
    error = client.post(URL, headers=auth["intake"], json=body(channel="fax")).json()["errors"][0]
    assert "e-mail" in error["allowed"] and "sociale-media" in error["allowed"]


def test_a_body_over_the_limit_is_refused_before_parsing(settings, auth):
    with TestClient(build(settings.model_copy(update={"max_body_bytes": 2000}), CLOCK)) as small:
        response = small.post(URL, headers={**auth["intake"], "content-type": "application/json"},
                              content=b'{"text": "' + b"x" * 5000 + b'"}')
    assert response.status_code == 413
    assert response.json()["type"].endswith("/body-too-large")


# --- credentials ------------------------------------------------------------------------------------
def test_no_credentials_is_a_401_problem_with_a_challenge(client):
    response = client.post(URL, json=body())
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "WWW-Authenticate" in response.headers


def test_a_wrong_key_is_a_401(client):
    assert client.post(URL, headers={"X-API-Key": "ck_wrong"}, json=body()).status_code == 401


def test_a_right_key_on_another_tenant_is_a_403(client, auth):
    response = client.post("/v1/tenants/politiezone/complaints", headers=auth["intake"], json=body())
    assert response.status_code == 403
    assert response.json()["type"].endswith("/forbidden")


def test_a_key_without_the_role_is_a_403(client, auth):
    assert client.post(URL, headers=auth["import"], json=body()).status_code == 403
    assert client.post(URL, headers=auth["handler"], json=body()).status_code == 403


def test_a_revoked_key_is_a_401(client, settings, store):
    credentials = Credentials(store, settings)
    key = credentials.issue_key(name="old-portal", tenant="brandweer", role="intake")
    record = store.repository.get(ApiKey.id_for(key))
    record.revoke(actor="user:admin")
    store.save(record)
    assert client.post(URL, headers={"X-API-Key": key}, json=body()).status_code == 401


def test_expired_and_foreign_tokens_are_401(client, settings, store):
    credentials = Credentials(store, settings)
    expired = credentials.token_for(subject="h", tenants=["brandweer"], roles=["handler"], ttl_seconds=-10)
    other = Credentials(store, settings.model_copy(update={"jwt_audience": "somebody-else"}))
    foreign = other.token_for(subject="h", tenants=["brandweer"], roles=["handler"])
    for token in (expired, foreign, "not.a.jwt"):
        response = client.get("/v1/tenants/brandweer", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


def test_keys_are_stored_only_as_hashes(client, settings, store):
    key = Credentials(store, settings).issue_key(name="portal", tenant="brandweer", role="intake")
    stored = b"".join(n.state for n in store.recorder.select_notifications(start=1, limit=10_000))
    assert key.encode() not in stored


# --- tenants ------------------------------------------------------------------------------------------
def test_the_tenant_configuration_has_codes_and_labels_but_not_the_routing_rules(client, auth):
    assert [t["id"] for t in client.get("/v1/tenants", headers=auth["handler"]).json()] == ["brandweer"]
    config = client.get("/v1/tenants/brandweer", headers=auth["intake"]).json()
    assert ("gegrond", "Founded") == (config["qualifications"][0]["code"], config["qualifications"][0]["label"][:7])
    assert {c["code"] for c in config["channels"]} >= {"e-mail", "sociale-media"}
    assert config["version"] and "routing" not in config


def test_a_bad_tenant_file_stops_the_service_naming_file_tenant_and_field(settings, tmp_path: Path):
    (tmp_path / "brandweer.yaml").write_text("id: brandweer\nname: BZA\nversion: '1'\ncase_prefix: BZA\n"
                                             "channels: []\nsignal_types: []\nteams: [{code: a, label: A}]\n"
                                             "qualifications: [{code: g}]\nrouting: {default_team: a}\nwindows: []\n")
    with pytest.raises(TenantFileError) as error:
        build(settings.model_copy(update={"tenants_dir": tmp_path}))
    assert "brandweer.yaml" in str(error.value) and "'brandweer'" in str(error.value)
    assert "qualifications.0.label" in str(error.value)


@pytest.mark.parametrize("name", ["routing", "Qualification", "admin", "system:routing", ""])
def test_no_calling_system_may_take_the_name_of_the_platforms_own_actors(store, settings, name):
    with pytest.raises(ValueError):
        Credentials(store, settings).issue_key(name=name, tenant="brandweer", role="intake")
