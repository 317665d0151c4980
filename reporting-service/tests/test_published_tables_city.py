"""The city's counted tables of seed 001 for 2023 (2.2 Click, 2.3 Call), cell for cell: its complaints per
customer team against the team's contacts, from cases imported through the public import API and the contact
figures in the city's file.

One database and one intake and reporting for the module; the city's case set (seed001_city.py) is imported
once, in batches of 1,000, and both tables are read from the running projection. The report itself is also
specified on a few hand-made rows, without the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

import pytest

from complaints.model.tenants import ContactVolume, PublishedTable, load_tenants
from reporting.reports import relative_to_contacts
from tests import seed001_city as seed
from tests.published import Published, running

T = load_tenants()


@pytest.fixture(scope="module")
def city(postgres, broker) -> Iterator[Published]:
    for published in running(postgres, broker, "city"):
        published.load("stad", seed.city_cases(T["stad"]))
        yield published


def cells(table: dict[str, Any], table_id: str, printed: dict[str, tuple], columns: tuple[str, ...],
          total: dict[str, Any]) -> tuple[dict, dict]:
    """The table's cells the seed prints, and the seed's figures with its errata corrected, row by row."""
    rows = {row["team"]: row for row in table["rows"]}
    got = {team: {c: rows[team][c] for c in columns} for team in printed}
    want = {team: {c: seed.expected(table_id, team, c, v) for c, v in zip(columns, figures)}
            for team, figures in printed.items()}
    got["total"] = {c: rows["total"][c] for c in total}
    want["total"] = {c: seed.expected(table_id, "total", c, v) for c, v in total.items()}
    return got, want


def test_click_digital_complaints_per_team_against_its_digital_contacts_every_cell(city: Published):
    table = city.table("stad", "klik-klantenteams")
    assert table["title"] == "2.2. Click"
    assert [r["team"] for r in table["rows"]] == [*seed.CLICK, "total"], "the seed's row order, then the total"
    got, want = cells(table, "klik-klantenteams", seed.CLICK, seed.CLICK_COLUMNS, seed.CLICK_TOTAL)
    assert got == want
    # The half-years the total row leaves blank, from the cases and figures too.
    total = table["rows"][-1]
    assert (total["contacts_h1"], total["contacts_h2"], total["cases_h1"], total["cases_h2"]) == \
        (101038, 122826, 883, 1767)


def test_call_phone_complaints_per_team_against_the_calls_answered_for_it_every_cell(city: Published):
    table = city.table("stad", "bel-klantenteams")
    assert table["title"] == "2.3. Call"
    assert [r["team"] for r in table["rows"]] == [*seed.CALL, "total"], "the seed's row order, then the total"
    got, want = cells(table, "bel-klantenteams", seed.CALL, seed.CALL_COLUMNS, seed.CALL_TOTAL)
    assert got == want
    # The contact centre records a call's team since July 2023: the first half-year has no figure.
    assert {r["contacts_h1"] for r in table["rows"]} == {None}


def test_every_erratum_is_a_cell_the_figures_contradict(city: Published):
    """An erratum excuses a printed cell only where the cases and contacts give another figure."""
    tables = {t: {r["team"]: r for r in city.table("stad", t)["rows"]} for t, _, _ in seed.ERRATA}
    for (table, row, column), (printed, corrected, _) in seed.ERRATA.items():
        assert tables[table][row][column] == corrected != printed, (table, row, column)


def test_the_city_tables_take_any_year(city: Published):
    total = city.table("stad", "klik-klantenteams", year=2022)["rows"]
    assert total == [{"team": "total", "label": "Total", "contacts_h1": None, "contacts_h2": None, "contacts": 0,
                      "share_pct": None, "cases_h1": 0, "cases_h2": 0, "cases": 0, "relative_pct": None}]


# --- the report on hand-made rows --------------------------------------------------------------------

def _case(team: str | None, channel: str, month: int, signal_type: str = "klacht") -> dict[str, Any]:
    return {"team": team, "channel": channel, "signal_type": signal_type,
            "received_at": datetime(2023, month, 15, tzinfo=timezone.utc)}


def group(code: str) -> PublishedTable:
    return PublishedTable(id=code, title=code, report="relative-to-contacts", channel_group=code)


def test_a_half_year_without_contact_figures_shows_none_and_its_complaints_stay_out_of_the_relative_share():
    cases = [_case("bz", "telefoon", 3), *[_case("bz", "telefoon", 9)] * 8]
    rows = relative_to_contacts(cases, T["stad"], date(2024, 1, 1), group("call"), 2023).rows
    bz = next(r for r in rows if r["team"] == "bz")
    assert (bz["contacts_h1"], bz["contacts_h2"], bz["cases_h1"], bz["cases_h2"], bz["cases"]) == (None, 715, 1, 8, 9)
    assert bz["relative_pct"] == 1.12  # 8 of 715, not 9


def test_cases_over_other_channels_do_not_count_and_a_team_without_figures_follows_the_listed_ones():
    cases = [_case("communicatie", "sociale-media", 5), _case("bz", "brief", 5), _case("bz", "balie", 10)]
    rows = relative_to_contacts(cases, T["stad"], date(2024, 1, 1), group("click"), 2023).rows
    assert [r["team"] for r in rows][-2:] == ["communicatie", "total"]
    assert (rows[-2]["cases"], rows[-2]["contacts"], rows[-2]["relative_pct"]) == (1, 0, None)
    assert rows[-1]["cases"] == 1


def test_shares_round_half_up_as_printed_and_the_total_is_counted_not_summed_from_rounded_rows():
    tenant = T["stad"].model_copy(update={"contact_volumes": [
        ContactVolume(group="click", team="bz", contacts={"2023-H1": 800}),
        ContactVolume(group="click", team="fi", contacts={"2023-H1": 600})]})
    cases = [_case("bz", "e-mail", 2)] + [_case("fi", "e-mail", 2)] * 3
    rows = {r["team"]: r for r in relative_to_contacts(cases, tenant, date(2024, 1, 1), group("click"),
                                                          2023).rows}
    assert rows["bz"]["relative_pct"] == 0.13  # 1 of 800 is 0.125: half up, not to even (0.12)
    assert rows["bz"]["share_pct"] == 57.14 and rows["fi"]["share_pct"] == 42.86
    assert (rows["total"]["contacts"], rows["total"]["share_pct"], rows["total"]["relative_pct"]) == (1400, 100.0, 0.29)
    assert rows["total"]["contacts_h2"] is None  # no figure for any team: the half-year is not recorded
