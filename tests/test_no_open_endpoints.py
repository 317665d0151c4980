"""No endpoint is open by accident: every route in every service's OpenAPI refuses a caller without credentials."""

import importlib
import uuid

import pytest
from fastapi.testclient import TestClient

OPEN = {"/healthz", "/readyz", "/metrics"}
# The deliberate exception: a complainant's tracking link needs no credentials, its token is the key (and an
# unknown one is a plain 404, below).
TRACKING = {"/v1/track/{token}", "/v1/track/{token}/feedback"}
# Open311 GeoReport v2 (intake/open311.py): its services are the tenants' published vocabulary, public as the spec
# has them; its requests take the calling system's key as the spec sends it (`api_key`), and refuse without it
# in the spec's own error format (below).
OPEN311_PUBLIC = {"/open311/v2/services.{format}", "/open311/v2/services/{service_code}.{format}"}
OPEN311_KEYED = {"/open311/v2/requests.{format}", "/open311/v2/requests/{service_request_id}.{format}",
                 "/open311/v2/servicerequestupdates.{format}"}
APPS = ["intake.app", "routing.app", "qualification.app", "reporting.app", "relay.app"]


def routes(module: str):
    app = importlib.import_module(module).app
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            # health and metrics are open by design; tracking links and Open311, below
            if path not in OPEN | TRACKING | OPEN311_PUBLIC | OPEN311_KEYED:
                yield app, method, path


@pytest.mark.parametrize(("app", "method", "path"), [r for m in APPS for r in routes(m)],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_route_refuses_a_request_without_credentials(app, method, path):
    url = path.replace("{tenant}", "brandweer").replace("{case_id}", str(uuid.uuid4()))
    response = TestClient(app).request(method.upper(), url, json={})
    assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}"
    assert response.headers["content-type"] == "application/problem+json"


def test_the_tracking_links_are_the_deliberate_exception_and_a_made_up_one_is_a_plain_404():
    from complaints.application.tracking import Tracking
    from complaints.model.tracking import TOKEN_LENGTH

    app = importlib.import_module("intake.app").app
    assert TRACKING <= set(app.openapi()["paths"])
    app.state.tracking = Tracking(store=None, clock=None, secret=b"s" * 32, tenants={})  # a malformed token: no read
    for method, path in (("GET", "/v1/track/{token}"), ("POST", "/v1/track/{token}/feedback")):
        for token in ("x", "y" * (TOKEN_LENGTH + 1)):
            response = TestClient(app).request(method, path.replace("{token}", token),
                                               json={"rating": 3, "resolved": True})
            assert response.status_code == 404, f"{method} {path} answered {response.status_code}"
            assert response.json()["title"] == "Not Found" and response.json()["detail"] == "No such tracking link"


@pytest.mark.parametrize("path", sorted(OPEN311_KEYED))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_open311_requests_refuse_a_caller_without_a_key_in_the_specs_format(method, path):
    app = importlib.import_module("intake.app").app
    if method.lower() not in app.openapi()["paths"][path]:
        return
    url = path.replace("{format}", "json").replace("{service_request_id}", str(uuid.uuid4()))
    response = TestClient(app).request(method, url, params={"jurisdiction_id": "brandweer"},
                                       headers={"Authorization": f"Bearer {_auditor_token()}"})  # a person: no key
    assert response.status_code == 403, f"{method} {path} answered {response.status_code}"
    assert response.json()[0]["code"] == 403 and "api_key" in response.json()[0]["description"]


def test_open311_services_are_public_and_declared_so():
    from complaints.model.tenants import load_tenants

    app = importlib.import_module("intake.app").app
    document = app.openapi()["paths"]
    assert all(document[path]["get"]["security"] == [] for path in OPEN311_PUBLIC)
    assert all(operation["security"] for path in OPEN311_KEYED for operation in document[path].values())
    app.state.tenants = getattr(app.state, "tenants", None) or load_tenants()
    response = TestClient(app).get("/open311/v2/services.json", params={"jurisdiction_id": "brandweer"})
    assert response.status_code == 200 and response.json()


def test_the_walk_covers_the_routes_that_exist():
    paths = {path for m in APPS for _, _, path in routes(m)}
    assert {"/v1/tenants/{tenant}/complaints", "/v1/tenants/{tenant}/imports",
            "/v1/tenants/{tenant}/reports/channel-status"} <= paths


def _auditor_token() -> str:
    from complaints.web.auth import Credentials
    from complaints.settings import get_settings

    return Credentials(None, get_settings()).token_for(subject="audit@brandweer", tenants=["brandweer"],
                                                       roles=["auditor"])


@pytest.mark.parametrize(("app", "method", "path"),
                         [r for m in APPS for r in routes(m) if r[1] != "get"],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_an_auditor_can_change_nothing(app, method, path):
    from complaints.web.auth import Credentials
    from complaints.settings import get_settings

    app.state.credentials = getattr(app.state, "credentials", None) or Credentials(None, get_settings())
    url = path.replace("{tenant}", "brandweer").replace("{case_id}", str(uuid.uuid4()))
    response = TestClient(app).request(method.upper(), url, json={},
                                       headers={"Authorization": f"Bearer {_auditor_token()}"})
    assert response.status_code == 403, f"{method.upper()} {path} answered {response.status_code}"
