"""Tenant rules as data: routing, windows, case numbers and the tenant files themselves."""

from datetime import date
from pathlib import Path

import pytest

from complaints.model.case_numbers import CaseNumbers
from complaints.model.routing import choose_team
from complaints.model.tenants import TenantFileError, load_file, load_tenants
from complaints.model.windows import due_date

TENANT_IDS = {"stad", "politiezone", "brandweer", "onderwijs", "zorgbedrijf", "woonhaven"}


def test_the_six_tenants_ship_as_valid_files():
    assert set(load_tenants()) == TENANT_IDS


def test_fire_zone_billing_complaints_go_to_finance():
    route = choose_team(load_tenants()["brandweer"], channel="e-mail", signal_type="klacht", category="facturatie")
    assert (route.team, route.rule_id) == ("financien", "billing-to-finance")


def test_fire_zone_social_media_goes_to_communication():
    route = choose_team(load_tenants()["brandweer"], channel="sociale-media", signal_type="klacht", category=None)
    assert route.team == "communicatie"


def test_a_case_no_rule_matches_goes_to_the_default_team_with_its_version():
    tenant = load_tenants()["brandweer"]
    route = choose_team(tenant, channel="telefoon", signal_type="vraag", category="overlast")
    assert (route.team, route.rule_id, route.config_version) == ("communicatie", "default", tenant.version)


def test_school_complaint_is_due_28_calendar_days_later():
    due = due_date(load_tenants()["onderwijs"], signal_type="klacht", start=date(2023, 3, 1))
    assert (due.due, due.days) == (date(2023, 3, 29), 28)


def test_case_numbers_count_up_per_tenant_and_year():
    numbers = CaseNumbers(tenant="brandweer", year=2023, prefix="BZA")
    assert [numbers.issue() for _ in range(3)] == ["BZA-2023-0001", "BZA-2023-0002", "BZA-2023-0003"]
    assert CaseNumbers.id_for("brandweer", 2023) != CaseNumbers.id_for("brandweer", 2024)


def test_a_bad_tenant_file_names_the_file_the_tenant_and_the_field(tmp_path: Path):
    bad = tmp_path / "brandweer.yaml"
    text = (Path(__file__).parents[1] / "complaints/tenants/brandweer.yaml").read_text()
    bad.write_text(text.replace("days: 30", "days: 90", 1))
    with pytest.raises(TenantFileError) as error:
        load_file(bad)
    message = str(error.value)
    assert str(bad) in message and "'brandweer'" in message and "windows.0" in message and "ceiling" in message


def test_a_rule_naming_an_unknown_team_is_refused(tmp_path: Path):
    bad = tmp_path / "brandweer.yaml"
    text = (Path(__file__).parents[1] / "complaints/tenants/brandweer.yaml").read_text()
    bad.write_text(text.replace("team: financien", "team: brandweerkazerne"))
    with pytest.raises(TenantFileError, match="brandweerkazerne"):
        load_file(bad)
