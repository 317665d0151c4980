"""FastAPI dependencies as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from complaints.problems import Problem
from complaints.store import Complaints
from complaints.tenants import Tenant


def _store(request: Request) -> Complaints:
    return request.app.state.store


def _tenant(request: Request, tenant: Annotated[str, Path(description="Tenant id, e.g. brandweer")]) -> Tenant:
    tenants = request.app.state.tenants
    if tenant not in tenants:
        raise Problem(404, "unknown-tenant", "Unknown tenant", f"No tenant {tenant!r}; known: {sorted(tenants)}",
                      errors=[{"field": "tenant", "message": "unknown tenant", "allowed": sorted(tenants)}])
    return tenants[tenant]


StoreDep = Annotated[Complaints, Depends(_store)]
TenantDep = Annotated[Tenant, Depends(_tenant)]
