"""The settings fail closed: production unless said otherwise, and production refuses weak credentials."""

import pytest
from pydantic import ValidationError

from complaints.settings import DEV_JWT_SECRET, Settings

STRONG = "s" * 32
PRODUCTION = {"jwt_secret": STRONG, "pseudonym_secret": STRONG, "jwt_issuer": "https://idp.stad.example",
              "jwt_audience": "complaints"}


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a deployment that sets nothing (the tests themselves run as development)."""
    for name in ("ENVIRONMENT", "JWT_SECRET", "PSEUDONYM_SECRET", "JWT_ISSUER", "JWT_AUDIENCE", "JWKS_URL"):
        monkeypatch.delenv(name, raising=False)


def test_with_nothing_said_the_settings_are_production_and_refuse_the_published_secrets():
    with pytest.raises(ValidationError, match="JWT_SECRET.*PSEUDONYM_SECRET.*JWT_ISSUER and JWT_AUDIENCE"):
        Settings(_env_file=None)


@pytest.mark.parametrize(("change", "named"), [
    ({"jwt_secret": "x"}, "JWT_SECRET"),  # a 1-character secret
    ({"jwt_secret": "é" * 15}, "JWT_SECRET"),  # 30 bytes, though 15 characters
    ({"jwt_secret": DEV_JWT_SECRET}, "JWT_SECRET"),
    ({"pseudonym_secret": "short"}, "PSEUDONYM_SECRET"),
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


def test_make_runs_file_says_development(tmp_path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "complaints.env").write_text("ENVIRONMENT=development\n")
    assert Settings(_env_file=tmp_path / "complaints.env").environment == "development"
