"""The gateway's one contract (`services/contract`): checked in as the code gives it, unambiguous, typed
through and through, and usable from TypeScript as a frontend would use it.

The TypeScript check generates a client with openapi-typescript from the checked-in contract and compiles
tests/contract/usage.ts against it with `tsc --strict`; the npm tools are pinned in tests/contract/
(package-lock.json) and installed once into tests/contract/node_modules.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import contract
from complaints.application.permissions import ACTION_PATHS, CASE_ACTIONS, CASE_OPERATIONS

ROOT = Path(__file__).resolve().parents[1]
NPM_DIR = ROOT / "tests" / "contract"
REGENERATE = ".venv/bin/python -m contract"
CASE = "/v1/tenants/{tenant}/complaints/{case_id}"


@pytest.fixture(scope="module")
def written() -> dict[Path, str]:
    return contract.files()


@pytest.fixture(scope="module")
def document(written: dict[Path, str]) -> dict[str, Any]:
    return json.loads(written[contract.PUBLIC / "openapi.json"])


def operations(document: dict[str, Any]):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_the_checked_in_contract_is_what_the_code_gives(written: dict[Path, str]) -> None:
    stale = [str(path.relative_to(ROOT)) for path, text in written.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    assert not stale, f"{stale} are not what the services give: run `{REGENERATE}` and commit the result"


def test_the_contract_is_openapi_3_1_with_the_gateways_servers_and_both_ways_in(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert {"url": "http://127.0.0.1:8000", "description": "make run's gateway"} in document["servers"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["BearerJWT"] == {**schemes["BearerJWT"], "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert {"complaints", "handler workflow", "routing", "reports", "audit"} <= {t["name"] for t in document["tags"]}


# The deliberate exception: a complainant's tracking link is its own credential (`security: []`, anonymous).
ANONYMOUS = {"GET /v1/track/{token}", "POST /v1/track/{token}/feedback",
             # and a tenant's Open311 services, its published vocabulary: public, as the spec has them.
             "GET /open311/v2/services.{format}", "GET /open311/v2/services/{service_code}.{format}"}
# Open311 GeoReport v2 answers errors in its spec's format (`[{"code", "description"}]`, or its XML), not as
# problem documents, and a missing or bad `api_key` with the spec's 403.
OPEN311 = "/open311/"


def test_every_operation_says_which_credentials_it_takes(document: dict[str, Any]) -> None:
    schemes = set(document["components"]["securitySchemes"])
    unsecured = [name for name, op in operations(document) if name not in ANONYMOUS and (
        not op.get("security") or not {s for r in op["security"] for s in r} <= schemes)]
    assert not unsecured, f"operations without a (known) security scheme: {unsecured}"
    assert all(dict(operations(document))[name]["security"] == [] for name in ANONYMOUS)
    security = dict(operations(document))
    assert security["POST /v1/tenants/{tenant}/complaints"]["security"] == [{"ApiKey": []}]
    assert security[f"POST {CASE}/investigation"]["security"] == [{"BearerJWT": []}]
    assert security[f"GET {CASE}"]["security"] == [{"ApiKey": []}, {"BearerJWT": []}]


def test_operation_ids_are_unique_across_the_contract() -> None:
    seen: dict[str, list[str]] = {}
    for service, document in contract.service_documents().items():
        for name, operation in operations(document):
            if name.split()[1] not in contract.PER_PROCESS:
                seen.setdefault(operation["operationId"], []).append(f"{service}: {name}")
    assert not {k: v for k, v in seen.items() if len(v) > 1}
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in seen), "operation ids are snake_case"


def test_the_merge_refuses_an_ambiguous_contract() -> None:
    def service(operation_id: str, path: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {"paths": {path: {"get": {"operationId": operation_id, "responses": {}}}},
                "components": {"schemas": {"Thing": schema}}}

    with pytest.raises(contract.ContractError, match="operationId read is in both a and b"):
        contract.merge({"a": service("read", "/x", {}), "b": service("read", "/y", {})})
    with pytest.raises(contract.ContractError, match="GET /x is in both a and b"):
        contract.merge({"a": service("one", "/x", {}), "b": service("two", "/x", {})})
    with pytest.raises(contract.ContractError, match="schemas 'Thing' of b differs from the one of a"):
        contract.merge({"a": service("one", "/x", {"type": "string"}), "b": service("two", "/y", {"type": "object"})})


def test_every_allowed_action_names_the_operation_it_calls(document: dict[str, Any]) -> None:
    assert CASE_OPERATIONS.keys() == CASE_ACTIONS.keys()
    wrong = {}
    for name, method in CASE_ACTIONS.items():
        operation = document["paths"].get(f"{CASE}/{ACTION_PATHS.get(name, name)}", {}).get(method.lower(), {})
        if operation.get("operationId") != CASE_OPERATIONS[name]:
            wrong[name] = (CASE_OPERATIONS[name], operation.get("operationId"))
    assert not wrong, f"action: (operation id it names, the contract's): {wrong}"


def _untyped(schema: dict[str, Any] | None, schemas: dict[str, Any]) -> bool:
    if schema is None:
        return True
    if "$ref" in schema:
        return _untyped(schemas[schema["$ref"].rsplit("/", 1)[1]], schemas)
    if "anyOf" in schema or "oneOf" in schema:
        return any(_untyped(s, schemas) for s in schema.get("anyOf", schema.get("oneOf")))
    if schema.get("type") == "array":
        return _untyped(schema.get("items"), schemas)
    meaningful = set(schema) - {"title", "description", "additionalProperties", "examples"}
    return not meaningful or (schema.get("type") == "object" and "properties" not in schema)


def test_every_business_response_is_typed(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    offenders = [f"{name} {code}" for name, op in operations(document) for code, response in op["responses"].items()
                 if code.startswith("2") and "application/json" in response.get("content", {"application/json": {}})
                 and _untyped(response.get("content", {}).get("application/json", {}).get("schema"), schemas)]
    assert not offenders, f"untyped 2xx JSON responses: {offenders}"


def test_the_untyped_check_finds_what_it_looks_for() -> None:
    schemas = {"Loose": {"type": "object", "additionalProperties": True}, "Typed": {"properties": {"a": {}}}}
    assert _untyped(None, schemas) and _untyped({}, schemas) and _untyped({"$ref": "#/x/Loose"}, schemas)
    assert _untyped({"type": "array", "items": {"type": "object", "additionalProperties": {}}}, schemas)
    assert not _untyped({"$ref": "#/x/Typed"}, schemas) and not _untyped({"type": "string"}, schemas)


def test_every_refusal_is_documented_as_a_problem_document(document: dict[str, Any]) -> None:
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}
    open311 = {"type": "array", "items": {"$ref": "#/components/schemas/Open311Error"}}
    wrong = [f"{name} {code}" for name, op in operations(document) for code, response in op["responses"].items()
             if code.startswith("4") and (
                 response.get("content") != problem if OPEN311 not in name else
                 {**response["content"]["application/json"]["schema"], "title": None} != {**open311, "title": None}
                 or "text/xml" not in response["content"])]
    assert not wrong, wrong
    assert "HTTPValidationError" not in document["components"]["schemas"]
    needed = {"401", "403"}
    lacking = [name for name, op in operations(document)
               if name not in ANONYMOUS and not (needed - {"401"} if OPEN311 in name else needed)
               <= set(op["responses"])]
    assert not lacking, f"operations that do not document 401 and 403: {lacking}"


def test_case_states_and_commands_are_enums(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["CaseState"]["enum"]) == {"received", "routed", "investigating", "awaiting-information",
                                                 "qualified", "drafted", "answered", "closed"}
    assert schemas["CaseCommand"]["enum"] == list(CASE_ACTIONS)
    for model in ("CaseView", "CaseStatus", "ProjectedCase", "Acknowledgement", "ChannelStatusCount"):
        assert schemas[model]["properties"]["status"] == {"$ref": "#/components/schemas/CaseState"}, model


def _external(page: str) -> list[str]:
    return re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"']*", page)


@pytest.mark.parametrize("service", contract.SERVICES)
def test_a_services_docs_load_nothing_from_another_host(service: str) -> None:
    client = TestClient(importlib.import_module(f"{service}.app").app)
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assert not _external(page.text), f"/docs of {service} loads {_external(page.text)}"
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
        assert client.get(asset).status_code == 200, asset
    assert '"persistAuthorization": true' in page.text


def test_the_gateways_docs_page_shows_the_contract_from_local_files(written: dict[Path, str]) -> None:
    page = written[contract.PUBLIC / "docs" / "index.html"]
    assert not _external(page), _external(page)
    assert 'src="/docs/static/swagger-ui-bundle.js"' in page and 'href="/docs/static/swagger-ui.css"' in page
    assert 'url: "/openapi.json"' in page and "persistAuthorization: true" in page
    fastapi_offline = Path(importlib.import_module("fastapi_offline").__file__).parent / "static"
    for asset in re.findall(r'(?:src|href)="/docs/static/([^"]+)"', page):
        assert (fastapi_offline / asset).is_file(), f"{asset} is not among the files served at /docs/static/"


# --- TypeScript ----------------------------------------------------------------------------------------
def _npm_tools() -> Path:
    """tests/contract/node_modules, installed by `npm ci` from the lock (again only when the lock changed)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the TypeScript check of the contract needs Node 20 and npm")
    lock = hashlib.sha256((NPM_DIR / "package-lock.json").read_bytes()).hexdigest()
    stamp = NPM_DIR / "node_modules" / ".installed-from"
    if not stamp.exists() or stamp.read_text() != lock:
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NPM_DIR, capture_output=True, text=True,
                                timeout=600, check=False)
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
        stamp.write_text(lock)
    return NPM_DIR / "node_modules" / ".bin"


def _typecheck(tmp_path: Path, usage: str) -> subprocess.CompletedProcess[str]:
    """Generates the client from the checked-in contract next to `usage` and compiles it strictly."""
    tools = _npm_tools()
    (tmp_path / "usage.ts").write_text(usage)
    generate = subprocess.run([str(tools / "openapi-typescript"), str(contract.PUBLIC / "openapi.json"),
                               "--default-non-nullable", "false", "-o", str(tmp_path / "contract.ts")],
                              capture_output=True, text=True, timeout=300, check=False)
    assert generate.returncode == 0, f"openapi-typescript failed:\n{generate.stdout}\n{generate.stderr}"
    return subprocess.run([str(tools / "tsc"), "--strict", "--noEmit", "--target", "es2022", "--module", "esnext",
                           "--moduleResolution", "bundler", "--lib", "es2022,dom", "usage.ts"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)


def test_a_typescript_client_of_the_contract_compiles_strictly(tmp_path: Path) -> None:
    result = _typecheck(tmp_path, (NPM_DIR / "usage.ts").read_text())
    assert result.returncode == 0, f"tsc --strict found errors in tests/contract/usage.ts:\n{result.stdout}"
    loose = (tmp_path / "contract.ts").read_text().count("[key: string]: unknown")
    # Left free-form on purpose: an event's own fields, an import batch's items (checked one by one), an
    # import item's errors, a problem's extension members.
    assert loose <= 5, f"{loose} `[key: string]: unknown` in the generated client"


def test_the_typescript_check_fails_on_a_type_error(tmp_path: Path) -> None:
    wrong = (NPM_DIR / "usage.ts").read_text() + '\nexport const nope: components["schemas"]["CaseState"] = "lost";\n'
    result = _typecheck(tmp_path, wrong)
    assert result.returncode != 0 and "error TS2322" in result.stdout, result.stdout
