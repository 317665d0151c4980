"""Which team handles a case: the tenant's ordered rules, first match wins."""

from __future__ import annotations

from dataclasses import dataclass

from complaints.tenants import RoutingRule, Tenant


@dataclass(frozen=True)
class Route:
    team: str
    rule_id: str
    config_version: str


def _matches(rule: RoutingRule, channel: str, signal_type: str, category: str | None) -> bool:
    return (
        (rule.channel is None or rule.channel == channel)
        and (rule.signal_type is None or rule.signal_type == signal_type)
        and (rule.category is None or rule.category == category)
    )


def choose_team(tenant: Tenant, *, channel: str, signal_type: str, category: str | None) -> Route:
    for rule in tenant.routing.rules:
        if _matches(rule, channel, signal_type, category):
            return Route(rule.team, rule.id, tenant.version)
    return Route(tenant.routing.default_team, "default", tenant.version)
