"""Audit on the real PostgreSQL: history, earlier states, tamper evidence, export, auditors' reads."""

import json
import subprocess
import sys
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from complaints.adapters.follower import store_follower
from complaints.settings import Settings
from complaints.adapters.store import Complaints, Submission
from complaints.model.tenants import load_tenants
from intake.app import build
from intake.cli import verify_store
from qualification.consumer import Qualification
from routing.consumer import Routing

VERIFY_EXPORT = Path(__file__).parents[2] / "services" / "audit" / "verify_export.py"


@pytest.fixture
def client(settings: Settings):
    with TestClient(build(settings)) as client:
        yield client


async def routed_case(settings: Settings, store: Complaints, n: int = 0):
    case = store.receive(load_tenants()["brandweer"], Submission("e-loket"), actor="system:e-loket",
                         received_at=datetime(2023, 5, 11, 8, tzinfo=timezone.utc), channel="e-mail",
                         signal_type="klacht", category="overlast", subject=f"Sirenes {n}", text="<b>Te luid</b>")[0]
    for consumer, name in ((Routing, "routing"), (Qualification, "qualification")):
        with closing(consumer(settings)) as app:  # a store of its own: its connections go with it
            await store_follower(settings, app, name).catch_up()
    return case


def sql(settings: Settings, statement: str, *params) -> None:
    """Tampering as only a superuser can: with the triggers that refuse changes to the record switched off."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(statement, params)


async def test_the_history_lists_every_event_with_who_when_rules_and_a_summary(client, settings, store, auth):
    case = await routed_case(settings, store)
    history = client.get(f"/v1/tenants/brandweer/complaints/{case.id}/history", headers=auth["auditor"]).json()
    events = history["events"]
    assert [e["type"] for e in events] == ["Received", "Routed", "ClockStarted"]
    assert [e["actor"] for e in events] == ["system:e-loket", "system:routing", "system:qualification"]
    assert events[0]["occurred_at"].startswith("2023-05-11") and events[0]["recorded_at"] > events[0]["occurred_at"]
    assert events[1]["config_version"] == load_tenants()["brandweer"].version
    assert events[1]["summary"] == "Routed to team communicatie by rule default"
    page = client.get(f"/v1/tenants/brandweer/complaints/{case.id}/history", headers={**auth["auditor"],
                                                                                      "Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "Routed to team communicatie" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_the_state_as_of_a_moment_or_version_and_the_diff_between_versions(client, settings, store, auth):
    case = await routed_case(settings, store)
    url = f"/v1/tenants/brandweer/complaints/{case.id}"
    first = client.get(url, params={"version": 1}, headers=auth["auditor"]).json()
    assert (first["status"], first["team"], first["version"]) == ("received", None, 1)
    received_at = next(iter(store.events.get(case.id))).timestamp
    then = client.get(url, params={"as_of": received_at.isoformat()}, headers=auth["auditor"]).json()
    assert then["version"] == 1
    before = client.get(url, params={"as_of": (received_at - timedelta(seconds=1)).isoformat()},
                        headers=auth["auditor"])
    assert before.status_code == 404
    changes = client.get(f"{url}/diff", params={"from": 1, "to": 3}, headers=auth["auditor"]).json()["changes"]
    assert changes["status"] == ["received", "routed"] and changes["team"] == [None, "communicatie"]
    assert changes["due_date"][1] == "2023-06-10"
    assert client.get(url, params={"version": 1}, headers=auth["intake"]).status_code == 403


async def test_auditors_read_only_and_their_reads_are_logged(client, settings, store, auth):
    case = await routed_case(settings, store)
    client.get(f"/v1/tenants/brandweer/complaints/{case.id}/history", headers=auth["auditor"])
    client.get(f"/v1/tenants/brandweer/complaints/{case.id}", headers=auth["auditor"])
    reads = client.get(f"/v1/tenants/brandweer/complaints/{case.id}/reads", headers=auth["manager"]).json()["reads"]
    assert [(r["by"], r["what"]) for r in reads] == [("user:auditor@brandweer", "history"),
                                                     ("user:auditor@brandweer", "state (version 3)")]
    assert client.post("/v1/tenants/brandweer/complaints", headers=auth["auditor"],
                       json={"channel": "e-mail", "signal_type": "klacht", "subject": "s", "text": "t"}).status_code == 403


async def test_an_intact_store_verifies_and_each_kind_of_tampering_is_named(client, settings, store, auth):
    cases = [await routed_case(settings, store, n) for n in range(3)]
    assert verify_store(store)["valid"] and verify_store(store, tenant="brandweer")["valid"]
    target = cases[1]
    url = f"/v1/tenants/brandweer/complaints/{target.id}/verify"
    assert client.get(url, headers=auth["auditor"]).json()["valid"] is True

    # Edited: the Routed event now says another team.
    sql(settings, "UPDATE complaints_events SET state = convert_to(replace(convert_from(state, 'UTF8'), "
                  "'communicatie', 'financien'), 'UTF8') WHERE originator_id = %s AND originator_version = 2",
        target.id)
    assert store.get(target.id).team == "financien"  # the store itself cannot tell
    broken = client.get(url, headers=auth["auditor"]).json()
    assert broken["valid"] is False and broken["first_broken"]["version"] == 2
    assert "changed" in broken["first_broken"]["problem"]
    whole = verify_store(store)
    assert whole["valid"] is False and whole["first_broken"]["case_id"] == str(target.id)


async def test_a_deleted_event_is_detected_in_the_case_and_in_the_store(client, settings, store, auth):
    cases = [await routed_case(settings, store, n) for n in range(2)]
    sql(settings, "DELETE FROM complaints_events WHERE originator_id = %s AND originator_version = 2", cases[0].id)
    broken = client.get(f"/v1/tenants/brandweer/complaints/{cases[0].id}/verify", headers=auth["auditor"]).json()
    assert broken["first_broken"]["version"] == 2 and "missing" in broken["first_broken"]["problem"]
    assert "deleted" in verify_store(store)["first_broken"]["problem"]


async def test_reordered_events_are_detected_by_the_store_chain(settings, store):
    cases = [await routed_case(settings, store, n) for n in range(2)]
    ids = sorted(n.id for n in store.recorder.select_notifications(start=1, limit=100)
                 if n.originator_id in (cases[0].id, cases[1].id) and n.originator_version == 1)
    # Swap the order of the two Received events.
    sql(settings, "UPDATE complaints_events SET notification_id = -1 WHERE notification_id = %s", ids[0])
    sql(settings, "UPDATE complaints_events SET notification_id = %s WHERE notification_id = %s", ids[0], ids[1])
    sql(settings, "UPDATE complaints_events SET notification_id = %s WHERE notification_id = -1", ids[1])
    result = verify_store(store)
    assert result["valid"] is False and result["first_broken"]["notification_id"] == ids[0]


async def test_an_event_slipped_in_outside_the_store_is_detected(settings, store):
    case = await routed_case(settings, store)
    sql(settings, "INSERT INTO complaints_events (originator_id, originator_version, topic, state) "
                  "VALUES (%s, 4, 'complaints.domain:Complaint.Closed', '{}'::bytea)", case.id)
    assert "no link" in verify_store(store)["first_broken"]["problem"]
    assert "no link" in verify_store(store, case=case.id)["first_broken"]["problem"]


async def test_an_export_verifies_with_the_standalone_script_and_fails_when_edited(client, settings, store, auth,
                                                                                  tmp_path):
    case = await routed_case(settings, store)
    export = client.get(f"/v1/tenants/brandweer/complaints/{case.id}/export", headers=auth["auditor"]).json()
    assert export["verification"]["valid"] is True and len(export["events"]) == 3
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    ok = subprocess.run([sys.executable, str(VERIFY_EXPORT), str(path)], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: 3 events")
    export["events"][1]["topic"] = "complaints.domain:Complaint.Closed"
    path.write_text(json.dumps(export))
    bad = subprocess.run([sys.executable, str(VERIFY_EXPORT), str(path)], capture_output=True, text=True)
    assert bad.returncode == 1 and "version 2" in bad.stdout


@pytest.mark.parametrize("change", [
    "UPDATE complaints_events SET state = state WHERE originator_id = %s",
    "DELETE FROM complaints_events WHERE originator_id = %s",
    "UPDATE complaints_chain SET stream_hash = 'x' WHERE originator_id = %s",
    "DELETE FROM complaints_chain WHERE originator_id = %s",
])
async def test_the_services_database_role_cannot_change_the_stored_record(settings, store, change):
    case = await routed_case(settings, store)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="never changed"):
            conn.execute(change, (case.id,))
        for table in ("complaints_events", "complaints_chain"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"TRUNCATE {table}")
    assert [type(e).__name__ for e in store.events.get(case.id)] == ["Received", "Routed", "ClockStarted"]
