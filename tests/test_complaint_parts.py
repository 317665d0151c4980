"""A complaint about several teams through HTTP, on the running set: the city splits it into a part per team,
each team qualifies its own part, the complaint is answered once, and the reports count it as the tables do."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from complaints.adapters.store import Complaints
from complaints.web.auth import Credentials
from tests.helpers import wait_until

TEAMS = ("mpa", "os-loketten", "sb-ophaaldiensten")


@pytest.fixture
def city(settings) -> dict[str, dict[str, str]]:
    """Headers for the city: its intake system, its manager, and a handler of each team the complaint concerns."""
    store = Complaints(settings)
    credentials = Credentials(store, settings)
    headers = {"intake": {"X-API-Key": credentials.issue_key(name="stad-portaal", tenant="stad", role="intake")},
               "manager": {"Authorization": "Bearer " + credentials.token_for(
                   subject="chef@stad", tenants=["stad"], roles=["manager"])}}
    for team in TEAMS:
        headers[team] = {"Authorization": "Bearer " + credentials.token_for(
            subject=f"{team}@stad", tenants=["stad"], roles=["handler"], team=team)}
    store.close()
    return headers


def test_a_complaint_about_three_teams_is_split_qualified_per_team_answered_once_and_counted(stack, city):
    intake, routing, work, reporting = (stack.url(s) for s in ("intake", "routing", "qualification", "reporting"))
    posted = httpx.post(f"{intake}/v1/tenants/stad/complaints", headers=city["intake"], json={
        "channel": "e-loket", "signal_type": "klacht", "category": "parkeren",
        "subject": "Bewonerskaart, loket en afvalophaling",
        "text": "Mijn bewonerskaart werd niet verlengd, aan het loket werd ik afgesnauwd en mijn afval bleef staan.",
        "complainant": {"name": "B. Burger", "email": "b.burger@example.be"}})
    assert posted.status_code == 201, posted.text
    case_id, number = posted.json()["case_id"], posted.json()["case_number"]
    complaint_url = f"{work}/v1/tenants/stad/complaints/{case_id}"
    # Cases are read at intake; the commands go to the service that owns them.
    read = lambda url, who: httpx.get(url.replace(work, intake), headers=city[who])  # noqa: E731
    complaint = wait_until(lambda: (view := read(complaint_url, "mpa").json()).get("due_date") and view)
    assert complaint["team"] == "mpa"  # parking: the coordinating team

    # Only the owning team (or a manager) splits it, over known teams, one part each.
    split_url = f"{routing}/v1/tenants/stad/complaints/{case_id}/parts"
    parts_asked = {"parts": [{"team": "mpa", "subject": "Bewonerskaart niet verlengd"},
                             {"team": "os-loketten", "subject": "Onvriendelijk onthaald aan het loket"},
                             {"team": "sb-ophaaldiensten", "subject": "Afval niet opgehaald"}]}
    assert httpx.post(split_url, headers=city["os-loketten"], json=parts_asked).status_code == 403
    bad = httpx.post(split_url, headers=city["mpa"], json={"parts": [
        {"team": "mpa", "subject": "a"}, {"team": "afval", "subject": "b"}, {"team": "mpa", "subject": "c"}]})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["parts.1.team", "parts.2.team"]
    split = httpx.post(split_url, headers=city["mpa"], json=parts_asked)
    assert split.status_code == 201, split.text
    parts = {p["team"]: p for p in split.json()["parts"]}
    assert [parts[t]["case_number"] for t in TEAMS] == [f"{number}/1", f"{number}/2", f"{number}/3"]
    assert [p["team"] for p in split.json()["complaint"]["parts"]] == list(TEAMS)
    again = httpx.post(split_url, headers=city["mpa"], json={"parts": [{"team": "os-loketten", "subject": "x"}]})
    assert again.status_code == 409  # one part per team

    # The answer waits for every part's qualification; a transfer or an early close would strand the parts.
    draft = {"text": "Wij hebben uw klacht onderzocht met de drie betrokken diensten.", "channel": "e-mail"}
    assert httpx.post(f"{complaint_url}/qualification", headers=city["mpa"],
                      json={"qualification": "deels-gegrond"}).status_code == 200
    waiting = httpx.post(f"{complaint_url}/answer-draft", headers=city["mpa"], json=draft)
    assert waiting.status_code == 409 and "mpa, os-loketten, sb-ophaaldiensten" in waiting.json()["detail"]
    allowed = {a["name"] for a in read(complaint_url, "mpa").json()["allowed_actions"]}
    assert "answer-draft" not in allowed and "transfer" not in allowed and "close-inadmissible" not in allowed

    # Each team finds its part in its queue, with the complaint's due date, and works it under the policy.
    for team in TEAMS:
        queue = wait_until(lambda: [c for c in httpx.get(f"{reporting}/v1/tenants/stad/queue", headers=city[team])
                                    .json()["items"] if c["part_of"] == case_id])
        assert [(c["case_id"], c["due_date"]) for c in queue] == [(parts[team]["case_id"], complaint["due_date"])]
    part_url = {team: f"{work}/v1/tenants/stad/complaints/{parts[team]['case_id']}" for team in TEAMS}
    loket = read(part_url["os-loketten"], "os-loketten").json()
    assert loket["part_of"] == {"case_id": case_id, "case_number": number} and loket["due_date"] is None
    assert {a["name"] for a in loket["allowed_actions"]} >= {"investigation", "qualification", "notes"}
    assert not {a["name"] for a in loket["allowed_actions"]} & {"answer-draft", "extension", "parts", "transfer"}
    assert read(part_url["mpa"], "os-loketten").status_code == 403  # another team's part
    assert httpx.post(f"{part_url['mpa']}/qualification", headers=city["os-loketten"],
                      json={"qualification": "gegrond"}).status_code == 403
    refused = httpx.post(f"{part_url['os-loketten']}/answer-draft", headers=city["os-loketten"], json=draft)
    assert refused.status_code == 409 and number in refused.json()["detail"]
    assert httpx.post(f"{part_url['os-loketten']}/investigation", headers=city["os-loketten"]).status_code == 200
    for team, qualification in zip(TEAMS, ("gegrond", "gegrond", "ongegrond")):
        qualified = httpx.post(f"{part_url[team]}/qualification", headers=city[team],
                               json={"qualification": qualification})
        assert qualified.status_code == 200, qualified.text
    recorded = read(complaint_url, "mpa").json()
    assert {p["team"]: p["qualification"] for p in recorded["parts"]} == {
        "mpa": "gegrond", "os-loketten": "gegrond", "sb-ophaaldiensten": "ongegrond"}

    # One answer, to the complainant, for all three teams; the parts close with it.
    assert httpx.post(f"{complaint_url}/answer-draft", headers=city["mpa"], json=draft).status_code == 200
    late = httpx.post(f"{part_url['mpa']}/qualification", headers=city["mpa"], json={"qualification": "ongegrond"})
    assert late.status_code == 409  # drafted on the parts' qualifications: they stand
    answered = httpx.post(f"{complaint_url}/answer", headers=city["mpa"])
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered" and "ombudsvrouw" in answered.json()["answer"]
    for team in TEAMS:
        part = read(part_url[team], team).json()
        assert part["status"] == "closed" and part["answer"] is None
    history = httpx.get(f"{intake}/v1/tenants/stad/complaints/{case_id}/history", headers=city["manager"]).json()
    assert [e["type"] for e in history["events"]].count("Answered") == 1

    # Tables of complaints count it once; the per-team table of the customer teams counts each team's part.
    year = datetime.now(timezone.utc).year
    report = lambda name: httpx.get(f"{reporting}/v1/tenants/stad/reports/{name}", headers=city["manager"],  # noqa: E731
                                    params={"year": year}).json()
    wait_until(lambda: not httpx.get(f"{reporting}/v1/tenants/stad/queue", headers=city["manager"]).json()["items"])
    channels = report("channels")
    assert next(r for r in channels["rows"] if r["channel"] == "total")["cases"] == 1
    qualified = next(r for r in report("qualifications")["rows"] if r["category"] == "total")
    assert (qualified["deels-gegrond"], qualified["gegrond"], qualified["total"]) == (1, 0, 1)
    per_team = {r["team"]: r["cases"] for r in report("klik-klantenteams")["rows"]}
    assert [per_team.get(team) for team in TEAMS] == [1, 1, 1]
    assert "each team's part counts for its team" in channels["counted_by"]
