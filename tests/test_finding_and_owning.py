"""Finding and owning cases through HTTP on the running set: a case assigned to a person and shown in their
"my cases" queue, what a reroute does to it, and who may assign; the search over every case, open and closed,
by Dutch words, with paging and a total; the queue's approval progress."""

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
    headers["zb-intake"] = {"X-API-Key": credentials.issue_key(name="zb-loket", tenant="zorgbedrijf", role="intake")}
    for name, roles, team in (("chef", ["manager"], None), ("jo", ["handler"], "communicatie"),
                              ("lien", ["handler"], "communicatie"), ("fé", ["handler"], "financien")):
        token = credentials.token_for(subject=name, tenants=["brandweer"], roles=roles, team=team)
        headers[name] = {"Authorization": f"Bearer {token}"}
    for name, roles, team in (("zb-handler", ["handler"], "klantendienst"), ("zb-manager", ["manager"], None),
                              ("zb-director", ["director"], None)):
        token = credentials.token_for(subject=name, tenants=["zorgbedrijf"], roles=roles, team=team)
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


def search(stack, headers, **params) -> dict:
    response = httpx.get(f"{stack.url('reporting')}/v1/tenants/brandweer/cases", params=params, headers=headers,
                         timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_answered_and_closed_case_is_found_by_a_word_of_its_text_in_dutch(module_stack, who):
    stack = module_stack
    case_id = received(stack, who, subject="Afval", text="De vuilnisbak aan de kazerne werd niet geleegd; "
                                                         "ik parkeerde er vlakbij.")
    work = f"{stack.url('qualification')}/v1/tenants/brandweer/complaints/{case_id}"
    for step, body in (("qualification", {"qualification": "gegrond"}),
                       ("answer-draft", {"text": "Wij legen de vuilnisbak voortaan.", "channel": "post"}),
                       ("answer", None), ("close", {"reason": "answered"})):
        response = httpx.post(f"{work}/{step}", headers=who["jo"], json=body)
        assert response.status_code == 200, response.text
    closed = lambda **params: [c for c in search(stack, who["chef"], **params)["items"]  # noqa: E731
                               if c["case_id"] == case_id]
    found = wait_until(lambda: closed(q="vuilnisbakken", status="closed"))  # the plural finds the singular
    assert found[0]["closed_at"] is not None and found[0]["status"] == "closed"
    # The queue has open cases only; the search has them all. Dutch stemming does not make "parkeerde" (a
    # past tense) "parkeren", but the word as written finds it, and the subject is searched too.
    assert all(c["case_id"] != case_id for c in httpx.get(f"{stack.url('reporting')}/v1/tenants/brandweer/queue",
                                                          headers=who["chef"]).json()["items"])
    assert closed(q="parkeren") == [] and closed(q="parkeerde") and closed(q="afval")
    assert closed(q="vuilnisbak -kazerne") == []
    today = found[0]["received_at"][:10]
    assert closed(closed_from=today, closed_to=today, received_from=today)
    assert closed(closed_to="2000-01-01") == []
    # Read rights as the queue's: the owning team and tenant-wide roles, not another team's handler.
    assert closed(q="vuilnisbak", team="communicatie") and search(stack, who["jo"], q="vuilnisbak")["total"] >= 1
    assert search(stack, who["fé"], q="vuilnisbak")["items"] == []
    assert httpx.get(f"{stack.url('reporting')}/v1/tenants/brandweer/cases", params={"team": "communicatie"},
                     headers=who["fé"]).status_code == 403


def test_the_search_pages_with_a_cursor_and_counts_the_total(module_stack, who):
    stack = module_stack
    made = {received(stack, who, subject=f"Sirene {n}", text="Een sirene om drie uur 's nachts") for n in range(5)}
    first = wait_until(lambda: (page := search(stack, who["chef"], q="sirene", sort="case_number", order="asc",
                                               limit=2))["total"] == 5 and page)
    assert first["total_is_exact"] and len(first["items"]) == 2
    seen, page = [c["case_number"] for c in first["items"]], first
    while page["next_cursor"]:
        page = search(stack, who["chef"], q="sirene", sort="case_number", order="asc", limit=2,
                      cursor=page["next_cursor"])
        seen += [c["case_number"] for c in page["items"]]
    assert seen == sorted(seen) and len(seen) == 5
    assert {c["case_id"] for c in search(stack, who["chef"], q="sirene", limit=50)["items"]} == made
    newest = search(stack, who["chef"], q="sirene", limit=5)["items"]  # received_at, newest first by default
    assert [c["received_at"] for c in newest] == sorted((c["received_at"] for c in newest), reverse=True)
    number = newest[0]["case_number"]
    assert [c["case_number"] for c in search(stack, who["chef"], case_number=number)["items"]] == [number]
    wrong = httpx.get(f"{stack.url('reporting')}/v1/tenants/brandweer/cases", headers=who["chef"],
                      params={"cursor": first["next_cursor"], "sort": "due_date", "q": "sirenes"})
    assert wrong.status_code == 422  # a cursor belongs to its sort


def test_the_queue_shows_the_answers_approval_progress(module_stack, who):
    stack = module_stack
    posted = httpx.post(f"{stack.url('intake')}/v1/tenants/zorgbedrijf/complaints", headers=who["zb-intake"],
                        json={"channel": "e-mail", "signal_type": "klacht", "subject": "Factuur",
                              "text": "Twee keer aangerekend"})
    case_id = posted.json()["case_id"]
    work = f"{stack.url('qualification')}/v1/tenants/zorgbedrijf/complaints/{case_id}"
    wait_until(lambda: httpx.get(work.replace(stack.url("qualification"), stack.url("intake")),
                                 headers=who["zb-manager"]).json().get("due_date"))
    assert httpx.post(f"{work}/qualification", headers=who["zb-handler"],
                      json={"qualification": "gegrond"}).status_code == 200
    assert httpx.post(f"{work}/answer-draft", headers=who["zb-handler"],
                      json={"text": "Wij storten terug.", "channel": "post"}).status_code == 200

    def row(expected_given: int) -> dict | None:
        items = httpx.get(f"{stack.url('reporting')}/v1/tenants/zorgbedrijf/queue",
                          headers=who["zb-handler"]).json()["items"]
        return next((c for c in items if c["case_id"] == case_id and c["status"] == "drafted"
                     and c["approvals_given"] == expected_given), None)

    drafted = wait_until(lambda: row(0))
    assert (drafted["approvals_needed"], drafted["next_approval_step"]) == (2, "realiteitscheck-lokale-manager")
    assert httpx.post(f"{work}/approvals", headers=who["zb-manager"]).status_code == 200
    approved = wait_until(lambda: row(1))
    assert approved["next_approval_step"] == "goedkeuring-directeur-klantbeleving"


def test_me_says_who_the_credentials_are_for_a_person_and_for_a_system(module_stack, who):
    me = lambda headers: httpx.get(f"{module_stack.url('intake')}/v1/me", headers=headers)  # noqa: E731
    assert me(who["jo"]).json() == {"kind": "person", "subject": "jo", "tenants": ["brandweer"],
                                    "roles": ["handler"], "team": "communicatie"}
    assert me(who["intake"]).json() == {"kind": "system", "subject": "e-loket", "tenants": ["brandweer"],
                                        "roles": ["intake"], "team": None}
    assert me({}).status_code == 401 and me({"X-API-Key": "ck_nonsense"}).status_code == 401


def test_a_person_signed_in_at_the_organisations_provider_is_known_by_its_groups(settings, tmp_path):
    """The intake process configured for an OpenID provider (discovery, keys, the claims' mapping): the
    provider's token is read through the mapping, and a token signed with the development secret is refused."""
    import json

    from launcher.infra import free_port
    from launcher.stack import SERVICES, Stack
    from tests.oidc_provider import AUDIENCE, MAPPING, oidc_provider

    with oidc_provider() as provider:
        env = {"DATABASE_URL": settings.database_url, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
               "OIDC_ISSUER": provider.issuer, "JWT_AUDIENCE": AUDIENCE, "OIDC_CLAIM_MAPPING": json.dumps(MAPPING),
               **{port.upper(): str(free_port()) for _, port in SERVICES.values()}}
        stack = Stack(env, log_dir=tmp_path / "logs")
        try:
            stack.start("intake")
            bearer = {"Authorization": "Bearer " + provider.token(sub="jo@stad.example",
                                                                  groups=["klachten-brandweer-communicatie"])}
            me = httpx.get(f"{stack.url('intake')}/v1/me", headers=bearer, timeout=10)
            assert me.json() == {"kind": "person", "subject": "jo@stad.example", "tenants": ["brandweer"],
                                 "roles": ["handler"], "team": "communicatie"}, me.text
            tenants = httpx.get(f"{stack.url('intake')}/v1/tenants", headers=bearer, timeout=10).json()
            assert [t["id"] for t in tenants] == ["brandweer"]
            own = Credentials(None, settings).token_for(subject="x", tenants=["brandweer"], roles=["manager"])
            assert httpx.get(f"{stack.url('intake')}/v1/me", headers={"Authorization": f"Bearer {own}"},
                             timeout=10).status_code == 401
        finally:
            stack.stop()
