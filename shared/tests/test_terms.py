"""The two terms before the answer's window: the acknowledgement and the admissibility decision (pure rules)."""

from datetime import date, datetime, timezone

import pytest

from complaints.model.complaint import Complaint
from complaints.model.tenants import BUNDLED as TENANTS_DIR
from complaints.model.tenants import Term, TenantFileError, load_file, load_tenants
from complaints.model.windows import term_due

AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)  # a Monday
TENANTS = load_tenants()


def received(tenant: str = "brandweer", **overrides) -> Complaint:
    fields = dict(tenant=tenant, actor="intake", occurred_at=AT, config_version="1", case_number="X-1",
                  channel="e-mail", signal_type="klacht", subject="s", text="t")
    case = Complaint(**{**fields, **overrides})
    case.route(team="communicatie", rule_id="default", config_version="1", actor="system:routing", at=AT)
    return case


def test_every_tenant_gives_the_decrees_ten_days_to_decide_on_admissibility_of_its_complaints():
    for tenant in TENANTS.values():
        assert (tenant.admissibility_window.days, tenant.admissibility_window.day_kind) == (10, "calendar")
    assert TENANTS["politiezone"].admissibility_window.signal_types == ("klacht-politieoptreden",)
    assert not TENANTS["stad"].admissibility_window.runs_for("vraag")


def test_the_care_company_acknowledges_on_the_day_of_receipt_and_so_is_never_warned():
    due = term_due(TENANTS["zorgbedrijf"], TENANTS["zorgbedrijf"].acknowledgement_window, received=AT.date())
    assert (due.due, due.warn_on) == (AT.date(), None)


def test_a_ten_day_term_is_due_ten_calendar_days_after_receipt_and_warns_three_days_before():
    due = term_due(TENANTS["brandweer"], TENANTS["brandweer"].admissibility_window, received=AT.date())
    assert (due.due, due.warn_on) == (date(2026, 3, 12), date(2026, 3, 9))


def test_a_short_term_never_warns_on_the_day_it_starts():
    due = term_due(TENANTS["brandweer"], Term(days=1), received=AT.date())
    assert (due.due, due.warn_on) == (date(2026, 3, 3), date(2026, 3, 3))


def test_a_term_naming_an_unknown_signal_type_is_refused_naming_the_field(tmp_path):
    text = (TENANTS_DIR / "brandweer.yaml").read_text().replace("signal_types: [klacht]}", "signal_types: [klachtt]}")
    (tmp_path / "brandweer.yaml").write_text(text)
    with pytest.raises(TenantFileError, match="admissibility_window: unknown signal types"):
        load_file(tmp_path / "brandweer.yaml")


def test_the_admissibility_term_stops_when_the_investigation_starts_and_its_events_are_recorded_once():
    case = received()
    assert case.term_running("admissibility")
    assert case.warn_term(term="admissibility", due_date=date(2026, 3, 12), actor="q", at=AT)
    assert not case.warn_term(term="admissibility", due_date=date(2026, 3, 12), actor="q", at=AT)
    assert case.breach_term(term="admissibility", due_date=date(2026, 3, 12), actor="q", at=AT)
    assert not case.breach_term(term="admissibility", due_date=date(2026, 3, 12), actor="q", at=AT)
    case.start_investigation(actor="h", at=AT)
    assert (case.admissibility, case.admissibility_decided_at) == ("admissible", AT)
    assert not case.term_running("admissibility")
    assert not case.breach_term(term="admissibility", due_date=date(2026, 3, 13), actor="q", at=AT)
    replayed = None
    for e in case.collect_events():
        replayed = e.mutate(replayed)
    assert replayed.admissibility == "admissible"
    assert replayed.deadline_events == ["admissibility:approaching:2026-03-12", "admissibility:breached:2026-03-12"]


def test_an_inadmissible_close_is_the_reasoned_notice_that_stops_the_admissibility_term():
    case = received()
    case.close_early(qualification="niet-ontvankelijk-onbevoegd", reason="not ours", forward_to=None,
                     config_version="1", actor="h", at=AT)
    assert case.admissibility == "inadmissible"
    assert not case.warn_term(term="admissibility", due_date=date(2026, 3, 12), actor="q", at=AT)


def test_a_qualification_on_the_merits_settles_admissibility_and_an_answer_without_either_does_too():
    qualified, answered = received(), received(signal_type="vraag")
    qualified.qualify(qualification="ongegrond", config_version="1", actor="h", at=AT)
    answered.draft_answer(text="a", channel="post", actor="h", at=AT, qualified=False)
    answered.send_answer(steps=[], footer=None, actor="h", at=AT)
    assert (qualified.admissibility, answered.admissibility) == ("qualified", "answered")
    assert not qualified.term_running("admissibility") and not answered.term_running("admissibility")


def test_the_acknowledgement_term_runs_from_its_decision_until_it_is_sent():
    case = received()
    assert not case.term_running("acknowledgement")  # nothing decided: no acknowledgement owed by the platform
    case.decide_message(message_id="m1", kind="acknowledgement", channel="e-mail", language="nl", actor="d", at=AT)
    assert case.term_running("acknowledgement")
    assert case.warn_term(term="acknowledgement", due_date=AT.date(), actor="q", at=AT)
    case.record_sent(message_id="m1", reply="250 ok", actor="d", at=AT)
    assert case.acknowledged_at == AT
    assert not case.breach_term(term="acknowledgement", due_date=AT.date(), actor="q", at=AT)
