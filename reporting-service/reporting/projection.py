"""The case read model: one row per case, kept by applying each event once.

The row holds what the reports and the queue need, in the tenant's codes:
channel, kind, category, qualification, team, state, due date, when it was
answered and how long that took in the tenant's own counting, and the
complainant's pseudonym (for repeated complaints; no personal data is kept
here), dropped from every case that carried it when it is erased. `events_applied` equals the case stream's version
when no event was applied twice. A complaint split over several teams has a
row per part too (`part_of`), and counts its parts (`parts`). The table can be built under another name
(a rebuild) and swapped in.

Beside it, `follow_up_actions` holds each case's follow-up and improvement
actions (one row per action), and `case_search` each case's words for the
search (PostgreSQL's Dutch full-text `tsvector` of subject and text: stemmed
words and their positions, not the readable text; on SQLite the text itself,
in lower case), both written in the same transaction as the case's row; a
rebuild leaves them be (it rebuilds the case rows only, and a case's subject
and text never change).
"""

from __future__ import annotations

from operator import itemgetter
from collections.abc import Iterable
from typing import Any

from eventsourcing.persistence import Tracking
from sqlalchemy import (Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text, delete,
                        insert, literal_column, select, text, update)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.schema import CreateTable

from complaints.adapters.readmodel import Base, Moment, SqlProjection
from complaints.model.complaint import INADMISSIBLE, status_after
from complaints.model.tenants import Tenant
from complaints.model.windows import lead_time, term_due
from complaints.settings import Settings

LIVE = "case_summaries"
# The partial indexes' predicate, as the migration wrote it: a case is open until answered or closed.
OPEN_ONLY = text("status NOT IN ('answered', 'closed')")
OPEN_ASSIGNED = text("status NOT IN ('answered', 'closed') AND assignee IS NOT NULL")


def summaries_table(metadata: MetaData, name: str = LIVE) -> Table:
    return Table(
        name, metadata,
        Column("case_id", String(36), primary_key=True),
        Column("tenant", String(50), nullable=False),
        Column("case_number", String(50), nullable=False),
        Column("channel", String(100), nullable=False),
        Column("signal_type", String(100), nullable=False),
        Column("category", String(100)),
        Column("entity", String(100)),
        Column("district", String(100)),
        Column("subject", String(300), nullable=False),
        Column("status", String(30), nullable=False),
        Column("team", String(100)),
        Column("qualification", String(100)),
        Column("received_at", Moment(), nullable=False),
        Column("due_date", Date),
        Column("answered_at", Moment()),
        Column("closed_at", Moment()),
        Column("lead_time_days", Integer),
        Column("answered_in_time", Boolean),
        Column("complainant_key", String(64)),
        Column("events_applied", Integer, nullable=False),
        # A complaint about several teams: each part has a row of its own (`part_of` its complaint), and the
        # complaint counts its parts. Tables of complaints skip the parts; tables per team count the parts
        # and skip their complaint.
        Column("part_of", String(36)),
        Column("parts", Integer, nullable=False, server_default="0"),
        # Whose work the case is (a person's subject); a reroute clears it.
        Column("assignee", String(200)),
        # The answer's approval progress: steps given to the current draft, and the step it needs next.
        Column("approvals_given", Integer, nullable=False, server_default="0"),
        Column("next_approval_step", String(100)),
        # The complainant's rating after the close, and what the tenant's rules made of it (flag, reopen).
        Column("feedback_rating", Integer),
        Column("feedback_resolved", Boolean),
        Column("feedback_calls_for", String(10)),
        # The two terms from receipt (`complaints.model.windows.term_due`, the tenant's terms): the acknowledgement's
        # (due once the platform decided one: its message id) and the admissibility decision's (for the signal types
        # the tenant's term names), each with when it stopped; `admissibility` says how it was decided.
        Column("acknowledgement_id", String(36)),
        Column("acknowledgement_due", Date),
        Column("acknowledged_at", Moment()),
        Column("admissibility_due", Date),
        Column("admissibility", String(20)),
        Column("admissibility_decided_at", Moment()),
        # Named after the table, so a rebuilt table's indexes never clash with the live one's.
        Index(f"ix_{name}_tenant_received", "tenant", "received_at"),
        Index(f"ix_{name}_tenant_queue", "tenant", "status", "team", "due_date"),
        # Over open cases only: the queue in due-date order, and the daily overdue count.
        Index(f"ix_{name}_open_due", "tenant", "due_date", "case_number", postgresql_where=OPEN_ONLY,
              sqlite_where=OPEN_ONLY),
        Index(f"ix_{name}_open_team_due", "tenant", "team", "due_date", "case_number", postgresql_where=OPEN_ONLY,
              sqlite_where=OPEN_ONLY),
        Index(f"ix_{name}_open_received", "tenant", "received_at", "due_date", "team", postgresql_where=OPEN_ONLY,
              sqlite_where=OPEN_ONLY),
        # An erasure drops a pseudonym from every case that carries it.
        Index(f"ix_{name}_complainant", "complainant_key"),
        # "My cases": the assigned open cases only, a small part of the table.
        Index(f"ix_{name}_open_assignee_due", "tenant", "assignee", "due_date", "case_number",
              postgresql_where=OPEN_ASSIGNED, sqlite_where=OPEN_ASSIGNED),
    )


case_summaries = summaries_table(Base.metadata)
follow_up_actions = Table(
    "follow_up_actions", Base.metadata,
    Column("case_id", String(36), primary_key=True),
    Column("number", String(10), primary_key=True),
    Column("tenant", String(50), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("what", Text, nullable=False),
    Column("team", String(100), nullable=False),
    Column("due_on", Date),
    Column("added_at", Moment(), nullable=False),
    Column("done_at", Moment()),
    Column("outcome", Text),
    Index("ix_follow_up_actions_tenant_team", "tenant", "team", "done_at"),
)
# Words for the search, written once when a case is received (its subject and text never change).
case_search = Table(
    "case_search", Base.metadata,
    Column("case_id", String(36), primary_key=True),
    Column("tenant", String(50), nullable=False),
    Column("document", Text().with_variant(TSVECTOR(), "postgresql"), nullable=False),
    Index("ix_case_search_document", "document", postgresql_using="gin").ddl_if(dialect="postgresql"),
)
# Every tenant writes Dutch: PostgreSQL's Dutch configuration stems the words (`vuilnisbakken` finds
# `vuilnisbak`; its Snowball stemmer does not bring a past tense to the infinitive: `parkeerde` stays apart
# from `parkeren`).
SEARCH_CONFIG = literal_column("'dutch'::regconfig")
ACTION_EVENTS = ("ActionAdded", "ActionDone")
COLUMNS = tuple(column.name for column in case_summaries.columns)
EMPTY_ROW = dict.fromkeys(COLUMNS)

# The erasure record's event (not a case's): it names the pseudonyms erased.
ERASED = "ComplainantErased"
DUE_DATE_SET_BY = ("ClockStarted", "InformationReceived", "WindowExtended")


def complainant_key(complainant: dict[str, Any] | None) -> str | None:
    """The complainant's pseudonym (made at intake, shared by the cases of one e-mail or phone): the same
    person, without keeping who."""
    return (complainant or {}).get("subject")


def storable(text: str) -> str:
    """The text as a PostgreSQL text column can hold it: NUL, which it cannot, becomes U+FFFD. Intake stores
    the subject exactly as given (in the event); refusing the row would leave the case out of every report."""
    return text.replace("\x00", "\ufffd")


def received_row(event: Any, case_id: str | None = None, tenant: Tenant | None = None) -> dict[str, Any]:
    part_of = (getattr(event, "part_of", None) or {}).get("case_id")
    return {
        **EMPTY_ROW,
        "case_id": case_id or str(event.originator_id), "tenant": event.tenant, "case_number": event.case_number,
        "channel": event.channel, "signal_type": event.signal_type, "category": event.category,
        "entity": event.entity, "district": event.district,
        "subject": storable(event.subject), "status": status_after("Received", ""), "received_at": event.occurred_at,
        "complainant_key": complainant_key(event.complainant), "events_applied": 1,
        # Received before parts existed, an event has no `part_of` at all.
        "part_of": part_of, "parts": 0, "approvals_given": 0,
        "admissibility_due": (term_due(tenant, tenant.admissibility_window, received=event.occurred_at.date()).due
                              if tenant and part_of is None and tenant.admissibility_window.runs_for(event.signal_type)
                              else None),
    }


# The steps that decide admissibility (the first counts), as the case records them (`Complaint.admissibility`).
ADMISSIBILITY_DECIDED_BY = {"InvestigationStarted": "admissible", "Qualified": "qualified", "Answered": "answered",
                            "Transferred": "transferred"}


def term_changes(row: dict[str, Any], kind: str, event: Any, tenant: Tenant | None) -> dict[str, Any]:
    """What an event changes in the case's two terms: the acknowledgement decided (its term starts) and sent (it
    stops); the admissibility decided (as `Complaint._admissibility_settled`)."""
    new: dict[str, Any] = {}
    if kind == "MessageDecided" and event.kind == "acknowledgement" and row["acknowledgement_id"] is None \
            and row["part_of"] is None and tenant is not None \
            and tenant.acknowledgement_window.runs_for(row["signal_type"]):
        new["acknowledgement_id"] = event.message_id
        new["acknowledgement_due"] = term_due(tenant, tenant.acknowledgement_window,
                                              received=row["received_at"].date()).due
    if kind == "MessageSent" and event.message_id == row["acknowledgement_id"] and row["acknowledged_at"] is None:
        new["acknowledged_at"] = event.occurred_at
    inadmissible = kind == "Closed" and event.reason.startswith(INADMISSIBLE)
    how = "inadmissible" if inadmissible else "closed" if kind == "Closed" else ADMISSIBILITY_DECIDED_BY.get(kind)
    # The close as inadmissible follows its own qualification (the scheme's inadmissible code) at the same moment:
    # that was this decision, not one on the merits.
    if how and (row["admissibility"] is None or inadmissible and (row["admissibility"], row["admissibility_decided_at"])
                == ("qualified", event.occurred_at)):
        new.update(admissibility=how, admissibility_decided_at=event.occurred_at)
    return new


def changes(row: dict[str, Any], kind: str, event: Any, tenant: Tenant | None) -> dict[str, Any]:
    """What one event changes in a case's row (pure: the same events always give the same row)."""
    new: dict[str, Any] = {"events_applied": row["events_applied"] + 1, "status": status_after(kind, row["status"])}
    if kind in ("Routed", "Rerouted"):
        new["team"] = event.team
    if kind in ("Assigned", "Unassigned", "Rerouted"):  # a reroute clears the assignment (the aggregate's rule)
        new["assignee"] = getattr(event, "assignee", None)
    if kind == "CategorySet":
        new["category"] = event.category
    if kind in DUE_DATE_SET_BY:
        new["due_date"] = event.due_date
    if kind == "Qualified":
        new["qualification"] = event.qualification
    if kind == "Split":
        new["parts"] = row["parts"] + len(event.parts)
    if kind in ("AnswerDrafted", "Qualified", "Reopened"):  # a new draft (or none) needs every approval again
        new["approvals_given"] = 0
    if kind == "AnswerApproved":
        new["approvals_given"] = row["approvals_given"] + 1
    new["next_approval_step"] = next_approval_step(tenant, new["status"], new.get("approvals_given",
                                                                                   row["approvals_given"]))
    if kind == "Answered":
        new["answered_at"] = event.occurred_at
        answered = event.occurred_at.date()
        if tenant is not None:
            new["lead_time_days"] = lead_time(tenant, signal_type=row["signal_type"],
                                              received=row["received_at"].date(), answered=answered)
        new["answered_in_time"] = row["due_date"] is not None and answered <= row["due_date"]
    if kind in ("Closed", "Transferred"):
        new["closed_at"] = event.occurred_at
    if kind == "FeedbackGiven":
        new.update(feedback_rating=event.rating, feedback_resolved=event.resolved,
                   feedback_calls_for=event.calls_for)
    if kind == "Reopened":
        new.update(answered_at=None, closed_at=None, lead_time_days=None, answered_in_time=None)
    new.update(term_changes(row, kind, event, tenant))
    return new


def next_approval_step(tenant: Tenant | None, status: str, given: int) -> str | None:
    """As the case says it (`Complaint.next_approval_step`): the tenant's next step for a draft."""
    steps = tenant.codes("approvals") if tenant else []
    return steps[given] if status == "drafted" and given < len(steps) else None


class CaseProjection(SqlProjection):
    name = "reporting"

    def __init__(self, engine: AsyncEngine, tenants: dict[str, Tenant], table: Table = case_summaries,
                 name: str | None = None) -> None:
        super().__init__(engine)
        self.tenants = tenants
        self.table = table
        self.name = name or type(self).name

    async def create_tables(self, settings: Settings) -> None:
        await super().create_tables(settings)
        if self.table is not case_summaries:  # a rebuild's table, shaped like the migrated one
            async with self.engine.begin() as conn:
                # Without its indexes: a rebuild fills it first (index entries one row at a time cost more
                # than the rows), then `create_indexes` builds each index in one pass.
                await conn.execute(CreateTable(self.table, if_not_exists=True))

    async def create_indexes(self) -> None:
        async with self.engine.begin() as conn:
            for index in self.table.indexes:
                await conn.run_sync(index.create, checkfirst=True)

    async def fold(self, session: AsyncSession, events: list[tuple[Any, int]]) -> None:
        """Applies a batch in memory and writes each touched row once (a rebuild's batches, and the
        live consumer's). The position first: it locks out another instance applying the same events."""
        if not events:
            return
        await self._advance(session, Tracking(self.name, events[-1][1]), refuse_old=True, first=events[0][1])
        erased = {s for event, _ in events if type(event).__name__ == ERASED for s in event.subjects}
        keyed = [(str(event.originator_id), type(event).__name__, event) for event, _ in events
                 if type(event).__name__ != ERASED]
        ids = {case_id for case_id, _, _ in keyed}
        # A case received in this batch has no row yet; only the others are read (and replaced).
        known = ids - {case_id for case_id, kind, _ in keyed if kind == "Received"}
        rows = await self._read(session, known)
        for case_id, kind, event in keyed:
            if kind == "Received":
                rows[case_id] = received_row(event, case_id, self.tenants.get(event.tenant))
            elif case_id in rows:
                rows[case_id].update(changes(rows[case_id], kind, event, self.tenants.get(rows[case_id]["tenant"])))
        await self._write(session, replaced=known & rows.keys(), rows=list(rows.values()))
        await self._forget(session, erased)
        await self._actions(session, [event for _, kind, event in keyed if kind in ACTION_EVENTS])
        await self._search(session, [event for _, kind, event in keyed if kind == "Received"])
        await self._parts_follow_window(session, rows.values())

    async def _forget(self, session: AsyncSession, subjects: set[str]) -> None:
        """An erased pseudonym links nothing any more: every case that carried it loses it (after the
        batch's rows are written, so a case received in the same batch loses it too)."""
        if subjects:
            await session.execute(update(self.table).where(self.table.c.complainant_key.in_(subjects))
                                  .values(complainant_key=None))

    async def _actions(self, session: AsyncSession, events: list[Any]) -> None:
        """Keeps `follow_up_actions` (the live projection only: a rebuild does not touch it)."""
        if self.table is not case_summaries:
            return
        for event in events:
            if type(event).__name__ == "ActionAdded":
                await session.execute(insert(follow_up_actions).values(
                    case_id=str(event.originator_id), number=event.number, tenant=event.tenant, kind=event.kind,
                    what=storable(event.what), team=event.team, due_on=event.due_on, added_at=event.occurred_at))
            else:
                await session.execute(update(follow_up_actions).where(
                    follow_up_actions.c.case_id == str(event.originator_id),
                    follow_up_actions.c.number == event.number).values(done_at=event.occurred_at,
                                                                       outcome=storable(event.outcome)))

    async def _search(self, session: AsyncSession, received: list[Any]) -> None:
        """Keeps `case_search` (the live projection only, as `follow_up_actions`)."""
        if self.table is not case_summaries or not received:
            return
        ids, tenants = [str(e.originator_id) for e in received], [e.tenant for e in received]
        documents = [storable(f"{e.subject} {e.text}") for e in received]
        if session.bind.dialect.name == "postgresql":
            await (await _driver(session)).execute(
                "INSERT INTO case_search (case_id, tenant, document) "
                "SELECT d.case_id, d.tenant, to_tsvector('dutch', d.document) "
                "FROM unnest($1::text[], $2::text[], $3::text[]) AS d(case_id, tenant, document) "
                "ON CONFLICT (case_id) DO NOTHING", ids, tenants, documents)
            return
        await session.execute(insert(case_search).prefix_with("OR IGNORE"), [
            {"case_id": i, "tenant": t, "document": d.lower()} for i, t, d in zip(ids, tenants, documents)])

    async def _parts_follow_window(self, session: AsyncSession, touched: Iterable[dict[str, Any]]) -> None:
        """A part shows its complaint's due date (it has no window of its own): set when the part is made, and
        again whenever the complaint's moves."""
        complaints = {row["part_of"] or row["case_id"] for row in touched if row["part_of"] or row["parts"]}
        if not complaints:
            return
        complaint = self.table.alias("complaint")
        await session.execute(update(self.table).where(self.table.c.part_of.in_(complaints)).values(
            due_date=select(complaint.c.due_date).where(complaint.c.case_id == self.table.c.part_of)
            .scalar_subquery()))

    async def _read(self, session: AsyncSession, ids: set[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        if session.bind.dialect.name == "postgresql":
            # One array parameter rather than thousands of expanded ones: a rebuild's batches are large.
            found = await (await _driver(session)).fetch(
                f'SELECT * FROM "{self.table.name}" WHERE case_id = ANY($1::text[])', list(ids))
            return {row["case_id"]: dict(row) for row in found}
        found = (await session.execute(select(self.table).where(self.table.c.case_id.in_(ids)))).mappings()
        return {row["case_id"]: dict(row) for row in found}

    async def _write(self, session: AsyncSession, *, replaced: set[str], rows: list[dict[str, Any]]) -> None:
        if session.bind.dialect.name == "postgresql":
            driver = await _driver(session)
            if replaced:
                await driver.execute(f'DELETE FROM "{self.table.name}" WHERE case_id = ANY($1::text[])', list(replaced))
            values = itemgetter(*COLUMNS)
            if rows:  # a batch of erasure records alone touches no case row
                await driver.copy_records_to_table(self.table.name, columns=COLUMNS,
                                                   records=[values(row) for row in rows])
            return
        if replaced:
            await session.execute(delete(self.table).where(self.table.c.case_id.in_(replaced)))
        if rows:
            await session.execute(insert(self.table), [{c: row[c] for c in COLUMNS} for row in rows])

    async def apply_batch(self, events: list[tuple[Any, int]]) -> None:
        """Applies consecutive events (with their notification ids) and the position in one transaction."""
        async with self.sessions.begin() as session:
            await self.fold(session, events)

    async def handle(self, session: AsyncSession, event: Any) -> None:
        kind = type(event).__name__
        if kind == ERASED:
            await self._forget(session, set(event.subjects))
            return
        if kind == "Received":
            row = received_row(event, tenant=self.tenants.get(event.tenant))
            await session.execute(insert(self.table).values(**row))
            await self._search(session, [event])
            await self._parts_follow_window(session, [row])
            return
        if kind in ACTION_EVENTS:
            await self._actions(session, [event])
        key = self.table.c.case_id == str(event.originator_id)
        row = (await session.execute(select(self.table).where(key))).mappings().first()
        if row is not None:
            await session.execute(update(self.table).where(key).values(
                **changes(dict(row), kind, event, self.tenants.get(row["tenant"]))))
            if kind in DUE_DATE_SET_BY:
                await self._parts_follow_window(session, [dict(row)])


async def _driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, inside the session's transaction (for COPY and arrays)."""
    return (await (await session.connection()).get_raw_connection()).driver_connection
