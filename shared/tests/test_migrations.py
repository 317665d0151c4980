"""The read-model migrations build exactly the tables the code declares, on the real PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from complaints.adapters.readmodel import Base, create_engine, migrate
from complaints.settings import Settings


async def test_migrating_an_empty_database_gives_the_declared_schema_and_can_run_twice(settings: Settings):
    import qualification.deadlines  # noqa: F401 - registers the deadline index on Base.metadata
    import reporting.projection  # noqa: F401 - registers the case summaries
    import complaints.adapters.skipped  # noqa: F401 - registers the record of skipped events
    import intake.retention  # noqa: F401 - registers intake's complainant index
    import intake.sent  # noqa: F401 - registers intake's index of the cases each system sent
    import complaints.adapters.deliveries  # noqa: F401 - registers the webhook deliveries

    engine = create_engine(settings)
    await migrate(engine, settings)
    await migrate(engine, settings)  # a second process starting later finds nothing to do

    def differences(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []
    await engine.dispose()


MIGRATE = """
import asyncio, sys
from complaints.settings import Settings
from complaints.adapters.readmodel import create_engine, migrate
async def main():
    settings = Settings(database_url=sys.argv[1])
    engine = create_engine(settings)
    await migrate(engine, settings)
    await engine.dispose()
asyncio.run(main())
"""


def test_processes_starting_together_take_turns_to_migrate_on_either_database(settings: Settings, tmp_path):
    import subprocess
    import sys

    for url in (settings.database_url, f"sqlite:///{tmp_path / 'fresh.db'}"):
        processes = [subprocess.Popen([sys.executable, "-c", MIGRATE, url], stderr=subprocess.PIPE, text=True)
                     for _ in range(4)]
        failures = [p.stderr.read() for p in processes if p.wait(timeout=120) != 0]
        assert failures == [], failures[0][-2000:]
