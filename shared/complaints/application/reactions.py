"""What the system does because something happened to a case: route it by the tenant's rules, route it
again once its category is known, start its clock. The routing and qualification consumers call these
from their policies, and the importer calls them to replay an old case's steps, so each rule is said
once. Each returns whether it changed the case (a policy collects the case's new events only then).
"""

from __future__ import annotations

from datetime import datetime

from complaints.model.complaint import Complaint
from complaints.model.routing import Route, choose_team
from complaints.model.tenants import Tenant
from complaints.model.windows import clock_start, due_date


def _rules(tenant: Tenant, case: Complaint) -> Route:
    return choose_team(tenant, channel=case.channel, signal_type=case.signal_type, category=case.category,
                       district=case.district, entity=case.entity)


def route(case: Complaint, tenant: Tenant, *, actor: str, at: datetime, team: str | None = None) -> bool:
    """Routes a received case by the tenant's rules (or to `team`, as an old register recorded it);
    a case already routed, rerouted or closed by hand keeps that decision."""
    if case.status != "received":
        return False
    chosen = Route(team, "import", tenant.version) if team else _rules(tenant, case)
    case.route(team=chosen.team, rule_id=chosen.rule_id, config_version=chosen.config_version, actor=actor, at=at)
    return True


def route_by_category(case: Complaint, tenant: Tenant, *, actor: str, at: datetime) -> bool:
    """A case the rules routed by channel and type alone is routed again once its category is known;
    one a person rerouted, or split off as a team's part, stays where they put it."""
    if case.status in ("received", "closed") or case.routed_by_hand or case.part_of is not None:
        return False
    chosen = _rules(tenant, case)
    if chosen.team == case.team:
        return False
    case.reroute(team=chosen.team, reason=f"category set to {case.category!r}", rule_id=chosen.rule_id,
                 config_version=chosen.config_version, actor=actor, at=at)
    return True


def start_clock(case: Complaint, tenant: Tenant, *, routed_at: datetime, actor: str, at: datetime) -> bool:
    """Starts the window of a routed case, once: from the day it came in, or was routed where the tenant
    says so. A part of a complaint has no clock of its own: it runs on its complaint's window."""
    if case.due_date is not None or case.status == "closed" or case.part_of is not None:
        return False
    start = clock_start(tenant, received_at=case.received_at, routed_at=routed_at)
    case.start_clock(due=due_date(tenant, signal_type=case.signal_type, start=start), started_on=start,
                     actor=actor, at=at)
    return True
