"""Human case numbers, gap-free per tenant and year (e.g. BZA-2023-0007).

The counter is an aggregate of its own, saved in the same atomic write as the
complaint that takes the number: a number is never issued without its case,
and two concurrent intakes cannot take the same one (the store's optimistic
concurrency refuses the second write, which then retries).
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class CaseNumbers(Aggregate):
    """The last case number issued for one tenant in one year."""

    @staticmethod
    def id_for(tenant: str, year: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"complaints:case-numbers:{tenant}:{year}")

    @classmethod
    def create_id(cls, tenant: str, year: int, prefix: str) -> UUID:
        return cls.id_for(tenant, year)

    @event("Started")
    def __init__(self, tenant: str, year: int, prefix: str) -> None:
        self.tenant = tenant
        self.year = year
        self.prefix = prefix
        self.last = 0

    def issue(self) -> str:
        self._issued(number=self.last + 1)
        return f"{self.prefix}-{self.year}-{self.last:04d}"

    @event("Issued")
    def _issued(self, number: int) -> None:
        self.last = number
