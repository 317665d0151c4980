"""The webhook rules without a running set: which addresses a callback may reach outside development (checked
on the address connected to, so nothing is sent to a refused one), the subscription's filters, and its secret."""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import uuid4

import httpcore
import pytest
from standardwebhooks import Webhook

from complaints.adapters import webhooks
from complaints.application.callers import Caller
from complaints.application.clock import FixedClock
from complaints.application.errors import InvalidFields
from complaints.application.subscriptions import Subscriptions
from complaints.model.subscriptions import Subscription, address_allowed, secret_for, url_problem
from complaints.model.tenants import load_tenants
from complaints.settings import BUNDLED


class Recording(httpcore.AsyncNetworkBackend):
    """A network backend that only records what it was asked to connect to."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # noqa: ANN001
        self.connects.append((host, port))
        raise httpcore.ConnectError("recorded only")

    async def sleep(self, seconds: float) -> None:
        pass


def resolver(answers: dict[str, list[str]]):  # noqa: ANN201
    async def resolve(host: str, port: int) -> list[str]:
        return answers.get(host, [host])
    return resolve


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1",
                                     "224.0.0.1", "240.0.0.1"])
def test_loopback_private_link_local_and_reserved_addresses_are_refused(address):
    assert not address_allowed(address)


def test_a_public_address_is_allowed_and_a_network_the_operator_names_too():
    assert address_allowed("93.184.215.14") and address_allowed("2606:2800:21f:cb07::1")
    assert address_allowed("10.20.1.5", ["10.20.0.0/16"]) and not address_allowed("10.21.1.5", ["10.20.0.0/16"])


async def test_a_callback_to_a_private_address_is_refused_without_any_connection_attempt():
    network = Recording()
    client = webhooks.client(guarded=True, resolver=resolver({}), backend=network)
    with pytest.raises(webhooks.AddressRefused):
        await client.post("http://10.0.0.7:8080/hooks", content=b"{}")
    assert network.connects == []
    await client.aclose()


async def test_a_name_that_resolves_to_loopback_when_delivering_is_refused_there_dns_rebinding():
    answers = {"receiver.example": ["93.184.215.14"]}
    assert await webhooks.refusal("https://receiver.example/hooks", [], resolver(answers)) is None
    answers["receiver.example"] = ["93.184.215.14", "127.0.0.1"]  # the name now points home too
    network = Recording()
    client = webhooks.client(guarded=True, resolver=resolver(answers), backend=network)
    with pytest.raises(webhooks.AddressRefused):
        await client.post("https://receiver.example/hooks", content=b"{}")
    assert network.connects == []
    await client.aclose()


async def test_the_guarded_client_connects_to_the_address_it_checked_and_never_follows_a_redirect():
    network = Recording()
    client = webhooks.client(guarded=True, resolver=resolver({"receiver.example": ["93.184.215.14"]}),
                             backend=network)
    assert client.follow_redirects is False
    with pytest.raises(Exception):
        await client.post("http://receiver.example/hooks", content=b"{}")
    assert network.connects == [("93.184.215.14", 80)]  # the checked address, not the name again
    await client.aclose()


async def test_a_subscription_to_a_private_address_is_a_422_naming_the_url_outside_development():
    async def check(url: str) -> str | None:
        return await webhooks.refusal(url, [], resolver({"intranet.example": ["192.168.4.4"]}))

    use_cases = Subscriptions(store=None, clock=FixedClock(), secret_key=b"k" * 32, https_only=True,  # type: ignore
                              check_address=check)
    manager = Caller("person", "m", frozenset({"brandweer"}), frozenset({"manager"}))
    tenant = load_tenants(BUNDLED)["brandweer"]
    for url, says in (("https://intranet.example/hooks", "192.168.4.4"), ("http://93.184.215.14/", "https")):
        with pytest.raises(InvalidFields) as refused:
            await use_cases.create(manager, tenant, url=url, event_types=[], teams=[], signal_types=[],
                                   own_cases=None)
        assert [e["field"] for e in refused.value.errors] == ["url"] and says in refused.value.errors[0]["message"]


def test_url_forms_refused():
    assert url_problem("https://user:pw@a.example/", https_only=True)
    assert url_problem("file:///etc/passwd", https_only=False)
    assert url_problem("https://a.example/#x", https_only=True)
    assert url_problem("https://a.example/hooks", https_only=True) is None


def _subscription(**overrides) -> Subscription:  # noqa: ANN003
    fields = dict(tenant="brandweer", owner="system:e-loket", owner_kind="system", owner_roles=["subscriber"],
                  url="https://a.example/", event_types=["Answered"], teams=[], signal_types=[], own_cases=True,
                  starts_after=0, occurred_at=datetime(2026, 3, 2, tzinfo=timezone.utc))
    return Subscription(**{**fields, **overrides})


def test_a_subscription_wants_its_event_types_of_its_own_cases_of_its_tenant():
    subscription = _subscription(teams=["financien"])
    case = dict(tenant="brandweer", team="financien", signal_type="klacht", received_by="system:e-loket")
    assert subscription.wants("Answered", **case)
    assert not subscription.wants("Routed", **case)
    assert not subscription.wants("Answered", **{**case, "received_by": "system:other"})
    assert not subscription.wants("Answered", **{**case, "team": "preventie"})
    assert not subscription.wants("Answered", **{**case, "tenant": "politiezone"})


def test_the_secret_is_in_no_event_and_a_rotation_makes_a_new_one_that_verifies():
    subscription = _subscription()
    at = datetime(2026, 3, 2, tzinfo=timezone.utc)
    subscription.rotate_secret(actor="user:m", at=at)
    key = b"k" * 32
    first, second = secret_for(key, subscription.id, 1), secret_for(key, subscription.id, 2)
    assert first != second and secret_for(key, uuid4(), 2) != second
    recorded = repr([vars(e) for e in subscription.collect_events()])
    assert first not in recorded and second not in recorded and first[6:] not in recorded
    headers = webhooks.signed_headers("c:1", b'{"a":1}', [second, first], datetime.now(timezone.utc))
    assert Webhook(first).verify(b'{"a":1}', headers) == {"a": 1}  # the old one still verifies in the grace
    assert Webhook(second).verify(b'{"a":1}', headers) == {"a": 1}


def test_failing_waits_for_a_redrive_and_a_redrive_that_fails_again_waits_for_the_next():
    subscription = _subscription()
    at = datetime(2026, 3, 2, tzinfo=timezone.utc)
    assert subscription.mark_failing(event_id="c:1", notification_id=5, reason="HTTP 503", at=at)
    assert subscription.status == "failing" and not subscription.mark_failing(event_id="c:1", notification_id=5,
                                                                              reason="again", at=at)
    assert subscription.ask_redrive(actor="user:m", at=at) and subscription.redrive_asked
    assert subscription.mark_failing(event_id="c:1", notification_id=5, reason="still 503", at=at)
    assert not subscription.redrive_asked
    subscription.ask_redrive(actor="user:m", at=at)
    assert subscription.recover(at=at) and subscription.status == "active"
