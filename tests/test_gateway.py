"""The gateway: every public path on one origin, reaching the service that serves it, and CORS answered there.

The real processes: the module's running set with Caddy in front, started on the Caddyfile deploy/ uses.
"""

from __future__ import annotations

import re

import httpx

from complaints.settings import DEV_CORS_ORIGINS
from launcher.stack import PUBLIC, Stack

ALLOWED = DEV_CORS_ORIGINS[0]  # the tests run as development: a front-end's dev server is allowed
DISALLOWED = "https://elsewhere.example"
REQUEST_HEADERS = ("Authorization", "X-API-Key", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key",
                   "Last-Event-ID")
# Each process's own state, asked of the process itself: not routed.
PER_PROCESS = {"/healthz", "/readyz"}
# Stand-ins for the path parameters: a real tenant, the rest anything the service will parse and refuse.
PLACEHOLDERS = {"tenant": "brandweer", "number": "1", "report": "channel-status"}


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name.lower().startswith("access-control-")}


def listed(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",")}


def preflight(gateway: str, origin: str) -> httpx.Response:
    return httpx.options(f"{gateway}/v1/tenants/brandweer/complaints",
                         headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                  "Access-Control-Request-Headers": "x-api-key, content-type, idempotency-key"})


def test_a_preflight_from_an_allowed_origin_is_answered_by_the_gateway_with_that_origin(gateway: str):
    response = preflight(gateway, ALLOWED)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED  # echoed, never `*`
    assert {"get", "post", "put", "delete"} <= listed(response.headers["Access-Control-Allow-Methods"])
    assert {h.lower() for h in REQUEST_HEADERS} <= listed(response.headers["Access-Control-Allow-Headers"])
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "origin" in listed(response.headers["Vary"])
    assert "X-Served-By" not in response.headers  # no service was asked


def test_a_disallowed_origin_gets_no_cors_headers(gateway: str, module_auth):
    assert cors_headers(preflight(gateway, DISALLOWED)) == {}
    response = httpx.get(f"{gateway}/v1/tenants/brandweer", headers={**module_auth["intake"], "Origin": DISALLOWED})
    assert response.status_code == 200 and cors_headers(response) == {}


def test_a_browser_posts_a_complaint_through_the_gateway_and_reads_the_case_at_its_location(gateway: str, module_auth):
    browser = {**module_auth["intake"], "Origin": ALLOWED}
    complaint = {"channel": "telefoon", "signal_type": "vraag", "subject": "Sirenes", "text": "Elke nacht"}
    posted = httpx.post(f"{gateway}/v1/tenants/brandweer/complaints", headers={**browser, "Idempotency-Key": "gw-1"},
                        json=complaint)
    assert posted.status_code == 201, posted.text
    assert posted.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert {"etag", "location", "retry-after"} <= listed(posted.headers["Access-Control-Expose-Headers"])
    case = httpx.get(gateway + posted.headers["Location"], headers=browser)  # relative: the gateway's origin
    assert case.status_code == 200 and case.json()["case_id"] == posted.json()["case_id"]
    assert case.headers["X-Served-By"] == "intake" and case.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_the_services_add_no_cors_headers_of_their_own(module_stack: Stack, module_auth):
    for name in PUBLIC:
        response = httpx.get(f"{module_stack.url(name)}/v1/tenants/brandweer/queue",
                             headers={**module_auth["manager"], "Origin": ALLOWED})
        assert cors_headers(response) == {}, f"{name} answers CORS itself: {cors_headers(response)}"


def operations(stack: Stack) -> list[tuple[str, str, str]]:
    """(service, method, path with placeholders) for every operation each public service's contract lists."""
    found = []
    for name in PUBLIC:
        for path, methods in httpx.get(f"{stack.url(name)}/openapi.json").json()["paths"].items():
            if path in PER_PROCESS:
                continue
            concrete = re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDERS.get(m[1], "0f0f0f0f-0000-4000-8000-000000000000"),
                              path)
            found.extend((name, method.upper(), concrete) for method in methods)
    return found


def test_every_path_of_every_service_reaches_through_the_gateway_the_service_that_serves_it(
        gateway: str, module_stack: Stack):
    """Each operation is asked with placeholder ids and no credentials, through the gateway and of the service
    directly: the same answer, from that service. A path of no group would get the gateway's 404, one routed to
    another service its 404 or 405."""
    wrong = []
    for name, method, path in operations(module_stack):
        through = httpx.request(method, gateway + path)
        direct = httpx.request(method, module_stack.url(name) + path)
        served_by = through.headers.get("X-Served-By")
        if served_by != name or through.status_code != direct.status_code:
            wrong.append(f"{method} {path}: {served_by or 'the gateway'} answered {through.status_code}, "
                         f"{name} answers {direct.status_code}")
    assert not wrong, "\n".join(wrong)
    assert len({path for _, _, path in operations(module_stack)}) > 30  # the contracts were read


def test_the_relay_and_each_process_own_state_are_not_reachable_through_the_gateway(gateway: str):
    for path in ("/readyz", "/metrics", "/v1/unknown"):
        response = httpx.get(gateway + path)
        assert response.status_code == 404 and "X-Served-By" not in response.headers, path
    assert httpx.get(gateway + "/healthz").status_code == 200  # the gateway's own


def test_swagger_ui_files_are_served_by_the_gateway(gateway: str):
    response = httpx.get(f"{gateway}/docs/static/swagger-ui.css")
    assert response.status_code == 200 and "swagger" in response.text.lower()

