"""A manager's view of the tenant's calling systems: their API keys, listed and revoked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from complaints.application.callers import Caller
from complaints.application.systems import KeyRecord
from complaints.web.auth import require
from complaints.web.deps import SystemsDep, TenantDep
from complaints.web.problems import documented

router = APIRouter(prefix="/v1/tenants/{tenant}/api-keys", tags=["systems"],
                   responses=documented(_401="No or bad credentials", _403="Not this tenant's manager",
                                        _404="Unknown tenant or key"))
ManagerDep = Annotated[Caller, Depends(require("manage-keys"))]


class ApiKeyView(BaseModel):
    """An issued key, never the key itself (it is kept only as a hash)."""

    key_id: UUID
    system: str
    role: str
    issued_at: datetime
    revoked: bool

    @classmethod
    def of(cls, record: KeyRecord) -> ApiKeyView:
        return cls(key_id=record.key_id, system=record.system, role=record.role, issued_at=record.issued_at,
                   revoked=record.revoked)


@router.get("", response_model=list[ApiKeyView])
def list_keys(caller: ManagerDep, tenant: TenantDep, systems: SystemsDep) -> list[ApiKeyView]:
    """The API keys issued to the tenant's calling systems."""
    return [ApiKeyView.of(record) for record in systems.keys(caller, tenant)]


@router.delete("/{key_id}", response_model=ApiKeyView)
def revoke_key(caller: ManagerDep, tenant: TenantDep, key_id: UUID, systems: SystemsDep) -> ApiKeyView:
    """Revokes a key: every process refuses it within a second. The system keeps what it owns; issue it a
    new key first (`python -m intake.cli issue-key --name <system>`) to rotate without a gap."""
    return ApiKeyView.of(systems.revoke(caller, tenant, key_id))
