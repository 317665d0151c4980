"""Routing as a capability on the real PostgreSQL and broker: reroute, early close, category, preview, order."""

from contextlib import closing
from datetime import datetime, timezone

import pytest
import yaml
from fastapi.testclient import TestClient

from complaints.adapters.follower import store_follower
from routing.app import build
from complaints.settings import Settings
from complaints.adapters.store import Complaints, Submission
from complaints.model.tenants import BUNDLED, load_tenants
from routing.consumer import Routing

AT = datetime(2023, 6, 22, tzinfo=timezone.utc)


@pytest.fixture
def client(settings: Settings):
    with TestClient(build(settings)) as client:
        yield client


def received(store: Complaints, tenant: str = "brandweer", **fields):
    defaults = {"channel": "e-mail", "signal_type": "klacht", "subject": "s", "text": "t"}
    tenant_config = load_tenants()[tenant]
    return store.receive(tenant_config, Submission("test"), actor="test", received_at=AT,
                         via_oversight=tenant_config.is_oversight(fields.get("channel", "e-mail")),
                         **{**defaults, **fields})[0]


def names(store: Complaints, case_id) -> list[str]:
    return [type(e).__name__ for e in store.events.get(case_id)]


async def route_all(settings: Settings) -> None:
    with closing(Routing(settings)) as routing:  # a store of its own: its connections go with it
        await store_follower(settings, routing, "routing").catch_up()


async def test_a_handler_reroutes_to_another_team_with_a_reason(client, store, settings, auth):
    case = received(store, category="overlast")
    await route_all(settings)
    response = client.post(f"/v1/tenants/brandweer/complaints/{case.id}/reroute", headers=auth["handler"],
                           json={"team": "financien", "reason": "Eigenlijk een factuur"})
    assert response.status_code == 200, response.text
    assert (response.json()["team"], response.json()["routing_rule"]) == ("financien", "by-hand")
    rerouted = list(store.events.get(case.id))[-1]
    assert (type(rerouted).__name__, rerouted.from_team, rerouted.reason, rerouted.actor) == \
        ("Rerouted", "communicatie", "Eigenlijk een factuur", "user:handler@brandweer")


async def test_rerouting_to_a_team_the_tenant_does_not_have_is_a_422(client, store, settings, auth):
    case = received(store)
    await route_all(settings)
    response = client.post(f"/v1/tenants/brandweer/complaints/{case.id}/reroute", headers=auth["manager"],
                           json={"team": "brandweerkazerne", "reason": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "team" and "financien" in response.json()["errors"][0]["allowed"]


async def test_only_the_owning_team_or_a_manager_may_reroute(client, store, settings, auth):
    case = received(store, category="facturatie")  # routed to finance, not the handler's team
    await route_all(settings)
    url = f"/v1/tenants/brandweer/complaints/{case.id}/reroute"
    assert client.post(url, headers=auth["handler"], json={"team": "communicatie", "reason": "x"}).status_code == 403
    assert client.post(url, headers=auth["auditor"], json={"team": "communicatie", "reason": "x"}).status_code == 403
    assert client.post(url, headers=auth["manager"], json={"team": "communicatie", "reason": "x"}).status_code == 200


async def test_an_inadmissible_case_is_closed_early_with_the_schemes_code(client, store, settings, auth):
    case = received(store)
    await route_all(settings)
    url = f"/v1/tenants/brandweer/complaints/{case.id}/close-inadmissible"
    wrong = client.post(url, headers=auth["handler"], json={"qualification": "gegrond", "reason": "x"})
    assert wrong.status_code == 422 and "niet-ontvankelijk-onbevoegd" in wrong.json()["errors"][0]["allowed"]
    closed = client.post(url, headers=auth["handler"], json={
        "qualification": "niet-ontvankelijk-onbevoegd", "reason": "Bevoegdheid van de politie",
        "forward_to": "Politiezone Antwerpen"})
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["qualification"], closed.json()["forwarded_to"]) == \
        ("closed", "niet-ontvankelijk-onbevoegd", "Politiezone Antwerpen")
    assert names(store, case.id)[-2:] == ["Qualified", "Closed"]
    again = client.post(url, headers=auth["handler"], json={"qualification": "niet-ontvankelijk-onbevoegd",
                                                             "reason": "x"})
    assert again.status_code == 409 and again.json()["state"] == "closed"


async def test_a_case_routed_without_category_is_routed_again_when_the_category_is_set(client, store, settings, auth):
    case = received(store)  # no category: the default team
    await route_all(settings)
    assert store.get(case.id).team == "communicatie"
    response = client.put(f"/v1/tenants/brandweer/complaints/{case.id}/category", headers=auth["handler"],
                          json={"category": "facturatie"})
    assert response.status_code == 200
    await route_all(settings)
    assert store.get(case.id).team == "financien"
    last = list(store.events.get(case.id))[-1]
    assert (type(last).__name__, last.rule_id, last.actor) == ("Rerouted", "billing-to-finance", "system:routing")


async def test_a_reroute_by_hand_is_not_overwritten_by_a_late_routing(client, store, settings, auth):
    case = received(store, category="facturatie")  # the rules would say finance
    manager = client.post(f"/v1/tenants/brandweer/complaints/{case.id}/reroute", headers=auth["manager"],
                          json={"team": "preventie", "reason": "Eerst preventie"})
    assert manager.status_code == 200
    await route_all(settings)  # the routing consumer only now sees Received
    assert store.get(case.id).team == "preventie"
    assert names(store, case.id) == ["Received", "Rerouted"]


async def test_if_match_with_an_old_version_is_a_412(client, store, settings, auth):
    case = received(store)
    await route_all(settings)
    response = client.put(f"/v1/tenants/brandweer/complaints/{case.id}/category", json={"category": "overlast"},
                          headers={**auth["handler"], "If-Match": '"1"'})
    assert response.status_code == 412
    assert response.json()["current_version"] == 2


def test_the_preview_names_rule_team_and_version(client, auth):
    response = client.post("/v1/tenants/brandweer/routing/preview", headers=auth["manager"],
                           json={"channel": "e-mail", "signal_type": "klacht", "category": "facturatie"})
    assert response.json() == {"team": "financien", "rule_id": "billing-to-finance",
                               "config_version": load_tenants()["brandweer"].version}
    bad = client.post("/v1/tenants/brandweer/routing/preview", headers=auth["manager"],
                      json={"channel": "fax", "signal_type": "klacht"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "channel"


async def test_a_case_via_the_ombudsman_carries_the_flag(store):
    assert received(store, channel="ombudsman").via_oversight is True
    assert received(store).via_oversight is False


async def test_a_rule_change_leaves_earlier_routes_as_recorded(store, settings, tmp_path):
    early = received(store, category="overlast")
    await route_all(settings)
    data = yaml.safe_load((BUNDLED / "brandweer.yaml").read_text())
    data["version"] = "2024.1"
    data["routing"]["rules"].insert(0, {"id": "nuisance-to-prevention", "category": "overlast", "team": "preventie"})
    (tmp_path / "brandweer.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    changed = settings.model_copy(update={"tenants_dir": tmp_path})
    late = received(store, category="overlast")
    await route_all(changed)

    early_route = next(e for e in store.events.get(early.id) if type(e).__name__ == "Routed")
    late_route = next(e for e in store.events.get(late.id) if type(e).__name__ == "Routed")
    assert (early_route.team, early_route.config_version) == ("communicatie", load_tenants()["brandweer"].version)
    assert (late_route.team, late_route.rule_id, late_route.config_version) == \
        ("preventie", "nuisance-to-prevention", "2024.1")
    assert store.get(early.id).team == "communicatie"
