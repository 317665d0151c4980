"""Who is calling, once authenticated: a person (their token's subject), a calling system (its name), or a
complainant holding the tracking link of their case (the case id: they have no account)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Caller:
    kind: Literal["system", "person", "complainant"]
    # A person's subject; a system's name, unique within its tenant (all its keys share it); a complainant's case.
    name: str
    tenants: frozenset[str]
    roles: frozenset[str]
    team: str | None = None

    @property
    def actor(self) -> str:
        """How events record who did it (and how a system is recognised as the sender of its cases); a
        complainant is recorded as such, the case they act on being the one the event is on."""
        if self.kind == "complainant":
            return "complainant"
        return f"{'system' if self.kind == 'system' else 'user'}:{self.name}"
