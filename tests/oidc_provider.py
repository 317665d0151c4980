"""A small OpenID Connect provider for tests: a discovery document and its keys (JWKS) on loopback, and
tokens signed with its key, as an organisation's provider issues them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
AUDIENCE = "complaints"


class Provider:
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.fetches: dict[str, int] = {"discovery": 0, "keys": 0}

    def token(self, sub: str = "an@stad.example", ttl: int = 60, kid: str | None = "k1", **claims: Any) -> str:
        now = int(time.time())
        body = {"sub": sub, "iss": self.issuer, "aud": AUDIENCE, "iat": now, "exp": now + ttl, **claims}
        return jwt.encode(body, KEY, algorithm="RS256", headers={"kid": kid} if kid else None)


@contextmanager
def oidc_provider(names_issuer: str | None = None) -> Iterator[Provider]:
    """`names_issuer`: the issuer its discovery document names, if not its own (a misconfigured provider)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    provider = Provider(f"http://127.0.0.1:{server.server_address[1]}/realms/stad")
    public = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    documents = {
        "/realms/stad/.well-known/openid-configuration": ("discovery", {
            "issuer": names_issuer or provider.issuer, "jwks_uri": f"{provider.issuer}/protocol/openid-connect/certs",
            "id_token_signing_alg_values_supported": ["RS256"]}),
        "/realms/stad/protocol/openid-connect/certs": ("keys", {
            "keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the handler's protocol
            if self.path not in documents:
                self.send_error(404)
                return
            name, document = documents[self.path]
            provider.fetches[name] += 1
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


# The organisation's groups, as its provider puts them in tokens, and what each grants here.
MAPPING = {
    "groups": {
        "klachten-brandweer-communicatie": {"tenants": ["brandweer"], "roles": ["handler"], "team": "communicatie"},
        "klachten-brandweer-preventie": {"tenants": ["brandweer"], "roles": ["handler"], "team": "preventie"},
        "klachtencoordinatoren": {"tenants": ["brandweer", "stad"], "roles": ["manager"]},
    },
    "realm_access.roles": {"audit": {"tenants": ["stad"], "roles": ["auditor"]}},
}
