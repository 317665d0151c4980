"""End to end through HTTP: one complaint, bad input, and 200 at once, on real PostgreSQL and broker."""

from concurrent.futures import ThreadPoolExecutor

import httpx

from complaints.store import Complaints
from tests.helpers import case, complaint, post, projected, settled, wait_until


def test_a_posted_complaint_is_routed_gets_a_due_date_and_is_projected(stack):
    response = post(stack, complaint(channel="sociale-media", received_at="2023-06-06T10:00:00+02:00"))
    assert response.status_code == 201
    ack = response.json()
    assert ack["case_number"] == "BZA-2023-0001"
    assert response.headers["location"] == f"/v1/tenants/brandweer/complaints/{ack['case_id']}"

    wait_until(lambda: settled(stack, ack["case_id"]))
    state = case(stack, ack["case_id"])
    assert (state["status"], state["team"], state["routing_rule"]) == ("routed", "communicatie", "social-media-to-communication")
    assert state["due_date"] == "2023-07-06"  # the fire zone's 30 calendar days
    view = projected(stack, ack["case_id"])
    assert (view["team"], view["due_date"], view["channel"]) == ("communicatie", "2023-07-06", "sociale-media")


def test_bad_input_is_a_problem_document_naming_each_field_and_stores_nothing(stack, settings):
    store = Complaints(settings)
    before = store.recorder.max_notification_id()
    url = f"{stack.url('intake')}/v1/tenants/brandweer/complaints"

    malformed = httpx.post(url, content=b'{"channel": ', headers={"content-type": "application/json"})
    assert malformed.status_code == 400
    assert malformed.headers["content-type"] == "application/problem+json"

    missing = httpx.post(url, json={"channel": "fax", "signal_type": "klacht"})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"subject", "text"}

    unknown = httpx.post(url, json=complaint(channel="fax", category="brandkranen"))
    assert unknown.status_code == 422
    errors = {e["field"]: e for e in unknown.json()["errors"]}
    assert set(errors) == {"channel", "category"}
    assert "e-mail" in errors["channel"]["allowed"]

    no_tenant = httpx.post(f"{stack.url('intake')}/v1/tenants/atlantis/complaints", json=complaint())
    assert no_tenant.status_code == 404
    assert no_tenant.json()["type"].endswith("/unknown-tenant")

    assert store.recorder.max_notification_id() == before
    store.close()


def test_two_hundred_concurrent_complaints_are_each_routed_and_projected_exactly_once(stack):
    with ThreadPoolExecutor(max_workers=32) as pool:
        responses = list(pool.map(lambda n: post(stack, complaint(n)), range(200)))
    assert [r.status_code for r in responses] == [201] * 200
    acks = [r.json() for r in responses]
    assert len({a["case_number"] for a in acks}) == 200

    wait_until(lambda: all(settled(stack, a["case_id"]) for a in acks), timeout=120, interval=1)
    report = httpx.get(f"{stack.url('reporting')}/v1/tenants/brandweer/reports/channel-status").json()
    assert report["total"] == 200
