"""Demo credentials for `make run`: an API key per tenant and system role, a token per tenant and person
role, and several people per tenant to try the permission policy with.

Written to `.data/demo-credentials.json` as
`{"api_keys": {TENANT: {ROLE: KEY}}, "tokens": {TENANT: {ROLE: JWT}},
  "people": {TENANT: [{"sub", "roles", "team", "token"}]}}`; keys are kept across
runs (they live hashed in the store), tokens are signed afresh. `people` has two
handlers (of two teams where the tenant has more than one), two managers, two
auditors, and two directors where the tenant's approval steps name directors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from complaints.web.auth import PERSON_ROLES, SYSTEM_ROLES, Credentials
from complaints.settings import Settings
from complaints.adapters.store import Complaints
from complaints.model.tenants import Tenant, load_tenants


def demo_credentials(settings: Settings, path: Path) -> dict[str, Any]:
    store = Complaints(settings)
    credentials = Credentials(store, settings)
    tenants = load_tenants(settings.tenants_dir)
    known = json.loads(path.read_text()) if path.exists() else {}
    keys = known.get("api_keys", {})
    for tenant in tenants.values():
        for role in sorted(SYSTEM_ROLES):
            if role not in keys.get(tenant.id, {}):
                # The subscriber key is the intake system's second key: the portal that posts complaints also has
                # their events sent to it, and its subscriptions' `own_cases` are the cases it posted.
                name = "demo-intake" if role == "subscriber" else f"demo-{role}"
                keys.setdefault(tenant.id, {})[role] = credentials.issue_key(
                    name=name, tenant=tenant.id, role=role, actor="system:make-run")
    tokens = {}
    for tenant in tenants.values():
        tokens[tenant.id] = {role: credentials.token_for(subject=f"demo-{role}@{tenant.id}", tenants=[tenant.id],
                                                         roles=[role], team=_team(tenant, role, 0))
                             for role in _roles(tenant)}
    people = demo_people(credentials, tenants.values())
    store.close()
    result = {"api_keys": keys, "tokens": tokens, "people": people}
    path.write_text(json.dumps(result, indent=2))
    path.chmod(0o600)
    return result


def demo_people(credentials: Credentials, tenants: Iterable[Tenant]) -> dict[str, list[dict[str, Any]]]:
    """Two persons per people role of each tenant, each with a token of their own (the console's login picker
    offers them in development; the browser tests log in as them)."""
    return {tenant.id: [_person(credentials, tenant, role, n) for role in _roles(tenant) for n in (0, 1)]
            for tenant in tenants}


def _roles(tenant: Tenant) -> list[str]:
    return sorted(r for r in PERSON_ROLES if r != "director" or _names_directors(tenant))


def _names_directors(tenant: Tenant) -> bool:
    return any(step.role == "director" for step in tenant.approvals)


def _team(tenant: Tenant, role: str, n: int) -> str | None:
    """Handlers belong to a team: the default team first, then another where the tenant has more."""
    if role != "handler":
        return None
    others = [t for t in tenant.codes("teams") if t != tenant.routing.default_team]
    return tenant.routing.default_team if n == 0 or not others else others[0]


def _person(credentials: Credentials, tenant: Tenant, role: str, n: int) -> dict[str, Any]:
    subject = f"{role}-{n + 1}@{tenant.id}"
    team = _team(tenant, role, n)
    return {"sub": subject, "roles": [role], "team": team,
            "token": credentials.token_for(subject=subject, tenants=[tenant.id], roles=[role], team=team)}


def write_dev_people(path: Path, people: dict[str, list[dict[str, Any]]]) -> None:
    """The console's development login picker: the demo people only (the gateway serves this file whole, so it
    holds no API key)."""
    path.write_text(json.dumps({"people": people}, indent=2))
    path.chmod(0o600)
