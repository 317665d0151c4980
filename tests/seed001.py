"""The counted tables of seed 001 (the agencies' yearly reports on 2023), as the seed prints them, and case
sets generated from them: deterministic, so that importing a set and asking for the report gives the table.

Each table is kept in the seed's own row order. Where the seed disagrees with itself, `ERRATA` says how,
and the tests expect the figure the cases give for that cell only.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from complaints.model.tenants import Tenant
from complaints.model.windows import add_days, counts, window_for

# --- the police zone (PZA): tables 1 to 5 ---------------------------------------------------------

POLICE_CHANNELS = {  # Tabel 1: Toegangskanalen dossiers, 2023
    "rechtstreeks-aan-km": 108, "e-loket": 445, "intern-pza": 130, "ombudsman": 61, "blauwe-lijn": 130,
    "islp-melding": 4, "korpschef": 21, "kabinet-burgemeester": 15, "comite-p-aig": 50,
    "andere-diensten-stad": 23, "andere": 47, "sociale-media": 10,
}
POLICE_CHANNELS_TOTAL = 1044

POLICE_KINDS = {  # Tabel 2: Aard dossier, 2023: (count, share %)
    "felicitatie": (159, 14.9), "klacht-politieoptreden": (715, 67.1), "melding-reguliere-werking": (99, 9.3),
    "suggestie": (12, 1.1), "vraag-om-informatie": (81, 7.6),
}
POLICE_KINDS_TOTAL = 1066

# Tabel 3: Afhandeling klacht politieoptreden per trefwoord: its twelve columns in the seed's order.
POLICE_OUTCOMES = (
    "gegrond-individuele-disfunctie", "gegrond-organisatorische-disfunctie", "ongegrond",
    "niet-ontvankelijk-onbevoegd", "niet-ontvankelijk-geen-concrete-gegevens",
    "niet-ontvankelijk-identificatie-onmogelijk", "bezwaarschriftprocedure-verkeer", "betwist",
    "afhandeling-intern-toezicht", "afhandeling-jur", "nog-in-onderzoek", "afhandeling-bemiddeling",
)
POLICE_OUTCOMES_BY_KEYWORD = {  # keyword: the twelve counts, then the row's total
    "geen-onvoldoende-gevolg": (16, 10, 88, 15, 2, 12, 0, 4, 8, 0, 1, 0, 156),
    "attitude": (12, 1, 82, 11, 2, 9, 2, 14, 4, 0, 1, 3, 141),
    "ambtsplichten-verkeer": (3, 2, 27, 23, 2, 2, 39, 2, 1, 0, 0, 1, 102),
    "schadegeval": (1, 1, 16, 5, 2, 3, 0, 0, 1, 19, 0, 0, 48),
    "ambtsplichten-gerechtelijk": (6, 2, 21, 4, 1, 3, 0, 1, 4, 0, 0, 0, 42),
    "wachttijd": (2, 19, 16, 0, 0, 0, 0, 0, 1, 0, 0, 0, 38),
    "geen-foute-onvolledige-informatie": (7, 0, 18, 3, 1, 2, 0, 0, 2, 1, 0, 1, 35),
    "ambtsplichten-bestuurlijk": (0, 0, 12, 0, 1, 4, 0, 0, 2, 3, 0, 0, 22),
    "geweld-disproportioneel": (0, 0, 8, 0, 1, 1, 0, 0, 4, 0, 0, 6, 20),
    "voorbeeldgedrag-verkeer": (7, 0, 5, 1, 0, 4, 0, 1, 0, 0, 0, 0, 18),
    "deontologie-integriteit": (0, 0, 8, 0, 1, 2, 0, 3, 1, 0, 0, 0, 15),
    "miskenning-aangifteplicht-intern": (1, 0, 4, 0, 0, 0, 0, 2, 7, 0, 0, 0, 14),
    "bereikbaarheid": (2, 3, 5, 1, 2, 1, 0, 0, 0, 0, 0, 0, 14),
    "racisme-discriminatie": (0, 0, 5, 1, 0, 2, 0, 0, 1, 0, 0, 0, 9),
    "woonstcontrole": (0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8),
    "miskenning-aangifteplicht-extern": (0, 0, 4, 1, 0, 0, 0, 0, 1, 0, 0, 0, 6),
    "schending-beroepsgeheim-discretieplicht-privacy": (0, 0, 3, 1, 0, 0, 0, 1, 1, 0, 0, 0, 6),
    "legitimatieplicht-politie": (2, 0, 2, 0, 0, 1, 0, 1, 0, 0, 0, 0, 6),
    "ander": (0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 1, 5),
    "gedrag-privelevenplicht-privacy": (0, 0, 2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 4),
    "politiebeleid": (0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 4),
    "bevoegdheidsoverschrijding": (0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1),
    "onrechtmatig-raadplegen-databanken": (0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1),
}
POLICE_OUTCOMES_TOTAL = (59, 38, 340, 70, 15, 47, 41, 29, 38, 24, 2, 12, 715)  # the TOTAAL row

POLICE_REPORTS = {  # Tabel 4: Meldingen reguliere werking per trefwoord, 2023 ((trefwoord, subtrefwoord): n)
    "algemeen": 18, "drugs": 5, "internetfraude": 0, "lopend-dossier": 8, "overlast-algemeen": 21,
    "overlast-horeca": 1, "overlast-jongeren": 5, "overlast-bedelaars": 0, "overlast-vuurwerk": 0,
    "sluikstorten": 4, "verkeer-algemeen": 16, "verkeer-evenementen": 0, "verkeer-infrastructuur": 2,
    "verkeer-parkeerdruk-overlast": 12, "verkeer-verkeersgedrag-fietsers": 6, "straatbeeld": 1,
}
POLICE_REPORTS_TOTAL = 99

POLICE_QUESTIONS = {"algemeen": 48, "lopend-dossier": 8, "openbaarheid-van-bestuur": 7, "verkeer": 18}  # Tabel 5
POLICE_QUESTIONS_TOTAL = 81

# --- the city schools: the handling time of signals -----------------------------------------------

SCHOOLS_TIMELINESS = {  # 3. Behandeltermijn: (signals, within, outside, average lead time in counted days)
    "klacht": (116, 86, 30, 17.3), "melding": (49, 39, 10, 12.3), "suggestie": (2, 2, 0, 4.0),
    "vraag": (48, 29, 19, 7.1),
}
SCHOOLS_TIMELINESS_TOTAL = (215, 156, 59, 13.8)
SCHOOLS_SHARES = {"klacht": 54, "melding": 23, "suggestie": 1, "vraag": 22}  # 4.1 Algemeen, whole per cent

ERRATA = {
    ("politiezone", "tabel-1", "total"): "Tabel 1 totals 1,044 dossiers, Tabel 2 1,066: 22 dossiers have no access "
                                         "channel in the register; they are counted as `onbekend`, a row of their own",
}


# --- generating the cases --------------------------------------------------------------------------

def _received(n: int, counted: Any = None) -> datetime:
    """The n-th case's receipt in 2023: spread over the year, on a day the tenant's windows count."""
    day = date(2023, 1, 2) + timedelta(days=(n * 7) % 340)
    while counted is not None and not counted(day):
        day += timedelta(days=1)
    return datetime.combine(day, time(9, 30), tzinfo=timezone.utc)


def _item(tenant: Tenant, n: int, **fields: Any) -> dict[str, Any]:
    return {"reference": f"{tenant.case_prefix}-2023-{n:05d}", "subject": f"Dossier {n}", "text": "Uit het register",
            **fields}


def police_cases(tenant: Tenant) -> list[dict[str, Any]]:
    """1,066 dossiers: Tabel 3's complaints by keyword and outcome, Tabel 4's and 5's by keyword, the
    compliments and suggestions; each given one of Tabel 1's channels (22 none, see ERRATA)."""
    dossiers: list[dict[str, Any]] = []
    for keyword, cells in POLICE_OUTCOMES_BY_KEYWORD.items():
        for outcome, count in zip(POLICE_OUTCOMES, cells):
            dossiers += [{"signal_type": "klacht-politieoptreden", "category": keyword, "qualification": outcome}
                         for _ in range(count)]
    for signal_type, keywords in (("melding-reguliere-werking", POLICE_REPORTS),
                                  ("vraag-om-informatie", POLICE_QUESTIONS)):
        dossiers += [{"signal_type": signal_type, "category": keyword}
                     for keyword, count in keywords.items() for _ in range(count)]
    for signal_type in ("felicitatie", "suggestie"):
        dossiers += [{"signal_type": signal_type} for _ in range(POLICE_KINDS[signal_type][0])]
    channels = [channel for channel, count in POLICE_CHANNELS.items() for _ in range(count)]
    channels += ["onbekend"] * (len(dossiers) - len(channels))
    random.Random(1).shuffle(channels)
    items = []
    for n, (dossier, channel) in enumerate(zip(dossiers, channels, strict=True)):
        received = _received(n)
        steps = {} if dossier.get("qualification") == "nog-in-onderzoek" else {
            "answered_at": (received + timedelta(days=12)).isoformat(),
            "closed_at": (received + timedelta(days=12)).isoformat()}
        items.append(_item(tenant, n, received_at=received.isoformat(), channel=channel,
                           team="klantenmanagement", **dossier, **steps))
    return items


def _leads(count: int, within: int, window: int, average: float) -> list[int]:
    """`count` lead times, `within` of them at most `window` days and the rest beyond it, whose mean rounds to
    `average` (one decimal): the outside ones one day late, the inside ones spread to make up the sum."""
    total = round(count * average)
    outside = [window + 1] * (count - within)
    left = total - sum(outside)
    inside = [left // within + (1 if i < left % within else 0) for i in range(within)] if within else []
    assert all(0 <= lead <= window for lead in inside), (count, within, window, average)
    leads = inside + outside
    assert round(sum(leads) / count, 1) == average
    return leads


def school_cases(tenant: Tenant) -> list[dict[str, Any]]:
    """215 signals answered with the lead times (in the schools' counting: without school holidays) that give
    the handling-time table: per signal type the count, within and outside the window and the average."""
    items = []
    n = 0
    for signal_type, (count, within, _, average) in SCHOOLS_TIMELINESS.items():
        window = window_for(tenant, signal_type)
        counted = counts(tenant.calendar, window.day_kind)
        qualification = {"qualification": "gegrond"} if tenant.qualifies(signal_type) else {}
        for lead in _leads(count, within, window.days, average):
            received = _received(n, counted)
            answered = datetime.combine(add_days(received.date(), lead, counted), time(15), tzinfo=timezone.utc)
            items.append(_item(tenant, n, received_at=received.isoformat(), channel="e-formulier",
                               signal_type=signal_type, answered_at=answered.isoformat(),
                               closed_at=answered.isoformat(), **qualification))
            n += 1
    return items


def batches(items: list[dict[str, Any]], size: int = 1000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- the care company: per entity and month, themes, answered within 14 and 20 days -------------------

CARE_ENTITY_MONTHS = {  # Aantal klachten en meldingen per entiteit 2023, January to December
    "zorgbedrijf-vlaanderen": (14, 18, 12, 4, 11, 13, 5, 7, 9, 11, 15, 8),
    "zorgbedrijf-brasschaat": (5, 3, 6, 4, 6, 10, 1, 0, 4, 2, 3, 5),
    "zorgbedrijf-antwerpen": (158, 140, 180, 142, 144, 161, 136, 191, 169, 159, 136, 115),
}
CARE_TOTAL = 2007  # "Zorgbedrijf registreerde 2007 klachten en meldingen in 2023"
CARE_THEMES = {  # Absolute aantallen van thema's, 2023 (the table leaves the other themes out)
    "vervoer": 16, "facturatie-debiteurenbeheer": 1083, "facilities": 89, "patrimoniumbeheer": 163,
    "planning": 82, "lde": 25,
}
CARE_WITHIN = {14: 36, 20: 42}  # % klachten binnen de 14 / 20 dagen opgelost, 2023 (whole per cent)


def care_cases(tenant: Tenant) -> list[dict[str, Any]]:
    """2,007 complaints and reports: per entity and month as the seed counts them, the six themes (the rest
    about care or other matters, which the theme table leaves out), and answered 722 within 14 days, 121 more
    within 20 and the rest after 30 (36 % and 42 % of 2,007)."""
    themes = [theme for theme, count in CARE_THEMES.items() for _ in range(count)]
    themes += ["zorg"] * 200 + ["overig"] * (CARE_TOTAL - len(themes) - 200)
    leads = [7] * 722 + [18] * 121 + [30] * (CARE_TOTAL - 843)
    random.Random(2).shuffle(themes)
    random.Random(3).shuffle(leads)
    received = [(entity, datetime(2023, month, 1 + k % 28, 9, 30, tzinfo=timezone.utc))
                for entity, months in CARE_ENTITY_MONTHS.items()
                for month, count in enumerate(months, start=1) for k in range(count)]
    items = []
    for n, ((entity, at), theme, lead) in enumerate(zip(received, themes, leads, strict=True)):
        answered = (at + timedelta(days=lead)).isoformat()
        items.append(_item(tenant, n, received_at=at.isoformat(), channel="webformulier", signal_type="klacht",
                           entity=entity, category=theme, qualification="ongegrond", answered_at=answered,
                           closed_at=answered))
    return items


# --- the housing company: quarters, themes with repeated complaints, channels, answered late -----------

HOUSING_QUARTERS = {"Q1": (132, 23), "Q2": (122, 21), "Q3": (141, 24), "Q4": (185, 32)}  # 2023: n, %
HOUSING_ADMISSIBLE = 580
HOUSING_THEMES = {"technisch": (423, 24), "administratief": (107, 5), "leefbaarheid": (50, 5)}  # all, repeated
HOUSING_NOT_ADMISSIBLE = 703  # "Onontvankelijke klachten + meldingen": 4 inadmissible complaints, 699 others
HOUSING_TOTAL = 1283
HOUSING_CHANNELS = {  # 2023: n, % (whole per cent; the column adds up to 100)
    "vlaamse-ombudsdienst": (24, 4), "ombudsman": (83, 14), "huurdersbond": (25, 4), "e-mail": (165, 29),
    "webformulier": (235, 41), "brief": (12, 2), "interne-melding": (36, 6),
}
HOUSING_LATE = (130, 22.4)  # "130 klachten (22,4%) werd niet tijdig beantwoord"

ERRATA[("woonhaven", "kanalen", "e-mail")] = (
    "29 % for 165 of 580 (28.4 %): the seed rounds its whole per cents so that they add up to 100, as the "
    "report does (largest remainders up); not a misprint, but not plain rounding either")


def housing_cases(tenant: Tenant) -> list[dict[str, Any]]:
    """1,283 signals: 580 admissible complaints (per quarter, theme, channel; 130 answered late; 34 by a
    complainant who had complained before that year), 4 inadmissible complaints and 699 questions and
    reports, which the complaints team passes on unjudged."""
    size = HOUSING_ADMISSIBLE
    # Dates rise with the index, so a complainant's first complaint (low index) comes before the repeat.
    starts = []
    for q, (count, _) in enumerate(HOUSING_QUARTERS.values()):
        starts += [(q, k, count) for k in range(count)]
    received = [datetime(2023, 3 * q + 1, 1, 9, 30, tzinfo=timezone.utc) + timedelta(days=int(k * 88 / count))
                for q, k, count in starts]
    repeats = [theme for theme, (_, again) in HOUSING_THEMES.items() for _ in range(again)]
    firsts = range(len(repeats))  # the repeaters' first complaints: technical ones in the first weeks
    seconds = range(300, 300 + len(repeats))
    rest = [theme for theme, (count, _) in HOUSING_THEMES.items() for _ in range(count)]
    for theme in ["technisch"] * len(repeats) + repeats:
        rest.remove(theme)
    random.Random(4).shuffle(rest)
    themes = list(rest)
    for index in firsts:
        themes.insert(index, "technisch")
    for index, theme in zip(seconds, repeats):
        themes.insert(index, theme)
    channels = [channel for channel, (count, _) in HOUSING_CHANNELS.items() for _ in range(count)]
    late = [True] * HOUSING_LATE[0] + [False] * (size - HOUSING_LATE[0])
    random.Random(5).shuffle(channels)
    random.Random(6).shuffle(late)
    items = []
    for n in range(size):
        person = n if n < len(repeats) else n - 300 if 300 <= n < 300 + len(repeats) else None
        answered = (received[n] + timedelta(days=35 if late[n] else 10)).isoformat()
        items.append(_item(tenant, n, received_at=received[n].isoformat(), channel=channels[n],
                           signal_type="klacht", category=themes[n], qualification="ongegrond",
                           answered_at=answered, closed_at=answered,
                           **({"complainant": {"name": f"Huurder {person}", "email": f"huurder{person}@example.be"}}
                              if person is not None else {})))
    others = [("klacht", "niet-ontvankelijk")] * 4 + [("vraag", None)] * 350 + [("melding", None)] * 349
    for n, (signal_type, qualification) in enumerate(others, start=size):
        at = _received(n)
        answered = (at + timedelta(days=5)).isoformat()
        items.append(_item(tenant, n, received_at=at.isoformat(), channel="e-mail", signal_type=signal_type,
                           answered_at=answered, closed_at=answered,
                           **({"qualification": qualification} if qualification else {})))
    return items
