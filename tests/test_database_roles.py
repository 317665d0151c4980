"""Least privilege on the real PostgreSQL: the migration step owns the schema, each service logs in as a
role of its own that may use only its tables, and the whole flow still works that way (as deploy/ runs it)."""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from complaints.adapters.readmodel import SchemaBehind, create_engine, migrate
from complaints.adapters.privileges import PRIVILEGES
from complaints.migrate import run as run_migration
from complaints.settings import Settings
from conftest import auth_headers, stack_env
from launcher.infra import pg_bin
from launcher.stack import SERVICES, Stack
from tests.helpers import Api, complaint, wait_until

_roles = itertools.count()


@pytest.fixture
def roles(postgres, database_url: str) -> Iterator[dict[str, str]]:
    """An owner for the migration step (owning the database, so it may create in its schema) and one login
    role per service, none of them superusers; dropped afterwards."""
    n = f"{os.getpid()}_{next(_roles)}"
    names = {"owner": f"owner_{n}", **{service: f"{service}_{n}" for service in SERVICES}}
    database = make_url(database_url).database
    with psycopg.connect(postgres.admin_url, autocommit=True) as conn:
        for role in names.values():
            conn.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
        conn.execute(f'ALTER DATABASE "{database}" OWNER TO "{names["owner"]}"')
    yield names
    with psycopg.connect(postgres.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        for role in names.values():
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def as_role(settings: Settings, role: str) -> str:
    return make_url(settings.database_url).set(username=role).render_as_string(hide_password=False)


@pytest.fixture
def migrated(settings: Settings, roles: dict[str, str]) -> Settings:
    """The migration step, run as the owner with the services' roles."""
    owner = settings.model_copy(update={"database_url": as_role(settings, roles["owner"]),
                                        "database_roles": {s: roles[s] for s in SERVICES}})
    grants = run_migration(owner)
    assert any(roles["reporting"] in grant for grant in grants)
    return owner


def refused(url: str, statement: str) -> str:
    """The error PostgreSQL gives this role for the statement (fails the test if it is allowed)."""
    with psycopg.connect(url) as conn:
        try:
            conn.execute(statement)
        except psycopg.errors.InsufficientPrivilege as error:
            return str(error)
    pytest.fail(f"{statement!r} was allowed")


def test_every_service_works_as_its_own_role_and_the_flow_completes(
        settings: Settings, migrated: Settings, roles: dict[str, str], tmp_path: Path):
    env = {**stack_env(settings), "SCHEMA_CHANGES": "false"}
    per_service = {service: {"DATABASE_URL": as_role(settings, roles[service])} for service in SERVICES}
    stack = Stack(env, log_dir=tmp_path, service_env=per_service)
    stack.start()
    try:
        auth = auth_headers(migrated)  # keys and tokens are recorded by the owner, before the flow
        api = Api(stack, auth)
        posted = api.post(complaint(1, complainant={"name": "A. Burger", "email": "a.burger@example.be"}))
        assert posted.status_code == 201, posted.text
        case_id = posted.json()["case_id"]
        # Routed, clocked, projected, relayed, and acknowledged to the complainant by e-mail (decided and sent).
        wait_until(lambda: api.settled(case_id) and api.case(case_id)["version"] == 5, timeout=60)

        # Each service's own writes: qualification (the workflow), routing (a reroute), intake (an erasure).
        tenant_url = "/v1/tenants/brandweer"
        started = httpx.post(f"{stack.url('qualification')}{tenant_url}/complaints/{case_id}/investigation",
                             headers={**auth["manager"], "If-Match": '"5"'}, json={}, timeout=10)
        assert started.status_code == 200, started.text
        history = httpx.get(f"{stack.url('intake')}{tenant_url}/complaints/{case_id}/history",
                            headers=auth["auditor"], timeout=10)
        assert history.status_code == 200, history.text
        erased = httpx.post(f"{stack.url('intake')}{tenant_url}/erasures", headers=auth["manager"], timeout=10,
                            json={"email": "a.burger@example.be", "reason": "GDPR request 1"})
        assert erased.status_code == 200, erased.text
        wait_until(lambda: (api.projected(case_id) or {}).get("status") == "investigating", timeout=30)
    finally:
        stack.stop()
    logs = "\n".join(path.read_text(errors="replace") for path in tmp_path.glob("*.log"))
    assert "permission denied" not in logs.lower(), "a service was refused a table it uses"


def test_no_service_role_may_change_the_schema_or_the_record(settings: Settings, migrated: Settings,
                                                             roles: dict[str, str]):
    for service in SERVICES:
        url = as_role(settings, roles[service])
        refused(url, "CREATE TABLE mine (id int)")
        refused(url, "ALTER TABLE complaints_events DISABLE TRIGGER refuse_change")
        refused(url, "DROP TABLE complaints_chain")
    auth_headers(migrated)  # a few stored events (API keys), so that row triggers have rows to fire on
    intake = as_role(settings, roles["intake"])
    # Intake appends to the store, so PostgreSQL lets it lock the table; the trigger refuses the change itself.
    assert "never changed" in refused(intake, "UPDATE complaints_events SET topic = topic")
    assert "never changed" in refused(intake, "DELETE FROM complaints_events")
    assert "permission denied" in refused(intake, "DELETE FROM complaints_chain")  # the links need no lock


def test_each_service_role_reaches_only_its_own_tables(settings: Settings, migrated: Settings,
                                                       roles: dict[str, str]):
    every_table = {table for privileges in PRIVILEGES.values() for table in privileges}
    for service, privileges in PRIVILEGES.items():
        url = as_role(settings, roles[service])
        for table in sorted(every_table - set(privileges)):
            refused(url, f"SELECT * FROM {table} LIMIT 1")
        if "INSERT" not in privileges.get("complaints_events", ""):
            refused(url, "INSERT INTO complaints_events (originator_id, originator_version, topic, state) "
                         "VALUES (gen_random_uuid(), 1, 'forged', '')")


async def test_a_service_that_may_not_migrate_refuses_to_start_on_an_unmigrated_database(settings: Settings):
    settings = settings.model_copy(update={"schema_changes": False})
    engine = create_engine(settings)
    try:
        with pytest.raises(SchemaBehind, match="run the migration step"):
            await migrate(engine, settings)
    finally:
        await engine.dispose()


def test_deploys_init_script_and_migration_give_each_role_what_its_service_needs(postgres, database_url: str,
                                                                                 monkeypatch, tmp_path: Path):
    """deploy/postgres/10-roles.sh run by psql as the official image runs it, then the migration step with
    compose's DATABASE_ROLES: the roles exist, the owner owns the tables, a service may read its tables and
    may not create one. (Its role names are fixed, so it cleans up after itself.)"""
    from tests.test_deploy import ROLES_SCRIPT, environment, interpolated

    database = make_url(database_url).database
    passwords = {name: "stand-in" for name in environment("postgres") if name.endswith("_DATABASE_PASSWORD")}
    script_env = {**os.environ, **passwords, "POSTGRES_USER": postgres.user, "POSTGRES_DB": database,
                  "PGHOST": "127.0.0.1", "PGPORT": str(postgres.port), "PATH": f"{Path(pg_bin('psql')).parent}:"
                  f"{os.environ['PATH']}"}
    made = subprocess.run(["sh", str(ROLES_SCRIPT)], env=script_env, capture_output=True, text=True)
    try:
        assert made.returncode == 0, made.stderr
        for name, value in environment("migrate").items():
            monkeypatch.setenv(name, interpolated(value))
        owner_url = make_url(database_url).set(username="complaints_owner").render_as_string(hide_password=False)
        monkeypatch.setenv("DATABASE_URL", owner_url)
        settings = Settings(_env_file=None)
        assert run_migration(settings)
        reporting = make_url(database_url).set(username="complaints_reporting").render_as_string(
            hide_password=False)
        with psycopg.connect(reporting) as conn:
            conn.execute("SELECT count(*) FROM case_summaries")
        refused(reporting, "CREATE TABLE mine (id int)")
        refused(reporting, "INSERT INTO complaints_events (originator_id, originator_version, topic, state) "
                           "VALUES (gen_random_uuid(), 1, 'forged', '')")
    finally:
        with psycopg.connect(postgres.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for role in ("owner", *SERVICES):
                conn.execute(f"DROP ROLE IF EXISTS complaints_{role}")


async def test_a_rebuild_hands_its_new_table_to_the_roles_that_used_the_old(settings: Settings, migrated: Settings,
                                                                          roles: dict[str, str]):
    from reporting.rebuild import rebuild

    await rebuild(migrated, show_progress=False)  # as the owner, as the README says
    with psycopg.connect(as_role(settings, roles["reporting"])) as conn:
        conn.execute("INSERT INTO projection_tracking VALUES ('probe', 1)")
        conn.execute("SELECT count(*) FROM case_summaries")
    refused(as_role(settings, roles["intake"]), "SELECT * FROM case_summaries")
