"""The one permission policy: who may do what, on which case, now.

Pure: a caller, a case and the tenant's rules in; allowed, or a `Refusal` that
says why. A refusal for *who* is asking is a 403 (`Forbidden`); one for the
case's *state* or its tenant's rules is a 409 (`CommandRefused`). The same
function answers both the command (refuse or go on) and `allowed_actions` (every
action it would let through), so the list a caller is shown is exactly what
that caller may do next.

Reads follow the same rules: handlers read their team's cases (after a
reroute, the new team's; a case not yet routed is for managers), managers,
directors and auditors the tenant's, a calling system only the cases it sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from complaints.application.callers import Caller
from complaints.model.complaint import (ALLOWED, CommandRefused, Complaint, needs_qualification_first,
                                        refused_for_parts)
from complaints.model.roles import PERSON_ROLES, SYSTEM_ROLES
from complaints.model.tenants import Tenant
from complaints.model.tracking import COMPLAINANT
from complaints.model.windows import window_for

# Every action on a case, named as its path (`/v1/tenants/{t}/complaints/{id}/{name}`), with its method.
CASE_ACTIONS: dict[str, str] = {
    "investigation": "POST", "notes": "POST", "information-requests": "POST", "information-received": "POST",
    "staff-hearings": "POST", "mediation": "POST", "category": "PUT", "extension": "POST",
    "qualification": "POST", "answer-draft": "POST", "approvals": "POST", "answer": "POST", "close": "POST",
    "reopen": "POST", "reroute": "POST", "close-inadmissible": "POST", "transfer": "POST", "actions": "POST",
    "parts": "POST", "assign": "POST", "unassign": "DELETE", "revoke-tracking": "DELETE",
}
# The OpenAPI operation each action calls (its route function's name), so a client follows `allowed_actions`
# by operation id rather than by building paths; tests/test_contract.py checks each against the contract.
CASE_OPERATIONS: dict[str, str] = {
    "investigation": "start_investigation", "notes": "add_note", "information-requests": "request_information",
    "information-received": "information_received", "staff-hearings": "hear_staff", "mediation": "propose_mediation",
    "category": "set_category", "extension": "extend", "qualification": "qualify", "answer-draft": "draft_answer",
    "approvals": "approve", "answer": "send_answer", "close": "close", "reopen": "reopen", "reroute": "reroute",
    "close-inadmissible": "close_inadmissible", "transfer": "transfer", "actions": "add_action", "parts": "split",
    "assign": "assign", "unassign": "unassign", "revoke-tracking": "revoke_tracking",
}
# Actions whose path is not their name: taking a case on and giving it back are POST and DELETE on one resource.
ACTION_PATHS: dict[str, str] = {"assign": "assignment", "unassign": "assignment", "revoke-tracking": "tracking"}

# Actions on a tenant rather than a case, and the roles that may take them.
TENANT_ACTIONS: dict[str, frozenset[str]] = {
    "receive": frozenset({"intake"}),
    "import": frozenset({"import"}),
    "find-by-reference": frozenset({"intake", "import"}),
    "who-am-i": SYSTEM_ROLES | PERSON_ROLES,
    "read-configuration": SYSTEM_ROLES | PERSON_ROLES,
    "read-case": SYSTEM_ROLES | PERSON_ROLES,
    "audit-case": PERSON_ROLES,  # history, earlier states, diff, verification, export
    "read-log": frozenset({"auditor", "manager"}),
    "verify-tenant": frozenset({"auditor", "manager"}),
    "erase": frozenset({"manager"}),
    "manage-keys": frozenset({"manager"}),
    "manage-skipped": frozenset({"manager"}),
    # Webhook subscriptions: a manager's for the tenant, a subscriber system's for the cases it sent.
    "manage-subscriptions": frozenset({"manager", "subscriber"}),
    "preview-routing": frozenset({"handler", "manager"}),
    "queue": PERSON_ROLES,
    "follow-changes": PERSON_ROLES,  # the live stream; calling systems get webhooks instead
    "reports": PERSON_ROLES,
    "work-cases": frozenset({"handler", "manager", "director"}),
    # A complainant holding their case's tracking link: no account, no other case, nothing about staff.
    "track": frozenset({COMPLAINANT}),
    "give-feedback": frozenset({COMPLAINANT}),
}
# People who see every case of their tenant; a handler sees their own team's.
TENANT_WIDE = frozenset({"manager", "auditor", "director"})


@dataclass(frozen=True)
class Action:
    """What a caller may do next on a case: `{name, method, href, operation_id}`."""

    name: str
    method: str
    href: str
    operation_id: str


@dataclass(frozen=True)
class Refusal:
    status: Literal[403, 409]
    reason: str


class Forbidden(Exception):
    """These credentials may not do this (a 403)."""


# --- tenants ---------------------------------------------------------------------------------------
def tenant_refusal(caller: Caller, action: str) -> Refusal | None:
    roles = TENANT_ACTIONS[action]
    if not caller.roles & roles:
        return Refusal(403, f"{action!r} needs one of the roles {sorted(roles)}; these credentials have "
                            f"{sorted(caller.roles) or 'none'}")
    if action == "queue" and not caller.roles & TENANT_WIDE and caller.team is None:
        return Refusal(403, "a handler's token must name their team (the `team` claim)")
    return None


def ensure(caller: Caller, action: str) -> None:
    """Raises `Forbidden` unless the caller's roles allow this action on their tenant."""
    if (found := tenant_refusal(caller, action)) is not None:
        raise Forbidden(found.reason)


def queue_team(caller: Caller, asked: str | None, action: str = "queue") -> str | None:
    """The team whose queue (or changes) this caller may see: any they ask for (tenant-wide roles), else
    their own."""
    ensure(caller, action)
    if caller.roles & TENANT_WIDE:
        return asked
    if asked not in (None, caller.team):
        raise Forbidden(f"a handler sees the cases of their team {caller.team!r}")
    return caller.team


def subscription_refusal(caller: Caller, owner: str) -> Refusal | None:
    """Whether the caller may see and manage a subscription of their tenant made by `owner`: a manager any, a
    calling system its own."""
    if (found := tenant_refusal(caller, "manage-subscriptions")) is not None:
        return found
    if "manager" in caller.roles or owner == caller.actor:
        return None
    return Refusal(403, "a calling system sees and manages only its own subscriptions")


def ensure_may_manage_subscription(caller: Caller, owner: str) -> None:
    if (found := subscription_refusal(caller, owner)) is not None:
        raise Forbidden(found.reason)


# --- reading a case ----------------------------------------------------------------------------------
def read_refusal(caller: Caller, *, team: str | None, received_by: str | None) -> Refusal | None:
    """Whether the caller may read a case of their tenant owned by `team` and sent by `received_by`."""
    if caller.kind == "system":
        if received_by == caller.actor:
            return None
        return Refusal(403, "a calling system reads only the cases it sent")
    if caller.roles & TENANT_WIDE:
        return None
    if "handler" not in caller.roles:
        return Refusal(403, "reading cases needs the role handler, manager, director or auditor")
    if caller.team is None:
        return Refusal(403, "a handler's token must name their team (the `team` claim)")
    if team is None:
        return Refusal(403, "a case not yet routed is for managers")
    if team != caller.team:
        return Refusal(403, f"this case belongs to team {team!r}")
    return None


def may_see_change(caller: Caller, teams: tuple[str | None, ...]) -> bool:
    """Whether a person may see a change to a case owned by one of `teams` (a reroute: before and after)."""
    return any(read_refusal(caller, team=team, received_by=None) is None for team in teams or (None,))


def ensure_may_read(caller: Caller, *, team: str | None, received_by: str | None) -> None:
    if (found := read_refusal(caller, team=team, received_by=received_by)) is not None:
        raise Forbidden(found.reason)


# --- acting on a case ----------------------------------------------------------------------------------
def refusal(caller: Caller, action: str, case: Complaint, tenant: Tenant) -> Refusal | None:
    """None if `caller` may take `action` on `case` now; else why not (403: who; 409: state or rules)."""
    if action == "approvals":
        who = _approver_refusal(caller, case, tenant)
    else:
        who = _worker_refusal(caller, case)
    if who is not None:
        return who
    if action not in ALLOWED[case.status]:
        return Refusal(409, f"not allowed while the case is {case.status}")
    if (reason := refused_for_parts(case, action)) is not None:
        return Refusal(409, reason)
    if needs_qualification_first(case.status, action, tenant.qualifies(case.signal_type)):
        return Refusal(409, f"a {case.signal_type} is qualified before it is answered")
    rule = RULES.get(action)
    return rule(caller, case, tenant) if rule else None


def _worker_refusal(caller: Caller, case: Complaint) -> Refusal | None:
    """Commands are for the owning team's handlers and the tenant's managers."""
    if caller.kind != "person" or not caller.roles & {"handler", "manager"}:
        return Refusal(403, "commands on a case need the role handler or manager")
    if "manager" in caller.roles or read_refusal(caller, team=case.team, received_by=case.received_by) is None:
        return None
    return Refusal(403, f"only team {case.team!r} or a manager may act on this case")


def completion_refusal(caller: Caller, case: Complaint, number: str) -> Refusal | None:
    """A follow-up action is completed by a handler of the team that owns it (who need not own the case), or
    by whoever may act on the case."""
    action = case.actions.get(number)
    if action and caller.kind == "person" and "handler" in caller.roles and caller.team == action["team"]:
        return None
    return _worker_refusal(caller, case)


def ensure_may_handle_letters(caller: Caller, case: Complaint) -> None:
    """Letters are printed, posted and sent instead of a bounced e-mail by whoever may act on the case."""
    if (found := _worker_refusal(caller, case)) is not None:
        raise Forbidden(found.reason)


def ensure_may_complete(caller: Caller, case: Complaint, number: str) -> None:
    if (found := completion_refusal(caller, case, number)) is not None:
        raise Forbidden(found.reason)


def _approver_refusal(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    """An approval step is given by a person of the step's role, never the draft's author, one step each."""
    if caller.kind != "person":
        return Refusal(403, "approvals are given by people")
    roles = {step.role for step in tenant.approvals}
    if not caller.roles & roles:
        return Refusal(403, f"approvals are given by {sorted(roles) or 'nobody: this tenant needs none'}")
    if read_refusal(caller, team=case.team, received_by=case.received_by) is not None:
        return Refusal(403, "only who may read this case may approve its answer")
    step = next((s for s in tenant.approvals if s.code == case.next_approval_step(tenant.codes("approvals"))), None)
    if step is None:
        return None  # nothing to approve: the state check says why
    if step.role not in caller.roles:
        return Refusal(403, f"the next step, {step.code!r}, is given by a {step.role}")
    if case.draft and case.draft["author"] == caller.actor:
        return Refusal(403, "the author of an answer cannot approve it")
    if any(a["by"] == caller.actor for a in case.approvals):
        return Refusal(403, "one person gives at most one approval step of an answer")
    return None


def _approvals_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    if not tenant.approvals:
        return Refusal(409, "this tenant's answers need no approval")
    if case.next_approval_step(tenant.codes("approvals")) is None:
        return Refusal(409, "the answer has every approval it needs")
    return None


def _answer_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    step = case.next_approval_step(tenant.codes("approvals"))
    return Refusal(409, f"awaiting approval {step!r}") if step else None


def _extension_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    if window_for(tenant, case.signal_type).extendable_to is None:
        return Refusal(409, f"{tenant.name} does not extend {case.signal_type} windows")
    if case.extended:
        return Refusal(409, "the window was extended once already")
    if case.clock_started_on is None:
        return Refusal(409, "the clock has not started yet")
    return None


def _close_early_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    return None if any(q.closes_early for q in tenant.qualifications) else Refusal(
        409, "the tenant's scheme has no inadmissible code")


def _category_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    return None if tenant.categories else Refusal(409, "the tenant has no categories")


def _reroute_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    return None if len(tenant.teams) > 1 else Refusal(409, "the tenant has one team")


def _parts_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    """Split only what each team qualifies: the answer waits for every part's qualification."""
    return _reroute_rule(caller, case, tenant) or _qualification_rule(caller, case, tenant)


def _qualification_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    return None if tenant.qualifies(case.signal_type) else Refusal(409, f"{tenant.name} does not qualify a "
                                                                         f"{case.signal_type}")


def _assign_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    """A handler takes an unassigned case of their team; reassigning a colleague's case is a manager's."""
    if "manager" in caller.roles or case.assignee is None:
        return None
    if case.assignee == caller.name:
        return Refusal(409, "the case is assigned to you already")
    return Refusal(403, f"the case is assigned to {case.assignee!r}: a manager reassigns it")


def _unassign_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    """The assignee gives their case back; a manager takes anyone's back."""
    if case.assignee is None:
        return Refusal(409, "the case is not assigned")
    if "manager" in caller.roles or case.assignee == caller.name:
        return None
    return Refusal(403, f"the case is assigned to {case.assignee!r}: they or a manager give it back")


def assignee_refusal(caller: Caller, assignee: str) -> Refusal | None:
    """Whom this caller may assign a case to (the case's team and state are `refusal`'s to check): a handler
    only themselves, a manager anyone (the platform keeps no list of people: the manager names a member of
    the owning team, whose own token then lets them act only while the case is their team's)."""
    if "manager" in caller.roles or assignee == caller.name:
        return None
    return Refusal(403, "a handler takes a case for themselves; a manager assigns it to someone else")


def ensure_may_assign(caller: Caller, assignee: str) -> None:
    if (found := assignee_refusal(caller, assignee)) is not None:
        raise Forbidden(found.reason)


def _revoke_tracking_rule(caller: Caller, case: Complaint, tenant: Tenant) -> Refusal | None:
    """Offered once a message carried the link to the complainant, until it is revoked."""
    if case.tracking_revoked:
        return Refusal(409, "the tracking link is revoked already")
    if not any(message["channel"] == "e-mail" for message in case.messages.values()):
        return Refusal(409, "no message has carried the tracking link to the complainant")
    return None


def tracking_refusal(caller: Caller, action: str, case: Complaint) -> Refusal | None:
    """A complainant's link reaches one case: theirs."""
    if (found := tenant_refusal(caller, action)) is not None:
        return found
    return None if caller.kind == "complainant" and caller.name == str(case.id) else Refusal(
        403, "a tracking link shows its own case only")


def ensure_may_track(caller: Caller, action: str, case: Complaint) -> None:
    if (found := tracking_refusal(caller, action, case)) is not None:
        raise Forbidden(found.reason)


RULES = {"approvals": _approvals_rule, "answer": _answer_rule, "extension": _extension_rule,
         "close-inadmissible": _close_early_rule, "category": _category_rule, "reroute": _reroute_rule,
         "parts": _parts_rule, "qualification": _qualification_rule, "assign": _assign_rule,
         "unassign": _unassign_rule, "revoke-tracking": _revoke_tracking_rule}


def authorize(caller: Caller, action: str, case: Complaint, tenant: Tenant) -> None:
    """Raises `Forbidden` (403) or `CommandRefused` (409, listing the caller's allowed actions)."""
    found = refusal(caller, action, case, tenant)
    if found is None:
        return
    if found.status == 403:
        raise Forbidden(found.reason)
    refused = CommandRefused(action, case.status, detail=f"{action!r} is refused: {found.reason}")
    refused.allowed = [a.name for a in allowed_actions(caller, case, tenant)]
    raise refused


def allowed_actions(caller: Caller, case: Complaint, tenant: Tenant) -> list[Action]:
    """Exactly what this caller may do next on this case."""
    base = f"/v1/tenants/{case.tenant}/complaints/{case.id}"
    return [Action(name, method, f"{base}/{ACTION_PATHS.get(name, name)}", CASE_OPERATIONS[name])
            for name, method in CASE_ACTIONS.items() if refusal(caller, name, case, tenant) is None]
