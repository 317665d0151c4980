"""Schemathesis against every service's OpenAPI on the running set: no 5xx, every 4xx a problem document, and
every answer as the document types it.

The CLI runs as a subprocess, as in CI: its engine runs the schema's examples,
the coverage phase (boundary and negative values per field) and fuzzing, and it
exits non-zero on any failure. Credentials, the tenant and a real case id come
from a config file written per run; the problem-document check is in
tests/schemathesis_hooks.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from launcher.stack import SERVICES, Stack
from tests.helpers import complaint

MAX_EXAMPLES = 15  # per operation and phase: the whole file takes about a minute on two cores
REPORTS = ["channels", "kinds", "qualifications", "timeliness", "within-days", "monthly", "open-overdue", "repeated"]
ROOT = Path(__file__).resolve().parents[1]
SEED = os.environ.get("FUZZ_SEED", "20261125")  # fixed, so a failure replays; set FUZZ_SEED to explore others
# Operations only a city system may call, with the role of the key they take (the rest take a manager's JWT).
SYSTEM_OPERATIONS = {"intake": {"POST /v1/tenants/{tenant}/complaints": "intake",
                                "GET /v1/tenants/{tenant}/complaints": "intake",
                                "POST /v1/tenants/{tenant}/imports": "import"}}


@pytest.fixture
def case_id(module_stack: Stack, module_auth: dict[str, dict[str, str]]) -> str:
    """A fresh case of the fire zone per service, so that fuzzed commands reach a case (not only its 404)
    that the fuzzing of another service has not closed already."""
    response = httpx.post(f"{module_stack.url('intake')}/v1/tenants/brandweer/complaints", json=complaint(),
                          headers=module_auth["intake"], timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["case_id"]


def _toml(value: object) -> str:
    return json.dumps(value)  # JSON strings, numbers and arrays are TOML too


def config(service: str, auth: dict[str, dict[str, str]], case_id: str, report: Path) -> str:
    """The tenant is pinned: another one is a 403 before anything else is looked at (the tenant-isolation
    test covers that). Case ids and report names are pinned often, not always, so fuzzing tries others too."""
    bearer = auth["manager"]["Authorization"]
    lines = [
        f"headers = {{ Authorization = {_toml(bearer)} }}",
        "[generation]", f"max-examples = {MAX_EXAMPLES}", 'mode = "all"', "database = \"none\"",
        "[phases.stateful]", "enabled = false",  # FastAPI declares no links; inferring them costs more than it finds
        # Fail, not warn, when the credentials stop working (only 401/403 seen) or a filter below names
        # an operation that no longer exists.
        "[warnings]", 'fail-on = ["missing_auth", "unmatched_filter"]',
        "[reports.json]", f"path = {_toml(str(report))}",
        "[dictionaries.cases]", f"values = [{_toml(case_id)}]",
        "[dictionaries.reports]", f"values = {_toml(REPORTS)}",
        "[dictionaries.jurisdictions]", 'values = ["brandweer"]',
        "[dictionaries.formats]", 'values = ["json", "xml"]',
        "[parameters]",
        '"path.tenant" = "brandweer"',
        '"path.case_id" = { dictionary = "cases", probability = 0.7 }',
        '"path.report" = { dictionary = "reports", probability = 0.7 }',
        # Open311: the fire zone's requests, and its services in the spec's two formats, often.
        '"query.jurisdiction_id" = { dictionary = "jurisdictions", probability = 0.7 }',
        '"path.format" = { dictionary = "formats", probability = 0.9 }',
        '"path.service_request_id" = { dictionary = "cases", probability = 0.7 }',
    ]
    # A key takes precedence over the bearer token. (`include-name` is the operation's label: two
    # include-* keys would be OR-ed, not AND-ed.)
    for operation, role in SYSTEM_OPERATIONS.get(service, {}).items():
        lines += ["[[operations]]", f"include-name = {_toml(operation)}",
                  f"headers = {{ X-API-Key = {_toml(auth[role]['X-API-Key'])} }}"]
    if service == "intake":
        # Open311's requests take the city system's key as the spec sends it, `api_key` (not as headers per
        # operation: schemathesis keeps the first operation's headers in its session for every later one, and
        # the Open311 operations come first).
        lines += ["[auth.openapi.Open311ApiKey]", f"api_key = {_toml(auth['intake']['X-API-Key'])}"]
    return "\n".join(lines) + "\n"


# Left out per service: revoking keys would revoke the very keys the module's tests call with (the list
# of keys gives their ids, and schemathesis follows it); the live stream never ends, so every accepted request
# would wait out the time-out (tests/test_live.py covers it).
EXCLUDED = {"intake": ["--exclude-path", "/v1/tenants/{tenant}/api-keys/{key_id}"],
            "reporting": ["--exclude-path", "/v1/tenants/{tenant}/events"]}


def run_schemathesis(url: str, config_file: Path, service: str = "") -> subprocess.CompletedProcess[str]:
    """Runs in the config file's directory: schemathesis keeps a cache in its working directory."""
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config_file), "--no-color", "run",
               # Every answer as the contract types it, too: a client generated from it can rely on the types.
               f"{url}/openapi.json", "--checks", "not_a_server_error,problem_details,response_schema_conformance",
               "--exclude-path", "/readyz",  # a 503 while a dependency is away is its answer, not a fault
               # One worker: hypothesis parses source to name lambdas, and on CPython 3.11 two threads parsing at
               # once can fail with "AST constructor recursion depth mismatch" (python/cpython#106905).
               *EXCLUDED.get(service, []), "--workers", "1", "--seed", SEED, "--request-timeout", "30"]
    return subprocess.run(command, cwd=config_file.parent, env=env, capture_output=True, text=True, timeout=300,
                          check=False)  # its output says what failed; the test asserts on the code


def summary(service: str, report: Path) -> str:
    if not report.exists():
        return f"schemathesis on {service}: no report (it stopped before testing)"
    data = json.loads(report.read_text())
    operations, cases = data["operations"], data["test_cases"]
    return (f"schemathesis on {service}: {operations['tested']} of {operations['total']} operations tested, "
            f"{cases['generated']} test cases (a request each) in {data['running_time']:.1f}s, "
            f"{cases['with_failures']} failing, {cases['errored']} errored, seed {SEED}")


@pytest.mark.parametrize("service", list(SERVICES))
def test_no_server_errors_and_every_refusal_is_a_problem_document(
        service: str, module_stack: Stack, module_auth: dict[str, dict[str, str]], case_id: str,
        tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(config(service, module_auth, case_id, report))
    result = run_schemathesis(module_stack.url(service), config_file, service)
    print(summary(service, report))
    assert result.returncode == 0, f"schemathesis failed on {service}:\n{result.stdout[-20000:]}\n{result.stderr[-3000:]}"
