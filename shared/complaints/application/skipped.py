"""A manager's view of what the consumers could not apply, and the re-drive once the cause is fixed."""

from __future__ import annotations

import asyncio
from uuid import UUID

from complaints.adapters.skipped import Skipped, SkippedEvents
from complaints.adapters.store import Complaints
from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.model.tenants import Tenant


class SkippedWork:
    def __init__(self, skipped: SkippedEvents, store: Complaints) -> None:
        self.skipped, self.store = skipped, store

    async def list(self, caller: Caller, tenant: Tenant, *, open_only: bool = True) -> list[Skipped]:
        """The tenant's events some consumer could not apply (by default those not applied again yet)."""
        permissions.ensure(caller, "manage-skipped")
        return await self.skipped.of_tenant(tenant.id, open_only=open_only)

    async def redrive(self, caller: Caller, tenant: Tenant, case_id: UUID) -> int:
        """Asks each consumer to apply this case's skipped events again, in order; they do within their
        next catch-up round (seconds). How many events were asked for."""
        permissions.ensure(caller, "manage-skipped")
        await asyncio.to_thread(self.store.case, tenant.id, case_id)  # another tenant's case is as absent as none
        return await self.skipped.request_redrive(tenant.id, case_id)
