"""Reporting's routes: the yearly tables, the handlers' queue and the projected case, per tenant."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.application.clock import today
from complaints.application.skipped import SkippedWork
from complaints.web.auth import require
from complaints.web.deps import ClockDep, TenantDep
from complaints.web.problems import Problem, documented, invalid_fields
from complaints.web.views import CaseState
from reporting.downloads import XLSX, Separator, as_csv, as_xlsx
from reporting.projection import OPEN_ONLY, SEARCH_CONFIG, case_search
from reporting.projection import case_summaries as cases
from reporting.projection import follow_up_actions as actions
from complaints.model.tenants import PublishedTable, Tenant
from reporting.reports import COUNTED_BY, REPORTS, TERMS_REPORT, compute, follow_up, open_overdue, terms

# Reports counted by queries of their own rather than from the year's case rows, or not published tables.
OWN_QUERIES = ("open-overdue", "actions", TERMS_REPORT)

# People only: the tenant's handlers, managers, directors and auditors.
router = APIRouter(prefix="/v1/tenants/{tenant}", tags=["reports"],
                   responses=documented(_401="No or bad credentials", _403="Not this tenant, team or role",
                                        _404="Unknown tenant, report or case", _422="Invalid parameters"))
FAR = date(9999, 12, 31)
ReaderDep = Annotated[Caller, Depends(require("reports"))]


async def _session(request: Request):  # noqa: ANN202 - a FastAPI yield dependency
    async with request.app.state.wiring.resources["projection"].sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]


class ChannelStatusCount(BaseModel):
    channel: str
    status: CaseState
    count: int


class ChannelStatusReport(BaseModel):
    tenant: str
    rows: list[ChannelStatusCount]
    total: int


class ProjectedCase(BaseModel):
    case_id: UUID
    case_number: str
    status: CaseState
    channel: str
    signal_type: str
    category: str | None
    subject: str
    team: str | None
    assignee: str | None = Field(description="Whose work it is (a person's subject); None: the team's")
    qualification: str | None
    due_date: date | None = Field(description="A part of a complaint shows its complaint's due date")
    received_at: datetime
    answered_at: datetime | None
    closed_at: datetime | None
    events_applied: int
    part_of: UUID | None = Field(description="A part of a complaint about several teams: the complaint's case id")
    approvals_given: int = Field(description="Approval steps the current draft has")
    approvals_needed: int = Field(description="Approval steps the tenant asks of an answer")
    next_approval_step: str | None = Field(description="The step the draft needs next (None: no draft waiting)")

    @classmethod
    def of(cls, row: Any, tenant: Tenant) -> ProjectedCase:
        return cls(approvals_needed=len(tenant.approvals),
                   **{k: v for k, v in row.items() if k in cls.model_fields})


class Queue(BaseModel):
    items: list[ProjectedCase]
    next_cursor: str | None


@router.get("/reports/channel-status", response_model=ChannelStatusReport)
async def channel_status(_: ReaderDep, tenant: TenantDep, session: SessionDep) -> ChannelStatusReport:
    """Cases per channel and state, over all years (a live overview)."""
    query = (select(cases.c.channel, cases.c.status, func.count()).where(cases.c.tenant == tenant.id,
                                                                          cases.c.part_of.is_(None))
             .group_by(cases.c.channel, cases.c.status).order_by(cases.c.channel, cases.c.status))
    rows = [ChannelStatusCount(channel=c, status=s, count=n) for c, s, n in (await session.execute(query)).all()]
    return ChannelStatusReport(tenant=tenant.id, rows=rows, total=sum(r.count for r in rows))


class YearlyReport(BaseModel):
    """One yearly table: its columns in order, a row per code (with its label) and the total rows it prints."""

    tenant: str
    report: str = Field(examples=["channels"], description="The report, or the id of a table the tenant publishes")
    title: str | None = Field(default=None, description="A published table's caption (absent for a report)")
    year: int
    counted_by: str = Field(description="How cases are counted in it")
    columns: list[str]
    rows: list[dict[str, str | int | float | None]] = Field(description="Each row by column name")
    notes: list[str]


@router.get("/reports/{report}", response_model=YearlyReport,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                         XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
async def yearly_report(_: ReaderDep, tenant: TenantDep, report: str, session: SessionDep, request: Request,
                        clock: ClockDep,
                        year: Annotated[int, Query(ge=2000, le=2100, description="The year the cases were received")],
                        format: Annotated[Literal["json", "csv", "xlsx"] | None, Query(  # noqa: A002 - the query's name
                            description="The file to answer with, whatever `Accept` asks (a link can choose)")] = None,
                        sep: Annotated[Separator, Query(description=(
                            "The CSV's separator: `;` for Excel in a Dutch or French locale (with a byte-order mark "
                            "and decimal commas), `,` for programs (RFC 4180: no mark, decimal points)"))] = ";",
                        ) -> Response:
    """One of the yearly tables, as JSON, CSV (`Accept: text/csv` or `format=csv`; see `sep`) or an XLSX workbook
    (`Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` or `format=xlsx`): channels, kinds,
    qualifications, keywords,
    timeliness, within-days, monthly, quarters, entity-months, admissibility, relative-to-contacts, open-overdue,
    repeated, actions (follow-up and improvement actions added that year, per team and category),
    acknowledgement-and-admissibility (per month: acknowledgements and admissibility decisions due, taken within
    the tenant's terms, late, not yet taken and overdue today); or one
    of the tables the tenant publishes, by the id its file gives it (`GET /v1/tenants/{tenant}` lists them),
    computed by one of those over the signal types it counts."""
    published = tenant.table(report)
    if report not in (*REPORTS, *OWN_QUERIES) and published is None:
        allowed = sorted([*REPORTS, *OWN_QUERIES]) + [t.id for t in tenant.tables]
        raise Problem(404, "unknown-report", "No such report", f"Reports are {allowed}",
                      errors=[{"field": "report", "message": "unknown report", "allowed": allowed}])
    start, end = datetime(year, 1, 1, tzinfo=timezone.utc), datetime(year + 1, 1, 1, tzinfo=timezone.utc)
    of_year = (cases.c.tenant == tenant.id, cases.c.received_at >= start, cases.c.received_at < end)
    if report == "actions":  # counted from the actions added that year, with their case's category
        added = (actions.c.tenant == tenant.id, actions.c.added_at >= start, actions.c.added_at < end)
        rows = [dict(r) for r in (await session.execute(
            select(actions, cases.c.category).join(cases, cases.c.case_id == actions.c.case_id).where(*added)
        )).mappings().all()]
        table = follow_up(rows, tenant, today(clock))
    elif report == "open-overdue":  # asked every day on the largest tables: counted by the database
        rows = (await session.execute(
            # Per team: a complaint split over several teams counts as its parts, each for its team.
            select(cases.c.team, func.count()).where(*of_year, OPEN_ONLY, cases.c.due_date < today(clock),
                                                     cases.c.parts == 0)
            .group_by(cases.c.team))).all()
        table = open_overdue(dict(rows), tenant, today(clock))
    elif report == TERMS_REPORT:
        rows = [dict(r) for r in (await session.execute(select(cases).where(*of_year))).mappings().all()]
        table = terms(rows, tenant, today(clock))
    else:
        rows = [dict(r) for r in (await session.execute(select(cases).where(*of_year))).mappings().all()]
        spec = published or PublishedTable(id=report, title=report, report=report)
        table = compute(spec, rows, tenant, today(clock), year)
    title = {"title": published.title} if published else {}
    answer = format or _asked_format(request.headers.get("accept", ""))
    if answer != "json":
        filename = f"{tenant.id}-{report}-{year}.{answer}"
        content, media_type = ((as_csv(table, sep), "text/csv; charset=utf-8") if answer == "csv" else
                               (as_xlsx(table, report, title.get("title"), COUNTED_BY), XLSX))
        return Response(content, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return JSONResponse({"tenant": tenant.id, "report": report, **title, "year": year, "counted_by": COUNTED_BY,
                         "columns": table.columns, "rows": table.rows, "notes": table.notes})


def _asked_format(accept: str) -> Literal["json", "csv", "xlsx"]:
    return "xlsx" if XLSX in accept else "csv" if "text/csv" in accept else "json"


def _cursor(value: str | None) -> tuple[date, str] | None:
    if value is None:
        return None
    try:
        due, number = json.loads(base64.urlsafe_b64decode(value.encode()))
        if not isinstance(number, str) or "\x00" in number:  # NUL would reach SQL, which cannot compare it
            raise ValueError(number)
        return date.fromisoformat(due), number
    except (ValueError, TypeError, RecursionError):  # RecursionError: JSON nested deeper than the decoder goes
        raise invalid_fields([{"field": "query.cursor", "message": "not a cursor this API gave"}]) from None


def _person(caller: Caller, assignee: str | None) -> str | None:
    """`me` is the caller (a person's subject, as `Assigned` records it)."""
    return caller.name if assignee == "me" else assignee


@router.get("/queue", response_model=Queue)
async def queue(
    caller: Annotated[Caller, Depends(require("queue"))], tenant: TenantDep, session: SessionDep, clock: ClockDep,
    team: str | None = None, state: str | None = None, signal_type: str | None = None, category: str | None = None,
    channel: str | None = None, overdue: bool | None = None,
    assignee: Annotated[str | None, Query(max_length=200, description="`me`: the caller's own cases; or a "
                                                                      "person's subject")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text in the subject or case number")] = None,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Queue:
    """A team's open cases: overdue first, then by due date. Handlers see their own team's queue;
    `assignee=me` is the caller's own cases (of their team: a reroute takes a case out of it)."""
    team = permissions.queue_team(caller, team)
    now = today(clock)
    # Overdue cases are exactly those with the earliest due dates, so due-date order puts them first.
    due = func.coalesce(cases.c.due_date, literal(FAR))
    query = select(cases).where(cases.c.tenant == tenant.id, OPEN_ONLY)
    for column, value in (("team", team), ("status", state), ("signal_type", signal_type),
                          ("category", category), ("channel", channel), ("assignee", _person(caller, assignee))):
        if value is not None:
            query = query.where(cases.c[column] == value)
    if overdue is not None:
        query = query.where(cases.c.due_date < now if overdue else or_(cases.c.due_date.is_(None),
                                                                       cases.c.due_date >= now))
    if q:
        # The text as typed: `%` and `_` are searched for, not wildcards.
        query = query.where(or_(cases.c.subject.icontains(q, autoescape=True),
                                cases.c.case_number.icontains(q, autoescape=True)))
    after = _cursor(cursor)
    if after:
        query = query.where(tuple_(due, cases.c.case_number) > tuple_(*after))
    rows = (await session.execute(query.order_by(due, cases.c.case_number).limit(limit + 1))).mappings().all()
    items = [ProjectedCase.of(r, tenant) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        key = [(last["due_date"] or FAR).isoformat(), last["case_number"]]
        next_cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()
    return Queue(items=items, next_cursor=next_cursor)


# The search counts its matches up to here: beyond it, `total_is_exact` is false and `total` is this bound (a
# count of a million rows would cost more than the page it comes with).
TOTAL_BOUND = 10_000
SORTS = {"received_at": cases.c.received_at, "due_date": func.coalesce(cases.c.due_date, literal(FAR)),
         "case_number": cases.c.case_number}
SortKey = Literal["received_at", "due_date", "case_number"]


class Found(BaseModel):
    items: list[ProjectedCase]
    next_cursor: str | None
    total: int = Field(description=f"The cases matching, counted up to {TOTAL_BOUND}")
    total_is_exact: bool = Field(description=f"False: more than {TOTAL_BOUND} match (`total` is then the bound)")


def _sort_value(sort: str, row: Any) -> str:
    value = row[sort] if sort != "due_date" else (row["due_date"] or FAR)
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _search_cursor(value: str, sort: str, order: str) -> tuple[Any, str]:
    """The (sort value, case id) a page ended at, for the same sort and order."""
    try:
        asked, direction, key, case_id = json.loads(base64.urlsafe_b64decode(value.encode()))
        if (asked, direction) != (sort, order) or not isinstance(key, str) or "\x00" in key + str(case_id):
            raise ValueError(value)
        parsed = {"received_at": datetime.fromisoformat, "due_date": date.fromisoformat}.get(sort, str)(key)
        return parsed, str(UUID(case_id))
    except (ValueError, TypeError, RecursionError):
        raise invalid_fields([{"field": "query.cursor", "message": "not a cursor this API gave for this sort "
                                                                    "and order"}]) from None


@router.get("/cases", response_model=Found)
async def search_cases(
    caller: Annotated[Caller, Depends(require("queue"))], tenant: TenantDep, session: SessionDep,
    case_number: Annotated[str | None, Query(max_length=50, description="The case number, exactly")] = None,
    q: Annotated[str | None, Query(max_length=200, description=(
        "Words in the subject or text: PostgreSQL's Dutch full-text search (stemmed: `vuilnisbakken` finds "
        "`vuilnisbak`; \"quoted phrases\", `or`, `-word`); on SQLite a case-insensitive substring"))] = None,
    status: str | None = None, team: str | None = None,
    assignee: Annotated[str | None, Query(max_length=200, description="`me`, or a person's subject")] = None,
    signal_type: str | None = None, category: str | None = None, channel: str | None = None,
    received_from: date | None = None, received_to: date | None = None,
    closed_from: date | None = None, closed_to: date | None = None,
    sort: SortKey = "received_at", order: Literal["asc", "desc"] = "desc",
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Found:
    """Every case of the tenant, open and closed, as the queue's read rules allow: handlers their own team's,
    managers, directors and auditors any. Dates are inclusive days (UTC); `next_cursor` gives the next page."""
    team = permissions.queue_team(caller, team)
    query = select(cases).where(cases.c.tenant == tenant.id)
    for column, value in (("case_number", case_number), ("status", status), ("team", team),
                          ("assignee", _person(caller, assignee)), ("signal_type", signal_type),
                          ("category", category), ("channel", channel)):
        if value is not None:
            query = query.where(cases.c[column] == value)
    for column, start, end in (("received_at", received_from, received_to), ("closed_at", closed_from, closed_to)):
        if start is not None:
            query = query.where(cases.c[column] >= datetime.combine(start, datetime.min.time(), timezone.utc))
        if end is not None and end < date.max:  # to the end of that day (the last day there is: no bound)
            query = query.where(cases.c[column] < datetime.combine(end + timedelta(days=1), datetime.min.time(),
                                                                   timezone.utc))
    if q:
        query = query.where(cases.c.case_id.in_(select(case_search.c.case_id).where(
            case_search.c.tenant == tenant.id, _words(session, q))))
    counted = await session.scalar(select(func.count()).select_from(query.limit(TOTAL_BOUND + 1).subquery()))
    key, descending = SORTS[sort], order == "desc"
    if cursor is not None:
        value, case_id = _search_cursor(cursor, sort, order)  # bound as the column binds (its offset on SQLite)
        after = tuple_(key, cases.c.case_id), tuple_(literal(value, key.type), literal(case_id, cases.c.case_id.type))
        query = query.where(after[0] < after[1] if descending else after[0] > after[1])
    ordered = (key.desc(), cases.c.case_id.desc()) if descending else (key, cases.c.case_id)
    rows = (await session.execute(query.order_by(*ordered).limit(limit + 1))).mappings().all()
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = base64.urlsafe_b64encode(json.dumps(
            [sort, order, _sort_value(sort, last), last["case_id"]]).encode()).decode()
    return Found(items=[ProjectedCase.of(r, tenant) for r in rows[:limit]], next_cursor=next_cursor,
                 total=min(counted, TOTAL_BOUND), total_is_exact=counted <= TOTAL_BOUND)


def _words(session: AsyncSession, q: str) -> Any:
    """The search's match: the Dutch full-text query on PostgreSQL, a substring of the lowered text on SQLite."""
    if session.bind.dialect.name == "postgresql":
        return case_search.c.document.op("@@")(func.websearch_to_tsquery(SEARCH_CONFIG, q))
    return case_search.c.document.contains(q.lower(), autoescape=True)


class OpenAction(BaseModel):
    case_id: UUID
    case_number: str
    category: str | None
    number: str
    kind: str
    what: str
    team: str
    due_on: date | None
    overdue: bool
    added_at: datetime
    done_at: datetime | None
    outcome: str | None


class Actions(BaseModel):
    items: list[OpenAction]


@router.get("/actions", response_model=Actions)
async def follow_up_actions(
    caller: Annotated[Caller, Depends(require("queue"))], tenant: TenantDep, session: SessionDep, clock: ClockDep,
    team: str | None = None,
    state: Annotated[Literal["open", "done", "all"], Query(description="open: not done yet")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> Actions:
    """Follow-up and improvement actions per team, the earliest due first (none last). Handlers see their own
    team's actions, on whichever case; managers, directors and auditors any team's."""
    team = permissions.queue_team(caller, team)
    query = (select(actions, cases.c.case_number, cases.c.category)
             .join(cases, cases.c.case_id == actions.c.case_id).where(actions.c.tenant == tenant.id))
    if team is not None:
        query = query.where(actions.c.team == team)
    if state != "all":
        query = query.where(actions.c.done_at.is_(None) if state == "open" else actions.c.done_at.is_not(None))
    order = (func.coalesce(actions.c.due_on, literal(FAR)), cases.c.case_number, actions.c.number)
    rows = (await session.execute(query.order_by(*order).limit(limit))).mappings().all()
    now = today(clock)
    return Actions(items=[OpenAction(**{k: v for k, v in r.items() if k in OpenAction.model_fields},
                                     overdue=r["done_at"] is None and r["due_on"] is not None and r["due_on"] < now)
                          for r in rows])


@router.get("/cases/{case_id}", response_model=ProjectedCase)
async def projected_case(caller: Annotated[Caller, Depends(require("queue"))], tenant: TenantDep, case_id: UUID,
                         session: SessionDep) -> ProjectedCase:
    """The case as the read model has it, for who may read the case (the same policy as the case itself)."""
    row = (await session.execute(select(cases).where(cases.c.case_id == str(case_id)))).mappings().first()
    if row is None or row["tenant"] != tenant.id:
        raise Problem(404, "case-not-found", "No such case in the projection",
                      f"No case {case_id} for tenant {tenant.id} (yet)")
    permissions.ensure_may_read(caller, team=row["team"], received_by=None)
    return ProjectedCase.of(row, tenant)


class SkippedEvent(BaseModel):
    """An event a consumer could not apply: the case, the event, why, and whether it was applied again."""

    consumer: str
    notification_id: int
    case_id: UUID
    event_type: str
    reason: str
    skipped_at: datetime
    redrive_requested_at: datetime | None
    redriven_at: datetime | None


class Redrive(BaseModel):
    case_id: UUID
    events_asked: int


def _skipped(request: Request) -> SkippedWork:
    return request.app.state.wiring.resources["skipped"]


SkippedDep = Annotated[SkippedWork, Depends(_skipped)]
ManagerDep = Annotated[Caller, Depends(require("manage-skipped"))]


@router.get("/skipped-events", response_model=list[SkippedEvent])
async def skipped_events(caller: ManagerDep, tenant: TenantDep, skipped: SkippedDep,
                         all: bool = False) -> list[SkippedEvent]:  # noqa: A002 - the query's name
    """Events some consumer could not apply (the case is then not routed, clocked or projected as it
    should be): those not applied again yet, or with `all=true` every one on record."""
    return [SkippedEvent(**{k: v for k, v in vars(row).items() if k in SkippedEvent.model_fields})
            for row in await skipped.list(caller, tenant, open_only=not all)]


@router.post("/complaints/{case_id}/redrive", response_model=Redrive, status_code=202)
async def redrive(caller: ManagerDep, tenant: TenantDep, case_id: UUID, skipped: SkippedDep) -> Redrive:
    """Once the cause is fixed: each consumer applies this case's skipped events again, in order, exactly
    once, within its next catch-up round (a few seconds)."""
    return Redrive(case_id=case_id, events_asked=await skipped.redrive(caller, tenant, case_id))
