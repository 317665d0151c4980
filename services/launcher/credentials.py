"""Demo credentials for `make run`: an API key per tenant and system role, a token per tenant and person role.

Written to `.data/demo-credentials.json` as
`{"api_keys": {TENANT: {ROLE: KEY}}, "tokens": {TENANT: {ROLE: JWT}}}`; keys are
kept across runs (they live hashed in the store), tokens are signed afresh.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from complaints.auth import PERSON_ROLES, SYSTEM_ROLES, Credentials
from complaints.settings import Settings
from complaints.store import Complaints
from complaints.tenants import load_tenants


def demo_credentials(settings: Settings, path: Path) -> dict[str, Any]:
    store = Complaints(settings)
    credentials = Credentials(store, settings)
    tenants = load_tenants(settings.tenants_dir)
    known = json.loads(path.read_text()) if path.exists() else {}
    keys = known.get("api_keys", {})
    for tenant in tenants.values():
        for role in sorted(SYSTEM_ROLES):
            if role not in keys.get(tenant.id, {}):
                keys.setdefault(tenant.id, {})[role] = credentials.issue_key(
                    name=f"demo-{role}", tenant=tenant.id, role=role, actor="system:make-run")
    tokens = {
        tenant.id: {role: credentials.token_for(subject=f"demo-{role}@{tenant.id}", tenants=[tenant.id], roles=[role],
                                                team=tenant.routing.default_team)
                    for role in sorted(PERSON_ROLES)}
        for tenant in tenants.values()
    }
    store.close()
    result = {"api_keys": keys, "tokens": tokens}
    path.write_text(json.dumps(result, indent=2))
    path.chmod(0o600)
    return result
