"""The settings fail closed: production unless said otherwise, and production refuses weak credentials."""

import pytest
from pydantic import ValidationError

from complaints.settings import DEV_CORS_ORIGINS, DEV_JWT_SECRET, Settings

STRONG = "s" * 32
PRODUCTION = {"jwt_secret": STRONG, "pseudonym_secret": STRONG, "tracking_secret": STRONG, "webhook_secret": STRONG,
              "public_url": "https://klachten.stad.example", "jwt_issuer": "https://idp.stad.example",
              "jwt_audience": "complaints", "kafka_security_protocol": "SASL_SSL", "kafka_username": "routing",
              "kafka_password": STRONG}


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a deployment that sets nothing (the tests themselves run as development)."""
    for name in ("ENVIRONMENT", "JWT_SECRET", "PSEUDONYM_SECRET", "TRACKING_SECRET", "WEBHOOK_SECRET", "PUBLIC_URL", "JWT_ISSUER", "JWT_AUDIENCE", "JWKS_URL",
                 "KAFKA_SECURITY_PROTOCOL", "KAFKA_USERNAME", "KAFKA_PASSWORD", "CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)


def test_with_nothing_said_the_settings_are_production_and_refuse_the_published_secrets():
    with pytest.raises(ValidationError,
                       match="JWT_SECRET.*PSEUDONYM_SECRET.*TRACKING_SECRET.*PUBLIC_URL.*JWT_ISSUER and JWT_AUDIENCE.*KAFKA_SECURITY_PROTOCOL"):
        Settings(_env_file=None)


@pytest.mark.parametrize(("change", "named"), [
    ({"jwt_secret": "x"}, "JWT_SECRET"),  # a 1-character secret
    ({"jwt_secret": "é" * 15}, "JWT_SECRET"),  # 30 bytes, though 15 characters
    ({"jwt_secret": DEV_JWT_SECRET}, "JWT_SECRET"),
    ({"pseudonym_secret": "short"}, "PSEUDONYM_SECRET"),
    ({"tracking_secret": "short"}, "TRACKING_SECRET"),
    ({"webhook_secret": "short"}, "WEBHOOK_SECRET"),
    ({"public_url": "http://klachten.stad.example"}, "PUBLIC_URL"),
])
def test_production_refuses_a_secret_shorter_than_32_bytes(change, named):
    with pytest.raises(ValidationError, match=named):
        Settings(_env_file=None, **{**PRODUCTION, **change})


@pytest.mark.parametrize("missing", ["jwt_issuer", "jwt_audience"])
def test_production_needs_its_issuer_and_audience_said_explicitly(missing):
    given = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ValidationError, match=missing.upper()):
        Settings(_env_file=None, **given)


def test_production_with_strong_explicit_credentials_starts_and_development_takes_the_defaults():
    assert Settings(_env_file=None, **PRODUCTION).environment == "production"
    assert Settings(_env_file=None, jwks_url="https://idp.example/jwks", **{
        k: v for k, v in PRODUCTION.items() if k != "jwt_secret"}).jwks_url
    assert Settings(_env_file=None, environment="development").jwt_secret.get_secret_value() == DEV_JWT_SECRET


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SASL_PLAINTEXT"])
def test_production_refuses_a_broker_connection_without_tls(protocol):
    with pytest.raises(ValidationError, match="KAFKA_SECURITY_PROTOCOL must be SSL or SASL_SSL"):
        Settings(_env_file=None, **{**PRODUCTION, "kafka_security_protocol": protocol})


@pytest.mark.parametrize("missing", ["kafka_username", "kafka_password"])
def test_production_refuses_sasl_without_a_username_and_password(missing):
    given = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ValidationError, match="KAFKA_USERNAME and KAFKA_PASSWORD must be set"):
        Settings(_env_file=None, **given)


def test_production_takes_tls_without_sasl_and_development_the_plain_connection_of_the_bundled_broker():
    without_user = {k: v for k, v in PRODUCTION.items() if k not in ("kafka_username", "kafka_password")}
    assert Settings(_env_file=None, **{**without_user, "kafka_security_protocol": "SSL"}).kafka_uses_tls
    development = Settings(_env_file=None, environment="development")
    assert development.kafka_security_protocol == "PLAINTEXT" and not development.kafka_uses_sasl


def test_make_runs_file_says_development(tmp_path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "complaints.env").write_text("ENVIRONMENT=development\n")
    assert Settings(_env_file=tmp_path / "complaints.env").environment == "development"


def test_production_allows_no_browser_origin_unless_listed_and_development_a_local_front_end():
    assert Settings(_env_file=None, **PRODUCTION).cors_origins == []
    assert Settings(_env_file=None, environment="development").cors_origins == list(DEV_CORS_ORIGINS)
    assert Settings(_env_file=None, environment="development", cors_origins=[]).cors_origins == []


def test_cors_origins_are_read_as_a_json_list(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CORS_ORIGINS", '["https://app.stad.example", "http://localhost:3000"]')
    assert Settings(_env_file=None, **PRODUCTION).cors_origins == ["https://app.stad.example", "http://localhost:3000"]


@pytest.mark.parametrize("origin", ["https://app.stad.example/", "app.stad.example", "https://app.stad.example/ui"])
def test_an_origin_with_a_path_or_without_a_scheme_is_refused_as_a_browser_never_sends_it(origin):
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(_env_file=None, **PRODUCTION, cors_origins=[origin])
