"""The tracking link's token, the complainant as a caller of the permission policy, the feedback rules, and
the tracking paths' own rate limit: pure, no I/O."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import httpx
import pytest

from complaints.application.callers import Caller
from complaints.application.permissions import Forbidden, allowed_actions, ensure, ensure_may_track
from complaints.model import tracking
from complaints.model.complaint import CommandRefused
from complaints.model.tenants import FeedbackRules
from complaints.web.limits import RateLimit
from shared.tests.test_permissions import AT, ZB, ZB_PEOPLE, case_of

SECRET = b"k" * 32


def test_a_token_names_its_case_and_matches_only_its_generation_and_secret():
    case_id = uuid4()
    token = tracking.token_for(SECRET, case_id, 0)
    assert len(token) == tracking.TOKEN_LENGTH and tracking.case_id_in(token) == case_id
    assert tracking.matches(SECRET, token, case_id, 0)
    assert not tracking.matches(SECRET, token, case_id, 1)  # revoked: the generation moved on
    assert not tracking.matches(b"o" * 32, token, case_id, 0)  # another secret
    assert not tracking.matches(SECRET, tracking.token_for(SECRET, uuid4(), 0), case_id, 0)
    for malformed in ("", "x", token + "A", token[:-1] + "*", "=" * 43):
        assert tracking.case_id_in(malformed) is None


def complainant(case) -> Caller:
    return Caller("complainant", str(case.id), frozenset({case.tenant}), frozenset({tracking.COMPLAINANT}))


def test_a_complainant_tracks_their_own_case_and_does_nothing_else():
    case, other = case_of(upto="routed"), case_of(upto="routed")
    holder = complainant(case)
    ensure_may_track(holder, "track", case)
    with pytest.raises(Forbidden):
        ensure_may_track(holder, "track", other)
    with pytest.raises(Forbidden):
        ensure(holder, "read-case")
    assert allowed_actions(holder, case, ZB) == []  # no command on the case
    with pytest.raises(Forbidden):  # and a person's token is not a link
        ensure_may_track(ZB_PEOPLE["manager"], "track", case)
    assert holder.actor == "complainant"


def test_revoking_is_offered_once_a_message_carried_the_link_and_until_it_is_revoked():
    case = case_of(upto="routed")
    manager = ZB_PEOPLE["manager"]
    assert "revoke-tracking" not in [a.name for a in allowed_actions(manager, case, ZB)]
    case.decide_message(message_id="m1", kind="acknowledgement", channel="e-mail", language="nl",
                        actor="system:delivery", at=AT)
    assert "revoke-tracking" in [a.name for a in allowed_actions(ZB_PEOPLE["author"], case, ZB)]
    assert "revoke-tracking" not in [a.name for a in allowed_actions(ZB_PEOPLE["auditor"], case, ZB)]
    case.revoke_tracking(reason="doorgestuurd", actor="user:cas", at=AT)
    assert case.tracking_revoked and case.tracking_generation == 1
    assert "revoke-tracking" not in [a.name for a in allowed_actions(manager, case, ZB)]
    with pytest.raises(CommandRefused):
        case.revoke_tracking(reason="again", actor="user:cas", at=AT)


RULES = FeedbackRules(period_days=30, low_rating=2, when_not_resolved="flag")


def test_feedback_comes_once_per_close_within_the_period():
    closed = AT
    assert tracking.feedback_refusal(RULES, "answered", None, None, AT) == "feedback is given once the case is closed"
    assert tracking.feedback_refusal(RULES, "closed", closed, None, closed + timedelta(days=30)) is None
    assert "within 30 days" in tracking.feedback_refusal(RULES, "closed", closed, None, closed + timedelta(days=31))
    assert "already" in tracking.feedback_refusal(RULES, "closed", closed, closed, closed)
    assert tracking.feedback_refusal(RULES, "closed", closed + timedelta(days=2), closed, closed + timedelta(days=3)) \
        is None  # reopened and closed again: a new close, new feedback


@pytest.mark.parametrize(("rating", "resolved", "expected"), [
    (1, False, "flag"), (2, False, "flag"), (3, False, None), (1, True, None), (5, True, None)])
def test_a_low_rating_marked_not_resolved_calls_for_the_tenants_rule(rating, resolved, expected):
    assert tracking.calls_for(RULES, rating, resolved) == expected


def test_a_flagged_case_stays_closed_and_a_reopening_rule_reopens_it():
    flagged, reopened = case_of(upto="closed"), case_of(upto="closed")
    flagged.give_feedback(rating=1, comment=None, resolved=False, calls_for="flag", refusal=None,
                          actor="complainant", at=AT)
    assert flagged.status == "closed" and flagged.flagged_by_feedback and flagged.feedback["for_close"] == AT
    reopened.give_feedback(rating=2, comment="niets opgelost", resolved=False, calls_for="reopen", refusal=None,
                           actor="complainant", at=AT)
    assert reopened.status == "investigating" and not reopened.flagged_by_feedback
    with pytest.raises(CommandRefused):
        reopened.give_feedback(rating=5, comment=None, resolved=True, calls_for=None,
                               refusal="feedback is given once the case is closed", actor="complainant", at=AT)


async def test_tracking_paths_have_their_own_budget_per_address_whatever_credentials_come_with_them():
    async def ok(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    limited = RateLimit(ok, per_credential="100/second", per_address="100/second", per_tracking_address="3/minute")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://t") as client:
        codes = [(await client.get(f"/v1/track/{n}", headers={"X-API-Key": f"key-{n}"})).status_code
                 for n in range(4)]
        assert codes == [200, 200, 200, 429]
        assert (await client.get("/track/x")).status_code == 429  # the page and the API share the budget
        assert (await client.get("/v1/tenants/stad", headers={"X-API-Key": "k"})).status_code == 200
