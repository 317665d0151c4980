"""Read models in SQL (SQLAlchemy async: asyncpg on PostgreSQL, aiosqlite for `make run`).

A `SqlProjection` applies each event once: its change and its position (a row
in `projection_tracking`, like the store's tracking records) are written in one
transaction, and an event at or below the position raises the store's
IntegrityError, which the follower counts as a duplicate.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError, Tracking
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import BigInteger, Connection, DateTime, String, TypeDecorator, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from complaints.adapters.schema import TAKE_TURN
from complaints.settings import Settings


class Base(DeclarativeBase):
    pass


class Moment(TypeDecorator[datetime]):
    """A moment, always read back with its offset: PostgreSQL keeps it (timestamptz); SQLite (`make run`) keeps
    no offset, so the UTC it was written in is put back. Every timestamp the API gives carries its offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.astimezone(timezone.utc) if value is not None and value.tzinfo is not None else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


class ProjectionTracking(Base):
    """Each projection's position, in its own database, written with its effects."""

    __tablename__ = "projection_tracking"
    application_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    notification_id: Mapped[int] = mapped_column(BigInteger)


MIGRATIONS = Path(__file__).parent / "migrations"


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(settings.async_database_url(), pool_pre_ping=True)


class SchemaBehind(RuntimeError):
    """The read models are not at the revision this code needs, and this process may not migrate them."""


async def migrate(engine: AsyncEngine, settings: Settings) -> None:
    """Brings the read-model database to the latest Alembic revision; processes starting together take turns
    (`TAKE_TURN` on PostgreSQL; on SQLite a write that takes the database's write lock first). A process that
    may not change the schema (`SCHEMA_CHANGES=false`) only checks that the migration step has run."""
    if not settings.schema_changes:
        async with engine.connect() as conn:
            current = await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
        if current != (head := ScriptDirectory.from_config(_config()).get_current_head()):
            raise SchemaBehind(f"the read models are at revision {current}, this code needs {head}: "
                               "run the migration step (python -m complaints.migrate) first")
        return
    if engine.dialect.name == "sqlite":
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS migration_lock (id INTEGER)"))
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text(TAKE_TURN))
        else:
            await conn.execute(text("DELETE FROM migration_lock"))
        await conn.run_sync(_upgrade)


def _config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection) -> None:
    config = _config()
    config.attributes["connection"] = connection
    alembic_command.upgrade(config, "head")


class SqlProjection:
    name = "projection"

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def create_tables(self, settings: Settings) -> None:
        await migrate(self.engine, settings)

    async def position(self) -> int | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(ProjectionTracking.notification_id).where(ProjectionTracking.application_name == self.name)
            )

    async def handle(self, session: AsyncSession, event: Any) -> None:
        """Changes the read model for one event (inside the transaction)."""
        raise NotImplementedError

    async def apply(self, event: Any, tracking: Tracking) -> None:
        async with self.sessions.begin() as session:
            await self._advance(session, tracking, refuse_old=True)
            await self.handle(session, event)

    async def redrive(self, event: Any, notification_id: int) -> None:
        """Applies a skipped event again: its effect and the record's mark in one transaction, so it is
        applied once however often a re-drive is asked for."""
        from complaints.adapters.skipped import SkippedEvents  # the record's table is declared on this Base

        async with self.sessions.begin() as session:
            if await SkippedEvents(self.engine).mark_redriven(self.name, notification_id, session):
                await self.handle(session, event)

    async def skip(self, tracking: Tracking) -> None:
        """Moves the position past an event that could not be applied (it went to dead letters)."""
        async with self.sessions.begin() as session:
            await self._advance(session, tracking, refuse_old=False)

    async def _advance(self, session: AsyncSession, tracking: Tracking, *, refuse_old: bool,
                       first: int | None = None) -> None:
        """Moves the position to `tracking`; with `refuse_old`, refuses if the position is already at
        `first` (a batch's first event) or beyond: some of what is being applied was applied before."""
        tracked = ProjectionTracking.__table__
        this = tracked.c.application_name == self.name
        below = (first or tracking.notification_id) if refuse_old else tracking.notification_id
        # The usual case in one statement (it also locks the row against another instance).
        moved = await session.execute(update(tracked).where(this, tracked.c.notification_id < below)
                                      .values(notification_id=tracking.notification_id))
        if moved.rowcount:
            return
        position = await session.scalar(select(tracked.c.notification_id).where(this).with_for_update())
        if position is None:
            await session.execute(insert(tracked).values(application_name=self.name,
                                                         notification_id=tracking.notification_id))
        elif refuse_old:
            raise IntegrityError(f"{self.name} already at {position}")
