"""Small helpers for the end-to-end tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from launcher.stack import Stack


def wait_until(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"not true after {timeout}s; last value: {last!r}")


def complaint(n: int = 0, **overrides: Any) -> dict[str, Any]:
    return {"channel": "e-mail", "signal_type": "klacht", "category": "dienstverlening",
            "subject": f"Klacht {n}", "text": "Wegdek nog steeds vuil na reinigen", **overrides}


class Api:
    """The running set as a city system and a manager of the fire zone see it."""

    def __init__(self, stack: Stack, auth: dict[str, dict[str, str]]) -> None:
        self.stack, self.auth = stack, auth

    def post(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(f"{self.stack.url('intake')}/v1/tenants/brandweer/complaints", json=body, timeout=30,
                          headers={**self.auth["intake"], **(headers or {})})

    def case(self, case_id: str) -> dict[str, Any]:
        return httpx.get(f"{self.stack.url('intake')}/v1/tenants/brandweer/complaints/{case_id}", timeout=10,
                         headers=self.auth["intake"]).json()

    def projected(self, case_id: str) -> dict[str, Any] | None:
        response = httpx.get(f"{self.stack.url('reporting')}/v1/tenants/brandweer/cases/{case_id}", timeout=10,
                             headers=self.auth["manager"])
        return response.json() if response.status_code == 200 else None

    def report(self) -> dict[str, Any]:
        return httpx.get(f"{self.stack.url('reporting')}/v1/tenants/brandweer/reports/channel-status",
                         headers=self.auth["manager"], timeout=10).json()

    def settled(self, case_id: str) -> bool:
        """Routed, due date set, and the projection has applied exactly the events in the stream (three, and
        two per message to the complainant: decided and sent)."""
        state = self.case(case_id)
        view = self.projected(case_id)
        return bool(state["due_date"] and view and view["events_applied"] == state["version"]
                    and state["version"] >= 3 and state["version"] % 2 == 1)


def metric(stack: Stack, service: str, name: str) -> float:
    for line in httpx.get(f"{stack.url(service)}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
