"""Webhooks end to end: a city system subscribes to the events of the cases it sent, and a real HTTP receiver on a
loopback IP literal gets them signed (verified with the `standardwebhooks` library), in order per case, at least
once (each `webhook-id` counted once), through a receiver that answers 500 for a while, through a receiver away
past the retry period (failing, then a manager's re-drive), and through the dispatcher killed mid-delivery."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from complaints.web.auth import Credentials
from complaints.adapters.store import Complaints
from tests.helpers import complaint, wait_until

# Retries after 0.1 s, doubling up to 0.4 s; a delivery not taken for 4 s marks the subscription failing.
STACK_ENV = {"WEBHOOK_BACKOFF_SECONDS": "[0.1, 0.4]", "WEBHOOK_RETRY_SECONDS": "4"}
TENANT = "brandweer"


class Receiver:
    """A tiny webhook receiver on 127.0.0.1: keeps every request; answers `fail` times 500 first, or 503 while
    `down`; while `hold` is clear it keeps the request in hand (the dispatcher waits for the answer)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail = 0
        self.down = False
        self.hold = threading.Event()
        self.hold.set()
        self.holding = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                payload = self.rfile.read(int(self.headers["content-length"]))
                if not receiver.hold.is_set():
                    receiver.holding.set()
                    receiver.hold.wait(30)
                status = 200
                if receiver.down:
                    status = 503
                elif receiver.fail > 0:
                    receiver.fail -= 1
                    status = 500
                receiver.requests.append({"headers": dict(self.headers), "body": payload, "status": status})
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def taken(self, case_ids: set[str] | None = None) -> list[dict[str, Any]]:
        """The deliveries it answered 200 to, parsed, for these cases."""
        found = []
        for request in list(self.requests):
            if request["status"] == 200:
                event = json.loads(request["body"])
                if case_ids is None or event["subject"] in case_ids:
                    found.append({**request, "event": event})
        return found

    def stop(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def portal(module_stack, module_auth) -> dict[str, dict[str, str]]:
    """The city's portal: its intake key (the fixtures' `test-intake` system) and a subscriber key of the same
    system, so its subscriptions are for the cases it posts; and a manager."""
    store = Complaints(module_stack.settings)
    key = Credentials(store, module_stack.settings).issue_key(name="test-intake", tenant=TENANT, role="subscriber")
    store.close()
    return {"intake": module_auth["intake"], "subscriber": {"X-API-Key": key}, "manager": module_auth["manager"]}


def subscribe(stack, headers: dict[str, str], url: str, **filters: Any) -> dict[str, Any]:
    response = httpx.post(f"{stack.url('webhooks')}/v1/tenants/{TENANT}/subscriptions", headers=headers,
                          json={"url": url, **filters}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def unsubscribe(stack, headers: dict[str, str], subscription: dict[str, Any]) -> None:
    httpx.delete(f"{stack.url('webhooks')}/v1/tenants/{TENANT}/subscriptions/{subscription['id']}", headers=headers,
                 timeout=10)


def post(stack, headers: dict[str, str], n: int, reference: str) -> str:
    response = httpx.post(f"{stack.url('intake')}/v1/tenants/{TENANT}/complaints", headers=headers, timeout=30,
                          json=complaint(n, sender_reference=reference))
    assert response.status_code == 201, response.text
    return response.json()["case_id"]


def in_order_once_each(taken: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Per case, the versions in the order they arrived, each event id once (a repeat dropped, as a receiver
    deduplicates): asserts they only go up."""
    seen: set[str] = set()
    versions: dict[str, list[int]] = {}
    for request in taken:
        if request["headers"]["webhook-id"] in seen:
            continue
        seen.add(request["headers"]["webhook-id"])
        versions.setdefault(request["event"]["subject"], []).append(request["event"]["data"]["version"])
    for case_id, arrived in versions.items():
        assert arrived == sorted(arrived), f"case {case_id}: out of order {arrived}"
    return versions


def stream_versions(stack, headers: dict[str, str], case_id: str) -> int:
    return httpx.get(f"{stack.url('intake')}/v1/tenants/{TENANT}/complaints/{case_id}", headers=headers,
                     timeout=10).json()["version"]


def test_a_city_system_receives_its_answered_complaint_signed_in_order_with_its_reference(
        module_stack, portal, receiver):
    subscription = subscribe(module_stack, portal["subscriber"], receiver.url)
    assert subscription["own_cases"] is True and subscription["secret"].startswith("whsec_")
    case_id = post(module_stack, portal["intake"], 1, "portal-0001")
    url = f"{module_stack.url('qualification')}/v1/tenants/{TENANT}/complaints/{case_id}"
    wait_until(lambda: httpx.get(f"{module_stack.url('intake')}/v1/tenants/{TENANT}/complaints/{case_id}",
                                 headers=portal["intake"], timeout=10).json().get("due_date"))
    for path, body in (("qualification", {"qualification": "gegrond"}),
                       ("answer-draft", {"text": "Wij hebben de sirenes nagekeken.", "channel": "post"}),
                       ("answer", None)):
        assert httpx.post(f"{url}/{path}", json=body, headers=portal["manager"], timeout=10).status_code == 200

    answered = wait_until(lambda: [r for r in receiver.taken({case_id})
                                   if r["event"]["type"] == "complaints.Answered"])
    webhook = Webhook(subscription["secret"])
    for request in receiver.taken({case_id}):
        assert webhook.verify(request["body"], request["headers"]) == request["event"]
        assert request["headers"]["webhook-id"] == request["event"]["id"]
    event = answered[0]["event"]
    assert event["data"]["case"]["sender_reference"] == "portal-0001"
    assert event["data"]["case"]["status"] == "answered"
    assert "complainant" not in event["data"]
    # A calling system reads its cases' status, not the work inside them: no draft's text, no handler's name.
    for request in receiver.taken({case_id}):
        assert b"sirenes nagekeken" not in request["body"] and "actor" not in request["event"]["data"], request
    versions = in_order_once_each(receiver.taken({case_id}))
    assert versions[case_id] == list(range(1, len(versions[case_id]) + 1))  # every event of the case, in order
    unsubscribe(module_stack, portal["subscriber"], subscription)


def test_a_receiver_answering_500_for_a_while_gets_every_event_in_order_once_each_by_id(
        module_stack, portal, receiver):
    receiver.fail = 6
    subscription = subscribe(module_stack, portal["subscriber"], receiver.url, event_types=["Received", "Routed"])
    cases = {post(module_stack, portal["intake"], n, f"portal-5{n:02}") for n in range(4)}
    wait_until(lambda: len({r["headers"]["webhook-id"] for r in receiver.taken(cases)}) == 2 * len(cases))
    versions = in_order_once_each(receiver.taken(cases))
    assert versions == {case_id: [1, 2] for case_id in cases}
    assert any(r["status"] == 500 for r in receiver.requests)
    unsubscribe(module_stack, portal["subscriber"], subscription)


def test_a_receiver_away_past_the_retry_period_fails_the_subscription_until_a_managers_redrive(
        module_stack, portal, receiver):
    receiver.down = True
    subscription = subscribe(module_stack, portal["subscriber"], receiver.url, event_types=["Received"])
    cases = [post(module_stack, portal["intake"], n, f"portal-7{n:02}") for n in range(2)]
    address = f"{module_stack.url('webhooks')}/v1/tenants/{TENANT}/subscriptions/{subscription['id']}"
    failing = wait_until(lambda: (s := httpx.get(address, headers=portal["subscriber"], timeout=10).json())
                         ["status"] == "failing" and s)
    assert failing["failing"]["event_id"] == f"{cases[0]}:1"
    skipped = httpx.get(f"{module_stack.url('reporting')}/v1/tenants/{TENANT}/skipped-events",
                        headers=portal["manager"], timeout=10).json()
    assert [s["case_id"] for s in skipped if s["consumer"] == f"webhook:{subscription['id']}"] == [cases[0]]

    receiver.down = False
    assert httpx.post(f"{address}/redrive", headers=portal["manager"], timeout=10).status_code == 202
    wait_until(lambda: len(receiver.taken(set(cases))) == 2)
    assert [r["event"]["subject"] for r in receiver.taken(set(cases))] == cases  # in order, the waiting one first
    wait_until(lambda: httpx.get(address, headers=portal["subscriber"], timeout=10).json()["status"] == "active")
    unsubscribe(module_stack, portal["subscriber"], subscription)


def test_the_dispatcher_killed_mid_delivery_loses_nothing(module_stack, portal, receiver):
    subscription = subscribe(module_stack, portal["subscriber"], receiver.url, event_types=["Received", "Routed"])
    receiver.hold.clear()
    cases = {post(module_stack, portal["intake"], n, f"portal-9{n:02}") for n in range(3)}
    assert receiver.holding.wait(30)  # a delivery is in the receiver's hands, its answer not yet given
    module_stack.kill("webhooks")
    receiver.hold.set()
    module_stack.start("webhooks")
    wait_until(lambda: len({r["headers"]["webhook-id"] for r in receiver.taken(cases)}) == 2 * len(cases))
    assert in_order_once_each(receiver.taken(cases)) == {case_id: [1, 2] for case_id in cases}
    unsubscribe(module_stack, portal["subscriber"], subscription)


def test_a_subscriber_sees_only_its_own_subscriptions_and_another_tenant_none(module_stack, portal, module_auth):
    mine = subscribe(module_stack, portal["subscriber"], "http://127.0.0.1:9/mine")
    managers = subscribe(module_stack, portal["manager"], "http://127.0.0.1:9/managers", teams=["communicatie"])
    base = f"{module_stack.url('webhooks')}/v1/tenants/{TENANT}/subscriptions"
    listed = {s["id"] for s in httpx.get(base, headers=portal["subscriber"], timeout=10).json()}
    assert mine["id"] in listed and managers["id"] not in listed
    assert httpx.get(f"{base}/{managers['id']}", headers=portal["subscriber"], timeout=10).status_code == 403
    assert "secret" not in httpx.get(f"{base}/{mine['id']}", headers=portal["subscriber"], timeout=10).json()
    assert httpx.get(f"{module_stack.url('webhooks')}/v1/tenants/politiezone/subscriptions/{mine['id']}",
                     headers=module_auth["other-tenant"], timeout=10).status_code == 403
    assert httpx.get(base, headers=portal["intake"], timeout=10).status_code == 403  # an intake key: no
    bad = httpx.post(base, headers=portal["subscriber"], timeout=10,
                     json={"url": "ftp://x", "event_types": ["Nope"], "own_cases": False})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"url", "event_types", "own_cases"}
    rotated = httpx.post(f"{base}/{mine['id']}/secret", headers=portal["subscriber"], timeout=10).json()
    assert rotated["secret"] != mine["secret"] and rotated["secret_generation"] == 2
    for subscription in (mine, managers):
        deleted = httpx.delete(f"{base}/{subscription['id']}", headers=portal["manager"], timeout=10)
        assert deleted.json()["status"] == "deleted"
