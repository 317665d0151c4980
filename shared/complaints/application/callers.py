"""Who is calling, once authenticated: a person (their token's subject) or a calling system (its name)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Caller:
    kind: Literal["system", "person"]
    name: str  # a person's subject; a system's name, unique within its tenant (all its keys share it)
    tenants: frozenset[str]
    roles: frozenset[str]
    team: str | None = None

    @property
    def actor(self) -> str:
        """How events record who did it (and how a system is recognised as the sender of its cases)."""
        return f"{'system' if self.kind == 'system' else 'user'}:{self.name}"
