"""The gateway's one contract: the four services' own OpenAPI documents merged into one OpenAPI 3.1
document, with the gateway's `servers` and the two ways to authenticate, and the Swagger UI page that
shows it. `python -m contract` writes both to `services/gateway/public/` (checked in; tests/test_contract.py
fails when they are not what this code gives).

Each service shapes its own document (`complaints.web.openapi`: operation ids, security, problem
documents); this only merges, and refuses what would make one contract ambiguous: a path and method in two
services, an operation id used twice, or a schema name for two different schemas.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

SERVICES = ("intake", "routing", "qualification", "reporting", "webhooks")
PUBLIC = Path(__file__).resolve().parents[1] / "gateway" / "public"
# The serving gateway first: Swagger UI's "Try it out" then calls the origin it was loaded from, wherever it is.
SERVERS = [{"url": "/", "description": "The gateway that serves this document"},
           {"url": "http://127.0.0.1:8000", "description": "make run's gateway"}]
# Each process's own health, readiness and metrics: asked of the process, not through the gateway.
PER_PROCESS = {"/healthz", "/readyz"}
INFO = {
    "title": "Complaints platform", "version": "0.2.0",
    "description": "One contract for the services behind the gateway (intake, routing, qualification, "
                   "reporting, webhooks). City systems authenticate with `X-API-Key`, people with `Authorization: Bearer "
                   "<JWT>`; each operation names which. Errors are RFC 9457 problem documents "
                   "(`application/problem+json`). Operation ids are the route functions' names in snake_case; "
                   "a case's `allowed_actions` name the `operation_id` each one calls.",
}


class ContractError(Exception):
    """The services' documents do not merge into one unambiguous contract."""


def service_documents() -> dict[str, dict[str, Any]]:
    """Each service's own document, from its app as `make run` builds it."""
    # Importing an app builds it with the settings of the environment; its document does not depend on them,
    # and outside development the settings would ask for secrets this never uses.
    os.environ.setdefault("ENVIRONMENT", "development")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # building an app logs its start-up, which says nothing here
    return {service: importlib.import_module(f"{service}.app").app.openapi() for service in SERVICES}


def merge(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    owners: dict[str, str] = {}  # what each path+method, operation id, schema and scheme came from
    components: dict[str, dict[str, Any]] = {"schemas": {}, "securitySchemes": {}}
    tags: dict[str, str] = {}
    for service, document in documents.items():
        for path, operations in document["paths"].items():
            if path in PER_PROCESS:
                continue
            for method, operation in operations.items():
                _claim(owners, f"{method.upper()} {path}", service, "operation")
                _claim(owners, f"operationId {operation['operationId']}", service, "operation id")
                paths.setdefault(path, {})[method] = operation
                tags.update({tag: service for tag in operation.get("tags", [])})
        for kind, found in components.items():
            for name, value in document.get("components", {}).get(kind, {}).items():
                if name in found and found[name] != value:
                    raise ContractError(f"{kind} {name!r} of {service} differs from the one of "
                                        f"{owners[f'{kind} {name}']}: rename one of them")
                found[name] = value
                owners.setdefault(f"{kind} {name}", service)
    return {"openapi": "3.1.0", "info": INFO, "servers": SERVERS,
            "tags": [{"name": tag, "description": f"Served by the {service} service"} for tag, service in tags.items()],
            "paths": paths, "components": {kind: dict(sorted(found.items())) for kind, found in components.items()}}


def _claim(owners: dict[str, str], what: str, service: str, kind: str) -> None:
    if what in owners:
        raise ContractError(f"{kind} {what} is in both {owners[what]} and {service}: the contract needs one")
    owners[what] = service


def docs_page() -> str:
    """Swagger UI for the contract, from the files the gateway serves at /docs/static/ (no CDN)."""
    return """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Complaints platform - API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/static/favicon.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script>
    // persistAuthorization: the key or token entered once survives a reload of the page.
    window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true,
                                deepLinking: true, displayOperationId: true});
  </script>
</body>
</html>
"""


def files() -> dict[Path, str]:
    """What `python -m contract` writes, by path."""
    document = merge(service_documents())
    return {PUBLIC / "openapi.json": json.dumps(document, indent=2, ensure_ascii=False) + "\n",
            PUBLIC / "docs" / "index.html": docs_page()}
