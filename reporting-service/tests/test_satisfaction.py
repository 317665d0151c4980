"""The satisfaction report from the projected rows (pure): ratings per kind, the response rate over closed
cases, and the cases a low rating flagged for a manager."""

from datetime import date, datetime, timezone

from complaints.model.tenants import PublishedTable, load_tenants
from reporting.projection import EMPTY_ROW, changes, received_row
from reporting.reports import compute

T = load_tenants()
AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Event:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def row(number: int, signal_type: str, *, closed: bool = True, rating: int | None = None, resolved: bool = True,
        calls_for: str | None = None) -> dict:
    received = received_row(Event(originator_id=f"c{number}", tenant="brandweer", case_number=f"BZA-2026-{number:04}",
                                  channel="e-mail", signal_type=signal_type, category=None, entity=None, district=None,
                                  subject="s", occurred_at=AT, complainant=None))
    current = {**EMPTY_ROW, **received}
    if closed:
        current.update(changes(current, "Closed", Event(occurred_at=AT, reason="answered"), None))
    if rating is not None:
        current.update(changes(current, "FeedbackGiven", Event(rating=rating, resolved=resolved, calls_for=calls_for,
                                                               occurred_at=AT), None))
    return current


def test_ratings_per_kind_with_the_response_rate_and_the_flagged_cases():
    cases = [row(1, "klacht", rating=1, resolved=False, calls_for="flag"), row(2, "klacht", rating=5),
             row(3, "klacht"), row(4, "klacht", closed=False), row(5, "vraag", rating=3, resolved=False)]
    table = compute(PublishedTable(id="satisfaction", title="satisfaction", report="satisfaction"), cases,
                    T["brandweer"], date(2026, 12, 1), 2026)
    by = {r["signal_type"]: r for r in table.rows}
    assert by["klacht"] == {**by["klacht"], "closed": 3, "rated": 2, "response_rate": 66.7, "average": 3.0,
                            "1": 1, "5": 1, "resolved": 1, "flagged": 1, "reopened": 0,
                            "flagged_cases": "BZA-2026-0001"}
    assert by["total"] == {**by["total"], "closed": 4, "rated": 3, "average": 3.0, "3": 1, "flagged": 1}
    assert "flagged for a manager" in table.notes[0]
