"""Rate limits: per credential, and per client address for requests without one; each a 429 problem."""

from __future__ import annotations

from fastapi.testclient import TestClient

from complaints.settings import Settings
from intake.app import build
from tests.helpers import complaint

URL = "/v1/tenants/brandweer/complaints"


def test_a_credential_over_its_rate_gets_a_429_with_retry_after_and_others_go_on(settings: Settings, auth):
    limited = settings.model_copy(update={"rate_limit": "5/minute", "rate_limit_without_credentials": "3/minute"})
    with TestClient(build(limited)) as client:
        answers = [client.post(URL, headers=auth["intake"], json=complaint(n)).status_code for n in range(6)]
        assert answers == [201] * 5 + [429]
        refused = client.post(URL, headers=auth["intake"], json=complaint(7))
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/too-many-requests") and int(refused.headers["retry-after"]) >= 1
        assert client.get("/v1/tenants", headers=auth["manager"]).status_code == 200  # another credential
        without = [client.get("/v1/tenants").status_code for _ in range(4)]
        assert without == [401, 401, 401, 429]  # without credentials: counted per address
        assert client.get("/healthz").status_code == 200  # the platform's own probes are never limited


def test_open311s_api_key_in_the_query_is_counted_as_that_credential_not_as_the_address():
    from complaints.web.limits import RateLimit

    async def ok(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client = TestClient(RateLimit(ok, per_credential="3/minute", per_address="1/minute",
                                  per_tracking_address="1/minute"))
    keyed = [client.get("/open311/v2/requests.json", params={"api_key": "ck_a"}).status_code for _ in range(4)]
    assert keyed == [200, 200, 200, 429]  # the key's budget
    assert client.get("/open311/v2/requests.json", params={"api_key": "ck_b"}).status_code == 200  # another key
    assert [client.get("/open311/v2/services.json").status_code for _ in range(2)] == [200, 429]  # the address's
