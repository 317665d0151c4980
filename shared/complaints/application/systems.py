"""A tenant's calling systems and their API keys, as a manager sees them: listed, and revoked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.utils import get_topic

from complaints.adapters.store import Complaints
from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.model.systems import ApiKey
from complaints.model.tenants import Tenant

# Keys issued before the package was split into layers were stored under the old module's topic.
ISSUED_TOPICS = [get_topic(ApiKey.Issued), "complaints.auth:ApiKey.Issued"]


@dataclass(frozen=True)
class KeyRecord:
    key_id: UUID
    system: str
    role: str
    issued_at: datetime
    revoked: bool


class KeyNotFound(LookupError):
    """No such key of this tenant (another tenant's is as absent as none)."""


class Systems:
    def __init__(self, store: Complaints) -> None:
        self.store = store

    def keys(self, caller: Caller, tenant: Tenant) -> list[KeyRecord]:
        """Every API key issued to a system of the tenant (never the key itself: it is kept as a hash)."""
        permissions.ensure(caller, "manage-keys")
        found, start = [], 1
        while batch := self.store.recorder.select_notifications(start=start, limit=1000, topics=ISSUED_TOPICS):
            found += [n.originator_id for n in batch]
            start = batch[-1].id + 1
        records = [self.store.repository.get(key_id) for key_id in found]
        return [_record(key) for key in records if key.tenant == tenant.id]

    def revoke(self, caller: Caller, tenant: Tenant, key_id: UUID) -> KeyRecord:
        """Revokes a key: every process refuses it within a second (they remember a good key that long)."""
        permissions.ensure(caller, "manage-keys")
        key = self.store.find(key_id)
        if not isinstance(key, ApiKey) or key.tenant != tenant.id:
            raise KeyNotFound(tenant.id, key_id)
        if not key.revoked:
            key.revoke(actor=caller.actor)
            self.store.save(key)
        return _record(key)


def _record(key: ApiKey) -> KeyRecord:
    return KeyRecord(key_id=key.id, system=key.name, role=key.role, issued_at=key.created_on, revoked=key.revoked)
