"""The handler workflow on the real PostgreSQL and broker: commands, approvals, windows, deadlines, concurrency.

The deadline scenarios (`TestDeadlines`) run on the embedded SQLite as well. The other tests stay on
PostgreSQL, the production store: what differs by store lies under the HTTP layer (the store, the deadline
index), and the deadline, store and projection tests run that on both."""

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from complaints.web.auth import Credentials
from complaints.adapters.follower import store_follower
from complaints.application.clock import FixedClock
from complaints.web.app import create_app
from complaints.settings import Settings
from complaints.adapters.store import Complaints, Submission
from complaints.model.tenants import load_tenants
from qualification.api import router
from qualification.consumer import Qualification, wire
from qualification.deadlines import Scheduler
from routing.consumer import Routing

# The workflow runs on a fixed clock: a Monday with no holiday within the windows that follow.
TODAY = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CLOCK = FixedClock(TODAY)


@pytest.fixture
def client(settings: Settings):
    with TestClient(create_app("qualification", settings, wire=wire, routers=[router], clock=CLOCK)) as client:
        yield client


@pytest.fixture
def people(settings: Settings, store: Complaints):
    credentials = Credentials(store, settings)

    def person(name: str, tenant: str, role: str, team: str | None = None) -> dict[str, str]:
        token = credentials.token_for(subject=name, tenants=[tenant], roles=[role], team=team)
        return {"Authorization": f"Bearer {token}"}

    return {
        "drafter": person("an@zorgbedrijf", "zorgbedrijf", "handler", "klantendienst"),
        "colleague": person("bo@zorgbedrijf", "zorgbedrijf", "handler", "klantendienst"),
        "local-manager": person("cas@zorgbedrijf", "zorgbedrijf", "manager"),
        "director": person("dirk@zorgbedrijf", "zorgbedrijf", "director"),
        "outsider": person("eva@zorgbedrijf", "zorgbedrijf", "handler", "andere-dienst"),
        "auditor": person("fien@zorgbedrijf", "zorgbedrijf", "auditor"),
        "city": person("gert@stad", "stad", "manager"),
        "fire": person("hans@brandweer", "brandweer", "manager"),
    }


async def case_in(settings, store, tenant="zorgbedrijf", received=TODAY, **fields):
    config = load_tenants()[tenant]
    values = {"channel": "e-mail", "signal_type": "klacht", "subject": "Factuur", "text": "Te hoog",
              "complainant": {"name": "A. Burger", "email": "a@example.be"}, **fields}
    values["complainant"] = store.personal.seal(tenant, values["complainant"])
    case = store.receive(config, Submission("test"), actor="test", received_at=received,
                         via_oversight=config.is_oversight(values["channel"]), **values)[0]
    for process, name in ((Routing, "routing"), (Qualification, "qualification")):
        app = process(settings, CLOCK)
        try:
            await store_follower(settings, app, name).catch_up()
        finally:
            app.close()
    return case


def post(client, case, command, headers, json=None, tenant="zorgbedrijf", **extra):
    return client.post(f"/v1/tenants/{tenant}/complaints/{case.id}/{command}", headers={**headers, **extra},
                       json=json)


async def test_the_care_company_path_with_two_approvals_from_receipt_to_close(client, store, settings, people):
    case = await case_in(settings, store)
    assert store.get(case.id).due_date == (TODAY + timedelta(days=14)).date()
    ok = lambda r: r.status_code == 200 or pytest.fail(r.text)  # noqa: E731

    ok(post(client, case, "investigation", people["drafter"]))
    asked = post(client, case, "information-requests", people["drafter"], {"text": "Welke factuur?"})
    ok(asked)
    assert asked.json()["status"] == "awaiting-information" and asked.json()["paused_since"] == str(TODAY.date())
    back = post(client, case, "information-received", people["drafter"], {"text": "Factuur 2023-17"})
    ok(back)
    assert back.json()["status"] == "investigating" and back.json()["paused_days"] == 0
    ok(post(client, case, "qualification", people["drafter"], {"qualification": "gegrond"}))
    ok(post(client, case, "answer-draft", people["drafter"], {"text": "U krijgt een creditnota.", "channel": "e-mail"}))

    own = post(client, case, "approvals", people["drafter"])
    assert own.status_code == 403  # the author never approves
    early = post(client, case, "answer", people["drafter"])
    assert early.status_code == 409 and "realiteitscheck-lokale-manager" in early.json()["detail"]
    first = post(client, case, "approvals", people["local-manager"])
    ok(first)
    second = post(client, case, "approvals", people["director"])
    ok(second)
    assert [a["step"] for a in second.json()["approvals"]] == ["realiteitscheck-lokale-manager",
                                                              "goedkeuring-directeur-klantbeleving"]
    sent = post(client, case, "answer", people["drafter"])
    ok(sent)
    assert (sent.json()["status"], sent.json()["answer_channel"]) == ("answered", "e-mail")
    closed = post(client, case, "close", people["drafter"], {"confirmation_sent": True})
    assert closed.json()["status"] == "closed"

    names = [type(e).__name__ for e in store.events.get(case.id)]
    assert names == ["Received", "Routed", "ClockStarted", "InvestigationStarted", "InformationRequested",
                     "InformationReceived", "Qualified", "AnswerDrafted", "AnswerApproved", "AnswerApproved",
                     "Answered", "Closed"]
    actors = {type(e).__name__: e.actor for e in store.events.get(case.id)}
    assert actors["Answered"] == "user:an@zorgbedrijf" and actors["Closed"] == "user:an@zorgbedrijf"

    reopened = post(client, case, "reopen", people["local-manager"], {"reason": "Nieuwe feiten"})
    assert (reopened.json()["status"], reopened.json()["draft"]) == ("investigating", None)


@pytest.mark.parametrize(("command", "body"), [
    ("approvals", None), ("answer", None), ("close", {}), ("reopen", {"reason": "x"}),
    ("information-received", {"text": "x"}), ("answer-draft", {"text": "x", "channel": "post"}),
])
async def test_a_command_the_state_forbids_is_a_409_with_the_callers_allowed_actions(client, store, settings, people,
                                                                                    command, body):
    case = await case_in(settings, store)  # routed, clock started
    response = post(client, case, command, people["local-manager"], body)  # a manager: who is never the reason
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["state"] == "routed" and "investigation" in problem["allowed_actions"]


async def test_only_the_owning_team_or_a_manager_acts_and_auditors_only_read(client, store, settings, people):
    case = await case_in(settings, store)
    assert post(client, case, "notes", people["outsider"], {"text": "x"}).status_code == 403
    assert post(client, case, "notes", people["auditor"], {"text": "x"}).status_code == 403
    assert post(client, case, "notes", people["local-manager"], {"text": "x"}).status_code == 200


async def test_the_window_is_extended_once_to_20_days_and_never_past_what_is_allowed(client, store, settings, people):
    case = await case_in(settings, store)
    too_long = post(client, case, "extension", people["drafter"], {"reason": "Complex", "days": 30})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["ceiling_days"] == 45
    extended = post(client, case, "extension", people["drafter"], {"reason": "Advies van de juridische dienst"})
    assert extended.status_code == 200
    assert extended.json()["due_date"] == str((TODAY + timedelta(days=20)).date())
    again = post(client, case, "extension", people["drafter"], {"reason": "Nog eens"})
    assert again.status_code == 409


async def test_a_tenant_without_extensions_refuses_one_and_never_offers_it(client, store, settings, people):
    case = await case_in(settings, store, tenant="brandweer")
    response = post(client, case, "extension", people["fire"], {"reason": "x"}, tenant="brandweer")
    assert response.status_code == 409 and "does not extend" in response.json()["detail"]
    note = post(client, case, "notes", people["fire"], {"text": "x"}, tenant="brandweer")
    assert "extension" not in [a["name"] for a in note.json()["allowed_actions"]]


async def test_an_answer_by_e_mail_needs_the_complainants_address(client, store, settings, people):
    case = await case_in(settings, store, complainant={"name": "Zonder adres"})
    post(client, case, "qualification", people["drafter"], {"qualification": "ongegrond"})
    response = post(client, case, "answer-draft", people["drafter"], {"text": "x", "channel": "e-mail"})
    assert response.status_code == 422 and response.json()["errors"][0]["allowed"] == ["post"]


async def test_the_citys_answer_carries_the_ombudsman_details_and_goes_back_via_the_ombudsman(
        client, store, settings, people):
    case = await case_in(settings, store, tenant="stad", channel="ombudsman")
    for command, body in (("qualification", {"qualification": "gegrond"}),
                          ("answer-draft", {"text": "Excuses.", "channel": "post"}), ("answer", None)):
        response = post(client, case, command, people["city"], body, tenant="stad")
        assert response.status_code == 200, response.text
    answered = response.json()
    assert load_tenants()["stad"].answer_footer in answered["answer"]
    assert answered["answer_channel"] == "via:ombudsman"


async def test_concurrent_commands_on_one_case_never_lose_an_update(client, store, settings, people):
    case = await case_in(settings, store)
    version = store.get(case.id).version
    with ThreadPoolExecutor(max_workers=10) as pool:
        guarded = list(pool.map(lambda n: post(client, case, "notes", people["drafter"], {"text": f"#{n}"},
                                               **{"If-Match": f'"{version}"'}), range(10)))
    assert sorted(r.status_code for r in guarded) == [200] + [412] * 9
    with ThreadPoolExecutor(max_workers=10) as pool:
        free = list(pool.map(lambda n: post(client, case, "notes", people["drafter"], {"text": f"free {n}"}),
                             range(10)))
    assert {r.status_code for r in free} <= {200, 409}
    notes = store.get(case.id).notes
    assert len(notes) == 1 + sum(r.status_code == 200 for r in free)


@asynccontextmanager
async def scheduler_of(settings: Settings) -> AsyncIterator[Scheduler]:
    """The qualification process's deadline scheduler, as `wire` makes it at start-up (not running: the test
    drives its follower and its check); closed after."""
    wiring = await wire(settings, CLOCK)
    try:
        yield wiring.resources["scheduler"]
    finally:
        await wiring.close()
        wiring.store.close()


class TestDeadlines:
    """On each store: here `settings`, and so `store`, `people` and `client`, is `any_store_settings`."""

    @pytest.fixture
    def settings(self, any_store_settings: Settings) -> Settings:
        return any_store_settings

    async def test_deadline_events_fire_once_after_downtime_and_again_when_the_due_date_moves(self, store, settings):
        # Received 30 days ago and never looked at: the scheduler was "down" across the due date.
        case = await case_in(settings, store, received=TODAY - timedelta(days=30))
        async with scheduler_of(settings) as scheduler:
            await scheduler.follower.catch_up()
            assert await scheduler.check(TODAY.date()) == 2
            await scheduler.follower.catch_up()
            assert await scheduler.check(TODAY.date()) == 0

        async with scheduler_of(settings) as restarted:  # a new process: nothing in memory
            await restarted.follower.catch_up()
            assert await restarted.check(TODAY.date()) == 0

            # An extension moves the due date: both events again, once, for the new date.
            moved = store.get(case.id)
            from complaints.model.windows import due_date
            moved.extend_window(reason="x", due=due_date(load_tenants()["zorgbedrijf"], signal_type="klacht",
                                                         start=moved.clock_started_on, days=20), actor="test", at=TODAY)
            store.save(moved)
            await restarted.follower.catch_up()
            assert await restarted.check(TODAY.date()) == 2
            await restarted.follower.catch_up()
            assert await restarted.check(TODAY.date()) == 0
        fired = [(type(e).__name__, e.due_date) for e in store.events.get(case.id)
                 if type(e).__name__.startswith("Deadline")]
        first_due, second_due = (TODAY - timedelta(days=16)).date(), (TODAY - timedelta(days=10)).date()
        assert fired == [("DeadlineApproaching", first_due), ("DeadlineBreached", first_due),
                         ("DeadlineApproaching", second_due), ("DeadlineBreached", second_due)]

    async def test_an_answered_case_gets_no_deadline_event(self, store, settings, people, client):
        case = await case_in(settings, store, tenant="brandweer", received=TODAY - timedelta(days=60))
        for command, body in (("qualification", {"qualification": "ongegrond"}),
                              ("answer-draft", {"text": "x", "channel": "post"}), ("answer", None)):
            assert post(client, case, command, people["fire"], body, tenant="brandweer").status_code == 200
        async with scheduler_of(settings) as scheduler:
            await scheduler.follower.catch_up()
            assert await scheduler.check(TODAY.date()) == 0


async def test_the_schools_answer_a_question_without_a_qualification_and_qualify_every_complaint(
        client, store, settings):
    """Which signal types are qualified is tenant data: the schools rate complaints and reports only."""
    credentials = Credentials(store, settings)
    handler = {"Authorization": "Bearer " + credentials.token_for(subject="jo@onderwijs", tenants=["onderwijs"],
                                                                  roles=["handler"], team="eerste-lijn")}
    question = await case_in(settings, store, tenant="onderwijs", channel="e-formulier", signal_type="vraag")
    refused = post(client, question, "qualification", handler, {"qualification": "gegrond"}, tenant="onderwijs")
    assert refused.status_code == 409 and "does not qualify a vraag" in refused.json()["detail"]
    assert "answer-draft" in refused.json()["allowed_actions"]
    assert "qualification" not in refused.json()["allowed_actions"]
    drafted = post(client, question, "answer-draft", handler, {"text": "Zie website.", "channel": "post"},
                   tenant="onderwijs")
    assert drafted.status_code == 200, drafted.text
    assert post(client, question, "answer", handler, tenant="onderwijs").json()["status"] == "answered"

    complaint = await case_in(settings, store, tenant="onderwijs", channel="e-formulier", signal_type="klacht")
    early = post(client, complaint, "answer-draft", handler, {"text": "x", "channel": "post"}, tenant="onderwijs")
    assert early.status_code == 409 and "qualified before it is answered" in early.json()["detail"]
    assert "qualification" in early.json()["allowed_actions"]
    assert "answer-draft" not in early.json()["allowed_actions"]
