"""Calling systems: a named system of a tenant (the e-loket, the contact centre), and its API keys.

A system is known by its name, unique within its tenant; every key issued under
that name belongs to it, so a rotated key (a new one issued, the old one revoked)
changes nothing the system owns: the cases it sent, its idempotency keys and
references. Keys are kept under a hash of the key, never the key itself.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


# The platform's own actors (`system:routing` routes, `system:qualification` starts clocks, ...): no calling
# system may take one of their names, or its events would read as the platform's.
RESERVED_NAMES = frozenset({"routing", "qualification", "reporting", "relay", "intake", "admin", "make-run",
                            "platform"})


def check_name(name: str) -> str:
    """A calling system's name: 1 to 100 printable characters, not one of the platform's own."""
    if not name or len(name) > 100 or not name.isprintable() or ":" in name:
        raise ValueError("a system's name is 1 to 100 printable characters without ':'")
    if name.lower() in RESERVED_NAMES:
        raise ValueError(f"{name!r} is reserved for the platform's own actors ({sorted(RESERVED_NAMES)})")
    return name


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
        self.name, self.tenant, self.role = name, tenant, role  # `name`: the system the key belongs to
        self.revoked = False

    @event("Revoked")
    def revoke(self, actor: str) -> None:
        self.revoked = True
