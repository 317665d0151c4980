"""Tokens signed by an identity provider's keys (JWKS): checked, and the provider is not hammered."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from complaints.settings import Settings
from complaints.web.auth import Credentials
from complaints.web.problems import Problem

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def provider() -> Iterator[dict]:
    """A JWKS endpoint on loopback that counts how often its keys are fetched."""
    public = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()
    state = {"fetches": 0}

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the handler's protocol
            state["fetches"] += 1
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/jwks"
    yield state
    server.shutdown()


def token(kid: str, **claims: object) -> str:
    now = int(time.time())
    body = {"sub": "an@idp", "tenants": ["brandweer"], "roles": ["handler"], "team": "communicatie",
            "iss": "https://idp.example", "aud": "complaints", "iat": now, "exp": now + 60, **claims}
    return jwt.encode(body, KEY, algorithm="RS256", headers={"kid": kid})


def test_a_token_of_the_providers_key_is_accepted_and_forged_kids_cost_at_most_one_more_fetch(provider):
    settings = Settings(environment="development", jwks_url=provider["url"], jwt_issuer="https://idp.example",
                        jwt_audience="complaints")
    credentials = Credentials(None, settings)
    assert credentials.fetches_keys
    for _ in range(5):
        assert credentials.person(token("k1")).name == "an@idp"
    for n in range(20):
        with pytest.raises(Problem) as refused:
            credentials.person(token(f"forged-{n}"))
        assert refused.value.status == 401
    assert provider["fetches"] <= 2  # the first fetch, and one refresh for an unknown kid in 30 s
