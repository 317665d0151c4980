"""FastAPI dependencies as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from complaints.problems import known_tenant
from complaints.tenants import Tenant


async def _session(request: Request):  # noqa: ANN202 - a FastAPI yield dependency
    async with request.app.state.wiring.resources["projection"].sessions() as session:
        yield session


def _tenant(request: Request, tenant: str) -> Tenant:
    return known_tenant(request.app.state.tenants, tenant)


SessionDep = Annotated[AsyncSession, Depends(_session)]
TenantDep = Annotated[Tenant, Depends(_tenant)]
