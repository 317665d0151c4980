"""Which team handles a case: the tenant's ordered rules, first match wins."""

from __future__ import annotations

from dataclasses import dataclass

from complaints.model.tenants import CONDITIONS, RoutingRule, Tenant


@dataclass(frozen=True)
class Route:
    team: str
    rule_id: str
    config_version: str


def _matches(rule: RoutingRule, facts: dict[str, str | None]) -> bool:
    return all(getattr(rule, name) is None or facts.get(name) in getattr(rule, name) for name in CONDITIONS)


def choose_team(tenant: Tenant, *, channel: str, signal_type: str, category: str | None = None,
                district: str | None = None, entity: str | None = None) -> Route:
    """The first rule whose every condition matches, else the tenant's default team."""
    facts = {"channel": channel, "signal_type": signal_type, "category": category,
             "district": district, "entity": entity}
    for rule in tenant.routing.rules:
        if _matches(rule, facts):
            return Route(rule.team, rule.id, tenant.version)
    return Route(tenant.routing.default_team, "default", tenant.version)
