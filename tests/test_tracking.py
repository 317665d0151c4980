"""The complainant's tracking link, through the gateway on the running set: the acknowledgement (real SMTP)
carries it; it shows the case without logging in and nothing about staff; revoked, unknown and malformed
links are the same plain 404; after the close the complainant rates the handling through it, and the care
company's rules reopen a case rated low and not resolved."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from complaints.adapters.store import Complaints
from complaints.web.auth import Credentials
from tests.helpers import wait_until

YEAR = datetime.now(timezone.utc).year
LINK = re.compile(r"(http://\S+)/track/([A-Za-z0-9_-]{43})")


@pytest.fixture(scope="module")
def care(module_stack) -> dict[str, dict[str, str]]:
    """The care company's intake system, a handler of each of two teams, its manager and director."""
    settings = module_stack.settings
    store = Complaints(settings)
    credentials = Credentials(store, settings)
    headers = {"intake": {"X-API-Key": credentials.issue_key(name="zb-intake", tenant="zorgbedrijf", role="intake")}}
    for name, roles, team in (("an", ["handler"], "klantendienst"), ("bo", ["handler"], "ombudsdienst"),
                              ("cas", ["manager"], None), ("dirk", ["director"], None)):
        token = credentials.token_for(subject=name, tenants=["zorgbedrijf"], roles=roles, team=team)
        headers[name] = {"Authorization": f"Bearer {token}"}
    store.close()
    return headers


def received(gateway: str, care, inbox, email: str) -> tuple[dict[str, Any], str]:
    """Posts a complaint through the gateway; returns it and the link its acknowledgement carries."""
    posted = httpx.post(f"{gateway}/v1/tenants/zorgbedrijf/complaints", headers=care["intake"], timeout=30, json={
        "channel": "e-mail", "signal_type": "klacht", "subject": "Maaltijd koud", "text": "Het eten was koud",
        "complainant": {"name": "Meneer Claes", "email": email, "phone": "0470 12 34 56"}})
    assert posted.status_code == 201, posted.text
    mail = wait_until(lambda: inbox.to(email))[0]
    found = LINK.search(mail.get_content())
    assert found, mail.get_content()
    assert found.group(1) == gateway  # the set's own gateway: PUBLIC_URL
    return posted.json(), found.group(2)


def test_the_acknowledgements_link_shows_the_case_and_nothing_about_staff(gateway, care, inbox):
    case, token = received(gateway, care, inbox, "claes@example.be")
    page = httpx.get(f"{gateway}/track/{token}", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert case["case_number"] in page.text and "Maaltijd koud" in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"

    seen = wait_until(lambda: (v := httpx.get(f"{gateway}/v1/track/{token}", timeout=10).json())["messages"] and v)
    assert seen["case_number"] == case["case_number"] and seen["organisation"] == "Zorgbedrijf Antwerpen"
    assert seen["due_date"] and seen["status"] in ("routed", "received")
    assert [m["kind"] for m in seen["messages"]] == ["acknowledgement"]
    said = str(seen)
    for never in ("klantendienst", "ombudsdienst", "claes@example.be", "0470", "Meneer Claes", "system:"):
        assert never not in said  # no team, no person, none of their contact data
    assert set(seen) == {"case_number", "organisation", "signal_type", "subject", "status", "status_label",
                         "received_at", "due_date", "answered_at", "answer", "closed_at", "messages",
                         "feedback_until", "feedback"}


def test_revoked_unknown_and_malformed_links_are_the_same_plain_404(gateway, care, inbox):
    case, token = received(gateway, care, inbox, "revoke@example.be")
    other = token[:-1] + ("A" if token[-1] != "A" else "B")  # the same case, a MAC that does not match
    unknown = [httpx.get(f"{gateway}/v1/track/{t}", timeout=10) for t in (other, "x" * 43, "kort", "%00")]
    assert [r.status_code for r in unknown[:3]] == [404, 404, 404]

    url = f"{gateway}/v1/tenants/zorgbedrijf/complaints/{case['case_id']}/tracking"
    wait_until(lambda: httpx.get(f"{gateway}/v1/tenants/zorgbedrijf/complaints/{case['case_id']}",
                                 headers=care["an"], timeout=10).status_code == 200)  # routed to the team
    assert httpx.delete(url, headers=care["bo"], timeout=10).status_code == 403  # not their team's case
    revoked = httpx.delete(url, headers=care["an"], params={"reason": "doorgestuurd naar een buur"}, timeout=10)
    assert revoked.status_code == 200 and revoked.json()["tracking_revoked"] is True, revoked.text
    assert "revoke-tracking" not in [a["name"] for a in revoked.json()["allowed_actions"]]
    assert httpx.delete(url, headers=care["an"], timeout=10).status_code == 409

    gone = httpx.get(f"{gateway}/v1/track/{token}", timeout=10)
    def said(response: httpx.Response) -> dict[str, Any]:
        return {k: v for k, v in response.json().items() if k != "instance"}  # the path asked, as asked
    assert gone.status_code == 404 and said(gone) == said(unknown[0])  # revoked looks exactly like unknown
    assert httpx.get(f"{gateway}/track/{token}", timeout=10).status_code == 404


def test_after_the_close_the_complainant_rates_it_and_a_low_unresolved_rating_reopens_it(gateway, care, inbox):
    address = "feedback@example.be"
    case, token = received(gateway, care, inbox, address)
    base = f"{gateway}/v1/tenants/zorgbedrijf/complaints/{case['case_id']}"
    rate = {"rating": 1, "comment": "Niets veranderd", "resolved": False}
    early = httpx.post(f"{gateway}/v1/track/{token}/feedback", json=rate, timeout=10)
    assert early.status_code == 409 and "closed" in early.json()["detail"]
    wait_until(lambda: httpx.get(base, headers=care["cas"], timeout=10).json().get("due_date"))
    for path, who, body in (("qualification", "an", {"qualification": "gegrond"}),
                            ("answer-draft", "an", {"text": "Wij verwarmen de maaltijden voortaan.",
                                                    "channel": "e-mail"}),
                            ("approvals", "cas", None), ("approvals", "dirk", None), ("answer", "an", None),
                            ("close", "an", {"reason": "answered"})):
        done = httpx.post(f"{base}/{path}", headers=care[who], json=body, timeout=30)
        assert done.status_code == 200, (path, done.text)
    confirmation = wait_until(lambda: len(inbox.to(address)) == 3 and inbox.to(address)[2])
    assert token in confirmation.get_content() and "30 dagen" in confirmation.get_content()

    seen = httpx.get(f"{gateway}/v1/track/{token}", timeout=10).json()
    assert seen["status"] == "closed" and seen["answer"].startswith("Wij verwarmen") and seen["feedback_until"]
    bad = httpx.post(f"{gateway}/v1/track/{token}/feedback", json={"rating": 9, "resolved": "misschien"}, timeout=10)
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"rating", "resolved"}

    given = httpx.post(f"{gateway}/v1/track/{token}/feedback", json=rate, timeout=10)
    assert given.status_code == 201, given.text
    assert given.json()["feedback"]["rating"] == 1 and given.json()["status"] == "investigating"  # reopened
    view = httpx.get(base, headers=care["cas"], timeout=10).json()
    assert view["status"] == "investigating" and view["feedback"]["calls_for"] == "reopen"
    events = httpx.get(f"{base}/history", headers=care["cas"], timeout=10).json()["events"]
    assert [e["actor"] for e in events if e["type"] in ("FeedbackGiven", "Reopened")] == ["complainant"] * 2
    assert httpx.post(f"{gateway}/v1/track/{token}/feedback", json=rate, timeout=10).status_code == 409


def test_the_pages_form_rates_without_a_script(gateway, care, inbox):
    address = "form@example.be"
    case, token = received(gateway, care, inbox, address)
    base = f"{gateway}/v1/tenants/zorgbedrijf/complaints/{case['case_id']}"
    wait_until(lambda: httpx.get(base, headers=care["cas"], timeout=10).json().get("due_date"))
    closed = httpx.post(f"{gateway}/v1/tenants/zorgbedrijf/complaints/{case['case_id']}/close-inadmissible",
                        headers=care["an"], timeout=30,
                        json={"reason": "geen klacht", "qualification": "niet-ontvankelijk"})
    assert closed.status_code == 200, closed.text
    page = httpx.get(f"{gateway}/track/{token}", timeout=10)
    assert 'action="/track/' in page.text and 'name="rating"' in page.text
    wrong = httpx.post(f"{gateway}/track/{token}/feedback", content="resolved=yes",
                       headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert wrong.status_code == 422 and "score van 1 tot 5" in wrong.text
    sent = httpx.post(f"{gateway}/track/{token}/feedback",
                      content="rating=4&resolved=yes&comment=%3Cb%3Edank%3C%2Fb%3E", headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert sent.status_code == 303 and sent.headers["location"] == f"/track/{token}"
    after = httpx.get(f"{gateway}/track/{token}", timeout=10)
    assert "4/5" in after.text and 'name="rating"' not in after.text
    view = httpx.get(base, headers=care["cas"], timeout=10).json()
    assert view["feedback"]["comment"] == "<b>dank</b>" and view["status"] == "closed"  # kept as given


def test_the_satisfaction_report_counts_what_the_complainants_said(gateway, care):
    """After the two ratings above: one reopened case (1/5, not resolved) and one 4/5, resolved."""
    def report() -> dict[str, Any] | None:
        year = httpx.get(f"{gateway}/v1/tenants/zorgbedrijf/reports/satisfaction", params={"year": YEAR},
                         headers=care["cas"], timeout=10).json()
        total = next(r for r in year["rows"] if r["signal_type"] == "total")
        return total if total["rated"] == 2 else None
    total = wait_until(report)
    assert total == {**total, "1": 1, "4": 1, "resolved": 1, "reopened": 1, "flagged": 0, "average": 2.5}
    assert "reopened" in httpx.get(f"{gateway}/v1/tenants/zorgbedrijf/reports/satisfaction", params={"year": YEAR},
                                   headers=care["cas"], timeout=10).json()["notes"][0]
