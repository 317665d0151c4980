"""The broker of the production deployment: SASL over TLS, a user per service, and ACLs, checked statically.

No Docker engine runs here (see tests/test_deploy.py), so these tests read
deploy/docker-compose.yml and deploy/kafka/init.sh: clients reach Kafka only
with SASL over TLS, the controller stays inside its container, each service
that uses the broker logs in as its own user, kafka-init grants each user what
its code does and nothing more, only admin is a super user, and no secret is
written into the files. The certificate script is run for real and its
certificate checked by the adapter's own TLS context.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from complaints.adapters import kafka
from complaints.settings import Settings
from qualification.deadlines import DeadlineIndex
from reporting.projection import CaseProjection
from tests.test_deploy import APP_SERVICES, DEPLOY, ROOT, VARIABLE, compose, environment, interpolated, services, walk

INIT_SCRIPT = DEPLOY / "kafka" / "init.sh"
MAKE_CERTS = DEPLOY / "kafka" / "make-certs.sh"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
EVENTS, DEAD_LETTERS = "$EVENTS_TOPIC", "$DEAD_LETTER_TOPIC"

# What each process does on the broker, read from the code: the relay publishes the store's events and
# `kafka.ensure_topics` looks for both topics; each Follower reads the events topic in a group named after it
# (`kafka.group_id`; routing's and delivery's `store_follower` are named after their service) and publishes
# dead letters. Intake never connects.
BROKER_USE = {
    "relay": {("writes", EVENTS), ("sees", DEAD_LETTERS)},
    "routing": {("reads", EVENTS), ("joins", "routing"), ("writes", DEAD_LETTERS)},
    "delivery": {("reads", EVENTS), ("joins", "delivery"), ("writes", DEAD_LETTERS)},
    "qualification": {("reads", EVENTS), ("joins", "qualification"), ("joins", DeadlineIndex.name),
                      ("writes", DEAD_LETTERS)},
    "reporting": {("reads", EVENTS), ("joins", CaseProjection.name), ("writes", DEAD_LETTERS)},
}
# A call of one of init.sh's helpers: `writes relay "$EVENTS_TOPIC"`.
INIT_CALL = re.compile(r'^(?P<verb>user|writes|reads|sees|joins) (?P<user>\S+) "?(?P<what>[^"\s]+)"?$', re.MULTILINE)


# --- reading the files ---------------------------------------------------------------------------


def server_properties() -> dict[str, str]:
    """The broker's KAFKA_* variables as the apache/kafka image writes them into server.properties
    (kafka.docker.KafkaDockerWrapper: `_` is `.`, `__` is `_`, `___` is `-`)."""
    return {
        key.removeprefix("KAFKA_").lower().replace("_", ".").replace("...", "-").replace("..", "_"): value
        for key, value in environment("kafka").items()
        if key.startswith("KAFKA_")
    }


def listeners(value: str) -> dict[str, str]:
    """NAME://host:port,... as {NAME: host:port}."""
    return dict(listener.split("://", 1) for listener in value.split(","))


def protocols() -> dict[str, str]:
    return dict(pair.split(":", 1) for pair in server_properties()["listener.security.protocol.map"].split(","))


def settings_of(service: str) -> Settings:
    return Settings(**{name.lower(): interpolated(value) for name, value in environment(service).items()})


def init_calls() -> list[tuple[str, str, str]]:
    """(helper, user, argument) of each call of init.sh's helpers."""
    return [(call["verb"], call["user"], call["what"]) for call in INIT_CALL.finditer(INIT_SCRIPT.read_text())]


def init_grants() -> dict[str, set[tuple[str, str]]]:
    grants: dict[str, set[tuple[str, str]]] = {}
    for verb, user, what in init_calls():
        if verb != "user":
            grants.setdefault(user, set()).add((verb, what))
    return grants


def depends_on(service: str) -> dict[str, dict[str, str]]:
    return services()[service].get("depends_on") or {}


# --- the broker ----------------------------------------------------------------------------------


def test_clients_reach_the_broker_only_with_sasl_over_tls():
    kafka_env = environment("kafka")
    for name in listeners(kafka_env["KAFKA_ADVERTISED_LISTENERS"]):
        assert protocols()[name] == "SASL_SSL", f"the advertised listener {name} is {protocols()[name]}"
    for name, address in listeners(kafka_env["KAFKA_LISTENERS"]).items():
        if not address.startswith(LOOPBACK):
            assert protocols()[name] == "SASL_SSL", f"{name} listens on {address} with {protocols()[name]}"


def test_the_controller_listens_inside_its_container_and_is_not_advertised():
    kafka_env = environment("kafka")
    controller = kafka_env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert controller not in listeners(kafka_env["KAFKA_ADVERTISED_LISTENERS"])
    assert listeners(kafka_env["KAFKA_LISTENERS"])[controller].startswith(LOOPBACK)
    voters = kafka_env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
    assert all(voter.split("@", 1)[1].startswith(LOOPBACK) for voter in voters), voters


def test_every_sasl_mechanism_of_a_listener_has_its_login_module_and_the_broker_uses_enabled_ones():
    properties = server_properties()

    def enabled(listener: str) -> list[str]:
        return properties[f"listener.name.{listener.lower()}.sasl.enabled.mechanisms"].split(",")

    for listener, protocol in protocols().items():
        if protocol.startswith("SASL_"):
            for mechanism in enabled(listener):
                assert f"listener.name.{listener.lower()}.{mechanism.lower()}.sasl.jaas.config" in properties, (
                    f"{listener} enables {mechanism} but configures no login module for it")
    assert properties["sasl.mechanism.inter.broker.protocol"] in enabled(properties["inter.broker.listener.name"])
    assert properties["sasl.mechanism.controller.protocol"] in enabled(properties["controller.listener.names"])
    for service in BROKER_USE:
        assert settings_of(service).kafka_sasl_mechanism in enabled(properties["inter.broker.listener.name"])


def test_only_admin_is_a_super_user_and_nothing_is_allowed_without_an_acl():
    properties = server_properties()
    assert properties["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert properties["allow.everyone.if.no.acl.found"].lower() == "false"
    assert properties["super.users"] == "User:admin"


def test_admin_logs_in_with_the_password_kafka_init_is_given():
    for key, login in server_properties().items():
        if key.endswith(".plain.sasl.jaas.config"):
            assert 'username="admin"' in login, key
            accepted = re.findall(r'\b(?:password|user_admin)="([^"]*)"', login)
            assert set(accepted) == {environment("kafka-init")["KAFKA_ADMIN_PASSWORD"]}, key
            assert not re.search(r"\buser_(?!admin=)", login), f"{key} gives PLAIN accounts besides admin"


# --- the services' users and what they may do ----------------------------------------------------


def test_no_app_service_connects_to_the_broker_without_tls():
    for service in APP_SERVICES:
        assert settings_of(service).kafka_uses_tls, f"{service} uses {settings_of(service).kafka_security_protocol}"


def test_each_service_that_uses_the_broker_logs_in_as_its_own_user_and_intake_as_none():
    users = {service: settings_of(service).kafka_username for service in APP_SERVICES}
    assert {service for service, user in users.items() if user} == set(BROKER_USE)
    assert len({users[service] for service in BROKER_USE}) == len(BROKER_USE), f"a user is shared: {users}"
    assert "admin" not in users.values()
    assert not settings_of("intake").kafka_uses_sasl


def test_kafka_init_grants_each_service_user_exactly_what_its_code_does_and_no_one_else_anything():
    grants = init_grants()
    for service, use in BROKER_USE.items():
        user = settings_of(service).kafka_username
        assert grants.get(user) == use, f"{user} is granted {grants.get(user)}, its code does {use}"
    assert set(grants) == {settings_of(service).kafka_username for service in BROKER_USE}


def test_a_consumer_group_is_granted_by_the_prefix_kafka_group_id_gives_it():
    group = kafka.group_id(Settings(environment="development"), "routing")
    assert group.startswith("routing@")
    assert re.search(r'^joins\(\) \{.*--resource-pattern-type prefixed --group "\$2@"', INIT_SCRIPT.read_text(),
                     re.MULTILINE), "joins must grant the groups named CONSUMER@..."


def test_kafka_init_makes_each_services_user_with_the_password_that_service_is_given():
    made = {user: password for verb, user, password in init_calls() if verb == "user"}
    init_env = environment("kafka-init")
    variables = set()
    for service in BROKER_USE:
        env = environment(service)
        password = VARIABLE.fullmatch(env["KAFKA_PASSWORD"])
        assert password and password["op"] == ":?", f"{service}'s KAFKA_PASSWORD must be ${{NAME:?message}}"
        variable = made[env["KAFKA_USERNAME"]].removeprefix("$")
        assert init_env[variable] == env["KAFKA_PASSWORD"], f"{service} and kafka-init disagree on its password"
        variables.add(password["name"])
    assert len(variables) == len(BROKER_USE), "two services share a password variable"


def test_kafka_init_script_is_valid_bash():
    result = subprocess.run(["bash", "-n", str(INIT_SCRIPT)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- start order, secrets, files -----------------------------------------------------------------


def test_app_services_start_once_kafka_init_has_succeeded_after_kafka():
    for service in APP_SERVICES:
        assert depends_on(service)["kafka-init"]["condition"] == "service_completed_successfully", service
    assert "kafka" in depends_on("kafka-init")
    assert services()["kafka-init"]["image"] == services()["kafka"]["image"], "the tools must match the broker"


def test_every_password_and_secret_is_a_required_variable_and_no_key_is_in_the_file():
    for service in services():
        for name, value in environment(service).items():
            if name.endswith(("PASSWORD", "SECRET")):
                match = VARIABLE.fullmatch(value)
                assert match and match["op"] == ":?", f"{service}: {name} must be ${{NAME:?message}}, not {value!r}"
    for text in walk(compose()):
        for password in re.findall(r'\b(?:password|user_\w+)="([^"]*)"', text):
            match = VARIABLE.fullmatch(password)
            assert match and match["op"] == ":?", f"a password is written into the file: {text!r}"
        assert "PRIVATE KEY" not in text


def test_the_broker_and_every_client_read_their_tls_files_from_mounted_secrets():
    files = {name: secret["file"] for name, secret in compose()["secrets"].items()}
    properties = server_properties()

    def secret_of(service: str, path: str) -> str:
        name = path.removeprefix("/run/secrets/")
        assert path.startswith("/run/secrets/") and name in services()[service].get("secrets", []), (
            f"{service} reads {path}, which is not one of its secrets")
        return files[name]

    ca = secret_of("kafka", properties["ssl.truststore.location"])
    assert secret_of("kafka", properties["ssl.keystore.location"]) != ca
    for service in APP_SERVICES:
        assert secret_of(service, str(settings_of(service).kafka_ssl_cafile)) == ca, f"{service} trusts another CA"
    assert "ssl.truststore.location=/run/secrets/kafka-ca" in INIT_SCRIPT.read_text()
    assert secret_of("kafka-init", "/run/secrets/kafka-ca") == ca


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files deploy/kafka/make-certs.sh makes."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("kafka-secrets")
    subprocess.run(["bash", str(MAKE_CERTS), str(folder)], check=True, capture_output=True)
    return folder


def test_make_certs_makes_the_files_compose_mounts_where_git_ignores_them(certificates):
    for secret in compose()["secrets"].values():
        path = (DEPLOY / secret["file"]).resolve()
        assert path.parent == DEPLOY / "kafka" / "secrets", f"{secret['file']} is not where make-certs.sh writes"
        assert (certificates / path.name).is_file(), f"make-certs.sh does not make {path.name}"
        ignored = subprocess.run(["git", "check-ignore", "-q", str(path)], check=False, cwd=ROOT)
        assert ignored.returncode == 0, f"{path.relative_to(ROOT)} could be committed"
    # Kafka reads an unencrypted PKCS#8 key when no ssl.key.password is set (none is).
    broker = (certificates / "broker.pem").read_text()
    assert broker.count("-----BEGIN PRIVATE KEY-----") == 1 and "ssl.key.password" not in server_properties()
    assert broker.count("-----BEGIN CERTIFICATE-----") == 2, "the broker's certificate and its CA's"


async def test_the_adapters_tls_trusts_the_broker_certificate_for_its_name_and_nothing_else(certificates):
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(certificates / "broker.pem")
    server = await asyncio.start_server(lambda _reader, writer: writer.close(), "127.0.0.1", 0, ssl=served)
    port = server.sockets[0].getsockname()[1]
    ours = kafka.connection(Settings(environment="development", kafka_security_protocol="SSL",
                                     kafka_ssl_cafile=certificates / "ca.crt"))["ssl_context"]
    system = kafka.connection(Settings(environment="development", kafka_security_protocol="SSL"))["ssl_context"]

    async def handshake(context: ssl.SSLContext, name: str) -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=name)
        writer.close()

    async with server:
        await handshake(ours, "kafka")  # the name the services reach the broker by
        for context, name in ((ours, "postgres"), (system, "kafka")):
            with pytest.raises(ssl.SSLCertVerificationError):
                await handshake(context, name)
