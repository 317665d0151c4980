"""Contact volumes as tenant data: the channel groups contacts are counted over, and each team's figures."""

from pathlib import Path

import pytest

from complaints.model.tenants import TenantFileError, load_file, load_tenants

STAD = Path(__file__).parents[1] / "complaints/tenants/stad.yaml"


def _with(tmp_path: Path, old: str, new: str) -> Path:
    text = STAD.read_text()
    assert old in text
    bad = tmp_path / "stad.yaml"
    bad.write_text(text.replace(old, new, 1))
    return bad


def test_the_city_counts_digital_contacts_and_calls_in_two_groups_with_figures_per_team_and_half_year():
    city = load_tenants()["stad"]
    assert {g.code: g.channels for g in city.channel_groups}["call"] == ("telefoon",)
    first = city.contact_volumes[0]
    assert (first.group, first.team, first.contacts) == ("click", "stedelijk-contactcenter",
                                                         {"2023-H1": 0, "2023-H2": 856})


@pytest.mark.parametrize("old, new, named", [
    ("team: sd, contacts: {2023-H2: 1721}", "team: sociale-dienst, contacts: {2023-H2: 1721}", "sociale-dienst"),
    ("{group: call, team: sd,", "{group: bellen, team: sd,", "bellen"),
    ("team: sd, contacts: {2023-H2: 1721}", "team: sd, contacts: {2023-Q3: 1721}", "contact_volumes"),
    ("team: sd, contacts: {2023-H2: 1721}", "team: sd, contacts: {2023-H2: -1}", "contact_volumes"),
    ("channels: [telefoon]", "channels: [telefoon, e-mail]", "one group at most"),
    ("channels: [telefoon]", "channels: [fax]", "fax"),
    ("channel_group: call}", "channel_group: bellen}", "bellen"),
    ("report: relative-to-contacts, signal_types: [klacht],\n     channel_group: call",
     "report: kinds, signal_types: [klacht],\n     channel_group: call", "does not count contacts"),
])
def test_contact_figures_and_groups_must_name_the_tenants_own_codes(tmp_path: Path, old: str, new: str, named: str):
    with pytest.raises(TenantFileError, match=named):
        load_file(_with(tmp_path, old, new))


def test_a_team_has_one_figure_per_group_and_half_year(tmp_path: Path):
    line = "  - {group: call, team: sd, contacts: {2023-H2: 1721}}\n"
    with pytest.raises(TenantFileError, match="second figure for 2023-H2"):
        load_file(_with(tmp_path, line, line + line))
