"""Schema changes take turns.

Processes that start together on a fresh database each create the tables they
need, and PostgreSQL refuses concurrent `CREATE ... IF NOT EXISTS` of one object
("relation already exists", a duplicate key in its catalogs). Every creation
holds this advisory lock (on SQLite, a file lock), so they run one after another
and each finds the tables of the one before.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from complaints.settings import Settings

KEY = 726531
TAKE_TURN = f"SELECT pg_advisory_xact_lock({KEY})"  # first statement of a transaction that changes the schema


@contextmanager
def one_at_a_time(settings: Settings) -> Iterator[None]:
    """Holds the turn around a block whose schema changes run in transactions of their own (the
    eventsourcing library's): an advisory lock on PostgreSQL, a lock on a file beside the database on
    SQLite (where the library checks for a table in one transaction and creates it in another, so two
    processes opening a fresh file together collided without it)."""
    if not settings.is_postgres:
        beside = Path(f"{make_url(settings.database_url).database}.lock")
        with beside.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield  # released as the file closes
        return
    with psycopg.connect(settings.libpq_url(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (KEY,))
        yield  # released as the connection closes
