"""FastAPI dependencies as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from complaints.problems import known_tenant
from complaints.store import Complaints
from complaints.tenants import Tenant


def _store(request: Request) -> Complaints:
    return request.app.state.store


def _tenant(request: Request, tenant: Annotated[str, Path(description="Tenant id, e.g. brandweer")]) -> Tenant:
    return known_tenant(request.app.state.tenants, tenant)


StoreDep = Annotated[Complaints, Depends(_store)]
TenantDep = Annotated[Tenant, Depends(_tenant)]
