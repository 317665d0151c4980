"""No tenant sees or touches another's cases: a walk over every route with `{tenant}` in every service's OpenAPI.

A fire-zone case exists. Callers of the police zone (both system keys, all three people roles) call
- every route with tenant=brandweer: refused (403/404), and nothing of the case in the answer;
- every route that takes a case id with their own tenant and the fire zone's case id: the same answer as
  for a case that does not exist (a 404), so not even the case's existence shows.
The routes come from the running services' OpenAPI, so a new route is walked without anyone listing it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from complaints.web.auth import Credentials
from complaints.adapters.store import Complaints
from complaints.model.tenants import load_tenants
from launcher.stack import SERVICES, Stack
from tests.helpers import Api, complaint, wait_until

OURS, THEIRS = "brandweer", "politiezone"
BODY_METHODS = {"post", "put", "patch"}


@pytest.fixture(scope="module")
def case(module_stack: Stack, module_auth: dict[str, dict[str, str]]) -> dict[str, Any]:
    body = complaint(subject="Isolatie-onderwerp-7f3a", sender_reference="BZA-REF-ISOLATIE",
                     complainant={"name": "Isolatie Burger", "email": "isolatie@example.be"})
    response = httpx.post(f"{module_stack.url('intake')}/v1/tenants/{OURS}/complaints", json=body,
                          headers=module_auth["intake"], timeout=30)
    assert response.status_code == 201, response.text
    # Routed, due and projected: every service holds the case before anyone tries to reach it.
    wait_until(lambda: Api(module_stack, module_auth).settled(response.json()["case_id"]), timeout=30)
    return {**body, **response.json()}


@pytest.fixture(scope="module")
def callers(module_stack: Stack) -> dict[str, dict[str, str]]:
    """The police zone's credentials, one per role."""
    store = Complaints(module_stack.settings)
    credentials = Credentials(store, module_stack.settings)
    headers = {role: {"X-API-Key": credentials.issue_key(name=f"pz-{role}", tenant=THEIRS, role=role)}
               for role in ("intake", "import")}
    for role in ("handler", "manager", "auditor"):
        token = credentials.token_for(subject=f"{role}@{THEIRS}", tenants=[THEIRS], roles=[role],
                                      team="klantenmanagement")
        headers[role] = {"Authorization": f"Bearer {token}"}
    store.close()
    return headers


@pytest.fixture(scope="module")
def routes(module_stack: Stack) -> list[tuple[str, str, str, dict[str, Any], dict[str, Any]]]:
    """(service, method, path, operation, spec) for every operation with `{tenant}` in its path."""
    found = []
    for service in SERVICES:
        spec = httpx.get(f"{module_stack.url(service)}/openapi.json", timeout=10).json()
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                if "{tenant}" in path:
                    found.append((service, method, path, operation, spec))
    return found


# --- filling in a request from the OpenAPI, generically --------------------------------------------------
def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def sample(schema: dict[str, Any], spec: dict[str, Any], known: dict[str, str]) -> Any:
    """A plausible value: the schema's own example if it has one, else the smallest value it allows;
    a property named in `known` takes that value."""
    schema = resolve(schema, spec)
    if schema.get("examples"):
        example = schema["examples"][0]
        return {k: known.get(k, v) for k, v in example.items()} if isinstance(example, dict) else example
    if "anyOf" in schema:
        return sample(next(s for s in schema["anyOf"] if s.get("type") != "null"), spec, known)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {name: known.get(name, sample(schema["properties"][name], spec, known))
                for name in schema.get("required", [])}
    if kind == "array":
        return [sample(schema.get("items", {}), spec, known)] * schema.get("minItems", 0)
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    formats = {"uuid": str(uuid.uuid4()), "date-time": "2024-01-02T10:00:00+01:00", "date": "2024-01-02",
               "email": "iemand@example.be"}
    return formats.get(schema.get("format"), "x" * max(schema.get("minLength", 1), 1))


def request(operation: dict[str, Any], spec: dict[str, Any], path: str, tenant: str,
            known: dict[str, str]) -> tuple[str, dict[str, Any], Any]:
    """The URL path, the required query parameters and a body, filled from their schemas; the tenant is
    the one given, and a parameter or property named in `known` takes that value (e.g. the case id)."""
    values: dict[str, dict[str, Any]] = {"path": {}, "query": {}}
    for parameter in operation.get("parameters", []):
        where, name = parameter["in"], parameter["name"]
        if where in values and (where == "path" or parameter.get("required")):
            values[where][name] = known.get(name, sample(parameter["schema"], spec, known))
    values["path"]["tenant"] = tenant
    url = re.sub(r"{(\w+)}", lambda m: str(values["path"][m.group(1)]), path)
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    return url, values["query"], sample(schema, spec, known) if schema else None


def call(stack: Stack, service: str, method: str, url: str, query: dict[str, Any], body: Any,
         headers: dict[str, str]) -> httpx.Response:
    return httpx.request(method.upper(), stack.url(service) + url, params=query, headers=headers, timeout=30,
                         **({"json": body} if method in BODY_METHODS else {}))


def leaked(response: httpx.Response, case: dict[str, Any], case_id_was_sent: bool) -> list[str]:
    """What of the fire zone's case shows in an answer. A problem document echoes the request's path, so
    the case id counts only where the caller did not send it."""
    text = response.text
    marks = [case["case_number"], case["subject"], case["sender_reference"], case["complainant"]["email"],
             *([] if case_id_was_sent else [case["case_id"]])]
    return [mark for mark in marks if mark in text]


# --- the tests -------------------------------------------------------------------------------------------
def test_the_walk_covers_every_service_and_the_case_routes(routes: list[tuple[Any, ...]]) -> None:
    services = {service for service, *_ in routes}
    assert services == {"intake", "routing", "qualification", "reporting", "webhooks"}, services
    assert sum("{case_id}" in path for _, _, path, *_ in routes) >= 20


def test_another_tenants_callers_are_refused_on_every_route_of_ours(
        module_stack: Stack, module_auth: dict[str, dict[str, str]], case: dict[str, Any],
        callers: dict[str, dict[str, str]], routes: list[tuple[Any, ...]]) -> None:
    before = case_version(module_stack, module_auth, case)
    known = {"case_id": case["case_id"], "sender_reference": case["sender_reference"]}
    failures = []
    for service, method, path, operation, spec in routes:
        url, query, body = request(operation, spec, path, OURS, known)
        for role, headers in callers.items():
            response = call(module_stack, service, method, url, query, body, headers)
            if response.status_code not in (403, 404) or leaked(response, case, "{case_id}" in path):
                failures.append(f"{role} {method.upper()} {path}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)
    assert case_version(module_stack, module_auth, case) == before  # and nothing happened to the case


def test_our_case_is_as_absent_as_none_under_their_own_tenant(
        module_stack: Stack, module_auth: dict[str, dict[str, str]], case: dict[str, Any],
        callers: dict[str, dict[str, str]], routes: list[tuple[Any, ...]]) -> None:
    before = case_version(module_stack, module_auth, case)
    # Their own codes in the bodies, so that commands get past the checks of the body to the case lookup.
    tenant = load_tenants(module_stack.settings.tenants_dir)[THEIRS]
    codes = {"team": tenant.codes("teams")[0], "category": tenant.codes("categories")[0],
             "qualification": next(q.code for q in tenant.qualifications if q.closes_early)}
    failures, not_found = [], 0
    for service, method, path, operation, spec in (r for r in routes if "{case_id}" in r[2]):
        for role, headers in callers.items():
            answers = []
            for case_id in (case["case_id"], str(uuid.uuid4())):  # theirs, and one that does not exist
                url, query, body = request(operation, spec, path, THEIRS, {**codes, "case_id": case_id})
                answers.append(call(module_stack, service, method, url, query, body, headers))
            ours, none = answers
            same = (ours.status_code, problem_type(ours)) == (none.status_code, problem_type(none))
            if ours.is_success or not same or leaked(ours, case, case_id_was_sent=True):
                failures.append(f"{role} {method.upper()} {path}: {ours.status_code} {problem_type(ours)} for "
                                f"our case, {none.status_code} {problem_type(none)} for none: {ours.text[:200]}")
            not_found += ours.status_code == 404
    assert not failures, "\n".join(failures)
    assert not_found > 0  # the walk reached the case lookups, not only refusals in front of them
    assert case_version(module_stack, module_auth, case) == before


def test_the_list_of_tenants_shows_only_the_callers_own(module_stack: Stack,
                                                       callers: dict[str, dict[str, str]]) -> None:
    for role, headers in callers.items():
        response = httpx.get(f"{module_stack.url('intake')}/v1/tenants", headers=headers, timeout=10)
        assert [t["id"] for t in response.json()] == [THEIRS], role


def problem_type(response: httpx.Response) -> str | None:
    try:
        return response.json().get("type")
    except ValueError:
        return None


def case_version(stack: Stack, auth: dict[str, dict[str, str]], case: dict[str, Any]) -> int:
    response = httpx.get(f"{stack.url('intake')}/v1/tenants/{OURS}/complaints/{case['case_id']}",
                         headers=auth["manager"], timeout=10)
    return response.json()["version"]
