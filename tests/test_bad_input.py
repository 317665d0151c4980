"""Bad input at the door: each is refused with a clear 4xx problem document, within seconds, and the
service goes on answering and accepting complaints afterwards."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from launcher.stack import Stack
from tests.helpers import complaint, wait_until

COMPLAINTS = "/v1/tenants/brandweer/complaints"
TIMEOUT = 10  # a refusal is immediate; anything slower counts as a hang


def chunks(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A body sent chunked, without Content-Length: the limit must be counted, not read from a header."""
    for _ in range(size // chunk + 1):
        yield b" " * chunk


def with_bad_utf8() -> bytes:
    return json.dumps(complaint()).encode().replace(b"Wegdek", b"Weg\xff\xfedek")


# name -> (role, method, path, request arguments, expected status)
BAD_INPUT: dict[str, tuple[str, str, str, dict[str, Any], int]] = {
    "body over the limit": ("intake", "POST", COMPLAINTS, {"content": b" " * 5_000_001}, 413),
    "body over the limit, chunked": ("intake", "POST", COMPLAINTS, {"content": chunks(5_000_001)}, 413),
    "100k nested arrays": ("intake", "POST", COMPLAINTS, {"content": b"[" * 100_000}, 400),
    "100k nested objects": ("intake", "POST", COMPLAINTS, {"content": b'{"a":' * 100_000 + b"1" + b"}" * 100_000}, 400),
    "invalid UTF-8": ("intake", "POST", COMPLAINTS, {"content": with_bad_utf8()}, 400),
    "not JSON": ("intake", "POST", COMPLAINTS, {"content": b"channel=e-mail&subject=x"}, 400),
    "not JSON, as text/plain": ("intake", "POST", COMPLAINTS,
                                {"content": b"just text", "headers": {"content-type": "text/plain"}}, 422),
    "a 100 KB header": ("intake", "POST", COMPLAINTS, {"json": complaint(), "headers": {"x-big": "a" * 100_000}}, 431),
    "500 headers": ("intake", "POST", COMPLAINTS,
                    {"json": complaint(), "headers": {f"x-h{i}": "v" for i in range(500)}}, 431),
    "NUL in the query": ("intake", "GET", COMPLAINTS, {"params": {"sender_reference": "a\x00b"}}, 422),
}
# The same at a service on the other shape of app (complaints.web.app): headers, and NUL where it reached SQL.
ELSEWHERE = {
    "a 100 KB header": ("manager", "GET", "/v1/tenants/brandweer/queue", {"headers": {"x-big": "a" * 100_000}}, 431),
    "500 headers": ("manager", "GET", "/v1/tenants/brandweer/queue",
                    {"headers": {f"x-h{i}": "v" for i in range(500)}}, 431),
    "NUL in the query": ("manager", "GET", "/v1/tenants/brandweer/queue", {"params": {"q": "a\x00b"}}, 422),
    "NUL in a cursor": ("manager", "GET", "/v1/tenants/brandweer/queue",
                        {"params": {"cursor": "WyIyMDI2LTAxLTAxIiwiYVx1MDAwMGIiXQ=="}}, 422),  # ["2026-01-01","a\0b"]
    "a deeply nested cursor": ("manager", "GET", "/v1/tenants/brandweer/queue",
                               {"params": {"cursor": base64.urlsafe_b64encode(b"[" * 3200).decode()}}, 422),
}


def send(stack: Stack, service: str, auth: dict[str, dict[str, str]], case: tuple[Any, ...]) -> httpx.Response:
    role, method, path, arguments, _ = case
    headers = {**auth[role], "content-type": "application/json", **arguments.get("headers", {})}
    return httpx.request(method, stack.url(service) + path, timeout=TIMEOUT,
                         **{**arguments, "headers": headers})


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, f"{response.status_code}: {response.text[:300]}"
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body = response.json()
    assert body["status"] == status and body["type"].startswith("https://") and body["title"], body
    if status == 400:  # whatever made the JSON unreadable, the client reads one kind of problem
        assert body["type"].endswith("/malformed-json"), body


def still_serves(stack: Stack, auth: dict[str, dict[str, str]], *services: str) -> None:
    for service in services:
        assert httpx.get(stack.url(service) + "/healthz", timeout=TIMEOUT).status_code == 200, service
    response = httpx.post(stack.url("intake") + COMPLAINTS, json=complaint(), headers=auth["intake"], timeout=TIMEOUT)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_intake_refuses_bad_input_and_goes_on(name: str, module_stack: Stack,
                                              module_auth: dict[str, dict[str, str]]) -> None:
    assert_problem(send(module_stack, "intake", module_auth, BAD_INPUT[name]), BAD_INPUT[name][-1])
    still_serves(module_stack, module_auth, "intake")


@pytest.mark.parametrize("name", list(ELSEWHERE))
def test_another_service_refuses_bad_input_and_goes_on(name: str, module_stack: Stack,
                                                       module_auth: dict[str, dict[str, str]]) -> None:
    assert_problem(send(module_stack, "reporting", module_auth, ELSEWHERE[name]), ELSEWHERE[name][-1])
    still_serves(module_stack, module_auth, "reporting", "intake")


def test_a_subject_with_nul_is_accepted_and_still_reaches_the_reports(
        module_stack: Stack, module_auth: dict[str, dict[str, str]]) -> None:
    """Intake keeps text exactly as given; the read model (PostgreSQL text, which cannot hold NUL) must
    not drop the case: it used to dead-letter the event, leaving the case out of every report."""
    response = httpx.post(module_stack.url("intake") + COMPLAINTS, json=complaint(subject="Sirene\x00s"),
                          headers=module_auth["intake"], timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]

    def projected() -> dict[str, Any] | None:
        answer = httpx.get(f"{module_stack.url('reporting')}/v1/tenants/brandweer/cases/{case_id}",
                           headers=module_auth["manager"], timeout=TIMEOUT)
        return answer.json() if answer.status_code == 200 else None

    assert wait_until(projected, timeout=30)["subject"] == "Sirene\ufffds"
    state = httpx.get(module_stack.url("intake") + f"{COMPLAINTS}/{case_id}", headers=module_auth["manager"],
                      timeout=TIMEOUT).json()
    assert state["subject"] == "Sirene\x00s"  # the event has it as given


def test_a_search_for_percent_finds_only_what_contains_it_and_no_log_holds_the_search(
        module_stack: Stack, module_auth: dict[str, dict[str, str]]) -> None:
    marked = httpx.post(module_stack.url("intake") + COMPLAINTS, json=complaint(subject="Korting 100% beloofd"),
                        headers=module_auth["intake"], timeout=TIMEOUT).json()["case_id"]
    queue = module_stack.url("reporting") + "/v1/tenants/brandweer/queue"

    def found(q: str) -> set[str]:
        items = httpx.get(queue, params={"q": q}, headers=module_auth["manager"], timeout=TIMEOUT).json()["items"]
        return {item["case_id"] for item in items}

    wait_until(lambda: marked in found("100%"))
    assert found("100%") == {marked} and found("%") == {marked}  # `%` is text, not "anything"
    assert found("ZOEKTERM-ZONDER-TREFFER") == set()
    logs = "".join(path.read_text(errors="replace") for path in module_stack.log_dir.glob("*.log"))
    assert "ZOEKTERM-ZONDER-TREFFER" not in logs and "GET /v1/tenants" not in logs
