"""The city's counted tables in seed 001 (its first-line complaint report on 2023: 2.2 Click and 2.3 Call), as
the seed prints them, and the case set they are counted from: deterministic, so that importing the set and
asking for a table gives the table.

Each table is kept in the seed's own row order, by the team code of `stad.yaml` (the printed name beside it).
The contacts are the city's own figures, in `stad.yaml`; the complaints are the cases below. Where the seed
disagrees with itself, `ERRATA` says how, and the tests expect the figure the cases and contacts give for that
cell only.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from complaints.model.tenants import Tenant

from tests.seed001 import _item

CLICK_COLUMNS = ("contacts_h1", "contacts_h2", "contacts", "share_pct", "cases_h1", "cases_h2", "cases",
                 "relative_pct")
CLICK = {  # 2.2. Click: handled digital contacts Q1-Q2, Q3-Q4, total, %; digital complaints Q1-Q2, Q3-Q4, total, rel. %
    "stedelijk-contactcenter": (0, 856, 856, 0.38, 0, 7, 7, 0.82),  # 1e lijn Stedelijk contactcenter
    "bz": (120, 134, 254, 0.11, 3, 7, 10, 3.94),  # 2e lijn BZ
    "fi": (422, 374, 796, 0.36, 7, 6, 13, 1.63),
    # FI/buiten contr. aansprakelijk
    "fi-buitencontractuele-aansprakelijkheid": (697, 783, 1480, 0.66, 47, 53, 100, 6.76),
    "mv": (2839, 3075, 5914, 2.64, 29, 37, 66, 1.12),
    "mv-fietshandhaving": (1647, 1930, 3577, 1.60, 1, 7, 8, 0.22),
    "os": (2064, 1411, 3475, 1.55, 47, 60, 107, 3.08),
    "os-loketten-identiteit": (1533, 1683, 3216, 1.44, 14, 19, 33, 1.03),
    "os-loketten-leven": (1167, 1345, 2512, 1.12, 4, 24, 28, 1.11),
    "os-loketten-migratie": (4796, 4538, 9334, 4.17, 42, 43, 85, 0.91),
    "os-loketten-nationaliteit": (261, 310, 571, 0.26, 5, 2, 7, 1.23),
    "os-loketten-rijbewijzen": (482, 503, 985, 0.44, 6, 18, 24, 2.44),
    "os-loketten-wonen": (1889, 1752, 3641, 1.63, 25, 79, 104, 2.86),
    "mpa": (1890, 2733, 4623, 4.07, 64, 162, 226, 4.89),
    "mpa-lez": (143, 92, 235, 0.10, 5, 5, 10, 4.26),
    "p-en-o": (369, 367, 736, 0.33, 5, 5, 10, 1.36),
    "sb": (5209, 7563, 12772, 5.71, 102, 202, 304, 2.38),
    "sb-sorteerstraten": (909, 4438, 5347, 2.39, 18, 29, 47, 0.88),
    "sb-afvalstickers": (476, 921, 1397, 0.62, 8, 10, 18, 1.29),
    "sb-ophaaldiensten": (59903, 71278, 131181, 58.60, 17, 27, 44, 0.03),
    "sb-schadedossiers": (20, 7, 27, 0.01, 0, 0, 0, 0.00),
    "sb-recyclageparken": (14, 176, 190, 0.08, 0, 0, 0, 0.00),
    "sb-graffiti": (1618, 713, 2331, 1.04, 2, 4, 6, 0.26),
    "sd": (1323, 1829, 3152, 1.14, 24, 34, 58, 1.84),
    "sw": (4755, 4884, 9639, 4.31, 252, 469, 721, 7.48),
    "sw-mobiliteit": (137, 152, 289, 0.13, 5, 13, 18, 6.23),
    "tv": (541, 456, 997, 0.45, 19, 33, 52, 5.22),
    "tv-bib": (70, 99, 169, 0.08, 2, 1, 3, 1.78),
    "district-antwerpen": (1570, 2717, 4287, 1.92, 56, 141, 197, 4.60),  # district AN
    "district-berchem": (527, 735, 1262, 0.56, 14, 71, 85, 6.74),  # district BE
    "district-berendrecht-zandvliet-lillo": (258, 287, 545, 0.24, 6, 30, 36, 6.61),  # district BEZALI
    "district-borgerhout": (603, 694, 1297, 0.58, 2, 11, 13, 1.00),  # district BO
    "district-deurne": (729, 911, 1640, 0.73, 8, 70, 78, 4.76),  # district DE
    "district-ekeren": (394, 497, 891, 0.40, 3, 17, 20, 2.24),  # district EK
    "district-hoboken": (568, 798, 1366, 0.61, 8, 14, 22, 1.61),  # district HO
    "district-merksem": (582, 909, 1491, 0.67, 15, 12, 27, 1.81),  # district ME
    "district-wilrijk": (513, 876, 1389, 0.62, 18, 45, 63, 4.54),  # district WI
}
# "Totaal 223,864 1,00 2.650 1,18": the only cells its total row prints (the half-years are left blank).
CLICK_TOTAL = {"contacts": 223864, "share_pct": 1.00, "cases": 2650, "relative_pct": 1.18}

CALL_COLUMNS = ("contacts_h2", "cases_h2", "relative_pct")
CALL = {  # 2.3. Call: calls answered by the contact centre Q3-Q4; phone complaints per handling team Q3-Q4; rel %
    "bz": (715, 8, 1.12),  # BZ/BZ
    "districten": (204, 1, 0.49),
    "fi-buitencontractuele-aansprakelijkheid": (91, 2, 2.20),
    "mv": (283, 5, 1.77),
    "mv-fietshandhaving": (137, 3, 2.19),
    "os": (27, 1, 3.70),
    "os-loketten": (13113, 30, 0.23),
    "os-loketten-identiteit": (17349, 130, 0.75),
    "os-loketten-leven": (6168, 53, 0.86),
    "os-loketten-migratie": (8364, 16, 0.19),
    "os-loketten-nationaliteit": (3161, 10, 0.32),
    "os-loketten-wonen": (8731, 62, 0.71),
    "os-a-kaart": (508, 2, 0.39),
    "p-en-o": (129, 1, 0.78),
    "sb": (6163, 20, 0.32),
    "sb-afvalstickers": (493, 2, 0.41),
    "sb-ophaaldiensten": (4931, 75, 1.52),
    "sb-recyclageparken": (2480, 11, 0.44),
    "sb-sorteerstraten": (1556, 10, 0.64),  # SB/sorteerstraat
    "sd": (1721, 7, 0.41),
    "mpa": (12372, 57, 0.46),
    "mpa-lez": (443, 2, 0.45),
    "sw": (1731, 10, 0.58),
    "sw-mobiliteit": (458, 3, 0.66),
    "tv": (18, 1, 5.56),
    "tv-bib": (1635, 10, 0.61),
}
CALL_TOTAL = {"contacts_h2": 92981, "cases_h2": 532, "relative_pct": 0.57}  # Totaal 92.981 532 0,57

# (table, row, column): (as printed, what the cases and contacts give, why). Every other printed cell of both
# tables agrees with the rest of the table: each row's half-years add up to its total, every share and rel. %
# is its counts rounded half up to two decimals, and the total rows are the sums of the rows. (Besides the
# cells: the Click header reads "behandelde digitale contracten" for contacten.)
ERRATA = {
    ("klik-klantenteams", "mpa", "share_pct"): (
        4.07, 2.07, "4,623 of 223,864 contacts is 2.065 %: the first digit is wrong (the printed shares add up to "
                    "101.75 %, with 2,07 and 1,41 to 100.02 %)"),
    ("klik-klantenteams", "sd", "share_pct"): (
        1.14, 1.41, "3,152 of 223,864 contacts is 1.408 %; 1,14 swaps the two decimals"),
    ("klik-klantenteams", "total", "share_pct"): (
        1.00, 100.0, "the total's share is printed as a fraction (1,00) in a column of per cents"),
    ("klik-klantenteams", "total", "contacts"): (
        "223,864", 223864, "printed with a comma, the seed's decimal mark, for its thousands separator; the rows "
                           "add up to 223,864 contacts, which the report's text prints 223.864"),
}


def expected(table: str, row: str, column: str, printed: Any) -> Any:
    """The cell as the tests expect it: the printed figure, or the one an erratum gives instead."""
    return ERRATA[(table, row, column)][1] if (table, row, column) in ERRATA else printed


# --- generating the cases --------------------------------------------------------------------------

HALVES = {1: date(2023, 1, 1), 2: date(2023, 7, 1)}
# Cases neither table counts: questions over a digital channel, complaints by letter and at the desk.
NOT_COUNTED = (("vraag", "e-mail"), ("klacht", "brief"), ("klacht", "balie"))


def _in_half(half: int, n: int) -> datetime:
    """The n-th case's receipt within the half-year of 2023 (January-June: 1, July-December: 2)."""
    start = HALVES[half]
    length = ((HALVES[2] if half == 1 else date(2024, 1, 1)) - start).days
    return datetime.combine(start + timedelta(days=(n * 7) % length), time(9, 30), tzinfo=timezone.utc)


def city_cases(tenant: Tenant) -> list[dict[str, Any]]:
    """2,650 digital complaints (Click's counts per team and half-year, spread over its channels), 532 phone
    complaints in the second half (Call's), and a few cases neither table counts; each received, routed to its
    team and still open."""
    groups = {g.code: g.channels for g in tenant.channel_groups}
    cases: list[tuple[str, int, str, str]] = []  # team, half-year, signal type, channel
    for team, cells in CLICK.items():
        cases += [(team, half, "klacht", groups["click"][i % len(groups["click"])])
                  for half, count in ((1, cells[4]), (2, cells[5])) for i in range(count)]
    for team, (_, count, _) in CALL.items():
        cases += [(team, 2, "klacht", "telefoon")] * count
    cases += [(team, 1 + i % 2, *NOT_COUNTED[i % len(NOT_COUNTED)]) for i, team in enumerate(list(CLICK)[::4])]
    return [_item(tenant, n, received_at=_in_half(half, n).isoformat(), channel=channel, signal_type=kind,
                  team=team) for n, (team, half, kind, channel) in enumerate(cases)]
