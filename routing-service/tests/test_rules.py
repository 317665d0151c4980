"""The seeded routing rules, as data: each rule, the default, the order, and what a rule change leaves alone."""

from pathlib import Path

import pytest
import yaml

from complaints.model.routing import choose_team
from complaints.model.tenants import BUNDLED, TenantFileError, load_file, load_tenants

T = load_tenants()


@pytest.mark.parametrize(("tenant", "facts", "team", "rule"), [
    ("brandweer", {"category": "facturatie"}, "financien", "billing-to-finance"),
    ("brandweer", {"category": "preventiedossier"}, "preventie", "prevention-to-prevention"),
    ("brandweer", {"channel": "sociale-media", "category": "overlast"}, "communicatie", "social-media-to-communication"),
    ("brandweer", {"category": "overlast"}, "communicatie", "default"),
    ("stad", {"district": "hoboken"}, "district-hoboken", "district-hoboken"),
    ("stad", {"channel": "sociale-media"}, "communicatie", "social-media-to-communication"),
    ("stad", {"category": "bibliotheek", "district": "hoboken"}, "tv-bib", "library"),  # business unit first
    ("zorgbedrijf", {"entity": "zorgbedrijf-brasschaat"}, "klantendienst", "entities-to-central-team"),
    ("politiezone", {"channel": "comite-p-aig"}, "klantenmanagement", "default"),
])
def test_each_seeded_rule_routes_to_its_team(tenant, facts, team, rule):
    base = {"channel": "e-mail", "signal_type": T[tenant].signal_types[0].code}
    route = choose_team(T[tenant], **{**base, **facts})
    assert (route.team, route.rule_id, route.config_version) == (team, rule, T[tenant].version)


def test_schools_send_cases_via_the_network_to_the_second_line():
    second = [r for r in T["onderwijs"].routing.rules if r.team == "tweede-lijn"]
    assert second, "the schools route some channels to the organisation"
    channel = second[0].channel[0]
    assert choose_team(T["onderwijs"], channel=channel, signal_type="klacht").team == "tweede-lijn"
    assert choose_team(T["onderwijs"], channel="e-mail", signal_type="klacht").team == "eerste-lijn"


def _variant(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((BUNDLED / "brandweer.yaml").read_text())
    change(data)
    path = tmp_path / "brandweer.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_the_first_matching_rule_wins(tmp_path: Path):
    def put_social_first(data):
        data["routing"]["rules"].insert(0, {"id": "all-social-to-finance", "channel": "sociale-media",
                                            "team": "financien"})
    tenant = load_file(_variant(tmp_path, put_social_first))
    assert choose_team(tenant, channel="sociale-media", signal_type="klacht").rule_id == "all-social-to-finance"


def test_a_rule_naming_an_unknown_code_is_refused_at_start_up(tmp_path: Path):
    def bad(data):
        data["routing"]["rules"].append({"id": "x", "category": "brandkranen", "team": "financien"})
    with pytest.raises(TenantFileError, match="routing.rules.3 .x.: unknown category"):
        load_file(_variant(tmp_path, bad))
