"""Follow-up and improvement actions through HTTP, on the running set: recorded on the case, listed per team,
completed by the team that owns them, and counted in the yearly report."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import httpx
import pytest

from complaints.adapters.store import Complaints
from complaints.web.auth import Credentials
from tests.helpers import Api, complaint, wait_until


@pytest.fixture
def api(stack, auth) -> Api:
    return Api(stack, auth)


@pytest.fixture
def handlers(settings) -> dict[str, dict[str, str]]:
    """A handler of each of the fire zone's teams."""
    store = Complaints(settings)
    credentials = Credentials(store, settings)
    tokens = {team: credentials.token_for(subject=f"{team}@brandweer", tenants=["brandweer"], roles=["handler"],
                                          team=team) for team in ("communicatie", "preventie", "financien")}
    store.close()
    return {team: {"Authorization": f"Bearer {token}"} for team, token in tokens.items()}


def test_actions_are_recorded_listed_per_team_completed_by_their_team_and_reported(api, auth, handlers):
    posted = api.post(complaint(category="dienstverlening"))
    case_id = posted.json()["case_id"]
    wait_until(lambda: api.settled(case_id))  # routed to communicatie
    case_url = f"{api.stack.url('qualification')}/v1/tenants/brandweer/complaints/{case_id}"
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).date()

    follow_up = httpx.post(f"{case_url}/actions", headers=handlers["communicatie"], json={
        "kind": "follow-up", "what": "Brandalarm nakijken bij de klager", "team": "preventie",
        "due_on": yesterday.isoformat()})
    assert follow_up.status_code == 201, follow_up.text
    assert follow_up.headers["location"].endswith(f"/complaints/{case_id}/actions/1")
    assert (follow_up.json()["number"], follow_up.json()["team"], follow_up.json()["done_at"]) == ("1", "preventie", None)
    improvement = httpx.post(f"{case_url}/actions", headers=auth["manager"], json={
        "kind": "improvement", "what": "Onthaal: wachttijd aan de telefoon meten", "team": "communicatie"})
    assert improvement.status_code == 201 and improvement.json()["number"] == "2"

    unknown = httpx.post(f"{case_url}/actions", headers=handlers["communicatie"],
                         json={"kind": "follow-up", "what": "x", "team": "brandpreventie"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "team"
    not_theirs = httpx.post(f"{case_url}/actions", headers=handlers["financien"],
                            json={"kind": "follow-up", "what": "x", "team": "financien"})
    assert not_theirs.status_code == 403  # only who may act on the case records its actions

    # The prevention team sees its action on a case it does not own, and completes it; finance may not.
    listed = lambda who, **params: httpx.get(  # noqa: E731
        f"{api.stack.url('reporting')}/v1/tenants/brandweer/actions", headers=who, params=params).json()["items"]
    mine = wait_until(lambda: listed(handlers["preventie"]))
    assert [(a["case_id"], a["number"], a["overdue"], a["category"]) for a in mine] == \
        [(case_id, "1", True, "dienstverlening")]
    assert httpx.get(api.stack.url("intake") + f"/v1/tenants/brandweer/complaints/{case_id}",
                     headers=handlers["preventie"]).status_code == 403  # the case itself stays its team's
    refused = httpx.post(f"{case_url}/actions/1/done", headers=handlers["financien"], json={"outcome": "x"})
    assert refused.status_code == 403
    done = httpx.post(f"{case_url}/actions/1/done", headers=handlers["preventie"],
                      json={"outcome": "Alarm hersteld op 3 mei"})
    assert done.status_code == 200, done.text
    assert (done.json()["done_by"], done.json()["outcome"]) == ("user:preventie@brandweer", "Alarm hersteld op 3 mei")
    again = httpx.post(f"{case_url}/actions/1/done", headers=handlers["preventie"], json={"outcome": "x"})
    assert again.status_code == 409

    wait_until(lambda: not listed(handlers["preventie"]))
    assert httpx.get(f"{api.stack.url('reporting')}/v1/tenants/brandweer/actions", headers=handlers["preventie"],
                     params={"team": "communicatie"}).status_code == 403  # a handler sees their own team's
    assert [a["number"] for a in listed(auth["manager"])] == ["2"]
    assert [a["number"] for a in listed(auth["manager"], state="all")] == ["1", "2"]

    # The case view carries them; the yearly report counts them per team and category.
    view = httpx.get(api.stack.url("intake") + f"/v1/tenants/brandweer/complaints/{case_id}",
                     headers=auth["manager"]).json()
    assert [(a["number"], a["kind"], a["done_at"] is not None) for a in view["actions"]] == \
        [("1", "follow-up", True), ("2", "improvement", False)]
    report = httpx.get(f"{api.stack.url('reporting')}/v1/tenants/brandweer/reports/actions",
                       params={"year": date.today().year}, headers=auth["manager"]).json()
    rows = {(r["team"], r["category"]): r for r in report["rows"]}
    assert {k: (r["actions"], r["follow-up"], r["improvement"], r["done"], r["open"]) for k, r in rows.items()} == {
        ("communicatie", "dienstverlening"): (1, 0, 1, 0, 1), ("preventie", "dienstverlening"): (1, 1, 0, 1, 0),
        ("total", None): (2, 1, 1, 1, 1)}
