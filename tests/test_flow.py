"""End to end through HTTP: one complaint, bad input, and 200 at once, on real PostgreSQL and broker."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from complaints.adapters.store import Complaints
from complaints.model.tenants import load_tenants
from complaints.model.windows import due_date
from tests.helpers import Api, complaint, wait_until


@pytest.fixture
def api(stack, auth) -> Api:
    return Api(stack, auth)


def test_a_posted_complaint_is_routed_gets_a_due_date_and_is_projected(api):
    received = datetime.now(timezone.utc) - timedelta(days=3)
    due = due_date(load_tenants()["brandweer"], signal_type="klacht", start=received.date()).due.isoformat()
    response = api.post(complaint(channel="sociale-media", received_at=received.isoformat()))
    assert response.status_code == 201
    ack = response.json()
    assert ack["case_number"] == f"BZA-{received.year}-0001"
    assert response.headers["location"] == f"/v1/tenants/brandweer/complaints/{ack['case_id']}"

    wait_until(lambda: api.settled(ack["case_id"]))
    state = api.case(ack["case_id"])
    assert (state["status"], state["team"]) == ("routed", "communicatie")
    assert state["due_date"] == due  # the fire zone's 30 calendar days
    view = api.projected(ack["case_id"])
    assert (view["team"], view["due_date"], view["channel"]) == ("communicatie", due, "sociale-media")


def test_bad_input_is_a_problem_document_naming_each_field_and_stores_nothing(api, settings, auth):
    store = Complaints(settings)
    before = store.recorder.max_notification_id()
    url = f"{api.stack.url('intake')}/v1/tenants/brandweer/complaints"

    malformed = httpx.post(url, content=b'{"channel": ', headers={"content-type": "application/json", **auth["intake"]})
    assert malformed.status_code == 400
    assert malformed.headers["content-type"] == "application/problem+json"

    missing = httpx.post(url, json={"channel": "fax", "signal_type": "klacht"}, headers=auth["intake"])
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"subject", "text"}

    unknown = api.post(complaint(channel="fax", category="brandkranen"))
    assert unknown.status_code == 422
    errors = {e["field"]: e for e in unknown.json()["errors"]}
    assert set(errors) == {"channel", "category"}
    assert "e-mail" in errors["channel"]["allowed"]

    no_tenant = httpx.post(f"{api.stack.url('intake')}/v1/tenants/atlantis/complaints", json=complaint(),
                           headers=auth["intake"])
    assert no_tenant.status_code == 403  # the key is not granted a tenant that does not exist

    assert store.recorder.max_notification_id() == before
    store.close()


def test_two_hundred_concurrent_complaints_are_each_routed_and_projected_exactly_once(api):
    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(lambda n: api.post(complaint(n)), range(200)))
    assert [r.status_code for r in responses] == [201] * 200
    acks = [r.json() for r in responses]
    assert len({a["case_number"] for a in acks}) == 200

    wait_until(lambda: all(api.settled(a["case_id"]) for a in acks), timeout=120, interval=1)
    assert api.report()["total"] == 200
