"""Who may do what, through HTTP: every leak the permission issue found, closed.

The intake, qualification and reporting apps run in-process on one PostgreSQL
database; routing and the clock are applied by their followers' catch-up, on a
fixed clock. Each test failed on the code before the one permission policy.
"""

from __future__ import annotations

import json
import time
from contextlib import closing
from datetime import datetime, timezone

import jwt
import pytest
from fastapi.testclient import TestClient

from complaints.adapters.follower import store_follower
from complaints.application.permissions import ACTION_PATHS
from complaints.application.clock import FixedClock
from complaints.settings import Settings
from complaints.web.auth import Credentials
from intake.app import build as intake_app
from launcher.credentials import demo_credentials
from qualification.app import build as qualification_app
from qualification.consumer import Qualification
from reporting.app import build as reporting_app
from routing.app import build as routing_app
from routing.consumer import Routing

CLOCK = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
COMPLAINT = {"channel": "e-mail", "signal_type": "klacht", "subject": "Factuur", "text": "Te hoog",
             "complainant": {"name": "A. Burger", "email": "a.burger@example.be", "phone": "0470 12 34 56"}}


@pytest.fixture
def apps(settings: Settings):
    with TestClient(intake_app(settings, CLOCK)) as intake, \
            TestClient(qualification_app(settings, CLOCK)) as qualification, \
            TestClient(reporting_app(settings, CLOCK)) as reporting, TestClient(routing_app(settings, CLOCK)) as routing:
        yield {"intake": intake, "qualification": qualification, "reporting": reporting, "routing": routing}


@pytest.fixture
def who(settings: Settings, store):
    """Headers per caller: systems by key (two of the fire zone, two of the care company), people by token."""
    credentials = Credentials(store, settings)

    def token(subject: str, tenant: str, role: str, team: str | None = None) -> dict[str, str]:
        return {"Authorization": "Bearer " + credentials.token_for(subject=subject, tenants=[tenant], roles=[role],
                                                                    team=team)}

    def key(name: str, tenant: str) -> dict[str, str]:
        return {"X-API-Key": credentials.issue_key(name=name, tenant=tenant, role="intake")}

    return {
        "e-loket": key("e-loket", "brandweer"), "contactcenter": key("contactcenter", "brandweer"),
        "zb-loket": key("e-loket", "zorgbedrijf"),
        "communicatie": token("jo@brandweer", "brandweer", "handler", "communicatie"),
        "financien": token("fe@brandweer", "brandweer", "handler", "financien"),
        "no-team": token("nel@brandweer", "brandweer", "handler"),
        "fire-manager": token("mo@brandweer", "brandweer", "manager"),
        "fire-auditor": token("au@brandweer", "brandweer", "auditor"),
        "drafter": token("an@zorgbedrijf", "zorgbedrijf", "handler", "klantendienst"),
        "manager": token("cas@zorgbedrijf", "zorgbedrijf", "manager"),
        "second-manager": token("mia@zorgbedrijf", "zorgbedrijf", "manager"),
        "director": token("dirk@zorgbedrijf", "zorgbedrijf", "director"),
        "zb-auditor": token("fien@zorgbedrijf", "zorgbedrijf", "auditor"),
    }


async def received(settings: Settings, apps, headers, tenant: str = "brandweer", **fields) -> str:
    """A case posted by the system of `headers`, routed and clocked."""
    response = apps["intake"].post(f"/v1/tenants/{tenant}/complaints", headers=headers, json={**COMPLAINT, **fields})
    assert response.status_code == 201, response.text
    for consumer, name in ((Routing(settings, CLOCK), "routing"), (Qualification(settings, CLOCK), "qualification")):
        with closing(consumer):
            await store_follower(settings, consumer, name).catch_up()
    return response.json()["case_id"]


def projected(apps, tenant: str, case_id: str, headers) -> None:
    """Waits until reporting's projection has the case (its follower runs in the app)."""
    for _ in range(200):
        answer = apps["reporting"].get(f"/v1/tenants/{tenant}/cases/{case_id}", headers=headers)
        if answer.status_code == 200 and answer.json()["team"]:  # routed in the projection too, not only received
            return
        time.sleep(0.05)
    raise AssertionError("never projected")


async def test_a_handler_of_another_team_reads_nothing_of_the_case_and_its_own_team_reads_all(settings, apps, who):
    case_id = await received(settings, apps, who["e-loket"])  # routed to communicatie
    base = f"/v1/tenants/brandweer/complaints/{case_id}"
    reads = [base, f"{base}/history", f"{base}/export", f"{base}/diff?from=1&to=2", f"{base}/verify",
             f"{base}?version=1"]
    for path in reads:
        refused = apps["intake"].get(path, headers=who["financien"])
        assert refused.status_code == 403, (path, refused.text)
        assert "a.burger" not in refused.text and refused.headers["content-type"] == "application/problem+json"
        assert apps["intake"].get(path, headers=who["communicatie"]).status_code == 200, path
    assert apps["intake"].get(base, headers=who["communicatie"]).json()["complainant"]["email"] == "a.burger@example.be"
    projected(apps, "brandweer", case_id, who["fire-manager"])
    assert apps["reporting"].get(f"/v1/tenants/brandweer/cases/{case_id}", headers=who["financien"]).status_code == 403
    assert apps["reporting"].get(f"/v1/tenants/brandweer/cases/{case_id}",
                                 headers=who["communicatie"]).status_code == 200


async def test_after_a_reroute_the_new_team_reads_the_case_and_the_old_one_no_longer(settings, apps, who):
    case_id = await received(settings, apps, who["e-loket"])
    moved = apps["routing"].post(f"/v1/tenants/brandweer/complaints/{case_id}/reroute", headers=who["communicatie"],
                                 json={"team": "financien", "reason": "factuur"})
    assert moved.status_code == 200, moved.text
    path = f"/v1/tenants/brandweer/complaints/{case_id}"
    assert apps["intake"].get(path, headers=who["communicatie"]).status_code == 403
    assert apps["intake"].get(path, headers=who["financien"]).status_code == 200


async def test_a_handler_token_without_a_team_sees_no_queue_and_no_case(settings, apps, who):
    case_id = await received(settings, apps, who["e-loket"])
    queue = apps["reporting"].get("/v1/tenants/brandweer/queue", headers=who["no-team"])
    assert queue.status_code == 403 and "team" in queue.json()["detail"]
    assert apps["intake"].get(f"/v1/tenants/brandweer/complaints/{case_id}", headers=who["no-team"]).status_code == 403
    assert apps["reporting"].get("/v1/tenants/brandweer/queue", headers=who["communicatie"]).status_code == 200


async def test_a_calling_system_reads_only_the_cases_it_sent(settings, apps, who):
    case_id = await received(settings, apps, who["e-loket"])
    path = f"/v1/tenants/brandweer/complaints/{case_id}"
    other = apps["intake"].get(path, headers=who["contactcenter"])
    assert other.status_code == 403 and "Factuur" not in other.text
    own = apps["intake"].get(path, headers=who["e-loket"])
    assert own.status_code == 200 and own.json()["subject"] == "Factuur" and "complainant" not in own.json()


async def test_a_rotated_key_keeps_what_its_system_owns(settings, apps, who, store):
    case_id = await received(settings, apps, who["e-loket"])
    credentials = Credentials(store, settings)
    new = {"X-API-Key": credentials.issue_key(name="e-loket", tenant="brandweer", role="intake")}
    credentials.revoke_key(who["e-loket"]["X-API-Key"])
    assert apps["intake"].get(f"/v1/tenants/brandweer/complaints/{case_id}", headers=new).status_code == 200


async def test_the_care_companys_two_approvals_are_given_by_two_people_of_the_steps_roles(settings, apps, who):
    case_id = await received(settings, apps, who["zb-loket"], tenant="zorgbedrijf")
    q = apps["qualification"]

    def post(action: str, headers, body=None):
        return q.post(f"/v1/tenants/zorgbedrijf/complaints/{case_id}/{action}", headers=headers, json=body)

    assert post("qualification", who["drafter"], {"qualification": "gegrond"}).status_code == 200
    drafted = post("answer-draft", who["drafter"], {"text": "Excuses", "channel": "e-mail"}).json()
    assert drafted["next_approval_step"] == "realiteitscheck-lokale-manager"
    assert "approvals" not in _names(drafted) and "answer" not in _names(drafted)  # the author's own view
    assert post("approvals", who["director"]).status_code == 403  # the first step is the local manager's
    first = post("approvals", who["manager"])
    assert first.status_code == 200 and first.json()["next_approval_step"] == "goedkeuring-directeur-klantbeleving"
    twice = post("approvals", who["manager"])
    assert twice.status_code == 403  # one person, one step (the same manager gave both before)
    assert post("approvals", who["second-manager"]).status_code == 403  # the second step is a director's
    early = post("answer", who["manager"])
    assert early.status_code == 409 and "goedkeuring-directeur-klantbeleving" in early.json()["detail"]
    assert "answer" not in early.json()["allowed_actions"]
    assert post("approvals", who["director"]).status_code == 200
    ready = apps["intake"].get(f"/v1/tenants/zorgbedrijf/complaints/{case_id}", headers=who["drafter"]).json()
    assert "answer" in _names(ready) and ready["next_approval_step"] is None
    assert post("answer", who["drafter"]).json()["status"] == "answered"


async def test_allowed_actions_are_the_callers_own_and_name_their_paths(settings, apps, who):
    case_id = await received(settings, apps, who["zb-loket"], tenant="zorgbedrijf")
    path = f"/v1/tenants/zorgbedrijf/complaints/{case_id}"
    auditor = apps["intake"].get(path, headers=who["zb-auditor"]).json()
    assert auditor["allowed_actions"] == []
    handler = apps["intake"].get(path, headers=who["drafter"]).json()
    for action in handler["allowed_actions"]:
        assert action["href"] == f"{path}/{ACTION_PATHS.get(action['name'], action['name'])}"
    # Every offered action is accepted by the service that serves its path (the empty note aside: a body).
    investigation = next(a for a in handler["allowed_actions"] if a["name"] == "investigation")
    assert apps["qualification"].request(investigation["method"], investigation["href"],
                                         headers=who["drafter"]).status_code == 200
    assert apps["qualification"].post(f"{path}/notes", headers=who["zb-auditor"],
                                      json={"text": "x"}).status_code == 403


@pytest.mark.parametrize("claims", [
    {"roles": "manager"}, {"tenants": "brandweer"}, {"team": 5}, {"sub": 42}, {"roles": [{"role": "manager"}]},
])
async def test_a_token_whose_claims_have_the_wrong_types_is_a_401_never_a_500(settings, apps, claims):
    now = int(time.time())
    body = {"sub": "x", "tenants": ["brandweer"], "roles": ["manager"], "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience, "iat": now, "exp": now + 60, **claims}
    token = jwt.encode(body, settings.jwt_secret.get_secret_value(), algorithm="HS256")
    for client, path in ((apps["intake"], "/v1/tenants"), (apps["reporting"], "/v1/tenants/brandweer/queue")):
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, response.text
        assert response.json()["type"].endswith("/unauthenticated")


def test_the_demo_has_several_people_per_role_and_the_care_companys_director(settings, tmp_path):
    path = tmp_path / "demo-credentials.json"
    demo_credentials(settings, path)
    written = json.loads(path.read_text())
    assert set(written) == {"api_keys", "tokens", "people"}
    for tenant, people in written["people"].items():
        handlers = [p for p in people if p["roles"] == ["handler"]]
        assert len(handlers) >= 2 and len([p for p in people if p["roles"] == ["manager"]]) >= 2
        if tenant == "brandweer":
            assert len({h["team"] for h in handlers}) == 2
    assert any(p["roles"] == ["director"] for p in written["people"]["zorgbedrijf"])
    assert "director" in written["tokens"]["zorgbedrijf"] and written["api_keys"]["stad"]["intake"].startswith("ck_")


def _names(view: dict) -> list[str]:
    return [a["name"] for a in view["allowed_actions"]]


async def test_a_manager_lists_and_revokes_a_systems_key_and_it_is_refused_within_a_second(settings, apps, who):
    keys = apps["intake"].get("/v1/tenants/brandweer/api-keys", headers=who["fire-manager"])
    assert keys.status_code == 200
    listed = {k["system"]: k for k in keys.json()}
    assert {"e-loket", "contactcenter"} <= set(listed) and "key" not in listed["e-loket"]
    theirs = apps["intake"].get("/v1/tenants/zorgbedrijf/api-keys", headers=who["manager"]).json()
    assert [k["system"] for k in theirs] == ["e-loket"]  # the care company's own e-loket, and nothing of ours
    assert theirs[0]["key_id"] != listed["e-loket"]["key_id"]
    assert apps["intake"].get("/v1/tenants/brandweer/api-keys", headers=who["communicatie"]).status_code == 403
    target = listed["contactcenter"]["key_id"]
    assert apps["intake"].delete(f"/v1/tenants/zorgbedrijf/api-keys/{target}",
                                 headers=who["manager"]).status_code == 404  # another tenant's key is absent
    assert apps["intake"].post("/v1/tenants/brandweer/complaints", headers=who["contactcenter"],
                               json=COMPLAINT).status_code == 201  # the key is good, and remembered
    revoked = apps["intake"].delete(f"/v1/tenants/brandweer/api-keys/{target}", headers=who["fire-manager"])
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    time.sleep(1.1)
    refused = apps["intake"].post("/v1/tenants/brandweer/complaints", headers=who["contactcenter"], json=COMPLAINT)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert apps["intake"].post("/v1/tenants/brandweer/complaints", headers=who["e-loket"],
                               json=COMPLAINT).status_code == 201
