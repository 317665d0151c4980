"""A transfer to another organisation through HTTP, on the running set: the police zone's complaint about a city
service goes to the city, linked both ways, dated from the first receipt, and each side erases on its own."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx

from complaints.adapters.store import Complaints
from complaints.model.tenants import load_tenants
from complaints.model.windows import due_date
from complaints.web.auth import Credentials
from tests.helpers import wait_until


def test_a_police_complaint_about_a_city_service_is_transferred_to_the_city(stack, auth, settings):
    store = Complaints(settings)
    credentials = Credentials(store, settings)
    managers = {t: {"Authorization": "Bearer " + credentials.token_for(subject=f"chef@{t}", tenants=[t],
                                                                        roles=["manager"])}
                for t in ("politiezone", "stad")}
    store.close()
    intake = stack.url("intake")
    received = datetime.now(timezone.utc) - timedelta(days=4)
    posted = httpx.post(f"{intake}/v1/tenants/politiezone/complaints", headers=auth["other-tenant"], json={
        "channel": "e-loket", "signal_type": "klacht-politieoptreden", "subject": "Parkeervergunning geweigerd",
        "text": "Mijn bewonerskaart werd geweigerd aan het loket", "received_at": received.isoformat(),
        "complainant": {"name": "A. Burger", "email": "a.burger@example.be"}})
    assert posted.status_code == 201, posted.text
    source = posted.json()
    police_case = f"{intake}/v1/tenants/politiezone/complaints/{source['case_id']}"
    wait_until(lambda: httpx.get(police_case, headers=managers["politiezone"]).json()["team"])

    body = {"to": "stad", "channel": "e-mail", "signal_type": "klacht", "category": "parkeren",
            "reason": "Gaat over een parkeervergunning van de stad"}
    unknown = httpx.post(f"{police_case}/transfer", headers=managers["politiezone"], json={**body, "to": "atlantis"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "to"
    bad_code = httpx.post(f"{police_case}/transfer", headers=managers["politiezone"],
                          json={**body, "signal_type": "klacht-politieoptreden"})  # the police's code, not the city's
    assert bad_code.status_code == 422 and bad_code.json()["errors"][0]["field"] == "signal_type"
    moved = httpx.post(f"{police_case}/transfer", headers=managers["politiezone"], json=body)
    assert moved.status_code == 200, moved.text
    link = moved.json()["transferred_to"]
    assert moved.json()["case"]["status"] == "closed" and moved.json()["case"]["forwarded_to"] == "stad"
    assert link["tenant"] == "stad" and link["case_number"] == f"STAD-{received.year}-0001"
    again = httpx.post(f"{police_case}/transfer", headers=managers["politiezone"], json=body)
    assert again.status_code == 409  # closed: once transferred, it stays so

    # At the city: the same complaint, linking back, dated from the first receipt, routed by the city's rules.
    city_case = f"{intake}/v1/tenants/stad/complaints/{link['case_id']}"
    assert httpx.get(city_case, headers=managers["politiezone"]).status_code == 403  # not the police's tenant
    city = wait_until(lambda: (view := httpx.get(city_case, headers=managers["stad"]).json())["due_date"] and view)
    assert city["transferred_from"] == {"tenant": "politiezone", "case_id": source["case_id"],
                                        "case_number": source["case_number"]}
    assert datetime.fromisoformat(city["received_at"]) == received
    assert city["team"] == "mpa" and city["complainant"]["email"] == "a.burger@example.be"
    expected = due_date(load_tenants()["stad"], signal_type="klacht", start=received.date()).due.isoformat()
    assert city["due_date"] == expected  # 21 working days from the first receipt

    # Each side erases on its own: the city's erasure leaves the police's record readable, and the reverse.
    erase = {"email": "a.burger@example.be", "reason": "AVG-verzoek"}
    assert httpx.post(f"{intake}/v1/tenants/stad/erasures", headers=managers["stad"], json=erase).status_code == 200
    assert httpx.get(city_case, headers=managers["stad"]).json()["complainant"] == {"erased": True}
    assert httpx.get(police_case, headers=managers["politiezone"]).json()["complainant"]["name"] == "A. Burger"
    assert httpx.post(f"{intake}/v1/tenants/politiezone/erasures", headers=managers["politiezone"],
                      json=erase).status_code == 200
    assert httpx.get(police_case, headers=managers["politiezone"]).json()["complainant"] == {"erased": True}
