"""Tamper evidence: every stored event is linked into two hash chains.

Each event's content hash covers its stream, version, topic and stored bytes.
The stream chain links it to the previous event of the same case; the global
chain links it to the previous event in the store's notification order. The
links are written in the same transaction as the events (the recorders below),
so an edited, deleted or reordered event breaks a link that `verify` names.
SHA-256 from `hashlib`; nothing home-made but the order of the fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresProcessRecorder
from psycopg.sql import SQL, Identifier

from complaints.adapters.store import PollingSQLiteProcessRecorder

GENESIS = ""


def content_hash(originator_id: UUID | str, version: int, topic: str, state: bytes) -> str:
    head = f"{UUID(str(originator_id))}\n{version}\n{topic}\n".encode()
    return hashlib.sha256(head + bytes(state)).hexdigest()


def stream_link(previous: str, content: str) -> str:
    return hashlib.sha256(f"{previous}|{content}".encode()).hexdigest()


def global_link(previous: str, notification_id: int, content: str) -> str:
    return hashlib.sha256(f"{previous}|{notification_id}|{content}".encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    notification_id: int
    originator_id: str
    originator_version: int
    content_hash: str
    stream_hash: str
    global_hash: str


class Chaining:
    """Writes the links of newly inserted events, inside the recorder's insert transaction."""

    chain_table = "complaints_chain"

    def _links(self, stored_events: Sequence[StoredEvent], ids: Sequence[int], last_global: str,
               stream_previous: Any) -> list[Link]:
        links, streams = [], {}
        for event, notification_id in zip(stored_events, ids):
            originator = str(UUID(str(event.originator_id)))
            content = content_hash(originator, event.originator_version, event.topic, event.state)
            previous = streams.get(originator)
            if previous is None:
                previous = GENESIS if event.originator_version == 1 else \
                    stream_previous(originator, event.originator_version - 1) or GENESIS
            link = Link(notification_id, originator, event.originator_version, content,
                        stream_link(previous, content), global_link(last_global, notification_id, content))
            streams[originator], last_global = link.stream_hash, link.global_hash
            links.append(link)
        return links


class ChainedPostgresProcessRecorder(Chaining, PostgresProcessRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0}.{1} (notification_id bigint PRIMARY KEY, originator_id uuid NOT NULL, "
            "originator_version integer NOT NULL, content_hash text NOT NULL, stream_hash text NOT NULL, "
            "global_hash text NOT NULL, UNIQUE (originator_id, originator_version))"
        ).format(Identifier(self.datastore.schema), Identifier(self.chain_table)))
        # Stored events and their links are never changed, not even by the services' own database role:
        # the library's insert takes LOCK TABLE ... IN EXCLUSIVE MODE, which PostgreSQL grants only with
        # UPDATE, DELETE or TRUNCATE rights, so grants cannot forbid it; these triggers do. (The hash
        # chains still show what a superuser does with the triggers disabled.)
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(SQL(
            "CREATE OR REPLACE FUNCTION {0}.refuse_change_of_the_record() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'stored events and their chain links are never changed (% on %)', "
            "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$").format(schema))
        for table in (self.events_table_name, self.chain_table):
            self.sql_create_statements.append(SQL(
                "CREATE OR REPLACE TRIGGER refuse_change BEFORE UPDATE OR DELETE ON {0}.{1} "
                "FOR EACH ROW EXECUTE FUNCTION {0}.refuse_change_of_the_record()").format(schema, Identifier(table)))
            self.sql_create_statements.append(SQL(
                "CREATE OR REPLACE TRIGGER refuse_truncate BEFORE TRUNCATE ON {0}.{1} "
                "FOR EACH STATEMENT EXECUTE FUNCTION {0}.refuse_change_of_the_record()").format(
                    schema, Identifier(table)))

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if not ids:
            return ids
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.chain_table))
        # The events table is locked for this insert, so the last link cannot move under us.
        curs.execute(SQL("SELECT global_hash FROM {0} ORDER BY notification_id DESC LIMIT 1").format(table))
        row = curs.fetchone()

        def stream_previous(originator: str, version: int) -> str | None:
            curs.execute(SQL("SELECT stream_hash FROM {0} WHERE originator_id = %s AND originator_version = %s")
                         .format(table), (originator, version))
            found = curs.fetchone()
            return found["stream_hash"] if found else None

        links = self._links(stored_events, ids, row["global_hash"] if row else GENESIS, stream_previous)
        curs.executemany(SQL("INSERT INTO {0} VALUES (%s, %s, %s, %s, %s, %s)").format(table),
                         [(l.notification_id, l.originator_id, l.originator_version, l.content_hash,
                           l.stream_hash, l.global_hash) for l in links])
        return ids

    def select_links(self, start: int, limit: int) -> list[Link]:
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.chain_table))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT * FROM {0} WHERE notification_id >= %s ORDER BY notification_id LIMIT %s")
                         .format(table), (start, limit))
            return [Link(r["notification_id"], str(r["originator_id"]), r["originator_version"], r["content_hash"],
                         r["stream_hash"], r["global_hash"]) for r in curs.fetchall()]

    def stream_links(self, originator_id: UUID) -> list[Link]:
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.chain_table))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT * FROM {0} WHERE originator_id = %s ORDER BY originator_version")
                         .format(table), (str(originator_id),))
            return [Link(r["notification_id"], str(r["originator_id"]), r["originator_version"], r["content_hash"],
                         r["stream_hash"], r["global_hash"]) for r in curs.fetchall()]

    def link_before(self, notification_id: int) -> str:
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.chain_table))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT global_hash FROM {0} WHERE notification_id < %s ORDER BY notification_id "
                             "DESC LIMIT 1").format(table), (notification_id,))
            row = curs.fetchone()
            return row["global_hash"] if row else GENESIS


class ChainedSQLiteProcessRecorder(Chaining, PollingSQLiteProcessRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                f"CREATE TABLE IF NOT EXISTS {self.chain_table} (notification_id INTEGER PRIMARY KEY, "
                "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, content_hash TEXT NOT NULL, "
                "stream_hash TEXT NOT NULL, global_hash TEXT NOT NULL, UNIQUE (originator_id, originator_version))"]

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if not ids:
            return ids
        c.execute(f"SELECT global_hash FROM {self.chain_table} ORDER BY notification_id DESC LIMIT 1")
        row = c.fetchone()

        def stream_previous(originator: str, version: int) -> str | None:
            c.execute(f"SELECT stream_hash FROM {self.chain_table} WHERE originator_id = ? AND originator_version = ?",
                      (originator, version))
            found = c.fetchone()
            return found[0] if found else None

        for l in self._links(stored_events, ids, row[0] if row else GENESIS, stream_previous):
            c.execute(f"INSERT INTO {self.chain_table} VALUES (?, ?, ?, ?, ?, ?)",
                      (l.notification_id, l.originator_id, l.originator_version, l.content_hash, l.stream_hash,
                       l.global_hash))
        return ids

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[Link]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return [Link(*row) for row in c.fetchall()]

    def select_links(self, start: int, limit: int) -> list[Link]:
        return self._rows(f"SELECT * FROM {self.chain_table} WHERE notification_id >= ? ORDER BY notification_id "
                          "LIMIT ?", (start, limit))

    def stream_links(self, originator_id: UUID) -> list[Link]:
        return self._rows(f"SELECT * FROM {self.chain_table} WHERE originator_id = ? ORDER BY originator_version",
                          (str(originator_id),))

    def link_before(self, notification_id: int) -> str:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT global_hash FROM {self.chain_table} WHERE notification_id < ? "
                      "ORDER BY notification_id DESC LIMIT 1", (notification_id,))
            row = c.fetchone()
            return row[0] if row else GENESIS


# --- verification ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Broken:
    notification_id: int | None
    case_id: str | None
    version: int | None
    problem: str


def verify_stream(events: Sequence[Any], links: Sequence[Link], case_id: str) -> Broken | None:
    """One case: versions 1..n without gaps, each content and stream link as recorded. `events` are
    stored events (originator_id, originator_version, topic, state) in version order."""
    by_version = {l.originator_version: l for l in links}
    previous = GENESIS
    for expected, event in enumerate(events, start=1):
        if event.originator_version != expected:
            return Broken(None, case_id, expected, f"version {expected} is missing (next is {event.originator_version})")
        link = by_version.get(expected)
        if link is None:
            return Broken(None, case_id, expected, "the event has no link: it was inserted outside the store")
        content = content_hash(event.originator_id, event.originator_version, event.topic, event.state)
        if content != link.content_hash:
            return Broken(link.notification_id, case_id, expected, "the event's content was changed")
        if stream_link(previous, content) != link.stream_hash:
            return Broken(link.notification_id, case_id, expected, "the case's chain is broken here")
        previous = link.stream_hash
    if len(links) > len(events):
        missing = sorted(set(by_version) - {e.originator_version for e in events})
        return Broken(by_version[missing[0]].notification_id, case_id, missing[0], "an event was deleted")
    return None


def verify_global(notifications: Iterable[Any], links: Iterable[Link], previous: str = GENESIS) -> Iterator[int | Broken]:
    """The whole store in notification order: yields each verified notification id, or the first break."""
    events = iter(notifications)
    for link in links:
        event = next(events, None)
        if event is None or event.id != link.notification_id:
            yield Broken(link.notification_id, link.originator_id, link.originator_version,
                         "an event was deleted or moved" if event is None or event.id > link.notification_id
                         else "an event has no link: inserted outside the store")
            return
        content = content_hash(event.originator_id, event.originator_version, event.topic, event.state)
        if content != link.content_hash or str(UUID(str(event.originator_id))) != link.originator_id \
                or event.originator_version != link.originator_version:
            yield Broken(link.notification_id, link.originator_id, link.originator_version,
                         "the event's content or place was changed")
            return
        if global_link(previous, link.notification_id, content) != link.global_hash:
            yield Broken(link.notification_id, link.originator_id, link.originator_version,
                         "the store's chain is broken here")
            return
        previous = link.global_hash
        yield link.notification_id
    extra = next(events, None)
    if extra is not None:
        yield Broken(extra.id, str(extra.originator_id), extra.originator_version,
                     "an event has no link: inserted outside the store")
