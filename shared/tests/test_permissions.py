"""The permission policy, pure: callers × actions × states, with the tenants' own rules.

No I/O: cases are built with the aggregate's own commands, callers by hand. The
first tests walk every combination and check the policy's invariants; the
tables after them say exactly what each caller is offered in the states that
matter (the care company's two approvals, the fire zone without approvals).
"""

from datetime import datetime, timezone
from itertools import product

import pytest

from complaints.application.callers import Caller
from complaints.application.permissions import (ACTION_PATHS, CASE_ACTIONS, Forbidden, allowed_actions, authorize,
                                                ensure_may_assign, may_see_change, queue_team, read_refusal,
                                                refusal)
from complaints.model.complaint import ALLOWED, CommandRefused, Complaint, NotPermitted
from complaints.model.tenants import load_tenants
from complaints.model.windows import due_date

AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
TENANTS = load_tenants()
ZB, BZA = TENANTS["zorgbedrijf"], TENANTS["brandweer"]


def person(name: str, role: str, tenant: str = "zorgbedrijf", team: str | None = None) -> Caller:
    return Caller("person", name, frozenset({tenant}), frozenset({role}), team)


# The care company: one team (klantendienst); approvals by a manager, then a director.
ZB_PEOPLE = {
    "author": person("an", "handler", team="klantendienst"),
    "colleague": person("bo", "handler", team="klantendienst"),
    "other-team": person("eva", "handler", team="elders"),
    "no-team": person("nel", "handler"),
    "manager": person("cas", "manager"),
    "second-manager": person("mia", "manager"),
    "director": person("dirk", "director"),
    "auditor": person("fien", "auditor"),
    "sender": Caller("system", "e-loket", frozenset({"zorgbedrijf"}), frozenset({"intake"})),
    "other-system": Caller("system", "contactcenter", frozenset({"zorgbedrijf"}), frozenset({"intake"})),
}


def case_of(tenant=ZB, team: str | None = "klantendienst", upto: str = "routed") -> Complaint:
    """A case of `tenant` taken to the state `upto` by the aggregate's own commands (author: `an`)."""
    case = Complaint(tenant=tenant.id, actor="system:e-loket", occurred_at=AT, config_version=tenant.version,
                     case_number="X-2026-0001", channel=tenant.channels[0].code, signal_type="klacht",
                     subject="Factuur", text="Te hoog")
    steps = ["routed", "investigating", "awaiting-information", "qualified", "drafted", "approved-once",
             "approved", "answered", "closed"]
    if upto == "received":
        return case
    wanted = steps.index(upto)
    case.route(team=team, rule_id="default", config_version=tenant.version, actor="system:routing", at=AT)
    case.start_clock(due=due_date(tenant, signal_type="klacht", start=AT.date()), started_on=AT.date(),
                     actor="system:qualification", at=AT)
    actions = [
        lambda: case.start_investigation(actor="user:an", at=AT),
        lambda: case.request_information(question="?", pauses_clock=True, actor="user:an", at=AT),
        lambda: (case.receive_information(summary="!", moved_due_date=None, actor="user:an", at=AT),
                 case.qualify(qualification="gegrond", config_version="1", actor="user:an", at=AT)),
        lambda: case.draft_answer(text="Excuses", channel="post", actor="user:an", at=AT),
        lambda: case.approve(steps=tenant.codes("approvals"), actor="user:cas", at=AT),
        lambda: case.approve(steps=tenant.codes("approvals"), actor="user:dirk", at=AT),
        lambda: case.send_answer(steps=tenant.codes("approvals"), footer=None, actor="user:an", at=AT),
        lambda: case.close(reason="answered", actor="user:an", at=AT),
    ]
    for step in actions[:wanted]:
        step()
    return case


STATES = ["received", "routed", "investigating", "awaiting-information", "qualified", "drafted", "approved-once",
          "approved", "answered", "closed"]


def names(caller: Caller, case: Complaint, tenant=ZB) -> list[str]:
    return [a.name for a in allowed_actions(caller, case, tenant)]


# --- invariants over every caller, action and state ------------------------------------------------
@pytest.mark.parametrize(("who", "state"), list(product(ZB_PEOPLE, STATES)))
def test_allowed_actions_are_exactly_the_actions_the_policy_lets_through(who, state):
    caller, case = ZB_PEOPLE[who], case_of(upto=state)
    offered = names(caller, case)
    for action in CASE_ACTIONS:
        assert (action in offered) == (refusal(caller, action, case, ZB) is None), action
    assert set(offered) <= set(ALLOWED[case.status])  # never an action the state forbids
    for link in allowed_actions(caller, case, ZB):  # names match the paths they stand for
        assert link.href == f"/v1/tenants/zorgbedrijf/complaints/{case.id}/{ACTION_PATHS.get(link.name, link.name)}"
        assert link.method == CASE_ACTIONS[link.name]


@pytest.mark.parametrize(("who", "state"), list(product(["auditor", "sender", "other-system", "other-team",
                                                          "no-team"], STATES)))
def test_who_may_not_act_is_refused_for_who_they_are_in_every_state(who, state):
    caller, case = ZB_PEOPLE[who], case_of(upto=state)
    assert names(caller, case) == []
    for action in CASE_ACTIONS:
        assert refusal(caller, action, case, ZB).status == 403, action


# --- what each caller is offered -------------------------------------------------------------------------
ROUTED = ["investigation", "notes", "information-requests", "category", "extension", "qualification",
          "close-inadmissible", "transfer", "actions", "assign"]  # one team: no reroute
DRAFTED_WORK = ["notes", "extension", "qualification", "answer-draft", "actions", "assign"]


@pytest.mark.parametrize(("who", "state", "expected"), [
    ("author", "received", []),  # not routed yet: for managers
    ("manager", "received", ["notes", "category", "close-inadmissible", "transfer", "actions"]),
    ("author", "routed", ROUTED),
    ("manager", "routed", ROUTED),
    ("director", "routed", []),  # a director gives an approval step, nothing else
    ("author", "awaiting-information", ["notes", "information-received", "extension", "close-inadmissible",
                                        "transfer", "actions", "assign"]),
    ("author", "drafted", DRAFTED_WORK),  # a handler approves nothing here; the answer awaits approval
    ("colleague", "drafted", DRAFTED_WORK),
    ("manager", "drafted", [*DRAFTED_WORK, "approvals"]),
    ("director", "drafted", []),  # the first step is the manager's
    ("manager", "approved-once", DRAFTED_WORK),  # one step per person
    ("second-manager", "approved-once", DRAFTED_WORK),  # the second step is the director's
    ("director", "approved-once", ["approvals"]),
    ("author", "approved", [*DRAFTED_WORK, "answer"]),  # only now may the answer be sent
    ("director", "approved", []),
    ("author", "answered", ["notes", "close", "reopen", "actions", "assign"]),
    ("manager", "closed", ["reopen", "actions"]),  # an action may follow up on a closed case
])
def test_the_care_company_offers_each_caller_exactly_their_next_actions(who, state, expected):
    assert sorted(names(ZB_PEOPLE[who], case_of(upto=state))) == sorted(expected)


def test_the_fire_zone_needs_no_approval_and_extends_no_window():
    handler = person("jo", "handler", "brandweer", "communicatie")
    drafted = case_of(BZA, team="communicatie", upto="drafted")
    assert sorted(names(handler, drafted, BZA)) == sorted(["notes", "qualification", "answer-draft", "answer",
                                                           "actions", "assign"])
    routed = case_of(BZA, team="communicatie")
    assert "extension" not in names(handler, routed, BZA) and "reroute" in names(handler, routed, BZA)


def test_after_a_reroute_the_new_team_acts_and_the_old_one_no_longer_does():
    case = case_of(BZA, team="communicatie")
    case.reroute(team="financien", reason="factuur", rule_id=None, config_version="1", actor="user:x", at=AT)
    old, new = person("jo", "handler", "brandweer", "communicatie"), person("fé", "handler", "brandweer", "financien")
    assert names(old, case, BZA) == [] and "investigation" in names(new, case, BZA)


# --- refusing: 403 for who, 409 for the state --------------------------------------------------------
def test_one_manager_cannot_give_both_approval_steps_nor_the_author_any():
    case = case_of(upto="drafted")
    with pytest.raises(Forbidden):
        authorize(ZB_PEOPLE["director"], "approvals", case, ZB)  # not the director's step yet
    authorize(ZB_PEOPLE["manager"], "approvals", case, ZB)
    case.approve(steps=ZB.codes("approvals"), actor="user:cas", at=AT)
    with pytest.raises(Forbidden, match="director"):
        authorize(ZB_PEOPLE["manager"], "approvals", case, ZB)
    with pytest.raises(NotPermitted):  # the aggregate holds the rule too, whoever asks
        case.approve(steps=ZB.codes("approvals"), actor="user:cas", at=AT)
    author_as_director = person("an", "director")
    with pytest.raises(Forbidden, match="author"):
        authorize(author_as_director, "approvals", case, ZB)


def test_sending_before_the_last_approval_is_a_409_listing_what_the_caller_may_do():
    case = case_of(upto="approved-once")
    with pytest.raises(CommandRefused) as refused:
        authorize(ZB_PEOPLE["author"], "answer", case, ZB)
    assert "goedkeuring-directeur-klantbeleving" in str(refused.value)
    assert refused.value.status == "drafted" and sorted(refused.value.allowed) == sorted(DRAFTED_WORK)
    assert case.next_approval_step(ZB.codes("approvals")) == "goedkeuring-directeur-klantbeleving"


# --- reading -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("who", "team", "readable"), [
    ("author", "klantendienst", True), ("other-team", "klantendienst", False), ("no-team", "klantendienst", False),
    ("author", None, False), ("manager", None, True), ("director", "klantendienst", True),
    ("auditor", "klantendienst", True), ("sender", "klantendienst", True), ("other-system", "klantendienst", False),
])
def test_who_reads_a_case(who, team, readable):
    assert (read_refusal(ZB_PEOPLE[who], team=team, received_by="system:e-loket") is None) is readable


def test_a_handler_sees_only_their_own_teams_queue_and_needs_a_team_claim():
    assert queue_team(ZB_PEOPLE["author"], None) == "klantendienst"
    assert queue_team(ZB_PEOPLE["manager"], "elders") == "elders"
    with pytest.raises(Forbidden):
        queue_team(ZB_PEOPLE["author"], "elders")
    with pytest.raises(Forbidden, match="team"):
        queue_team(ZB_PEOPLE["no-team"], None)


def test_the_state_machine_is_one_table():
    """The projection asks the model for each event's state: every state a case can reach is in ALLOWED."""
    from complaints.model.complaint import OPEN_STATES, STATUS_AFTER
    assert set(STATUS_AFTER.values()) | set(OPEN_STATES) <= set(ALLOWED)


def test_a_part_is_worked_by_its_team_and_its_complaint_waits_for_it():
    fire = load_tenants()["brandweer"]
    complaint = Complaint(tenant="brandweer", actor="intake", occurred_at=AT, config_version="1",
                          case_number="BZA-1", channel="e-mail", signal_type="klacht", subject="s", text="t")
    complaint.route(team="communicatie", rule_id="r", config_version="1", actor="r", at=AT)
    coordinator, preventie = person("jo", "handler", "brandweer", "communicatie"), person(
        "an", "handler", "brandweer", "preventie")
    assert "parts" in names(coordinator, complaint, fire)
    [part] = complaint.split(parts=[("preventie", "Alarm")], config_version="1", actor="jo", at=AT)
    assert sorted(names(preventie, part, fire)) == ["actions", "assign", "category", "investigation", "notes",
                                                    "qualification"]
    assert names(coordinator, part, fire) == []  # another team's part
    assert "answer-draft" not in names(coordinator, complaint, fire)
    assert refusal(coordinator, "answer-draft", complaint, fire).reason.endswith("team(s) preventie")


# --- who works it ---------------------------------------------------------------------------------------
def test_a_handler_takes_an_unassigned_case_of_their_team_for_themselves_only():
    case, an = case_of(), ZB_PEOPLE["author"]
    assert "assign" in names(an, case) and "unassign" not in names(an, case)
    with pytest.raises(Forbidden, match="for themselves"):
        ensure_may_assign(an, "bo")
    ensure_may_assign(an, "an")
    authorize(an, "assign", case, ZB)
    case.assign(assignee="an", actor="user:an", at=AT)
    assert case.assignee == "an"
    assert "unassign" in names(an, case) and "assign" not in names(an, case)
    # A colleague still works the case (the assignment is whose work it is, not a lock), but neither takes
    # it over nor gives it back: that is the assignee's or a manager's.
    colleague = ZB_PEOPLE["colleague"]
    assert "investigation" in names(colleague, case)
    assert refusal(colleague, "assign", case, ZB).status == 403
    assert refusal(colleague, "unassign", case, ZB).status == 403
    assert refusal(an, "assign", case, ZB).status == 409


def test_a_manager_assigns_anyone_and_takes_anyones_case_back():
    case, manager = case_of(), ZB_PEOPLE["manager"]
    ensure_may_assign(manager, "bo")
    case.assign(assignee="bo", actor="user:cas", at=AT)
    assert {"assign", "unassign"} <= set(names(manager, case))
    with pytest.raises(CommandRefused, match="already"):
        case.assign(assignee="bo", actor="user:cas", at=AT)
    case.assign(assignee="an", actor="user:cas", at=AT)
    case.unassign(actor="user:cas", at=AT)
    assert case.assignee is None and refusal(manager, "unassign", case, ZB).status == 409


def test_a_reroute_clears_the_assignment_so_nobody_of_the_old_team_holds_the_case():
    case = case_of(BZA, team="communicatie")
    case.assign(assignee="jo", actor="user:jo", at=AT)
    case.reroute(team="financien", reason="factuur", rule_id=None, config_version="1", actor="user:x", at=AT)
    assert case.assignee is None
    jo = person("jo", "handler", "brandweer", "communicatie")
    assert refusal(jo, "unassign", case, BZA).status == 403  # no longer their team's case


def test_nobody_is_assigned_before_routing_nor_after_the_close():
    assert "assign" not in ALLOWED["received"] and "assign" not in ALLOWED["closed"]
    closed = case_of(upto="closed")
    assert refusal(ZB_PEOPLE["manager"], "assign", closed, ZB).status == 409


def test_a_change_is_shown_to_whoever_may_read_the_case_before_or_after_it():
    people = ZB_PEOPLE
    # A reroute from klantendienst to elders: both teams see it leave and arrive; an unrouted case is managers'.
    assert may_see_change(people["author"], ("klantendienst", "elders"))
    assert may_see_change(people["other-team"], ("klantendienst", "elders"))
    assert not may_see_change(people["other-team"], ("klantendienst",))
    assert not may_see_change(people["author"], (None,)) and may_see_change(people["manager"], (None,))
    assert not may_see_change(people["no-team"], ("klantendienst",))
    assert may_see_change(people["auditor"], ("klantendienst",)) and may_see_change(people["director"], ())
    with pytest.raises(Forbidden):
        queue_team(people["author"], "elders", "follow-changes")
    with pytest.raises(Forbidden):
        queue_team(people["sender"], None, "follow-changes")
