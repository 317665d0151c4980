"""A mail server that is away delays the complainants' mail, and nothing else: intake takes the complaint,
routing and the clock and the projection do their work, the delivery worker's readiness names the server,
its metric says so, and the handler sees the message failed for now (not for good). Once the server is back,
a manager's re-drive of the case (the one re-drive of every consumer) sends it."""

from __future__ import annotations

import httpx

from complaints.adapters.store import Complaints
from complaints.web.auth import Credentials
from launcher.infra import free_port
from tests.helpers import wait_until
from tests.mail import start_inbox

PORT = free_port()
STACK_ENV = {"SMTP_URL": f"smtp://127.0.0.1:{PORT}", "SMTP_ATTEMPTS": "2"}  # nothing listens there (yet)


def test_a_mail_server_that_is_away_delays_the_mail_and_blocks_nothing_else(module_stack):
    store = Complaints(module_stack.settings)
    credentials = Credentials(store, module_stack.settings)
    intake = {"X-API-Key": credentials.issue_key(name="zb-intake", tenant="zorgbedrijf", role="intake")}
    manager = {"Authorization": "Bearer " + credentials.token_for(subject="cas", tenants=["zorgbedrijf"],
                                                                  roles=["manager"])}
    store.close()
    posted = httpx.post(f"{module_stack.url('intake')}/v1/tenants/zorgbedrijf/complaints", headers=intake, json={
        "channel": "e-mail", "signal_type": "klacht", "subject": "Lift defect", "text": "Al een week",
        "complainant": {"email": "wacht@example.be"}}, timeout=30)
    assert posted.status_code == 201, posted.text
    case_url = f"{module_stack.url('intake')}/v1/tenants/zorgbedrijf/complaints/{posted.json()['case_id']}"

    view = wait_until(lambda: (v := httpx.get(case_url, headers=manager, timeout=10).json())["due_date"] and v)
    assert view["team"] == "klantendienst"  # routed and clocked meanwhile
    projected = f"{module_stack.url('reporting')}/v1/tenants/zorgbedrijf/cases/{posted.json()['case_id']}"
    wait_until(lambda: httpx.get(projected, headers=manager, timeout=10).status_code == 200)

    ready = httpx.get(f"{module_stack.url('delivery')}/readyz", timeout=10)
    assert ready.status_code == 503 and ready.json()["checks"]["smtp"] is False
    assert ready.json()["checks"]["database"] is True
    assert httpx.get(f"{module_stack.url('intake')}/readyz", timeout=10).status_code == 200

    [message] = wait_until(lambda: [m for m in httpx.get(case_url, headers=manager, timeout=10).json()["messages"]
                                    if m["status"] == "failed"])
    assert message["kind"] == "acknowledgement" and message["final"] is False and "cannot reach" in message["reason"]
    metrics = httpx.get(f"{module_stack.url('delivery')}/metrics", timeout=10).text
    assert "smtp_up 0.0" in metrics and 'messages_failed_total{final="false",kind="acknowledgement"} 1.0' in metrics

    reporting = f"{module_stack.url('reporting')}/v1/tenants/zorgbedrijf"
    [skipped] = wait_until(lambda: [s for s in httpx.get(f"{reporting}/skipped-events", headers=manager,
                                                         timeout=10).json() if s["consumer"] == "delivery"])
    assert skipped["case_id"] == posted.json()["case_id"] and "acknowledgement not delivered" in skipped["reason"]

    inbox, server = start_inbox(PORT)  # the mail server is back
    try:
        assert wait_until(lambda: httpx.get(f"{module_stack.url('delivery')}/readyz", timeout=10).status_code == 200)
        redrive = httpx.post(f"{reporting}/complaints/{posted.json()['case_id']}/redrive", headers=manager, timeout=10)
        assert redrive.status_code == 202, redrive.text
        [mail] = wait_until(lambda: inbox.to("wacht@example.be"))
        assert mail["Message-ID"] == f"<{message['message_id']}@zorgbedrijf.complaints>"  # the same message
        sent = wait_until(lambda: [m for m in httpx.get(case_url, headers=manager, timeout=10).json()["messages"]
                                   if m["status"] == "sent"])
        assert sent[0]["message_id"] == message["message_id"]
        assert not [s for s in httpx.get(f"{reporting}/skipped-events", headers=manager, timeout=10).json()
                    if s["consumer"] == "delivery"]  # re-driven: off the list
        assert len(inbox.to("wacht@example.be")) == 1
    finally:
        server.stop()
