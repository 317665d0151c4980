"""Response windows over the tenants' calendars (the `holidays` package), and their properties."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.model.tenants import Calendar, load_tenants
from complaints.model.windows import add_days, counts, days_between, due_date, lead_time, paused

TENANTS = load_tenants()


def test_city_complaint_is_due_21_working_days_later_skipping_weekends_holidays_and_closing_days():
    # 20 Dec 2023: Christmas (public), 26 Dec (the city's closing day), New Year and four weekends in between.
    due = due_date(TENANTS["stad"], signal_type="klacht", start=date(2023, 12, 20))
    assert (due.due, due.days, due.day_kind) == (date(2024, 1, 23), 21, "working")


def test_city_window_started_on_friday_skips_the_weekend():
    assert due_date(TENANTS["stad"], signal_type="klacht", start=date(2023, 3, 3)).due == date(2023, 4, 3)


def test_school_complaint_is_due_28_days_later_excluding_school_holidays():
    # The Flemish spring break 2023 (20-26 February) does not count.
    due = due_date(TENANTS["onderwijs"], signal_type="klacht", start=date(2023, 2, 15))
    assert due.due == date(2023, 3, 22)


@pytest.mark.parametrize(("signal_type", "days"), [("vraag", 8), ("suggestie", 14), ("melding", 21), ("klacht", 28)])
def test_school_windows_outside_holidays_are_plain_days(signal_type, days):
    start = date(2023, 9, 4)  # the school year has begun; the autumn break starts on 30 October
    assert due_date(TENANTS["onderwijs"], signal_type=signal_type, start=start).due == start + timedelta(days=days)


def test_school_question_received_just_before_the_christmas_break_waits_for_it():
    # 22 Dec 2023 (Friday): the Christmas break runs 25 Dec - 7 Jan, so 8 days end on 13 Jan.
    assert due_date(TENANTS["onderwijs"], signal_type="vraag", start=date(2023, 12, 22)).due == date(2024, 1, 13)


def test_fire_zone_counts_plain_calendar_days_over_weekends_and_holidays():
    assert due_date(TENANTS["brandweer"], signal_type="klacht", start=date(2023, 12, 20)).due == date(2024, 1, 19)


def test_care_company_complaint_is_due_in_14_days_and_may_be_extended_to_20():
    tenant = TENANTS["zorgbedrijf"]
    assert due_date(tenant, signal_type="klacht", start=date(2023, 5, 1)).due == date(2023, 5, 15)
    assert due_date(tenant, signal_type="klacht", start=date(2023, 5, 1), days=20).due == date(2023, 5, 21)
    assert tenant.window_for("klacht").extendable_to == 20


def test_no_window_goes_beyond_the_45_day_ceiling():
    for tenant in TENANTS.values():
        for window in tenant.windows:
            due = due_date(tenant, signal_type=window.signal_type, start=date(2023, 6, 1), days=90)
            assert due.days == 45 and due.due <= due.ceiling


def test_a_pause_moves_the_due_date_by_the_counted_days_waited():
    tenant = TENANTS["stad"]
    due = due_date(tenant, signal_type="klacht", start=date(2023, 3, 1))  # due 30 March
    moved = paused(tenant, signal_type="klacht", due=due.due, ceiling=due.ceiling, paused_from=date(2023, 3, 6),
                   resumed_on=date(2023, 3, 13))
    assert (due.due, moved) == (date(2023, 3, 30), date(2023, 4, 6))  # five working days later


def test_the_lead_time_of_a_school_case_leaves_out_the_holidays():
    # Received 15 Feb, answered 1 Mar: 14 calendar days, 7 of them in the spring break.
    assert lead_time(TENANTS["onderwijs"], signal_type="klacht", received=date(2023, 2, 15), answered=date(2023, 3, 1)) == 7


# --- properties ------------------------------------------------------------------------------------
CALENDARS = st.sampled_from([TENANTS["stad"].calendar, TENANTS["onderwijs"].calendar, Calendar()])
KINDS = st.sampled_from(["calendar", "working"])
STARTS = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(calendar=CALENDARS, kind=KINDS, start=STARTS, days=st.integers(1, 45))
def test_a_due_date_is_after_its_start_and_on_a_day_that_counts(calendar, kind, start, days):
    counted = counts(calendar, kind)
    due = add_days(start, days, counted)
    assert due > start and counted(due)
    assert days_between(start, due, counted) == days
    if kind == "working":
        assert due.weekday() < 5


@given(calendar=CALENDARS, kind=KINDS, start=STARTS, days=st.integers(1, 44))
def test_a_longer_window_is_never_due_earlier(calendar, kind, start, days):
    counted = counts(calendar, kind)
    assert add_days(start, days, counted) < add_days(start, days + 1, counted)


@given(tenant=st.sampled_from(list(TENANTS.values())), start=STARTS, extra=st.integers(1, 200),
       wait=st.integers(0, 120), pause_after=st.integers(0, 30))
def test_no_pause_or_extension_goes_beyond_the_ceiling(tenant, start, extra, wait, pause_after):
    window = tenant.windows[0]
    extended = due_date(tenant, signal_type=window.signal_type, start=start, days=window.days + extra)
    assert extended.due <= extended.ceiling
    paused_from = start + timedelta(days=pause_after)
    moved = paused(tenant, signal_type=window.signal_type, due=extended.due, ceiling=extended.ceiling,
                   paused_from=paused_from, resumed_on=paused_from + timedelta(days=wait))
    assert extended.due <= moved <= extended.ceiling
