"""The migration step: every table made and migrated, then each service's role granted its own.

    python -m complaints.migrate

Production runs it as the tables' owner before the services start (deploy/:
the `migrate` service), and the services, with `SCHEMA_CHANGES=false`, log in
as roles that may not change the schema. The embedded default and the tests
need not run it: their processes make their tables at start.
"""

from __future__ import annotations

import asyncio
import sys

from complaints.adapters.privileges import grant
from complaints.adapters.readmodel import create_engine, migrate
from complaints.adapters.store import Complaints
from complaints.settings import Settings, get_settings


def run(settings: Settings) -> list[str]:
    """Makes and migrates the store's tables and the read models; returns the grants it gave."""
    if not settings.schema_changes:
        raise SystemExit("the migration step changes the schema: run it with SCHEMA_CHANGES=true")
    if settings.database_roles and not settings.is_postgres:
        raise SystemExit("DATABASE_ROLES needs PostgreSQL: SQLite has no roles")
    Complaints(settings).close()  # the events, their chain and its triggers, positions, personal-data keys
    asyncio.run(_read_models(settings))
    return grant(settings) if settings.database_roles else []


async def _read_models(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        await migrate(engine, settings)
    finally:
        await engine.dispose()


def main() -> int:
    grants = run(get_settings())
    print(f"schema migrated; {len(grants)} grants given" if grants else "schema migrated; no roles to grant")
    return 0


if __name__ == "__main__":
    sys.exit(main())
