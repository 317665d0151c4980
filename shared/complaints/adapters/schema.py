"""Schema changes take turns.

Processes that start together on a fresh database each create the tables they
need, and PostgreSQL refuses concurrent `CREATE ... IF NOT EXISTS` of one object
("relation already exists", a duplicate key in its catalogs). Every creation
holds this advisory lock, so they run one after another and each finds the
tables of the one before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from complaints.settings import Settings

KEY = 726531
TAKE_TURN = f"SELECT pg_advisory_xact_lock({KEY})"  # first statement of a transaction that changes the schema


@contextmanager
def one_at_a_time(settings: Settings) -> Iterator[None]:
    """Holds the turn around a block whose schema changes run in transactions of their own (the
    eventsourcing library's). SQLite takes its write lock for each change by itself."""
    if not settings.is_postgres:
        yield
        return
    url = make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (KEY,))
        yield  # released as the connection closes
