"""Labels in the users' language: the tenant's vocabulary, a case's state and actions, and its history, in Dutch
when Accept-Language asks for it (English otherwise); every timestamp with its offset."""

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from complaints.adapters.store import Complaints
from complaints.model.tenants import load_tenants
from complaints.settings import Settings
from intake.app import build
from tests.helpers import complaint

DUTCH = {"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"}


@pytest.fixture
def client(settings: Settings):
    with TestClient(build(settings)) as client:
        yield client


def labels(tenant: dict) -> dict[str, str]:
    return {c["code"]: c["label"] for c in tenant["channels"]}


def test_every_term_of_every_tenant_file_has_a_dutch_label():
    missing = [(t.id, vocabulary, code.code) for t in load_tenants().values()
               for vocabulary in ("channels", "channel_groups", "signal_types", "categories", "districts", "entities",
                                  "teams", "qualifications", "approvals")
               for code in getattr(t, vocabulary) if not code.nl]
    assert missing == []


def test_the_tenants_labels_come_in_the_language_asked_for(client, auth):
    english = client.get("/v1/tenants/brandweer", headers=auth["handler"]).json()
    dutch = client.get("/v1/tenants/brandweer", headers={**auth["handler"], **DUTCH}).json()
    french = client.get("/v1/tenants/brandweer", headers={**auth["handler"], "Accept-Language": "fr-BE"}).json()
    assert (english["language"], dutch["language"], french["language"]) == ("en", "nl", "en")
    fire = load_tenants()["brandweer"]
    assert labels(english) == {c.code: c.label for c in fire.channels}
    assert labels(dutch) == {c.code: c.nl for c in fire.channels} != labels(english)
    assert [c["code"] for c in dutch["channels"]] == [c["code"] for c in english["channels"]]  # codes stay codes


def test_a_cases_state_actions_and_history_read_in_dutch_with_offsets(client, auth, store: Complaints):
    posted = client.post("/v1/tenants/brandweer/complaints", headers=auth["intake"], json=complaint(
        received_at=datetime(2026, 3, 2, 9, tzinfo=timezone.utc).isoformat()))
    assert posted.status_code == 201, posted.text
    url = f"/v1/tenants/brandweer/complaints/{posted.json()['case_id']}"
    english = client.get(url, headers=auth["manager"]).json()
    dutch = client.get(url, headers={**auth["manager"], **DUTCH}).json()
    assert (english["status"], english["status_label"], dutch["status_label"]) == ("received", "Received", "Ontvangen")
    actions = {a["name"]: a["label"] for a in dutch["allowed_actions"]}
    assert actions["notes"] == "Notitie toevoegen" and actions["transfer"] == "Overdragen aan een andere organisatie"
    history = client.get(f"{url}/history", headers={**auth["auditor"], **DUTCH}).json()["events"]
    assert history[0]["summary"].startswith("Ontvangen via e-mail als klacht")
    for moment in (dutch["received_at"], history[0]["occurred_at"], history[0]["recorded_at"]):
        assert datetime.fromisoformat(moment).utcoffset() is not None, moment
