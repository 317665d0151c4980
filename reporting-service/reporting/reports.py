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
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import Any

from complaints.model.labels import MONTHS, TOTAL
from complaints.model.tenants import Code, PublishedTable, Tenant

COUNTED_BY = ("A case counts in the year it was received. A complaint about several teams counts once, except "
              "in tables per team, where each team's part counts for its team instead.")
Row = dict[str, Any]


@dataclass
class Table:
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _label(codes: list[Code], code: str | None) -> str:
    return next((c.label for c in codes if c.code == code), code or "(none)")


def _share(part: int, whole: int, decimals: int = 1) -> float:
    return round(100 * part / whole, decimals) if whole else 0.0


def _shares(counts: list[int], decimals: int) -> list[float]:
    """Each count's share of their sum, rounded so that the shares add up to exactly 100 (the largest
    remainders are rounded up), as the published tables print them: 28.4 % is printed 29 % where the
    column would otherwise add up to 99."""
    whole = sum(counts)
    if not whole:
        return [0.0] * len(counts)
    unit = 10 ** decimals
    exact = [100 * unit * n / whole for n in counts]
    floors = [int(x) for x in exact]
    for i in sorted(range(len(counts)), key=lambda i: floors[i] - exact[i])[:100 * unit - sum(floors)]:
        floors[i] += 1
    return [f / unit if decimals else float(f) for f in floors]


def channels(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    counts = Counter(c["channel"] for c in cases)
    used = [ch for ch in tenant.channels if counts[ch.code]]
    table = Table(["channel", "label", "cases", "share_pct"])
    table.rows = [{"channel": ch.code, "label": ch.label, "cases": counts[ch.code], "share_pct": share}
                  for ch, share in zip(used, _shares([counts[ch.code] for ch in used], spec.share_decimals))]
    table.rows.append({"channel": "total", "label": TOTAL[tenant.language], "cases": len(cases),
                       "share_pct": 100.0 if cases else 0.0})
    return table


def kinds(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    counts = Counter(c["signal_type"] for c in cases)
    listed = [k for k in tenant.signal_types if not spec.signal_types or k.code in spec.signal_types]
    table = Table(["signal_type", "label", "cases", "share_pct"])
    table.rows = [{"signal_type": k.code, "label": k.label, "cases": counts[k.code], "share_pct": share}
                  for k, share in zip(listed, _shares([counts[k.code] for k in listed], spec.share_decimals))]
    table.rows.append({"signal_type": "total", "label": TOTAL[tenant.language], "cases": len(cases),
                       "share_pct": 100.0 if cases else 0.0})
    return table


def qualifications(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    """Keyword by final qualification, with row and column totals (the police's table 3, the fire zone's):
    the qualification scheme's columns in the tenant's order, then the total. Counts the signal types the
    tenant qualifies; a column `not-qualified` appears only when some case has no qualification yet."""
    cases = [c for c in cases if tenant.qualifies(c["signal_type"])]
    schemes = [q.code for q in tenant.qualifications]
    cells = Counter((c["category"], c["qualification"]) for c in cases)
    unqualified = ["not-qualified"] if any(c["qualification"] is None for c in cases) else []
    table = Table(["category", "label", *schemes, *unqualified, "total"])
    for code, label in _keywords(cases, tenant, spec.signal_types):
        row: Row = {"category": code, "label": label}
        for q in schemes:
            row[q] = cells[(code, q)]
        if unqualified:
            row["not-qualified"] = cells[(code, None)]
        row["total"] = sum(row[column] for column in (*schemes, *unqualified))
        table.rows.append(row)
    table.rows.append({"category": "total", "label": TOTAL[tenant.language],
                       **{column: sum(r[column] for r in table.rows) for column in table.columns[2:]}})
    return table


def keywords(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    """Cases per keyword, each under its heading where the tenant groups them (the police's tables 4 and 5:
    trefwoord and subtrefwoord), with the total."""
    counts = Counter(c["category"] for c in cases)
    groups = {c.code: c.group for c in tenant.categories}
    table = Table(["category", "group", "label", "cases"])  # keyed by the first column, as every table
    table.rows = [{"group": groups.get(code), "category": code, "label": label, "cases": counts[code]}
                  for code, label in _keywords(cases, tenant, spec.signal_types)]
    table.rows.append({"group": None, "category": "total", "label": TOTAL[tenant.language], "cases": len(cases)})
    return table


def _keywords(cases: list[Row], tenant: Tenant, signal_types: tuple[str, ...]) -> list[tuple[str | None, str]]:
    """The keywords a table prints: the tenant's for these signal types, then cases without one if any."""
    rows: list[tuple[str | None, str]] = [(c.code, c.label) for c in tenant.categories_for(signal_types)]
    listed = {code for code, _ in rows}
    rows += [(code, code) for code in sorted({c["category"] for c in cases} - listed - {None})]
    if any(c["category"] is None for c in cases):
        rows.append((None, "(no category)"))
    return rows


def timeliness(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    """Per signal type: cases, answered within the window, outside it, average lead time (tenant's counting)."""
    table = Table(["signal_type", "label", "cases", "answered_within", "answered_outside", "answered_outside_pct",
                   "open", "average_lead_time_days"])
    for kind in tenant.signal_types:
        if not spec.signal_types or kind.code in spec.signal_types:
            table.rows.append(_timeliness_row(kind.code, kind.label,
                                              [c for c in cases if c["signal_type"] == kind.code]))
    # Over every case, not from the rounded averages above.
    table.rows.append(_timeliness_row("total", TOTAL[tenant.language], cases))
    table.notes.append("Lead time counts the days the tenant's window counts (e.g. without school holidays).")
    return table


def _timeliness_row(code: str, label: str, cases: list[Row]) -> Row:
    answered = [c for c in cases if c["answered_at"] is not None]
    leads = [c["lead_time_days"] for c in answered if c["lead_time_days"] is not None]
    return {"signal_type": code, "label": label, "cases": len(cases),
            "answered_within": sum(1 for c in answered if c["answered_in_time"]),
            "answered_outside": (late := sum(1 for c in answered if not c["answered_in_time"])),
            "answered_outside_pct": _share(late, len(cases)),
            "open": len(cases) - len(answered),
            "average_lead_time_days": round(sum(leads) / len(leads), 1) if leads else None}


def within_days(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    """Share of the year's cases answered within each of the tenant's thresholds (the care company: 14 and 20
    days; by default the lengths of the tenant's windows)."""
    answered = [c["lead_time_days"] for c in cases if c["lead_time_days"] is not None]
    table = Table(["within_days", "cases", "answered_within", "share_pct"])
    for days in tenant.within_days_thresholds():
        within = sum(1 for lead in answered if lead <= days)
        table.rows.append({"within_days": days, "cases": len(cases), "answered_within": within,
                           "share_pct": _share(within, len(cases), spec.share_decimals)})
    return table


def monthly(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    """New (received) and closed cases per month, of the cases received that year."""
    new = Counter(c["received_at"].month for c in cases)
    closed = Counter(c["closed_at"].month for c in cases
                     if c["closed_at"] is not None and c["closed_at"].year == c["received_at"].year)
    table = Table(["month", "new", "closed"])
    table.rows = [{"month": m, "new": new[m], "closed": closed[m]} for m in range(1, 13)]
    return table


def quarters(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    """Cases received per quarter, with their shares (the housing company's table)."""
    counts = Counter((c["received_at"].month - 1) // 3 + 1 for c in cases)
    table = Table(["quarter", "cases", "share_pct"])
    table.rows = [{"quarter": f"Q{q}", "cases": counts[q], "share_pct": share}
                  for q, share in zip(range(1, 5), _shares([counts[q] for q in range(1, 5)], spec.share_decimals))]
    table.rows.append({"quarter": "total", "cases": len(cases), "share_pct": 100.0 if cases else 0.0})
    return table


def entity_months(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    """Cases per legal entity and month received (the care company's three entities)."""
    cells = Counter((c["entity"], c["received_at"].month) for c in cases)
    months = [f"m{m:02d}" for m in range(1, 13)]
    table = Table(["entity", "label", *months, "total"])
    for entity in tenant.entities:
        row: Row = {"entity": entity.code, "label": entity.label}
        row.update({month: cells[(entity.code, m)] for m, month in enumerate(months, start=1)})
        row["total"] = sum(row[month] for month in months)
        table.rows.append(row)
    table.rows.append({"entity": "total", "label": TOTAL[tenant.language],
                       **{column: sum(r[column] for r in table.rows) for column in table.columns[2:]}})
    return table


def admissibility(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    """Admissible complaints per keyword, with those repeated (the complainant complained before that year);
    then all that was admissible, what was not (complaints closed as inadmissible, and the signal types the
    tenant does not judge: questions and reports), and the total (the housing company's table)."""
    complaints = sorted((c for c in cases if tenant.qualifies(c["signal_type"])
                         and not tenant.closes_early(c["qualification"] or "")), key=itemgetter("received_at"))
    seen: set[str] = set()
    repeated: Counter[str | None] = Counter()
    for c in complaints:
        if c["complainant_key"] in seen:
            repeated[c["category"]] += 1
        if c["complainant_key"]:
            seen.add(c["complainant_key"])
    counts = Counter(c["category"] for c in complaints)
    table = Table(["category", "label", "cases", "repeated"])
    table.rows = [{"category": code, "label": label, "cases": counts[code], "repeated": repeated[code]}
                  for code, label in _keywords(complaints, tenant, spec.signal_types)]
    table.rows += [
        {"category": "admissible", "label": "Admissible complaints", "cases": len(complaints),
         "repeated": sum(repeated.values())},
        {"category": "not-admissible", "label": "Inadmissible complaints, questions and reports",
         "cases": len(cases) - len(complaints), "repeated": None},
        {"category": "total", "label": TOTAL[tenant.language], "cases": len(cases), "repeated": None}]
    return table


def follow_up(actions: list[Row], tenant: Tenant, today: date) -> Table:
    """Follow-up and improvement actions added in the year, per owning team and their case's category: how
    many, how many done, how many still open and past their due date (the city's rule 9: pain points and
    improvement actions; the fire zone's extra acties)."""
    cells: dict[tuple[str, str | None], Counter[str]] = defaultdict(Counter)
    for action in actions:
        cell = cells[(action["team"], action["category"])]
        cell[action["kind"]] += 1
        cell["done" if action["done_at"] else "open"] += 1
        cell["overdue"] += action["done_at"] is None and action["due_on"] is not None and action["due_on"] < today
    teams = {t.code: i for i, t in enumerate(tenant.teams)}
    categories = {c.code: i for i, c in enumerate(tenant.categories)}
    columns = ["follow-up", "improvement", "done", "open", "overdue"]
    table = Table(["team", "category", "label", "actions", *columns])
    for team, category in sorted(cells, key=lambda k: (teams.get(k[0], len(teams)),
                                                       categories.get(k[1], len(categories)) if k[1] else -1)):
        cell = cells[(team, category)]
        table.rows.append({"team": team, "category": category, "label": _label(tenant.teams, team),
                           "actions": cell["follow-up"] + cell["improvement"], **{c: cell[c] for c in columns}})
    table.rows.append({"team": "total", "category": None, "label": TOTAL[tenant.language], "actions": len(actions),
                       **{c: sum(r[c] for r in table.rows) for c in columns}})
    table.notes.append(f"Actions added in the year; open and overdue as of {today.isoformat()}.")
    return table


def open_overdue(overdue: dict[str | None, int], tenant: Tenant, today: date) -> Table:
    """Open cases past their due date today, per team (`overdue`: the counts per team, from the database)."""
    table = Table(["team", "label", "overdue"])
    table.rows = [{"team": t.code, "label": t.label, "overdue": overdue[t.code]} for t in tenant.teams
                  if overdue.get(t.code)]
    table.rows.append({"team": "total", "label": TOTAL[tenant.language], "overdue": sum(overdue.values())})
    table.notes.append(f"As of {today.isoformat()}.")
    return table


def repeated(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
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


def relative_to_contacts(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable,
                         year: int | None) -> Table:
    """Per team: the contacts it handled over a channel group per half-year (the tenant's own figures), its
    share of all those contacts, its cases over the group's channels per half-year received, and those cases
    per 100 contacts (the city's 2.2 Click and 2.3 Call). Rows come in the order the tenant lists the year's
    figures (each published table its own), then teams with cases but no figure in the tenant's order; the
    total row is counted from every case and figure, not from the rounded rows. Without a channel group every
    group counts; without a year, the cases' year."""
    groups = {g.code: g for g in tenant.channel_groups if spec.channel_group in (None, g.code)}
    group_of = {channel: g.code for g in groups.values() for channel in g.channels}
    year = year or next((c["received_at"].year for c in cases), None)
    cases = [c for c in cases if c["channel"] in group_of]
    halves = {f"{year}-H1": "h1", f"{year}-H2": "h2"}
    volumes, recorded = _contact_figures(tenant, set(groups), set(halves))
    everyone = sum(sum(counts.values()) for counts in volumes.values())
    figured = {period for _, period in recorded}

    def half(case: Row) -> str:
        return f"{year}-H{1 if case['received_at'].month <= 6 else 2}"

    def row(team: str | None, label: str, counts: Counter[str], of_team: list[Row]) -> Row:
        received = Counter(half(c) for c in of_team)
        # Cases of a half-year the tenant has no contact figure for cannot be set against contacts.
        measured = sum(1 for c in of_team if (group_of[c["channel"]], half(c)) in recorded)
        contacts = sum(counts.values())
        return {"team": team, "label": label,
                **{f"contacts_{h}": counts[p] if p in figured else None for p, h in halves.items()},
                "contacts": contacts, "share_pct": _percent(contacts, everyone),
                **{f"cases_{h}": received[p] for p, h in halves.items()},
                "cases": len(of_team), "relative_pct": _percent(measured, contacts)}

    by_team: dict[str | None, list[Row]] = defaultdict(list)
    for case in cases:
        by_team[case["team"]].append(case)
    position = {t.code: i for i, t in enumerate(tenant.teams)}
    unlisted = sorted(set(by_team) - set(volumes), key=lambda t: (position.get(t, len(position)), t or ""))
    table = Table(["team", "label", "contacts_h1", "contacts_h2", "contacts", "share_pct", "cases_h1", "cases_h2",
                   "cases", "relative_pct"])
    table.rows = [row(team, _label(tenant.teams, team), volumes[team], by_team[team])
                  for team in [*volumes, *unlisted]]
    table.rows.append(row("total", TOTAL[tenant.language], sum(volumes.values(), Counter()), cases))
    table.notes.append("Contacts are the tenant's own figures per half-year; a half-year it has none for shows "
                       "none, and its cases are left out of the relative %.")
    return table


def _contact_figures(tenant: Tenant, groups: set[str], periods: set[str]
                     ) -> tuple[dict[str | None, Counter[str]], set[tuple[str, str]]]:
    """The tenant's contact figures of these groups and half-years per team, in the order it lists them, and
    the (group, half-year)s it has figures for."""
    volumes: dict[str | None, Counter[str]] = defaultdict(Counter)
    recorded: set[tuple[str, str]] = set()
    for volume in tenant.contact_volumes:
        for period, contacts in volume.contacts.items():
            if volume.group in groups and period in periods:
                volumes[volume.team][period] += contacts
                recorded.add((volume.group, period))
    return volumes, recorded


def _percent(part: int, whole: int) -> float | None:
    """Part per 100 of whole to two decimals, a half rounded up as printed tables round (round() would round
    0.125 to even, 0.12)."""
    if not whole:
        return None
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP))



def satisfaction(cases: list[Row], tenant: Tenant, today: date, spec: PublishedTable, year: int | None) -> Table:
    """What complainants said of the handling through their tracking link, per kind: how many closed cases were
    rated, the ratings, how many said it was resolved, and the cases a low rating flagged or reopened."""
    table = Table(["signal_type", "label", "closed", "rated", "response_rate", "average", "1", "2", "3", "4", "5",
                   "resolved", "flagged", "reopened", "flagged_cases"])

    def row(code: str, label: str, of: list[Row]) -> Row:
        rated = [c for c in of if c["feedback_rating"] is not None]
        closed = sum(1 for c in of if c["closed_at"] is not None or c["feedback_rating"] is not None)
        ratings = [c["feedback_rating"] for c in rated]
        flagged = sorted(c["case_number"] for c in rated if c["feedback_calls_for"] == "flag")
        return {"signal_type": code, "label": label, "closed": closed, "rated": len(rated),
                "response_rate": _share(len(rated), closed),
                "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
                **{str(n): ratings.count(n) for n in range(1, 6)},
                "resolved": sum(1 for c in rated if c["feedback_resolved"]), "flagged": len(flagged),
                "reopened": sum(1 for c in rated if c["feedback_calls_for"] == "reopen"),
                "flagged_cases": " ".join(flagged)}

    for kind in tenant.signal_types:
        of = [c for c in cases if c["signal_type"] == kind.code]
        if of:
            table.rows.append(row(kind.code, kind.label, of))
    table.rows.append(row("total", TOTAL[tenant.language], cases))
    table.notes.append(f"Ratings are 1 (very poor) to 5 (very good), given within {tenant.feedback.period_days} "
                       f"days of the close; a rating of {tenant.feedback.low_rating} or lower marked not resolved "
                       f"is {'flagged for a manager' if tenant.feedback.when_not_resolved == 'flag' else 'reopened'}.")
    table.notes.append("A reopened case that was closed again counts its latest rating.")
    return table


TERMS_REPORT = "acknowledgement-and-admissibility"
TERM_COLUMNS = ["acknowledgements_due", "acknowledged_within", "acknowledged_late", "not_acknowledged",
                "acknowledgement_overdue", "decisions_due", "decided_within", "decided_late", "inadmissible",
                "not_decided", "decision_overdue"]


def terms(cases: list[Row], tenant: Tenant, today: date) -> Table:
    """Per month received, the two terms that run from receipt: acknowledgements the platform owed (decided for a
    complainant with an e-mail address), sent within the tenant's term or late, not sent (and of those, past their
    due day today); admissibility decisions owed (the signal types the tenant's term names), taken within the term
    or late (the investigation started, the case closed as inadmissible (also counted apart), answered or
    transferred first), not taken (and past due today). Not a published table: its own report."""
    rows = {m: Counter() for m in range(1, 13)}
    for case in cases:
        if case["part_of"] is None:
            _count_terms(rows[case["received_at"].month], case, today)
    table = Table(["month", "label", *TERM_COLUMNS])
    names = MONTHS.get(tenant.language, MONTHS["en"])
    table.rows = [{"month": m, "label": names[m - 1], **{c: rows[m][c] for c in TERM_COLUMNS}} for m in rows]
    table.rows.append({"month": "total", "label": TOTAL[tenant.language],
                       **{c: sum(r[c] for r in table.rows) for c in TERM_COLUMNS}})
    table.notes.append(f"Terms in the tenant's own counting from the day of receipt; overdue as of {today.isoformat()}."
                       " A complainant without an e-mail address gets no acknowledgement from the platform, so none "
                       "is due for their case here.")
    return table


def _count_terms(cell: Counter[str], case: Row, today: date) -> None:
    if (due := case["acknowledgement_due"]) is not None:
        sent = case["acknowledged_at"]
        cell["acknowledgements_due"] += 1
        cell["acknowledged_within" if sent and sent.date() <= due else "acknowledged_late" if sent
             else "not_acknowledged"] += 1
        cell["acknowledgement_overdue"] += sent is None and due < today
    if (due := case["admissibility_due"]) is not None:
        decided = case["admissibility_decided_at"]
        cell["decisions_due"] += 1
        cell["decided_within" if decided and decided.date() <= due else "decided_late" if decided
             else "not_decided"] += 1
        cell["inadmissible"] += case["admissibility"] == "inadmissible"
        cell["decision_overdue"] += decided is None and due < today


Report = Callable[[list[Row], Tenant, date, PublishedTable, int | None], Table]
REPORTS: dict[str, Report] = {
    "channels": channels, "kinds": kinds, "qualifications": qualifications, "keywords": keywords,
    "timeliness": timeliness, "within-days": within_days, "monthly": monthly, "quarters": quarters,
    "entity-months": entity_months, "admissibility": admissibility, "repeated": repeated,
    "relative-to-contacts": relative_to_contacts,  # the tenant's contact figures beside the cases
    "satisfaction": satisfaction,  # the complainants' ratings through their tracking link
}
# These count per team: a complaint split over several teams counts there as its parts, one per team.
PER_TEAM = frozenset({"relative-to-contacts"})
# Besides these, open-overdue and actions are counted by queries of their own (see the API). Every report
# takes the published table it computes (a report asked for by its name: every case, row and total) and
# the year it counts.


def compute(spec: PublishedTable, cases: list[Row], tenant: Tenant, today: date, year: int | None = None) -> Table:
    """The report `spec` names over the year's cases it counts, printed with the rows and totals it prints."""
    per_team = spec.report in PER_TEAM
    counted = [c for c in cases if (not spec.signal_types or c["signal_type"] in spec.signal_types)
               and not (spec.admissible_only and tenant.closes_early(c["qualification"] or ""))
               and (not c["parts"] if per_team else c["part_of"] is None)]
    table = REPORTS[spec.report](counted, tenant, today, spec, year)
    key = table.columns[0]
    if spec.rows:
        table.rows = [row for row in table.rows if row[key] in spec.rows or row[key] == "total"]
    if not spec.totals:
        table.rows = [row for row in table.rows if row[key] != "total"]
        table.columns = [column for column in table.columns if column != "total"]
        table.rows = [{k: v for k, v in row.items() if k != "total"} for row in table.rows]
    return table
