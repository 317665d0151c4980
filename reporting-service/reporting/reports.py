"""The tables managers publish, computed from the case read model of one tenant and year.

Each report is a pure function of the year's case rows and the tenant's
configuration, returning a `Table`: columns and rows in the tenant's own codes,
with their labels. A case counts in the year it was received.
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


@dataclass
class Table:
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _label(codes: list[Code], code: str | None) -> str:
    return next((c.label for c in codes if c.code == code), code or "(none)")


def _share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def channels(cases: list[Row], tenant: Tenant, today: date) -> Table:
    counts = Counter(c["channel"] for c in cases)
    table = Table(["channel", "label", "cases"])
    table.rows = [{"channel": ch.code, "label": ch.label, "cases": counts[ch.code]}
                  for ch in tenant.channels if counts[ch.code]]
    table.rows.append({"channel": "total", "label": "Total", "cases": len(cases)})
    return table


def kinds(cases: list[Row], tenant: Tenant, today: date) -> Table:
    counts = Counter(c["signal_type"] for c in cases)
    table = Table(["signal_type", "label", "cases", "share_pct"])
    table.rows = [{"signal_type": k.code, "label": k.label, "cases": counts[k.code],
                   "share_pct": _share(counts[k.code], len(cases))} for k in tenant.signal_types]
    table.rows.append({"signal_type": "total", "label": "Total", "cases": len(cases), "share_pct": 100.0 if cases else 0.0})
    return table


def qualifications(cases: list[Row], tenant: Tenant, today: date) -> Table:
    """Category (keyword) by final qualification, with row and column totals (the police and fire zone tables)."""
    schemes = [q.code for q in tenant.qualifications]
    cells = Counter((c["category"], c["qualification"]) for c in cases)
    table = Table(["category", "label", "total", *schemes, "not-qualified"])
    categories = [(cat.code, cat.label) for cat in tenant.categories]
    if any(c["category"] is None for c in cases):
        categories.append((None, "(no category)"))
    for code, label in categories:
        row: Row = {"category": code, "label": label}
        for q in schemes:
            row[q] = cells[(code, q)]
        row["not-qualified"] = cells[(code, None)]
        row["total"] = sum(row[q] for q in schemes) + row["not-qualified"]
        table.rows.append(row)
    totals: Row = {"category": "total", "label": "Total"}
    for column in ("total", *schemes, "not-qualified"):
        totals[column] = sum(r[column] for r in table.rows)
    table.rows.append(totals)
    return table


def timeliness(cases: list[Row], tenant: Tenant, today: date) -> Table:
    """Per signal type: cases, answered within the window, outside it, average lead time (tenant's counting)."""
    table = Table(["signal_type", "label", "cases", "answered_within", "answered_outside", "open",
                   "average_lead_time_days"])
    for kind in tenant.signal_types:
        of_kind = [c for c in cases if c["signal_type"] == kind.code]
        answered = [c for c in of_kind if c["answered_at"] is not None]
        leads = [c["lead_time_days"] for c in answered if c["lead_time_days"] is not None]
        table.rows.append({
            "signal_type": kind.code, "label": kind.label, "cases": len(of_kind),
            "answered_within": sum(1 for c in answered if c["answered_in_time"]),
            "answered_outside": sum(1 for c in answered if not c["answered_in_time"]),
            "open": len(of_kind) - len(answered),
            "average_lead_time_days": round(sum(leads) / len(leads), 1) if leads else None,
        })
    table.notes.append("Lead time counts the days the tenant's window counts (e.g. without school holidays).")
    return table


def within_days(cases: list[Row], tenant: Tenant, today: date) -> Table:
    """Share of the year's cases answered within each of the tenant's thresholds (the care company: 14 and 20
    days; by default the lengths of the tenant's windows)."""
    answered = [c["lead_time_days"] for c in cases if c["lead_time_days"] is not None]
    table = Table(["within_days", "cases", "answered_within", "share_pct"])
    for days in tenant.within_days_thresholds():
        within = sum(1 for lead in answered if lead <= days)
        table.rows.append({"within_days": days, "cases": len(cases), "answered_within": within,
                           "share_pct": _share(within, len(cases))})
    return table


def monthly(cases: list[Row], tenant: Tenant, today: date) -> Table:
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


def repeated(cases: list[Row], tenant: Tenant, today: date) -> Table:
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


REPORTS: dict[str, Callable[[list[Row], Tenant, date], Table]] = {
    "channels": channels, "kinds": kinds, "qualifications": qualifications, "timeliness": timeliness,
    "within-days": within_days, "monthly": monthly, "open-overdue": open_overdue, "repeated": repeated,
    # open-overdue is counted by the database (see the API), the others from the year's rows
}
