"""FastAPI dependencies as Annotated aliases, the same in every service: the tenant, the expected
version, and the use cases (built once per process in `complaints.web.app`). The caller comes from
`complaints.web.auth.require(action)`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from complaints.application.audit import Audit
from complaints.application.cases import CaseWork
from complaints.application.clock import Clock
from complaints.application.correspondence import Correspondence
from complaints.application.intake import Intake
from complaints.application.systems import Systems
from complaints.application.tracking import Tracking
from complaints.model.tenants import LANGUAGES, Tenant, in_language
from complaints.web.problems import invalid_fields, known_tenant


def _language(accept_language: Annotated[str | None, Header(
        description="nl for Dutch labels; English without it")] = None) -> str:
    """The language of the labels, as the caller's Accept-Language prefers among those the labels come in."""
    return parse_accept_header(accept_language, LanguageAccept).best_match(LANGUAGES, default="en")


def _tenant(request: Request, tenant: Annotated[str, Path(description="Tenant id, e.g. brandweer")],
            language: Annotated[str, Depends(_language)]) -> Tenant:
    """The tenant, its labels in the caller's language."""
    return in_language(known_tenant(request.app.state.tenants, tenant), language)


def _expected_version(if_match: Annotated[str | None, Header(
        description='The case version the command was decided on, e.g. "4" (its ETag)')] = None) -> int | None:
    """`If-Match: "7"` (an ETag of the case version) or `If-Match: 7`."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise invalid_fields([{"field": "header.If-Match", "message": "the case version, e.g. \"7\""}])
    return int(value)


def _cases(request: Request) -> CaseWork:
    return request.app.state.cases


def _audit(request: Request) -> Audit:
    return request.app.state.audit


def _intake(request: Request) -> Intake:
    return request.app.state.intake


def _systems(request: Request) -> Systems:
    return request.app.state.systems


def _correspondence(request: Request) -> Correspondence:
    return request.app.state.correspondence


def _tracking(request: Request) -> Tracking:
    return request.app.state.tracking


def _clock(request: Request) -> Clock:
    return request.app.state.clock


TenantDep = Annotated[Tenant, Depends(_tenant)]
IfMatch = Annotated[int | None, Depends(_expected_version)]
CasesDep = Annotated[CaseWork, Depends(_cases)]
AuditDep = Annotated[Audit, Depends(_audit)]
IntakeDep = Annotated[Intake, Depends(_intake)]
SystemsDep = Annotated[Systems, Depends(_systems)]
ClockDep = Annotated[Clock, Depends(_clock)]
TrackingDep = Annotated[Tracking, Depends(_tracking)]
CorrespondenceDep = Annotated[Correspondence, Depends(_correspondence)]
