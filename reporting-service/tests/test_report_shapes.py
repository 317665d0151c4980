"""How a published table is printed, as pure functions: no database needed."""

from datetime import date, datetime, timezone
from typing import get_args

from complaints.model.tenants import PublishedTable, load_tenants
from reporting.reports import REPORTS, _shares, compute

T = load_tenants()
TODAY = date(2024, 1, 15)


def case(**fields):
    return {"channel": "e-mail", "signal_type": "klacht", "category": "technisch", "qualification": None,
            "received_at": datetime(2023, 5, 1, tzinfo=timezone.utc), "complainant_key": None,
            "part_of": None, "parts": 0, **fields}


def test_shares_of_a_whole_add_up_to_exactly_100_rounding_the_largest_remainders_up():
    assert _shares([24, 83, 25, 165, 235, 12, 36], 0) == [4, 14, 4, 29, 41, 2, 6]  # the housing company's
    assert _shares([159, 715, 99, 12, 81], 1) == [14.9, 67.1, 9.3, 1.1, 7.6]  # the police zone's Tabel 2
    assert _shares([1, 1, 1], 1) == [33.4, 33.3, 33.3] and _shares([0, 0], 0) == [0.0, 0.0]


def test_every_report_a_tenant_file_may_name_exists():
    assert set(get_args(PublishedTable.model_fields["report"].annotation)) == set(REPORTS)


def test_a_table_prints_only_its_rows_and_no_totals_when_it_prints_none():
    spec = PublishedTable(id="t", title="t", report="channels", rows=("e-mail",), totals=False)
    table = compute(spec, [case(), case(channel="brief")], T["woonhaven"], TODAY)
    assert [r["channel"] for r in table.rows] == ["e-mail"]


def test_admissible_only_leaves_out_the_cases_closed_as_inadmissible():
    spec = PublishedTable(id="t", title="t", report="channels", admissible_only=True)
    table = compute(spec, [case(), case(qualification="niet-ontvankelijk")], T["woonhaven"], TODAY)
    assert table.rows[-1] == {"channel": "total", "label": "Total", "cases": 1, "share_pct": 100.0}


def test_a_repeated_complaint_is_one_whose_complainant_complained_before_that_year():
    cases = [case(complainant_key="a", received_at=datetime(2023, 1, 2, tzinfo=timezone.utc)),
             case(complainant_key="a", category="leefbaarheid"), case(complainant_key="b"),
             case(signal_type="vraag", category=None)]
    rows = {r["category"]: r for r in compute(PublishedTable(id="t", title="t", report="admissibility"), cases,
                                              T["woonhaven"], TODAY).rows}
    assert (rows["leefbaarheid"]["repeated"], rows["technisch"]["repeated"]) == (1, 0)
    assert (rows["admissible"]["cases"], rows["not-admissible"]["cases"], rows["total"]["cases"]) == (3, 1, 4)


def test_a_complaint_about_three_teams_counts_once_per_complaint_and_once_per_team_in_a_per_team_table():
    city = T["stad"]
    complaint = case(case_id="c", team="mpa", channel="e-loket", parts=3)
    parts = [case(case_id=f"c/{n}", team=team, channel="e-loket", part_of="c")
             for n, team in enumerate(("mpa", "os-loketten", "sb-ophaaldiensten"), 1)]
    alone = case(case_id="d", team="mpa", channel="e-loket")
    channels = compute(PublishedTable(id="t", title="t", report="channels"), [complaint, *parts, alone], city, TODAY)
    assert next(r for r in channels.rows if r["channel"] == "total")["cases"] == 2
    per_team = compute(PublishedTable(id="t", title="t", report="relative-to-contacts"), [complaint, *parts, alone],
                       city, TODAY, 2023)
    cases = {row["team"]: row["cases"] for row in per_team.rows}
    assert cases["mpa"] == 2 and cases["os-loketten"] == 1 and cases["sb-ophaaldiensten"] == 1


def test_a_table_in_dutch_prints_the_tenants_dutch_labels_and_totaal():
    from complaints.model.tenants import in_language
    fire = in_language(T["brandweer"], "nl")
    table = compute(PublishedTable(id="t", title="t", report="channels"), [case()], fire, TODAY)
    e_mail = next(c for c in T["brandweer"].channels if c.code == "e-mail")
    assert [r["label"] for r in table.rows] == [e_mail.nl, "Totaal"] and e_mail.nl != e_mail.label
