"""The tables managers publish, computed from the case read model of one tenant and year.

Each report is a pure function of the year's case rows and the tenant's
configuration, returning a `Table`: columns and rows in the tenant's own codes,
with their labels, in the order of the tenant's file (the order its published
tables print), and the total rows and columns those tables print, computed from
the cases. A case counts in the year it was received. A tenant's published
tables (`tables:` in its file) name one of these reports and the signal types
it counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from complaints.model.tenants import Code, Tenant

COUNTED_BY = "A case counts in the year it was received."
Row = dict[str, Any]
Kinds = tuple[str, ...]  # the signal types a published table counts (none: all)


@dataclass
class Table:
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _label(codes: list[Code], code: str | None) -> str:
    return next((c.label for c in codes if c.code == code), code or "(none)")


def _share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def channels(cases: list[Row], tenant: Tenant, today: date, signal_types: Kinds = ()) -> Table:
    counts = Counter(c["channel"] for c in cases)
    table = Table(["channel", "label", "cases"])
    table.rows = [{"channel": ch.code, "label": ch.label, "cases": counts[ch.code]}
                  for ch in tenant.channels if counts[ch.code]]
    table.rows.append({"channel": "total", "label": "Total", "cases": len(cases)})
    return table


def kinds(cases: list[Row], tenant: Tenant, today: date, signal_types: Kinds = ()) -> Table:
    counts = Counter(c["signal_type"] for c in cases)
    table = Table(["signal_type", "label", "cases", "share_pct"])
    table.rows = [{"signal_type": k.code, "label": k.label, "cases": counts[k.code],
                   "share_pct": _share(counts[k.code], len(cases))} for k in tenant.signal_types
                  if not signal_types or k.code in signal_types]
    table.rows.append({"signal_type": "total", "label": "Total", "cases": len(cases), "share_pct": 100.0 if cases else 0.0})
    return table


def qualifications(cases: list[Row], tenant: Tenant, today: date, signal_types: Kinds = ()) -> Table:
    """Keyword by final qualification, with row and column totals (the police's table 3, the fire zone's):
    the qualification scheme's columns in the tenant's order, then the total. Counts the signal types the
    tenant qualifies; a column `not-qualified` appears only when some case has no qualification yet."""
    cases = [c for c in cases if tenant.qualifies(c["signal_type"])]
    schemes = [q.code for q in tenant.qualifications]
    cells = Counter((c["category"], c["qualification"]) for c in cases)
    unqualified = ["not-qualified"] if any(c["qualification"] is None for c in cases) else []
    table = Table(["category", "label", *schemes, *unqualified, "total"])
    for code, label in _keywords(cases, tenant, signal_types):
        row: Row = {"category": code, "label": label}
        for q in schemes:
            row[q] = cells[(code, q)]
        if unqualified:
            row["not-qualified"] = cells[(code, None)]
        row["total"] = sum(row[column] for column in (*schemes, *unqualified))
        table.rows.append(row)
    table.rows.append({"category": "total", "label": "Total",
                       **{column: sum(r[column] for r in table.rows) for column in table.columns[2:]}})
    return table


def keywords(cases: list[Row], tenant: Tenant, today: date, signal_types: Kinds = ()) -> Table:
    """Cases per keyword, each under its heading where the tenant groups them (the police's tables 4 and 5:
    trefwoord and subtrefwoord), with the total."""
    counts = Counter(c["category"] for c in cases)
    groups = {c.code: c.group for c in tenant.categories}
    table = Table(["group", "category", "label", "cases"])
    table.rows = [{"group": groups.get(code), "category": code, "label": label, "cases": counts[code]}
                  for code, label in _keywords(cases, tenant, signal_types)]
    table.rows.append({"group": None, "category": "total", "label": "Total", "cases": len(cases)})
    return table


def _keywords(cases: list[Row], tenant: Tenant, signal_types: Kinds) -> list[tuple[str | None, str]]:
    """The keywords a table prints: the tenant's for these signal types, then cases without one if any."""
    rows: list[tuple[str | None, str]] = [(c.code, c.label) for c in tenant.categories_for(signal_types)]
    listed = {code for code, _ in rows}
    rows += [(code, code) for code in sorted({c["category"] for c in cases} - listed - {None})]
    if any(c["category"] is None for c in cases):
        rows.append((None, "(no category)"))
    return rows


def timeliness(cases: list[Row], tenant: Tenant, today: date, signal_types: Kinds = ()) -> Table:
    """Per signal type: cases, answered within the window, outside it, average lead time (tenant's counting)."""
    table = Table(["signal_type", "label", "cases", "answered_within", "answered_outside", "open",
                   "average_lead_time_days"])
    for kind in tenant.signal_types:
        if not signal_types or kind.code in signal_types:
            table.rows.append(_timeliness_row(kind.code, kind.label,
                                              [c for c in cases if c["signal_type"] == kind.code]))
    # Over every case, not from the rounded averages above.
    table.rows.append(_timeliness_row("total", "Total", cases))
    table.notes.append("Lead time counts the days the tenant's window counts (e.g. without school holidays).")
    return table


def _timeliness_row(code: str, label: str, cases: list[Row]) -> Row:
    answered = [c for c in cases if c["answered_at"] is not None]
    leads = [c["lead_time_days"] for c in answered if c["lead_time_days"] is not None]
    return {"signal_type": code, "label": label, "cases": len(cases),
            "answered_within": sum(1 for c in answered if c["answered_in_time"]),
            "answered_outside": sum(1 for c in answered if not c["answered_in_time"]),
            "open": len(cases) - len(answered),
            "average_lead_time_days": round(sum(leads) / len(leads), 1) if leads else None}


def within_days(cases: list[Row], tenant: Tenant, today: date, signal_types: Kinds = ()) -> Table:
    """Share of the year's cases answered within each of the tenant's thresholds (the care company: 14 and 20
    days; by default the lengths of the tenant's windows)."""
    answered = [c["lead_time_days"] for c in cases if c["lead_time_days"] is not None]
    table = Table(["within_days", "cases", "answered_within", "share_pct"])
    for days in tenant.within_days_thresholds():
        within = sum(1 for lead in answered if lead <= days)
        table.rows.append({"within_days": days, "cases": len(cases), "answered_within": within,
                           "share_pct": _share(within, len(cases))})
    return table


def monthly(cases: list[Row], tenant: Tenant, today: date, signal_types: Kinds = ()) -> Table:
    """New (received) and closed cases per month, of the cases received that year."""
    new = Counter(c["received_at"].month for c in cases)
    closed = Counter(c["closed_at"].month for c in cases
                     if c["closed_at"] is not None and c["closed_at"].year == c["received_at"].year)
    table = Table(["month", "new", "closed"])
    table.rows = [{"month": m, "new": new[m], "closed": closed[m]} for m in range(1, 13)]
    return table


def open_overdue(overdue: dict[str | None, int], tenant: Tenant, today: date) -> Table:
    """Open cases past their due date today, per team (`overdue`: the counts per team, from the database)."""
    table = Table(["team", "label", "overdue"])
    table.rows = [{"team": t.code, "label": t.label, "overdue": overdue[t.code]} for t in tenant.teams
                  if overdue.get(t.code)]
    table.rows.append({"team": "total", "label": "Total", "overdue": sum(overdue.values())})
    table.notes.append(f"As of {today.isoformat()}.")
    return table


def repeated(cases: list[Row], tenant: Tenant, today: date, signal_types: Kinds = ()) -> Table:
    """Complainants with more than one case in the year (matched on a normalised e-mail or phone)."""
    by_person: dict[str, list[str]] = defaultdict(list)
    for c in cases:
        if c["complainant_key"]:
            by_person[c["complainant_key"]].append(c["case_number"])
    table = Table(["complainant", "cases", "case_numbers"])
    table.rows = [{"complainant": key[:12], "cases": len(numbers), "case_numbers": " ".join(sorted(numbers))}
                  for key, numbers in sorted(by_person.items(), key=lambda kv: (-len(kv[1]), kv[0]))
                  if len(numbers) > 1]
    table.notes.append("Complainants are shown by a pseudonym (a hash), never by name.")
    return table


REPORTS: dict[str, Callable[[list[Row], Tenant, date, Kinds], Table]] = {
    "channels": channels, "kinds": kinds, "qualifications": qualifications, "keywords": keywords,
    "timeliness": timeliness,
    "within-days": within_days, "monthly": monthly, "open-overdue": open_overdue, "repeated": repeated,
    # open-overdue is counted by the database (see the API), the others from the year's rows
}
