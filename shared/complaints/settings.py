"""One typed settings object for every process, read from the environment.

The embedded default (SQLite in `.data/`, the bundled broker on 9092) is what
`make run` uses; tests and production set `DATABASE_URL` to PostgreSQL and
`KAFKA_BOOTSTRAP_SERVERS` to their broker.
"""

from __future__ import annotations

import ipaddress
import json
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from limits import parse
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from complaints.model.roles import PERSON_ROLES
from complaints.model.tenants import BUNDLED


DEV_JWT_SECRET = "development-only-secret-do-not-use-in-production"
DEV_PSEUDONYM_SECRET = "development-only-pseudonym-secret"
DEV_TRACKING_SECRET = "development-only-tracking-secret"
DEV_WEBHOOK_SECRET = "development-only-webhook-secret"
# A front-end's development server on this machine (Vite's port), allowed to call the API in development.
DEV_CORS_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")


# `make run` writes `ENVIRONMENT=development` here (its data folder), so the CLI commands the README shows
# beside it run as development too; anywhere else the settings are production's unless told otherwise.
DEVELOPMENT_FILE = Path(".data") / "complaints.env"
MIN_SECRET_BYTES = 32


class ClaimGrant(BaseModel):
    """What one value of an identity provider's claim grants a person: tenants, roles, a team."""

    model_config = ConfigDict(extra="forbid")
    tenants: list[str] = []
    roles: list[str] = []
    team: str | None = None

    @field_validator("roles")
    @classmethod
    def _people_roles(cls, roles: list[str]) -> list[str]:
        if unknown := set(roles) - PERSON_ROLES:
            raise ValueError(f"unknown roles {sorted(unknown)}: a person's roles are {sorted(PERSON_ROLES)}")
        return roles


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", env_file=DEVELOPMENT_FILE)

    # Production unless said otherwise: a deployment that forgets to say so fails closed.
    environment: str = "production"
    database_url: str = "sqlite:///.data/complaints.db"
    # Whether this process creates and migrates the tables it uses at start (the embedded default and the
    # tests). Production says false: its services log in as roles that may not change the schema, and the
    # migration step (`python -m complaints.migrate`, as the tables' owner) does it before they start.
    schema_changes: bool = True
    # The migration step's grants: service -> the PostgreSQL role it logs in as. Each role gets only the
    # tables its service uses (complaints.adapters.privileges); none may alter or drop any.
    database_roles: dict[str, str] = Field(default_factory=dict)
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # `make run` starts the bundled broker on that address; set false to use a broker of your own.
    embedded_broker: bool = True
    # PLAINTEXT is for the bundled broker on this machine; production refuses a protocol without TLS.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    # SCRAM proves the password without sending it; PLAIN sends it (inside TLS).
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_username: str = ""  # this process's own broker user: what it may do is granted to it alone
    kafka_password: SecretStr = SecretStr("")
    # The CA that signed the broker's certificate (a private CA); unset, the system's CAs are trusted.
    kafka_ssl_cafile: Path | None = None
    events_topic: str = "complaints.events"
    dead_letter_topic: str = "complaints.deadletter"
    topic_partitions: int = 3
    tenants_dir: Path = BUNDLED

    intake_port: int = 8001
    routing_port: int = 8002
    qualification_port: int = 8003
    reporting_port: int = 8004
    relay_port: int = 8005
    delivery_port: int = 8006
    webhooks_port: int = 8007
    # The gateway (Caddy): every public path of the four services on this one port, CORS answered there.
    gateway_port: int = 8000
    # The browser origins the gateway lets call the API (CORS), a JSON list: '["https://app.example.org"]'.
    # None in production unless listed; in development, unless set, DEV_CORS_ORIGINS.
    cors_origins: list[str] = Field(default_factory=list)
    host: str = "127.0.0.1"
    intake_url: str = ""  # where other processes reach intake; defaults to host:intake_port

    # A consumer that hears nothing from the broker for this long reads the
    # store's notification log itself, so a broker that lost its memory loses nothing.
    catch_up_interval_seconds: float = Field(default=2.0, gt=0)
    # How long the broker may hold a consumer's empty fetch. Measured on the bundled broker (Tansu): a
    # message waited about 115 ms at the client's default of 500 ms, 13 ms at 50 ms; each event crosses
    # it twice on its way to a due date. The price is an idle fetch per consumer every 50 ms.
    kafka_fetch_max_wait_ms: int = Field(default=50, ge=0)
    log_level: str = "INFO"
    # A sender's clock may run this far ahead of ours: intake refuses a `received_at` later than now plus this.
    clock_skew_seconds: float = Field(default=300.0, ge=0)
    # An Idempotency-Key repeated within this window is a retry (the same case); after it, a new complaint.
    idempotency_key_hours: float = Field(default=24.0, gt=0)
    # An auditor's repeated look at one case (its state, its history...) is logged once per this window.
    read_log_window_seconds: float = Field(default=3600.0, ge=0)
    # The live stream of case changes: a comment this often keeps proxies from closing a quiet stream; at
    # most this many streams open per reporting process (beyond it a 503 with Retry-After).
    stream_heartbeat_seconds: float = Field(default=15.0, gt=0)
    max_streams: int = Field(default=200, gt=0)
    # The complainants' e-mail: any SMTP server. `smtp://host:port` (STARTTLS when the server offers it, required
    # with `?starttls=required`), `smtps://host:465` (TLS from the start); credentials as `smtp://user:pw@host`.
    # The default is `make run`'s sink, which keeps every message under .data/mail/.
    smtp_url: SecretStr = SecretStr("smtp://127.0.0.1:8025")
    smtp_from: str = "Klachtenbehandeling <no-reply@complaints.localhost>"
    # A message the server does not take (it is away, or says "try later") is tried again this many times, waiting
    # from the first backoff up to the last between tries; then `DeliveryFailed`. A refused recipient is final.
    smtp_attempts: int = Field(default=5, ge=1)
    smtp_backoff_seconds: tuple[float, float] = (1.0, 60.0)
    # How often the qualification service looks for deadlines reached (the index is durable; this is latency).
    deadline_check_seconds: float = Field(default=60.0, gt=0)
    # How often intake erases the personal data past each tenant's retention period (the index is durable;
    # a day late is within any period).
    retention_check_seconds: float = Field(default=3600.0, gt=0)

    # Webhooks (services/webhooks). A delivery the receiver does not take (no answer, not a 2xx) is tried again,
    # waiting from the first backoff, doubling, up to the last; for this long after its first try, then the
    # subscription is marked failing and its deliveries wait for a manager's re-drive.
    webhook_backoff_seconds: tuple[float, float] = (1.0, 300.0)
    webhook_retry_seconds: float = Field(default=24 * 3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Outside development a callback may reach public addresses only; these networks (CIDR, a JSON list) are
    # allowed besides, e.g. '["10.20.0.0/16"]' for a receiver on the city's own network.
    webhook_allowed_networks: list[str] = Field(default_factory=list)
    # After a rotation the previous secret also signs for this long, so a receiver can switch without a gap.
    webhook_rotation_grace_seconds: float = Field(default=24 * 3600.0, ge=0)
    # Keys the subscriptions' signing secrets (derived from it, the subscription and the secret's generation:
    # none is stored; changing it changes every subscription's secret).
    webhook_secret: SecretStr = SecretStr(DEV_WEBHOOK_SECRET)

    # People's bearer tokens: signed with this secret (HS256), or by keys published at `jwks_url`.
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_issuer: str = "complaints-dev"
    jwt_audience: str = "complaints"
    jwks_url: str | None = None
    # Or the organisation's OpenID Connect provider: its issuer, whose discovery document
    # (`/.well-known/openid-configuration`) names its keys (`jwks_uri`); the audience is `JWT_AUDIENCE`. Its
    # tokens carry the organisation's claims, not ours: `OIDC_CLAIM_MAPPING` says what each value of a claim
    # grants, as JSON `{claim path: {value: {tenants, roles, team}}}`, a dotted path for a nested claim
    # (`{"groups": {"klachten-brandweer": {"tenants": ["brandweer"], "roles": ["handler"], "team": "communicatie"}}}`).
    oidc_issuer: str | None = None
    oidc_claim_mapping: dict[str, dict[str, ClaimGrant]] = Field(default_factory=dict)
    # Keys the complainants' pseudonyms (repeated complaints are counted without reading who).
    pseudonym_secret: SecretStr = SecretStr(DEV_PSEUDONYM_SECRET)
    # Keys the complainants' tracking links (a MAC of the case id: changing it ends every link sent so far).
    tracking_secret: SecretStr = SecretStr(DEV_TRACKING_SECRET)
    # Where people reach the platform (the gateway): the links in messages to complainants start with it.
    public_url: str = "http://127.0.0.1:8000"
    # Requests to tracking links per client address (a guesser's budget; a complainant looks a few times).
    tracking_rate_limit: str = "30/minute"
    # Bodies above this are refused (413) before they are parsed; an import batch is the largest.
    max_body_bytes: int = Field(default=5_000_000, gt=0)
    # Requests per API key or bearer token, and per client address without credentials, in each process
    # (the `limits` notation: "100/second", "1000/minute"). A city system posts a few complaints a minute.
    rate_limit: str = "100/second"
    rate_limit_without_credentials: str = "10/second"

    @field_validator("rate_limit", "rate_limit_without_credentials", "tracking_rate_limit")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        parse(value)  # raises ValueError naming what it could not read
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, networks: list[str]) -> list[str]:
        for network in networks:
            ipaddress.ip_network(network, strict=False)  # raises ValueError naming the bad one
        return networks

    @field_validator("oidc_claim_mapping", "webhook_backoff_seconds", "webhook_allowed_networks", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        """As the environment gives it (JSON), also when passed in as a string."""
        return json.loads(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_identity_provider(self) -> "Settings":
        if self.oidc_issuer and self.jwks_url:
            raise ValueError("set OIDC_ISSUER (its discovery document names the keys) or JWKS_URL, not both")
        if self.oidc_issuer and not self.oidc_claim_mapping:
            raise ValueError("OIDC_ISSUER needs OIDC_CLAIM_MAPPING: which of the provider's claims grant "
                             "which tenants, roles and team")
        return self

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        # A browser sends `scheme://host[:port]` exactly; one written with a path or a trailing slash never matches.
        for origin in origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
                raise ValueError(f"{origin!r} is not an origin: scheme://host[:port], without a path")
        return origins

    @model_validator(mode="after")
    def _development_origins(self) -> "Settings":
        if self.environment == "development" and "cors_origins" not in self.model_fields_set:
            self.cors_origins = list(DEV_CORS_ORIGINS)
        return self

    @model_validator(mode="after")
    def _fail_closed_outside_development(self) -> "Settings":
        if self.environment == "development":
            return self
        problems = []
        if self.oidc_issuer and not self.oidc_issuer.startswith("https://"):
            problems.append("OIDC_ISSUER must be an https:// address")
        if not self.jwks_url and not self.oidc_issuer:
            secret = self.jwt_secret.get_secret_value()
            if secret == DEV_JWT_SECRET or len(secret.encode()) < MIN_SECRET_BYTES:
                problems.append(f"JWT_SECRET must be set to at least {MIN_SECRET_BYTES} bytes (or OIDC_ISSUER or "
                                "JWKS_URL)")
        pseudonym = self.pseudonym_secret.get_secret_value()
        if pseudonym == DEV_PSEUDONYM_SECRET or len(pseudonym.encode()) < MIN_SECRET_BYTES:
            problems.append(f"PSEUDONYM_SECRET must be set to at least {MIN_SECRET_BYTES} bytes")
        tracking = self.tracking_secret.get_secret_value()
        if tracking == DEV_TRACKING_SECRET or len(tracking.encode()) < MIN_SECRET_BYTES:
            problems.append(f"TRACKING_SECRET must be set to at least {MIN_SECRET_BYTES} bytes")
        webhook = self.webhook_secret.get_secret_value()
        if webhook == DEV_WEBHOOK_SECRET or len(webhook.encode()) < MIN_SECRET_BYTES:
            problems.append(f"WEBHOOK_SECRET must be set to at least {MIN_SECRET_BYTES} bytes")
        if not self.public_url.startswith("https://"):
            problems.append("PUBLIC_URL must be the gateway's https:// address (links to complainants start with it)")
        # An OpenID provider's issuer is OIDC_ISSUER (its discovery document must say the same).
        named = ("jwt_audience",) if self.oidc_issuer else ("jwt_issuer", "jwt_audience")
        unset = [name.upper() for name in named if name not in self.model_fields_set]
        if unset:
            problems.append(f"{' and '.join(unset)} must be set explicitly (your identity provider's)")
        if not self.kafka_uses_tls:
            problems.append("KAFKA_SECURITY_PROTOCOL must be SSL or SASL_SSL (the broker is reached over TLS)")
        if self.kafka_uses_sasl and not (self.kafka_username and self.kafka_password.get_secret_value()):
            problems.append("KAFKA_USERNAME and KAFKA_PASSWORD must be set with SASL (this process's broker user)")
        if problems:
            raise ValueError(f"ENVIRONMENT={self.environment}: " + "; ".join(problems)
                             + " (ENVIRONMENT=development for a trial run)")
        return self

    @property
    def kafka_uses_tls(self) -> bool:
        return self.kafka_security_protocol in ("SSL", "SASL_SSL")

    @property
    def kafka_uses_sasl(self) -> bool:
        return self.kafka_security_protocol.startswith("SASL_")

    @property
    def is_postgres(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "postgresql"

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's environment for the event store."""
        url = make_url(self.database_url)
        if self.is_postgres:
            return {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": url.database or "",
                "POSTGRES_HOST": url.host or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": url.username or "",
                "POSTGRES_PASSWORD": url.password or "",
                "POSTGRES_POOL_SIZE": "10",
                "POSTGRES_MAX_OVERFLOW": "10",
                # How long a caller waits for a pooled connection (the library's default is 30 s). The
                # library tries each store call ten times, so while the database is away a request
                # gets its 503 after some 12 s instead of five minutes; a busy pool is simply retried.
                "POSTGRES_CONNECT_TIMEOUT": "1",
                # Every insert also writes the events' hash-chain links (tamper evidence).
                "PROCESS_RECORDER_TOPIC": "complaints.adapters.chain:ChainedPostgresProcessRecorder",
                "CREATE_TABLE": "yes" if self.schema_changes else "no",
            }
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": url.database,
            "SQLITE_LOCK_TIMEOUT": "30",
            "PROCESS_RECORDER_TOPIC": "complaints.adapters.chain:ChainedSQLiteProcessRecorder",
        }

    def async_database_url(self) -> str:
        """The same database for SQLAlchemy's async engine (asyncpg or aiosqlite)."""
        url = make_url(self.database_url)
        driver = "postgresql+asyncpg" if self.is_postgres else "sqlite+aiosqlite"
        return url.set(drivername=driver).render_as_string(hide_password=False)

    def libpq_url(self) -> str:
        """The PostgreSQL database as libpq (psycopg) takes it."""
        return make_url(self.database_url).set(drivername="postgresql").render_as_string(hide_password=False)

    def public_intake_url(self) -> str:
        return self.intake_url or f"http://{self.host}:{self.intake_port}"


@cache
def get_settings() -> Settings:
    return Settings()
