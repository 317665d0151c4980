"""People signed in at the organisation's OpenID Connect provider: its keys found through its discovery
document, its claims (groups, roles) mapped to our tenants, roles and team by the settings."""

import pytest
from pydantic import ValidationError

from complaints.settings import Settings
from complaints.web.auth import Credentials, granted
from complaints.web.problems import Problem
from tests.oidc_provider import AUDIENCE, MAPPING, oidc_provider


@pytest.fixture
def provider():
    with oidc_provider() as running:
        yield running


def credentials(issuer: str) -> Credentials:
    return Credentials(None, Settings(environment="development", oidc_issuer=issuer, jwt_audience=AUDIENCE,
                                      oidc_claim_mapping=MAPPING))


def test_the_providers_groups_grant_tenants_roles_and_a_team_and_its_own_claims_grant_nothing(provider):
    people = credentials(provider.issuer)
    handler = people.person(provider.token(groups=["klachten-brandweer-communicatie", "personeel"],
                                           roles=["manager"], tenants=["woonhaven"], team="elders"))
    assert (handler.name, handler.tenants, handler.roles, handler.team) == (
        "an@stad.example", frozenset({"brandweer"}), frozenset({"handler"}), "communicatie")
    both = people.person(provider.token(groups="klachtencoordinatoren", realm_access={"roles": ["audit"]}))
    assert both.tenants == {"brandweer", "stad"} and both.roles == {"manager", "auditor"} and both.team is None
    nobody = people.person(provider.token())
    assert nobody.tenants == frozenset() and nobody.roles == frozenset()
    # The discovery document and the keys were fetched once, for every token since.
    assert provider.fetches == {"discovery": 1, "keys": 1}


def test_two_teams_are_a_403_and_a_token_of_another_issuer_or_audience_a_401(provider):
    people = credentials(provider.issuer)
    with pytest.raises(Problem) as two:
        people.person(provider.token(groups=["klachten-brandweer-communicatie", "klachten-brandweer-preventie"]))
    assert two.value.status == 403 and "several teams" in two.value.detail
    for claims in ({"iss": "https://elders.example"}, {"aud": "another-app"}, {"ttl": -120}):
        with pytest.raises(Problem) as refused:
            people.person(provider.token(**claims))
        assert refused.value.status == 401


def test_a_provider_that_does_not_answer_is_a_503_not_a_401():
    with oidc_provider() as gone:
        issuer, token = gone.issuer, gone.token()
    with pytest.raises(Problem) as refused:
        credentials(issuer).person(token)
    assert refused.value.status == 503


def test_a_discovery_document_naming_another_issuer_is_not_trusted():
    with oidc_provider(names_issuer="https://elders.example") as misconfigured:
        with pytest.raises(Problem) as refused:
            credentials(misconfigured.issuer).person(misconfigured.token())
    assert refused.value.status == 503 and "elders.example" in refused.value.detail


def test_the_mapping_is_typed_and_read_from_json():
    assert granted({"a": {"b": ["x"]}}, Settings(environment="development", oidc_issuer="https://idp",
                   oidc_claim_mapping='{"a.b": {"x": {"roles": ["auditor"]}}}').oidc_claim_mapping) == {
        "tenants": [], "roles": ["auditor"], "team": None}
    with pytest.raises(ValidationError, match="unknown roles"):
        Settings(environment="development", oidc_issuer="https://idp",
                 oidc_claim_mapping={"groups": {"x": {"roles": ["admin"]}}})
    with pytest.raises(ValidationError, match="OIDC_CLAIM_MAPPING"):
        Settings(environment="development", oidc_issuer="https://idp")
    with pytest.raises(ValidationError, match="not both"):
        Settings(environment="development", oidc_issuer="https://idp", jwks_url="https://idp/keys",
                 oidc_claim_mapping=MAPPING)
    with pytest.raises(ValidationError, match="https"):
        Settings(environment="production", oidc_issuer="http://idp", oidc_claim_mapping=MAPPING,
                 jwt_audience="complaints", pseudonym_secret="p" * 40, kafka_security_protocol="SSL",
                 tracking_secret="t" * 40, webhook_secret="w" * 40, public_url="https://klachten.example")
    Settings(environment="production", oidc_issuer="https://idp", oidc_claim_mapping=MAPPING,
             jwt_audience="complaints", pseudonym_secret="p" * 40, kafka_security_protocol="SSL",
                 tracking_secret="t" * 40, webhook_secret="w" * 40, public_url="https://klachten.example")


def test_a_token_without_a_kid_is_verified_with_the_providers_only_key(provider):
    """RFC 7515 makes `kid` optional: a provider with one key (the console's test provider) may leave it out.
    Still its signature: the same token signed by another key is refused."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    import jwt

    people = credentials(provider.issuer)
    handler = people.person(provider.token(kid=None, groups=["klachten-brandweer-communicatie"]))
    assert handler.team == "communicatie"
    claims = jwt.decode(provider.token(kid=None), options={"verify_signature": False})
    forged = jwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256")
    with pytest.raises(Problem) as refused:
        people.person(forged)
    assert refused.value.status == 401
