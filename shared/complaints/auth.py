"""Who is calling: city systems by API key (`X-API-Key`), people by JWT (`Authorization: Bearer`).

A system's key is bound to one tenant and one role (`intake`, `import`). Keys
are kept as aggregates in the event store under a hash of the key (the key
itself is never stored), so issuing and revoking a key is on record like any
other fact. A person's token carries their tenant(s), team and roles
(`handler`, `manager`, `auditor`); its signature, issuer, audience and expiry
are verified against the configured secret or JWKS.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

import jwt
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from fastapi import Request

from complaints.problems import Problem
from complaints.settings import Settings

SYSTEM_ROLES = frozenset({"intake", "import"})
KEY_CACHE_SECONDS = 30
PERSON_ROLES = frozenset({"handler", "manager", "auditor"})


@dataclass(frozen=True)
class Caller:
    kind: Literal["system", "person"]
    name: str
    tenants: frozenset[str]
    roles: frozenset[str]
    team: str | None = None

    @property
    def actor(self) -> str:
        """How events record who did it."""
        return f"{'system' if self.kind == 'system' else 'user'}:{self.name}"


class ApiKey(Aggregate):
    """A calling system's key, known by its hash."""

    @staticmethod
    def id_for(key: str) -> UUID:
        return uuid5(NAMESPACE_URL, "complaints:api-key:" + hashlib.sha256(key.encode()).hexdigest())

    @classmethod
    def create_id(cls, key_hash_id: UUID, **_: Any) -> UUID:
        return key_hash_id

    @event("Issued")
    def __init__(self, key_hash_id: UUID, name: str, tenant: str, role: str, actor: str) -> None:
        self.name, self.tenant, self.role = name, tenant, role
        self.revoked = False

    @event("Revoked")
    def revoke(self, actor: str) -> None:
        self.revoked = True


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthenticated", "Credentials are missing or wrong", detail,
                   headers={"WWW-Authenticate": 'Bearer realm="complaints", ApiKey header="X-API-Key"'})


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "These credentials do not allow this", detail)


class Credentials:
    """Issues and checks credentials; one per process, wired in its composition root."""

    def __init__(self, store: Any, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        self._known_keys: dict[UUID, tuple[Caller, float]] = {}

    # --- systems -----------------------------------------------------------------
    def issue_key(self, *, name: str, tenant: str, role: str, actor: str = "system:admin") -> str:
        if role not in SYSTEM_ROLES:
            raise ValueError(f"a system's role is one of {sorted(SYSTEM_ROLES)}")
        key = "ck_" + secrets.token_urlsafe(32)
        self.store.save(ApiKey(key_hash_id=ApiKey.id_for(key), name=name, tenant=tenant, role=role, actor=actor))
        return key

    def system(self, key: str) -> Caller:
        key_id = ApiKey.id_for(key)
        known = self._known_keys.get(key_id)
        if known and known[1] > time.monotonic():
            return known[0]
        try:
            record: ApiKey = self.store.repository.get(key_id)
        except AggregateNotFoundError:
            raise _unauthorized("Unknown API key") from None
        if record.revoked:
            raise _unauthorized("This API key was revoked")
        caller = Caller("system", record.name, frozenset({record.tenant}), frozenset({record.role}))
        # A good key is remembered briefly (by its hash): a revocation takes effect within KEY_CACHE_SECONDS.
        self._known_keys[key_id] = (caller, time.monotonic() + KEY_CACHE_SECONDS)
        return caller

    # --- people ----------------------------------------------------------------------
    def token_for(self, *, subject: str, tenants: list[str], roles: list[str], team: str | None = None,
                  ttl_seconds: int = 30 * 24 * 3600) -> str:
        """Signs a token with the configured secret (demo credentials and tests; production uses its IdP)."""
        now = int(time.time())
        claims = {"sub": subject, "tenants": tenants, "roles": roles, "team": team, "iss": self.settings.jwt_issuer,
                  "aud": self.settings.jwt_audience, "iat": now, "exp": now + ttl_seconds}
        return jwt.encode(claims, self.settings.jwt_secret.get_secret_value(), algorithm="HS256")

    def person(self, token: str) -> Caller:
        try:
            if self._jwks:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256", "ES256"]
            else:
                key, algorithms = self.settings.jwt_secret.get_secret_value(), ["HS256"]
            claims = jwt.decode(token, key, algorithms=algorithms, audience=self.settings.jwt_audience,
                                issuer=self.settings.jwt_issuer, options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"Invalid token: {exc}") from None
        tenants = claims.get("tenants") or ([claims["tenant"]] if claims.get("tenant") else [])
        roles = frozenset(claims.get("roles") or []) & PERSON_ROLES
        return Caller("person", claims["sub"], frozenset(tenants), roles, claims.get("team"))


async def authenticate(request: Request) -> Caller:
    key = request.headers.get("x-api-key")
    authorization = request.headers.get("authorization", "")
    if key:
        return await asyncio.to_thread(request.app.state.credentials.system, key)
    if authorization.lower().startswith("bearer "):
        return request.app.state.credentials.person(authorization[7:].strip())
    raise _unauthorized("Send an API key in X-API-Key or a bearer token in Authorization")


def require(*roles: str) -> Callable[..., Any]:
    """A dependency: the caller is authenticated, granted the path's tenant, and has one of `roles`."""

    async def dependency(request: Request) -> Caller:
        caller = await authenticate(request)
        tenant = request.path_params.get("tenant")
        if tenant is not None and tenant not in caller.tenants:
            raise forbidden(f"These credentials are not granted tenant {tenant!r}")
        if not caller.roles & set(roles):
            raise forbidden(f"This needs one of the roles {sorted(roles)}; the caller has {sorted(caller.roles)}")
        return caller

    return dependency
