"""Every broker client of a process connects the same way: the settings' protocol, TLS and SASL user."""

import ssl
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError

from complaints.adapters import kafka
from complaints.settings import Settings
from launcher.infra import free_port

CLIENTS = ("AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient", "AIOKafkaClient")
SASL = ("sasl_mechanism", "sasl_plain_username", "sasl_plain_password")


def settings(**security: Any) -> Settings:
    return Settings(_env_file=None, environment="development",
                    kafka_bootstrap_servers=f"127.0.0.1:{free_port()}", **security)  # nothing listens there


@pytest.fixture
def given(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """The keyword arguments each client class of the adapter is made with, by class name."""
    made: dict[str, dict[str, Any]] = {}
    for name in CLIENTS:
        class Recorded(getattr(kafka, name)):  # the real client: it refuses arguments it does not take
            def __init__(self, *args: Any, _name: str = name, **kwargs: Any) -> None:
                made[_name] = kwargs
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(kafka, name, Recorded)
    return made


async def make_every_client(settings: Settings) -> None:
    """Each client the adapter makes; with no broker, those that connect at once fail at once."""
    await kafka.producer(settings).stop()
    await kafka.consumer(settings, kafka.group_id(settings, "routing")).stop()
    with pytest.raises(KafkaConnectionError):
        await kafka.ensure_topics(settings)
    assert not await kafka.broker_reachable(settings)


async def test_with_sasl_over_tls_every_client_checks_the_broker_and_logs_in_as_this_services_user(given):
    await make_every_client(settings(kafka_security_protocol="SASL_SSL", kafka_username="routing",
                                     kafka_password="routing-password"))
    assert set(given) == set(CLIENTS)
    for name, kwargs in given.items():
        assert kwargs["security_protocol"] == "SASL_SSL", name
        assert (kwargs["sasl_mechanism"], kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == (
            "SCRAM-SHA-512", "routing", "routing-password"), name
        context = kwargs["ssl_context"]
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname, name


async def test_with_tls_alone_no_client_offers_a_user(given):
    await make_every_client(settings(kafka_security_protocol="SSL"))
    for name, kwargs in given.items():
        assert kwargs["security_protocol"] == "SSL" and isinstance(kwargs["ssl_context"], ssl.SSLContext), name
        assert not set(SASL) & set(kwargs), name


async def test_to_the_bundled_broker_every_client_connects_in_plain_tcp(given):
    await make_every_client(settings())
    for name, kwargs in given.items():
        assert kwargs["security_protocol"] == "PLAINTEXT", name
        assert not {"ssl_context", *SASL} & set(kwargs), name
