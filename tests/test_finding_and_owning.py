"""Finding and owning cases through HTTP on the running set: a case assigned to a person and shown in their
"my cases" queue, what a reroute does to it, and who may assign."""

from __future__ import annotations

import httpx
import pytest

from complaints.adapters.store import Complaints
from complaints.web.auth import Credentials
from tests.helpers import complaint, wait_until


@pytest.fixture(scope="module")
def who(module_stack) -> dict[str, dict[str, str]]:
    """Headers for the fire zone: its intake system, a manager, two handlers of communicatie, one of finance."""
    settings = module_stack.settings
    store = Complaints(settings)
    credentials = Credentials(store, settings)
    headers = {"intake": {"X-API-Key": credentials.issue_key(name="e-loket", tenant="brandweer", role="intake")}}
    for name, roles, team in (("chef", ["manager"], None), ("jo", ["handler"], "communicatie"),
                              ("lien", ["handler"], "communicatie"), ("fé", ["handler"], "financien")):
        token = credentials.token_for(subject=name, tenants=["brandweer"], roles=roles, team=team)
        headers[name] = {"Authorization": f"Bearer {token}"}
    store.close()
    return headers


def received(stack, who, **overrides) -> str:
    """A complaint posted and routed (to communicatie, the default team), with its due date."""
    posted = httpx.post(f"{stack.url('intake')}/v1/tenants/brandweer/complaints", headers=who["intake"],
                        json=complaint(**overrides), timeout=30)
    assert posted.status_code == 201, posted.text
    case_id = posted.json()["case_id"]
    wait_until(lambda: httpx.get(f"{stack.url('intake')}/v1/tenants/brandweer/complaints/{case_id}",
                                 headers=who["chef"], timeout=10).json().get("due_date"))
    return case_id


def my_cases(stack, headers) -> list[dict]:
    response = httpx.get(f"{stack.url('reporting')}/v1/tenants/brandweer/queue", params={"assignee": "me"},
                         headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_handler_takes_a_case_it_shows_in_my_cases_and_a_reroute_takes_it_away(module_stack, who):
    stack = module_stack
    case_id = received(stack, who)
    url = f"{stack.url('qualification')}/v1/tenants/brandweer/complaints/{case_id}/assignment"
    view = httpx.get(f"{stack.url('intake')}/v1/tenants/brandweer/complaints/{case_id}", headers=who["jo"]).json()
    assert view["assignee"] is None
    assign = next(a for a in view["allowed_actions"] if a["name"] == "assign")
    assert (assign["method"], assign["href"]) == ("POST", f"/v1/tenants/brandweer/complaints/{case_id}/assignment")

    # A handler takes it for themselves, not for a colleague; a handler of another team not at all.
    assert httpx.post(url, headers=who["jo"], json={"assignee": "lien"}).status_code == 403
    assert httpx.post(url, headers=who["fé"], json={"assignee": "fé"}).status_code == 403
    taken = httpx.post(url, headers=who["jo"], json={"assignee": "jo"})
    assert taken.status_code == 200, taken.text
    assert taken.json()["assignee"] == "jo"
    assert {"unassign"} <= {a["name"] for a in taken.json()["allowed_actions"]}
    rows = wait_until(lambda: [c for c in my_cases(stack, who["jo"]) if c["case_id"] == case_id])
    assert rows[0]["assignee"] == "jo"
    assert [c for c in my_cases(stack, who["lien"]) if c["case_id"] == case_id] == []

    # The colleague still works the case, but neither takes it over nor gives it back; a manager reassigns.
    work = f"{stack.url('qualification')}/v1/tenants/brandweer/complaints/{case_id}"
    assert httpx.post(f"{work}/investigation", headers=who["lien"]).status_code == 200
    assert httpx.post(url, headers=who["lien"], json={"assignee": "lien"}).status_code == 403
    assert httpx.delete(url, headers=who["lien"]).status_code == 403
    assert httpx.post(url, headers=who["chef"], json={"assignee": "lien"}).json()["assignee"] == "lien"
    wait_until(lambda: [c for c in my_cases(stack, who["lien"]) if c["case_id"] == case_id])
    assert httpx.delete(url, headers=who["lien"]).json()["assignee"] is None
    again = httpx.delete(url, headers=who["lien"])
    assert again.status_code == 409 and "assign" in again.json()["allowed_actions"]

    # A reroute clears the assignment in the same event: the old team's assignee no longer holds the case.
    assert httpx.post(url, headers=who["jo"], json={"assignee": "jo"}).status_code == 200
    rerouted = httpx.post(f"{stack.url('routing')}/v1/tenants/brandweer/complaints/{case_id}/reroute",
                          headers=who["jo"], json={"team": "financien", "reason": "een factuur"})
    assert rerouted.status_code == 200, rerouted.text
    assert rerouted.json()["assignee"] is None
    wait_until(lambda: not [c for c in my_cases(stack, who["jo"]) if c["case_id"] == case_id])
    assert httpx.post(url, headers=who["jo"], json={"assignee": "jo"}).status_code == 403
    assert httpx.post(url, headers=who["fé"], json={"assignee": "fé"}).status_code == 200
    projected = wait_until(lambda: (row := httpx.get(
        f"{stack.url('reporting')}/v1/tenants/brandweer/cases/{case_id}", headers=who["chef"]).json())
        .get("assignee") == "fé" and row)
    assert projected["team"] == "financien"
