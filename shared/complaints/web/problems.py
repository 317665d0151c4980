"""Errors as RFC 9457 problem details, with a stable `type` per error and every bad field named."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from eventsourcing.persistence import InterfaceError, OperationalError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from complaints.adapters.retries import store_unavailable
from complaints.application.errors import InvalidFields, LinkNotFound, VersionNotFound
from complaints.application.permissions import Forbidden
from complaints.application.subscriptions import SubscriptionNotFound
from complaints.application.systems import KeyNotFound
from complaints.model.complaint import CaseNotFound, CommandRefused, NotPermitted, StaleVersion
from complaints.model.tenants import Tenant

BASE = "https://complaints.example/problems/"
MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    """One bad field: its name (`channel`, `query.cursor`, `header.If-Match`), what is wrong, what is allowed."""

    field: str
    message: str
    allowed: list[Any] | None = Field(default=None, description="The values allowed, where they are few")


class ProblemDocument(BaseModel):
    """RFC 9457 problem details, as every error of the API is reported."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": BASE + "validation-error", "title": "The request has invalid fields", "status": 422,
        "instance": "/v1/tenants/brandweer/complaints", "detail": "Invalid: channel",
        "errors": [{"field": "channel", "message": "unknown channel 'fax'", "allowed": ["e-mail", "telefoon"]}]}]})
    type: str
    title: str
    status: int
    instance: str | None = None
    detail: str | None = None
    errors: list[FieldError] | None = None


def documented(**descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the given status codes, each a problem document with an example."""
    schema = {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}
    return {int(code.lstrip("_")): {"description": text, "content": {MEDIA_TYPE: schema}}
            for code, text in descriptions.items()}


class Problem(Exception):
    """An error the API reports as a problem document."""

    def __init__(self, status: int, kind: str, title: str, detail: str = "",
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.kind, self.title, self.detail, self.extra = status, kind, title, detail, extra
        self.headers = headers or {}


def invalid_fields(errors: list[dict[str, Any]]) -> Problem:
    """A 422 naming each bad field: `errors` is a list of {field, message[, allowed]}."""
    names = ", ".join(e["field"] for e in errors)
    return Problem(422, "validation-error", "The request has invalid fields", f"Invalid: {names}", errors=errors)


def known_tenant(tenants: dict[str, Tenant], tenant: str) -> Tenant:
    """The tenant of a path, or a 404 that lists the tenants there are."""
    if tenant not in tenants:
        raise Problem(404, "unknown-tenant", "Unknown tenant", f"No tenant {tenant!r}; known: {sorted(tenants)}",
                      errors=[{"field": "tenant", "message": "unknown tenant", "allowed": sorted(tenants)}])
    return tenants[tenant]


def _response(request: Request, problem: Problem) -> JSONResponse:
    body = {"type": BASE + problem.kind, "title": problem.title, "status": problem.status,
            "instance": request.url.path}
    if problem.detail:
        body["detail"] = problem.detail
    body.update(problem.extra)
    return JSONResponse(body, status_code=problem.status, media_type=MEDIA_TYPE, headers=problem.headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return _response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return _response(request, Problem(400, "malformed-json", "The body is not valid JSON",
                                              errors=[{"field": "body", "message": e["msg"]} for e in errors]))
        fields = [{"field": _field(tuple(e["loc"])), "message": e["msg"]} for e in errors]
        return _response(request, invalid_fields(fields))

    @app.exception_handler(CommandRefused)
    async def _refused(request: Request, exc: CommandRefused) -> JSONResponse:
        return _response(request, Problem(409, "command-refused", "The case's state does not allow this",
                                          str(exc), state=exc.status, allowed_actions=exc.allowed))

    @app.exception_handler(NotPermitted)
    async def _not_permitted(request: Request, exc: NotPermitted) -> JSONResponse:
        return _response(request, Problem(403, "forbidden", "You may not do this on this case", str(exc)))

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return _response(request, Problem(403, "forbidden", "These credentials do not allow this", str(exc)))

    @app.exception_handler(InvalidFields)
    async def _invalid_fields(request: Request, exc: InvalidFields) -> JSONResponse:
        return _response(request, invalid_fields(exc.errors))

    @app.exception_handler(KeyNotFound)
    async def _no_key(request: Request, exc: KeyNotFound) -> JSONResponse:
        return _response(request, Problem(404, "key-not-found", "No such API key of this tenant", str(exc)))

    @app.exception_handler(SubscriptionNotFound)
    async def _no_subscription(request: Request, exc: SubscriptionNotFound) -> JSONResponse:
        return _response(request, Problem(404, "subscription-not-found", "No such subscription of this tenant",
                                          str(exc)))

    @app.exception_handler(VersionNotFound)
    async def _no_version(request: Request, exc: VersionNotFound) -> JSONResponse:
        return _response(request, Problem(404, "version-not-found", "No such version of the case", str(exc)))

    @app.exception_handler(LinkNotFound)
    async def _no_link(request: Request, exc: LinkNotFound) -> JSONResponse:
        # Nothing more: a guesser learns neither whether a case exists nor whether its link was revoked.
        return _response(request, Problem(404, "not-found", "Not Found", "No such tracking link"))

    @app.exception_handler(CaseNotFound)
    async def _no_case(request: Request, exc: CaseNotFound) -> JSONResponse:
        return _response(request, Problem(404, "case-not-found", "No such case", str(exc)))

    @app.exception_handler(StaleVersion)
    async def _stale(request: Request, exc: StaleVersion) -> JSONResponse:
        # With If-Match the client named a version: 412. Without, a concurrent command won: 409.
        status = 412 if request.headers.get("if-match") else 409
        return _response(request, Problem(status, "stale-version", "The case changed meanwhile", str(exc),
                                          expected_version=exc.expected, current_version=exc.current))

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not store_unavailable(exc):
            raise exc
        # The request's own retries ran out (see complaints.adapters.retries); the client may try again.
        return _response(request, Problem(503, "store-unavailable", "The database is unavailable; try again shortly",
                                          headers={"Retry-After": "5"}))

    for error in (OperationalError, InterfaceError, DBAPIError):
        app.add_exception_handler(error, _unavailable)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, RecursionError)):
            # FastAPI's "There was an error parsing the body": JSON its decoder gave up on (nested too deep,
            # not UTF-8, a number too long). To the client that is malformed JSON like any other.
            return _response(request, Problem(400, "malformed-json", "The body is not valid JSON",
                                              errors=[{"field": "body", "message": str(exc.__cause__)}]))
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return _response(request, Problem(exc.status_code, kind, str(exc.detail)))
