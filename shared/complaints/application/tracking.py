"""The complainant's side: what their tracking link shows, and their feedback once the case is closed.

A link names one case (`complaints.model.tracking`); whoever holds it is that case's complainant to the
permission policy, and sees what was sent to them: the case number, its status and due date, the messages
and the answer once it went out. Never a team, a person, a note or another case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from complaints.adapters.store import Complaints
from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.application.clock import Clock
from complaints.application.errors import LinkNotFound
from complaints.model import tracking
from complaints.model.complaint import Complaint
from complaints.model.tenants import Tenant


@dataclass(frozen=True)
class Tracked:
    """A case as its complainant sees it through their link."""

    case: Complaint
    tenant: Tenant
    feedback_until: datetime | None  # while feedback may be given (None: not now)


class Tracking:
    def __init__(self, store: Complaints, clock: Clock, secret: bytes, tenants: dict[str, Tenant]) -> None:
        self.store, self.clock, self.secret, self.tenants = store, clock, secret, tenants

    def link(self, case: Complaint) -> str | None:
        """The current token of the case's link (None once revoked)."""
        return None if case.tracking_revoked else tracking.token_for(self.secret, case.id, case.tracking_generation)

    def _holder(self, token: str) -> tuple[Caller, Complaint]:
        case_id = tracking.case_id_in(token)
        case = self.store.find(case_id) if case_id is not None else None
        if (not isinstance(case, Complaint) or case.tracking_revoked or case.tenant not in self.tenants
                or not tracking.matches(self.secret, token, case.id, case.tracking_generation)):
            raise LinkNotFound(token)
        return Caller(kind="complainant", name=str(case.id), tenants=frozenset({case.tenant}),
                      roles=frozenset({tracking.COMPLAINANT})), case

    def view(self, token: str) -> Tracked:
        caller, case = self._holder(token)
        permissions.ensure_may_track(caller, "track", case)
        return self._tracked(case)

    def give_feedback(self, token: str, *, rating: int, comment: str | None, resolved: bool) -> Tracked:
        """Records the complainant's rating; a low one marked "not resolved" flags or reopens the case, as the
        tenant's rules say."""
        caller, case = self._holder(token)
        permissions.ensure_may_track(caller, "give-feedback", case)
        rules = self.tenants[case.tenant].feedback

        def give(case: Complaint) -> None:
            now = self.clock.now()
            case.give_feedback(rating=rating, comment=comment, resolved=resolved,
                               calls_for=tracking.calls_for(rules, rating, resolved),
                               refusal=tracking.feedback_refusal(rules, case.status, case.closed_at,
                                                                 _given_for(case), now),
                               actor=caller.actor, at=now)

        # Without an expected version: a system's event landing at the same moment means deciding again
        # (`Complaints.change`), not a conflict for the complainant.
        return self._tracked(self.store.change(case.tenant, case.id, give))

    def _tracked(self, case: Complaint) -> Tracked:
        tenant = self.tenants[case.tenant]
        rules = tenant.feedback
        refused = tracking.feedback_refusal(rules, case.status, case.closed_at, _given_for(case), self.clock.now())
        until = case.closed_at + timedelta(days=rules.period_days) if refused is None and case.closed_at else None
        return Tracked(case=case, tenant=tenant, feedback_until=until)


def _given_for(case: Complaint) -> datetime | None:
    return case.feedback["for_close"] if case.feedback else None
