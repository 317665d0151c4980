"""Who is calling: city systems by API key (`X-API-Key`), people by JWT (`Authorization: Bearer`).

A system's key is bound to one tenant and one role (`intake`, `import`) and
belongs to a named system of that tenant (`complaints.model.systems`). A
person's token carries their subject, tenant(s), team and roles (`handler`,
`manager`, `auditor`, `director`); its signature, issuer, audience and expiry
are verified against the configured secret or JWKS, and its claims must have
the right types (else a 401, never a 500). With the organisation's OpenID
Connect provider (`OIDC_ISSUER`) the keys and issuer come from its discovery
document, and tenants, roles and team from its claims through
`OIDC_CLAIM_MAPPING`. What a caller may then do is the permission policy's to
say (`complaints.application.permissions`).
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
import time
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

import httpx
import jwt
from eventsourcing.application import AggregateNotFoundError
from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.model.roles import PERSON_ROLES, SYSTEM_ROLES
from complaints.model.systems import ApiKey, check_name
from complaints.settings import ClaimGrant, Settings
from complaints.web.problems import Problem

KEY_CACHE_SECONDS = 1  # a good key is looked up again after this: a revocation holds within a second
__all__ = ["ApiKey", "Caller", "Credentials", "PERSON_ROLES", "SYSTEM_ROLES", "authenticate", "require"]


class Claims(BaseModel):
    """The claims of a person's token this API reads, with the types they must have."""

    model_config = ConfigDict(extra="ignore")
    sub: Annotated[StrictStr, Field(min_length=1)]
    tenants: list[StrictStr] | None = None
    tenant: StrictStr | None = None
    roles: list[StrictStr] = []
    team: StrictStr | None = None


def granted(claims: dict[str, Any], mapping: dict[str, dict[str, ClaimGrant]]) -> dict[str, Any]:
    """Our claims (`tenants`, `roles`, `team`) from a provider's, by the mapping: each value of a mapped claim
    (a string or a list of them; a dotted path for a nested claim) grants what the mapping says. Raises
    ValueError when they grant more than one team (a person works in one)."""
    tenants: set[str] = set()
    roles: set[str] = set()
    teams: set[str] = set()
    for path, grants in mapping.items():
        value: Any = claims
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item in grants:
                grant = grants[item]
                tenants.update(grant.tenants)
                roles.update(grant.roles)
                teams.update([grant.team] if grant.team else [])
    if len(teams) > 1:
        raise ValueError(f"the provider's claims give several teams: {sorted(teams)}")
    return {"tenants": sorted(tenants), "roles": sorted(roles), "team": next(iter(teams), None)}


def _unavailable(detail: str) -> Problem:
    return Problem(503, "identity-provider-unavailable", "The identity provider cannot be used", detail,
                   headers={"Retry-After": "5"})


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
        # The identity provider's keys, cached for 5 minutes; an unknown `kid` refetches them at most once
        # per 30 s (the client's cooldown), so forged tokens cannot make us hammer the provider.
        self._jwks = self._keys(settings.jwks_url) if settings.jwks_url else None
        self._issuer = settings.jwt_issuer  # an OpenID provider's: from its discovery document, at first use
        self._known_keys: dict[UUID, tuple[Caller, float]] = {}

    # --- systems -----------------------------------------------------------------
    def issue_key(self, *, name: str, tenant: str, role: str, actor: str = "system:admin") -> str:
        """A new key for the system `name` of `tenant`: a second key of the same system (a rotation)
        owns what the first one owned."""
        if role not in SYSTEM_ROLES:
            raise ValueError(f"a system's role is one of {sorted(SYSTEM_ROLES)}")
        check_name(name)
        key = "ck_" + secrets.token_urlsafe(32)
        self.store.save(ApiKey(key_hash_id=ApiKey.id_for(key), name=name, tenant=tenant, role=role, actor=actor))
        return key

    def revoke_key(self, key: str, actor: str = "system:admin") -> None:
        record: ApiKey = self.store.repository.get(ApiKey.id_for(key))
        record.revoke(actor=actor)
        self.store.save(record)

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
        # A good key is remembered briefly (by its hash), so a burst of posts looks it up once.
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

    @property
    def fetches_keys(self) -> bool:
        """Whether checking a token may fetch the provider's keys over the network."""
        return self._jwks is not None or self.settings.oidc_issuer is not None

    @staticmethod
    def _keys(url: str) -> jwt.PyJWKClient:
        return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5, cooldown_duration=30)

    def _discover(self) -> jwt.PyJWKClient:
        """The OpenID provider's keys, found through its discovery document once per process (the keys
        themselves are cached and refreshed by the client). The document must name the configured issuer."""
        issuer = str(self.settings.oidc_issuer).rstrip("/")
        try:
            document = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=5).raise_for_status().json()
            named, jwks_uri = document["issuer"], document["jwks_uri"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise _unavailable(f"No discovery document from {issuer}: {exc!r}") from None
        if named.rstrip("/") != issuer:
            raise _unavailable(f"The discovery document names issuer {named!r}, not OIDC_ISSUER {issuer!r}")
        self._issuer, self._jwks = named, self._keys(jwks_uri)
        return self._jwks

    @staticmethod
    def _signing_key(keys: jwt.PyJWKClient, token: str) -> Any:
        """The provider's key named by the token's `kid`; a token without one (RFC 7515 makes it optional: a
        provider with a single key may leave it out) is verified with the provider's only signing key, never
        with one of several."""
        if jwt.get_unverified_header(token).get("kid") is None:
            signing = keys.get_signing_keys()
            if len(signing) != 1:
                raise jwt.InvalidTokenError(f"the token names no key (`kid`) and the provider has {len(signing)}")
            return signing[0].key
        return keys.get_signing_key_from_jwt(token).key

    def person(self, token: str) -> Caller:
        try:
            if self._jwks or self.settings.oidc_issuer:
                key: Any = self._signing_key(self._jwks or self._discover(), token)
                algorithms = ["RS256", "ES256"]
            else:
                key, algorithms = self.settings.jwt_secret.get_secret_value(), ["HS256"]
            decoded = jwt.decode(token, key, algorithms=algorithms, audience=self.settings.jwt_audience,
                                 issuer=self._issuer, options={"require": ["exp", "iss", "aud", "sub"]})
            if self.settings.oidc_issuer:  # the organisation's claims, through the mapping: never taken as ours
                decoded = {"sub": decoded["sub"], **granted(decoded, self.settings.oidc_claim_mapping)}
            claims = Claims.model_validate(decoded)
        except jwt.PyJWKClientConnectionError as exc:
            raise _unavailable(f"The provider's keys could not be fetched: {exc}") from None
        except jwt.PyJWTError as exc:  # a bad signature, expiry, audience, or a `kid` the provider does not know
            raise _unauthorized(f"Invalid token: {exc}") from None
        except ValidationError as exc:
            wrong = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
            raise _unauthorized(f"Invalid token: claims of the wrong type: {wrong}") from None
        except ValueError as exc:  # the provider's claims map to several teams
            raise forbidden(str(exc)) from None
        tenants = claims.tenants if claims.tenants is not None else ([claims.tenant] if claims.tenant else [])
        return Caller("person", claims.sub, frozenset(tenants), frozenset(claims.roles) & PERSON_ROLES, claims.team)


async def authenticate(request: Request) -> Caller:
    key = request.headers.get("x-api-key")
    authorization = request.headers.get("authorization", "")
    if key:
        return await asyncio.to_thread(request.app.state.credentials.system, key)
    if authorization.lower().startswith("bearer "):
        credentials, token = request.app.state.credentials, authorization[7:].strip()
        if credentials.fetches_keys:  # a fetch of the provider's keys must not hold up the event loop
            return await asyncio.to_thread(credentials.person, token)
        return credentials.person(token)
    raise _unauthorized("Send an API key in X-API-Key or a bearer token in Authorization")


# The two ways in, as the OpenAPI documents name them (`securitySchemes`). They only document: `authenticate`
# reads the headers itself, so a missing or wrong one is the same 401 problem document everywhere.
API_KEY = APIKeyHeader(name="X-API-Key", scheme_name="ApiKey", auto_error=False,
                       description="A city system's key, bound to one tenant and role (intake, import)")
BEARER = HTTPBearer(scheme_name="BearerJWT", bearerFormat="JWT", auto_error=False,
                    description="A person's token: subject, tenants, team and roles (handler, manager, ...)")
_SCHEMES = [(SYSTEM_ROLES, inspect.Parameter("api_key", inspect.Parameter.KEYWORD_ONLY,
                                             annotation=Annotated[Any, Security(API_KEY)])),
            (PERSON_ROLES, inspect.Parameter("bearer", inspect.Parameter.KEYWORD_ONLY,
                                             annotation=Annotated[Any, Security(BEARER)]))]


def require(action: str) -> Callable[..., Any]:
    """A dependency: the caller is authenticated, granted the path's tenant, and the permission policy
    lets their roles take `action` on a tenant (what they may do on one case is decided on the case).
    The operation documents the schemes of the roles that may take the action: a key, a token, or either."""

    async def dependency(request: Request, **_schemes: Any) -> Caller:
        caller = await authenticate(request)
        tenant = request.path_params.get("tenant")
        if tenant is not None and tenant not in caller.tenants:
            raise forbidden(f"These credentials are not granted tenant {tenant!r}")
        if (refusal := permissions.tenant_refusal(caller, action)) is not None:
            raise forbidden(refusal.reason)
        return caller

    roles = permissions.TENANT_ACTIONS[action]
    schemes = [parameter for kind, parameter in _SCHEMES if roles & kind]
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request), *schemes],
        return_annotation=Caller)
    return dependency
