"""Seed 001's counted tables for 2023, cell for cell, from cases imported through the public import API.

One database and one intake and reporting for the module; each tenant's case set (seed001.py) is imported
once, in batches of 1,000, and every table of that tenant is read from the running projection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from complaints.model.tenants import load_tenants
from tests.published import Published, running

from tests import seed001 as seed

T = load_tenants()


@pytest.fixture(scope="module")
def published(postgres, broker) -> Iterator[Published]:
    yield from running(postgres, broker, "published")


def rows_by(table: dict[str, Any], key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in table["rows"]}


# --- the police zone -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def police(published: Published) -> Published:
    published.load("politiezone", seed.police_cases(T["politiezone"]))
    return published


def test_police_table_1_channels(police: Published):
    table = police.table("politiezone", "tabel-1")
    assert table["title"] == "Tabel 1: Toegangskanalen dossiers"
    rows = rows_by(table, "channel")
    assert [r["channel"] for r in table["rows"]][:12] == list(seed.POLICE_CHANNELS), "the seed's row order"
    assert {c: rows[c]["cases"] for c in seed.POLICE_CHANNELS} == seed.POLICE_CHANNELS
    # Erratum: the seed's total (1,044) leaves out the 22 dossiers without a channel (see seed001.ERRATA).
    assert rows["onbekend"]["cases"] == seed.POLICE_KINDS_TOTAL - seed.POLICE_CHANNELS_TOTAL
    assert rows["total"]["cases"] == seed.POLICE_KINDS_TOTAL


def test_police_table_2_kinds_of_dossier(police: Published):
    table = police.table("politiezone", "tabel-2")
    assert [r["signal_type"] for r in table["rows"]] == [*seed.POLICE_KINDS, "total"]
    rows = rows_by(table, "signal_type")
    assert {k: (rows[k]["cases"], rows[k]["share_pct"]) for k in seed.POLICE_KINDS} == seed.POLICE_KINDS
    assert (rows["total"]["cases"], rows["total"]["share_pct"]) == (seed.POLICE_KINDS_TOTAL, 100.0)


def test_police_table_3_has_the_twelve_published_outcomes_in_order_and_every_cell(police: Published):
    table = police.table("politiezone", "tabel-3")
    assert table["columns"] == ["category", "label", *seed.POLICE_OUTCOMES, "total"]
    rows = rows_by(table, "category")
    assert [r["category"] for r in table["rows"]] == [*seed.POLICE_OUTCOMES_BY_KEYWORD, "total"]
    for keyword, cells in [*seed.POLICE_OUTCOMES_BY_KEYWORD.items(), ("total", seed.POLICE_OUTCOMES_TOTAL)]:
        assert tuple(rows[keyword][c] for c in (*seed.POLICE_OUTCOMES, "total")) == cells, keyword


def test_police_table_4_reports_per_keyword_and_sub_keyword(police: Published):
    table = police.table("politiezone", "tabel-4")
    assert [r["category"] for r in table["rows"]] == [*seed.POLICE_REPORTS, "total"]
    rows = rows_by(table, "category")
    assert {k: rows[k]["cases"] for k in seed.POLICE_REPORTS} == seed.POLICE_REPORTS
    assert rows["total"]["cases"] == seed.POLICE_REPORTS_TOTAL
    assert (rows["overlast-horeca"]["group"], rows["algemeen"]["group"]) == ("Overlast", None)


def test_police_table_5_requests_for_information(police: Published):
    table = police.table("politiezone", "tabel-5")
    assert [r["category"] for r in table["rows"]] == [*seed.POLICE_QUESTIONS, "total"]
    rows = rows_by(table, "category")
    assert {k: rows[k]["cases"] for k in seed.POLICE_QUESTIONS} == seed.POLICE_QUESTIONS
    assert rows["total"]["cases"] == seed.POLICE_QUESTIONS_TOTAL


def test_the_tables_take_any_year(police: Published):
    assert police.table("politiezone", "tabel-3", year=2022)["rows"][-1]["total"] == 0


# --- the city schools --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def schools(published: Published) -> Published:
    published.load("onderwijs", seed.school_cases(T["onderwijs"]))
    return published


def test_schools_handling_time_per_signal_type_with_the_total_row_from_the_cases(schools: Published):
    table = schools.table("onderwijs", "behandeltermijn")
    assert [r["signal_type"] for r in table["rows"]] == [*seed.SCHOOLS_TIMELINESS, "total"]
    rows = rows_by(table, "signal_type")
    for kind, cells in [*seed.SCHOOLS_TIMELINESS.items(), ("total", seed.SCHOOLS_TIMELINESS_TOTAL)]:
        row = rows[kind]
        assert (row["cases"], row["answered_within"], row["answered_outside"], row["average_lead_time_days"]) \
            == cells, kind


def test_schools_signals_per_kind_as_shares(schools: Published):
    rows = rows_by(schools.table("onderwijs", "signalen"), "signal_type")
    assert {k: round(rows[k]["share_pct"]) for k in seed.SCHOOLS_SHARES} == seed.SCHOOLS_SHARES
    assert rows["total"]["cases"] == seed.SCHOOLS_TIMELINESS_TOTAL[0]


# --- the care company --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def care(published: Published) -> Published:
    published.load("zorgbedrijf", seed.care_cases(T["zorgbedrijf"]))
    return published


def test_care_cases_per_entity_and_month(care: Published):
    table = care.table("zorgbedrijf", "per-entiteit")
    months = [f"m{m:02d}" for m in range(1, 13)]
    assert table["columns"] == ["entity", "label", *months], "no total column: the seed prints none"
    assert {r["entity"]: tuple(r[m] for m in months) for r in table["rows"]} == seed.CARE_ENTITY_MONTHS
    assert [r["entity"] for r in table["rows"]] == list(seed.CARE_ENTITY_MONTHS)


def test_care_new_cases_per_month(care: Published):
    new = [r["new"] for r in care.table("zorgbedrijf", "per-maand")["rows"]]
    assert new == [sum(months[m] for months in seed.CARE_ENTITY_MONTHS.values()) for m in range(12)]
    assert sum(new) == seed.CARE_TOTAL


def test_care_themes_only_the_six_the_seed_prints(care: Published):
    table = care.table("zorgbedrijf", "themas")
    assert [(r["category"], r["cases"]) for r in table["rows"]] == list(seed.CARE_THEMES.items())


def test_care_answered_within_14_and_20_days(care: Published):
    rows = care.table("zorgbedrijf", "binnen-14-en-20-dagen")["rows"]
    assert {r["within_days"]: r["share_pct"] for r in rows} == seed.CARE_WITHIN
    assert {r["cases"] for r in rows} == {seed.CARE_TOTAL}


# --- the housing company -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def housing(published: Published) -> Published:
    published.load("woonhaven", seed.housing_cases(T["woonhaven"]))
    return published


def test_housing_admissible_complaints_per_quarter(housing: Published):
    rows = rows_by(housing.table("woonhaven", "per-kwartaal"), "quarter")
    assert {q: (rows[q]["cases"], rows[q]["share_pct"]) for q in seed.HOUSING_QUARTERS} == seed.HOUSING_QUARTERS
    assert rows["total"]["cases"] == seed.HOUSING_ADMISSIBLE


def test_housing_themes_with_repeated_complaints_and_what_was_not_admissible(housing: Published):
    table = housing.table("woonhaven", "per-thema")
    assert [r["category"] for r in table["rows"]] == [*seed.HOUSING_THEMES, "admissible", "not-admissible", "total"]
    rows = rows_by(table, "category")
    assert {t: (rows[t]["cases"], rows[t]["repeated"]) for t in seed.HOUSING_THEMES} == seed.HOUSING_THEMES
    assert (rows["admissible"]["cases"], rows["admissible"]["repeated"]) == (seed.HOUSING_ADMISSIBLE, 34)
    assert rows["not-admissible"]["cases"] == seed.HOUSING_NOT_ADMISSIBLE
    assert rows["total"]["cases"] == seed.HOUSING_TOTAL


def test_housing_admissible_complaints_per_channel_in_whole_per_cents_adding_up_to_100(housing: Published):
    table = housing.table("woonhaven", "kanalen")
    assert [r["channel"] for r in table["rows"]] == [*seed.HOUSING_CHANNELS, "total"]
    rows = rows_by(table, "channel")
    assert {c: (rows[c]["cases"], rows[c]["share_pct"]) for c in seed.HOUSING_CHANNELS} == seed.HOUSING_CHANNELS


def test_housing_share_answered_late(housing: Published):
    rows = rows_by(housing.table("woonhaven", "tijdigheid"), "signal_type")
    assert (rows["klacht"]["answered_outside"], rows["klacht"]["answered_outside_pct"]) == seed.HOUSING_LATE
    assert rows["total"]["cases"] == seed.HOUSING_ADMISSIBLE
