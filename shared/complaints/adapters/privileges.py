"""Least privilege on PostgreSQL: which tables each service's role may touch, and how.

The migration step owns every table (it created them), so no service can alter,
drop or disable a trigger on any. Each service's role gets only the tables its
code uses. Writers of the event store need UPDATE and DELETE on the events
table all the same: the library's insert takes `LOCK TABLE ... IN EXCLUSIVE
MODE`, which PostgreSQL allows only with those rights, so the triggers of
`complaints.adapters.chain` refuse every change of a stored event instead.
"""

from __future__ import annotations

import psycopg
from psycopg.sql import SQL, Composed, Identifier

from complaints.settings import Settings

EVENTS, CHAIN, TRACKING = "complaints_events", "complaints_chain", "complaints_tracking"
SNAPSHOTS = "complaints_snapshots"  # read with every aggregate; intake writes the case-number counters' 
READ = "SELECT"
# Rows a consumer keeps as its own (positions, read models, the record of skipped events).
KEEP = "SELECT, INSERT, UPDATE, DELETE"
# Appending to the store: UPDATE and DELETE are for the library's table lock only; the triggers refuse them.
APPEND = "SELECT, INSERT, UPDATE, DELETE"

# The personal-data keys: read to show a case; made with a new complainant; deleted by an erasure.
KEYS = "complainant_keys"
# Which pseudonym a (keyed hash of an) e-mail or phone belongs to: intake's alone.
CONTACTS = "complainant_contacts"
# Every service that writes the case streams, as its code does.
STORE_WRITER = {EVENTS: APPEND, CHAIN: "SELECT, INSERT", SNAPSHOTS: READ, KEYS: READ}
# The version of the read models, which a service that may not migrate checks at start.
SCHEMA_VERSION = {"alembic_version": READ}

PRIVILEGES: dict[str, dict[str, str]] = {
    # Records complaints, imports, audit reads and erasures; issues and revokes API keys (all in the store);
    # links contacts to pseudonyms and deletes both on erasure; keeps its complainant index for retention and
    # its index of the cases each calling system sent (Open311's lists).
    "intake": {**STORE_WRITER, SNAPSHOTS: "SELECT, INSERT", KEYS: "SELECT, INSERT, DELETE",
               CONTACTS: "SELECT, INSERT, DELETE", "complainant_cases": KEEP, "projection_tracking": KEEP,
               "sent_requests": KEEP,
               "skipped_events": KEEP, **SCHEMA_VERSION},
    # Publishes the store's events; its position is a tracking record.
    "relay": {EVENTS: READ, TRACKING: KEEP},
    # Append routing and clock events with their positions; record the events they could not apply.
    "routing": {**STORE_WRITER, TRACKING: KEEP, "skipped_events": KEEP, **SCHEMA_VERSION},
    "qualification": {**STORE_WRITER, TRACKING: KEEP, "deadline_index": KEEP, "term_index": KEEP,
                      "projection_tracking": KEEP,
                      "skipped_events": KEEP, **SCHEMA_VERSION},
    # Decides the complainants' messages and records what the mail server said, on the case streams.
    "delivery": {**STORE_WRITER, TRACKING: KEEP, "skipped_events": KEEP, **SCHEMA_VERSION},
    # Records the subscriptions' events (in the store); each subscription's position and deliveries; the events
    # a failing subscription waits on, on the managers' list.
    "webhooks": {**STORE_WRITER, "projection_tracking": KEEP, "webhook_deliveries": KEEP, "skipped_events": KEEP,
                 **SCHEMA_VERSION},
    # Reads the store only; writes its own projection.
    "reporting": {EVENTS: READ, CHAIN: READ, SNAPSHOTS: READ, KEYS: READ, "case_summaries": KEEP,
                  "follow_up_actions": KEEP, "case_search": KEEP,
                  "projection_tracking": KEEP,
                  "skipped_events": KEEP, **SCHEMA_VERSION},
}


def grant(settings: Settings) -> list[str]:
    """Grants each role of `settings.database_roles` its service's privileges, and nothing else on the
    tables: what a role held before is revoked first, so a privilege taken out of `PRIVILEGES` goes.
    Returns the statements run. Run by the tables' owner (the migration step)."""
    unknown = set(settings.database_roles) - set(PRIVILEGES)
    if unknown:
        raise ValueError(f"DATABASE_ROLES names {sorted(unknown)}; the services are {sorted(PRIVILEGES)}")
    statements = [statement for service, role in sorted(settings.database_roles.items())
                  for statement in _statements(PRIVILEGES[service], role)]
    with psycopg.connect(settings.libpq_url()) as conn:
        missing = {table for privileges in PRIVILEGES.values() for table in privileges} - _tables(conn)
        if missing:
            raise RuntimeError(f"the tables {sorted(missing)} are missing: the schema was not migrated")
        with conn.transaction():
            for role in set(settings.database_roles.values()):
                conn.execute(SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(Identifier(role)))
                conn.execute(SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(Identifier(role)))
            for statement in statements:
                conn.execute(statement)
    return [statement.as_string(None) for statement in statements]


def grants_like(settings: Settings, table: str, like: str) -> list[str]:
    """The grants that give `table` what each role holds on `like`: a rebuilt read model that takes its
    place gets them in the transaction that swaps it in, so its service never finds it closed."""
    return [_grant(rights[like], table, role).as_string(None)
            for service, role in sorted(settings.database_roles.items())
            if like in (rights := PRIVILEGES[service])]


def _grant(rights: str, table: str, role: str) -> Composed:
    return SQL("GRANT {} ON public.{} TO {}").format(SQL(rights), Identifier(table), Identifier(role))


def _statements(privileges: dict[str, str], role: str) -> list[Composed]:
    who = Identifier(role)
    result = [SQL("GRANT USAGE ON SCHEMA public TO {}").format(who)]
    for table, rights in privileges.items():
        result.append(_grant(rights, table, role))
        if "INSERT" in rights:
            # The table's own counter (a serial column), which an insert draws from.
            result.append(SQL(
                "DO $$ DECLARE s text; BEGIN FOR s IN SELECT seq.relname FROM pg_class seq "
                "JOIN pg_depend d ON d.objid = seq.oid JOIN pg_class t ON d.refobjid = t.oid "
                "WHERE seq.relkind = 'S' AND t.relname = {} LOOP "
                "EXECUTE format('GRANT USAGE ON SEQUENCE public.%I TO %I', s, {}); END LOOP; END $$"
            ).format(table, role))
    return result


def _tables(conn: psycopg.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
