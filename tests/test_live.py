"""Caching and push, through the gateway on the running set: the case view's ETag and 304, an auditor's reads
logged once per window (and a 304 not at all), and the live stream of case changes: what a posted complaint
does, seen as it is committed, resumed after a reconnect without a gap or a repeat, scoped to what the caller
may read, kept open by heartbeats.

Waits are generous time-outs, never a measured time: the benchmark measures the delay from commit to push.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import httpx
import pytest
from httpx_sse import EventSource

from complaints.adapters.store import Complaints
from complaints.web.auth import Credentials
from tests.helpers import complaint, wait_until

READ_LOG_WINDOW = 4.0
STACK_ENV = {"STREAM_HEARTBEAT_SECONDS": "1", "READ_LOG_WINDOW_SECONDS": str(READ_LOG_WINDOW)}


@pytest.fixture(scope="module")
def who(module_stack) -> dict[str, dict[str, str]]:
    """Headers for the fire zone: its intake system, a manager, an auditor, a handler of communicatie and one of
    finance."""
    settings = module_stack.settings
    store = Complaints(settings)
    credentials = Credentials(store, settings)
    headers = {"intake": {"X-API-Key": credentials.issue_key(name="e-loket", tenant="brandweer", role="intake")}}
    for name, roles, team in (("chef", ["manager"], None), ("audrey", ["auditor"], None),
                              ("jo", ["handler"], "communicatie"), ("fé", ["handler"], "financien")):
        token = credentials.token_for(subject=name, tenants=["brandweer"], roles=roles, team=team)
        headers[name] = {"Authorization": f"Bearer {token}"}
    store.close()
    return headers


def post(gateway: str, who: dict[str, dict[str, str]]) -> str:
    posted = httpx.post(f"{gateway}/v1/tenants/brandweer/complaints", headers=who["intake"], json=complaint(),
                        timeout=30)
    assert posted.status_code == 201, posted.text
    return posted.json()["case_id"]


def case_url(gateway: str, case_id: str) -> str:
    return f"{gateway}/v1/tenants/brandweer/complaints/{case_id}"


def clocked(gateway: str, who: dict[str, dict[str, str]], case_id: str) -> dict[str, Any]:
    """The case once routed and its clock started (version 3)."""
    return wait_until(lambda: (view := httpx.get(case_url(gateway, case_id), headers=who["chef"], timeout=10).json())
                      .get("due_date") and view)


class Listener:
    """Reads a live stream in a thread: every `case-changed` event, parsed."""

    def __init__(self, gateway: str, headers: dict[str, str], *, last_event_id: int | None = None,
                 **params: str) -> None:
        self.events: list[dict[str, Any]] = []
        self.status: int | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=120))
        extra = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
        self._request = self._client.build_request("GET", f"{gateway}/v1/tenants/brandweer/events", params=params,
                                                   headers={**headers, **extra, "Accept": "text/event-stream"})
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self._opened.wait(30), "the stream did not open"

    def _read(self) -> None:
        try:
            response = self._client.send(self._request, stream=True)
            self.status = response.status_code
            self._opened.set()
            for sse in EventSource(response).iter_sse():
                if not sse.data:
                    continue  # a heartbeat (httpx-sse hands comments on as events with the last id and no data)
                self.events.append({"id": int(sse.id), "event": sse.event, **json.loads(sse.data)})
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by the test
        finally:
            self._opened.set()

    def of(self, case_id: str) -> list[dict[str, Any]]:
        return [e for e in list(self.events) if e["case_id"] == case_id]

    def wait_for(self, case_id: str, *types: str) -> list[dict[str, Any]]:
        """This case's events once all of `types` are among them."""
        return wait_until(lambda: {*types} <= {e["type"] for e in self.of(case_id)} and self.of(case_id))

    def close(self) -> None:
        self._client.close()
        self._thread.join(10)


# --- ETag and 304 ---------------------------------------------------------------------------------------
def test_the_case_view_carries_its_version_as_etag_and_answers_304_until_it_changes(gateway, who):
    case_id = post(gateway, who)
    clocked(gateway, who, case_id)
    first = httpx.get(case_url(gateway, case_id), headers=who["jo"])
    assert first.status_code == 200 and first.headers["ETag"] == '"3"' and first.json()["version"] == 3
    assert {"authorization", "accept-language"} <= {v.strip().lower() for v in first.headers["Vary"].split(",")}

    for held in ('"3"', 'W/"3"', '"2", "3"', "*"):
        again = httpx.get(case_url(gateway, case_id), headers={**who["jo"], "If-None-Match": held})
        assert (again.status_code, again.headers["ETag"], again.content) == (304, '"3"', b""), held
    system = httpx.get(case_url(gateway, case_id), headers={**who["intake"], "If-None-Match": '"3"'})
    assert system.status_code == 304  # the posting system's status view has the same version

    started = httpx.post(f"{case_url(gateway, case_id)}/investigation", headers={**who["jo"], "If-Match": '"3"'})
    assert started.status_code == 200, started.text
    changed = httpx.get(case_url(gateway, case_id), headers={**who["jo"], "If-None-Match": '"3"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"4"' and changed.json()["status"] == "investigating"
    # Another team's handler learns nothing from a 304: the read rule comes first.
    assert httpx.get(case_url(gateway, case_id), headers={**who["fé"], "If-None-Match": '"4"'}).status_code == 403


def test_an_auditors_repeated_reads_are_logged_once_per_window_and_a_304_not_at_all(gateway, who):
    case_id = post(gateway, who)
    clocked(gateway, who, case_id)

    def state_reads() -> list[dict[str, Any]]:
        reads = httpx.get(f"{case_url(gateway, case_id)}/reads", headers=who["chef"]).json()["reads"]
        return [r for r in reads if r["what"].startswith("state")]

    for _ in range(3):
        assert httpx.get(case_url(gateway, case_id), headers=who["audrey"]).status_code == 200
    assert httpx.get(case_url(gateway, case_id), headers={**who["audrey"], "If-None-Match": '"3"'}).status_code == 304
    assert httpx.get(f"{case_url(gateway, case_id)}/history", headers=who["audrey"]).status_code == 200
    reads = httpx.get(f"{case_url(gateway, case_id)}/reads", headers=who["chef"]).json()["reads"]
    assert [(r["by"], r["what"]) for r in reads] == [("user:audrey", "state (version 3)"), ("user:audrey", "history")]

    time.sleep(READ_LOG_WINDOW + 0.5)  # the window (READ_LOG_WINDOW_SECONDS) has passed: a new look is a new read
    assert httpx.get(case_url(gateway, case_id), headers=who["audrey"]).status_code == 200
    assert len(state_reads()) == 2


# --- the live stream ----------------------------------------------------------------------------------------
def test_a_stream_sees_a_posted_complaint_routed_and_clocked_and_resumes_after_a_reconnect(gateway, who):
    listener = Listener(gateway, who["chef"])
    assert listener.status == 200
    first = post(gateway, who)
    seen = listener.wait_for(first, "Received", "Routed", "ClockStarted")
    assert [e["version"] for e in seen] == [1, 2, 3] and [e["type"] for e in seen] == ["Received", "Routed",
                                                                                        "ClockStarted"]
    assert {e["event"] for e in seen} == {"case-changed"} and seen[1]["team"] == "communicatie"
    assert seen[0]["case_number"].startswith("BZA-") and "Routed to team communicatie" in seen[1]["summary"]
    ids = [e["id"] for e in listener.events]
    assert ids == sorted(set(ids)), "ids rise and never repeat"
    last = listener.events[-1]["id"]
    listener.close()

    # While nobody listens, the first case moves on and a second complaint comes in.
    started = httpx.post(f"{case_url(gateway, first)}/investigation", headers=who["jo"])
    assert started.status_code == 200, started.text
    second = post(gateway, who)
    clocked(gateway, who, second)

    resumed = Listener(gateway, who["chef"], last_event_id=last)
    resumed.wait_for(second, "ClockStarted")
    resumed.wait_for(first, "InvestigationStarted")
    assert [e["version"] for e in resumed.of(first)] == [4]  # nothing missed, nothing repeated
    assert [e["version"] for e in resumed.of(second)] == [1, 2, 3]
    assert all(e["id"] > last for e in resumed.events)
    resumed.close()


def test_a_reconnect_from_before_the_process_started_is_read_from_the_store(module_stack, gateway, who):
    """A restarted reporting process knows only what came after its start; older events come from the store."""
    case_id = post(gateway, who)
    clocked(gateway, who, case_id)
    module_stack.stop("reporting")
    module_stack.start("reporting")
    replayed = Listener(gateway, who["chef"], last_event_id=0, case_id=case_id)
    seen = replayed.wait_for(case_id, "ClockStarted")
    assert [e["version"] for e in seen] == [1, 2, 3]
    replayed.close()


def test_a_stream_shows_only_what_the_caller_may_read(gateway, who):
    ours = Listener(gateway, {**who["jo"], "Accept-Language": "nl"})
    theirs = Listener(gateway, who["fé"])
    case_id = post(gateway, who)
    seen = ours.wait_for(case_id, "Routed", "ClockStarted")
    assert "Received" not in {e["type"] for e in seen}  # before routing, a case is for managers
    assert next(e for e in seen if e["type"] == "Routed")["summary"].startswith("Toegewezen aan team communicatie")
    time.sleep(1)  # both streams are fed from one window: had finance been shown it, it would be there by now
    assert theirs.of(case_id) == []
    ours.close()
    theirs.close()

    url = f"{gateway}/v1/tenants/brandweer/events"
    for headers, params, status in ((who["fé"], {"team": "communicatie"}, 403), (who["chef"], {"team": "nope"}, 422),
                                    (who["intake"], {}, 403), ({}, {}, 401)):
        refused = httpx.get(url, headers=headers, params=params)
        assert refused.status_code == status and refused.headers["Content-Type"] == "application/problem+json"
    elsewhere = httpx.get(f"{gateway}/v1/tenants/politiezone/events", headers=who["chef"])
    assert elsewhere.status_code == 403


def test_a_quiet_stream_gets_heartbeats(gateway, who):
    comments = []
    with httpx.stream("GET", f"{gateway}/v1/tenants/brandweer/events", params={"case_id": str(uuid.uuid4())},
                      headers=who["chef"], timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith(":"):
                comments.append(line)
            if len(comments) == 2:
                break
    assert len(comments) == 2
