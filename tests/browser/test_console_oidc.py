"""The console's production login: authorization code with PKCE at an OpenID Connect provider (the test provider
oidc-provider-mock), through the vendored oidc-client-ts, on a set that accepts only that provider's tokens
(OIDC_ISSUER and its claim mapping, as production); no development picker here."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import flask
import httpx
import oidc_provider_mock
import pytest
import werkzeug.serving
from playwright.sync_api import Page, expect

from launcher.infra import free_port
from launcher.stack import GATEWAY, Stack
from tests.browser.conftest import look

PORT = free_port()
ISSUER = f"http://127.0.0.1:{PORT}"  # the mock names itself after the address it is asked at
CLIENT_ID = "complaints-console"
# The organisation's groups, as its provider puts them in the ID token, and what each grants here.
MAPPING = {"groups": {"klachten-zorgbedrijf": {"tenants": ["zorgbedrijf"], "roles": ["handler"],
                                               "team": "klantendienst"}}}
STACK_ENV = {
    "OIDC_ISSUER": ISSUER, "JWT_AUDIENCE": CLIENT_ID, "OIDC_CLAIM_MAPPING": json.dumps(MAPPING),
    # The gateway's: the console logs in there. The mock's access tokens are opaque: the ID token is sent, its
    # audience the console's client id.
    "CONSOLE_OIDC_ISSUER": ISSUER, "CONSOLE_OIDC_CLIENT_ID": CLIENT_ID, "CONSOLE_OIDC_SCOPES": "openid profile",
    "CONSOLE_OIDC_TOKEN": "id_token",
}
PERSON = "jo@zorgbedrijf.example"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The test provider, with its one person, answering CORS as an organisation's provider does for the web
    origins of a registered single-page client (discovery, keys and the token endpoint are called by the
    browser)."""
    # The console is a public client (a browser keeps no secret: PKCE instead), as an organisation registers a
    # single-page application; this version of the mock offers only the secret's methods at its token endpoint.
    grant = oidc_provider_mock._app.AuthorizationCodeGrant
    methods = grant.TOKEN_ENDPOINT_AUTH_METHODS
    grant.TOKEN_ENDPOINT_AUTH_METHODS = [*methods, "none"]
    app = oidc_provider_mock.app(require_nonce=False, user_claims=[
        oidc_provider_mock.User(sub=PERSON, claims={"groups": ["klachten-zorgbedrijf"], "name": "Jo Peeters"})])

    @app.after_request
    def cors(response: flask.Response) -> flask.Response:
        response.headers["Access-Control-Allow-Origin"] = flask.request.headers.get("Origin", "*")
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        return response

    server = werkzeug.serving.make_server("127.0.0.1", PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield ISSUER
    finally:
        server.shutdown()
        thread.join()
        grant.TOKEN_ENDPOINT_AUTH_METHODS = methods


@pytest.fixture(scope="module")
def gateway_url(provider: str, module_stack: Stack) -> str:
    module_stack.start(GATEWAY)  # no dev people: the picker is refused, only the provider's login is offered
    return module_stack.url(GATEWAY)


def test_a_handler_logs_in_at_the_provider_with_pkce_and_uses_the_api_with_its_token(gateway_url: str,
                                                                                      page: Page) -> None:
    assert httpx.get(f"{gateway_url}/console/dev-people.json").status_code == 404
    authorize: list[str] = []
    page.on("request", lambda r: authorize.append(r.url) if "/oauth2/authorize" in r.url else None)
    page.goto(gateway_url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    expect(page.get_by_text("Ontwikkeling")).to_have_count(0)  # no picker outside development
    look(page, "login-oidc")
    page.get_by_role("button", name="Aanmelden").click()
    # At the provider: the person authorises (the mock's form), and comes back with a code.
    page.get_by_role("button", name=PERSON).click()
    expect(page.locator("#who")).to_contain_text(PERSON)
    expect(page.get_by_role("heading", level=1)).to_have_text("Wachtrij van het team")
    assert "code_challenge_method=S256" in authorize[0] and "code_challenge=" in authorize[0]
    assert "code=" not in page.url  # the code is used once, and not kept in the address
    look(page, "queue-after-oidc")
    session = json.loads(page.evaluate("sessionStorage.getItem('console.session')"))
    assert session["via"] == "oidc" and session["roles"] == ["handler"] and session["tenants"] == ["zorgbedrijf"]
    me = httpx.get(f"{gateway_url}/v1/me", headers={"Authorization": f"Bearer {session['token']}"})
    assert me.json()["subject"] == PERSON, me.text
