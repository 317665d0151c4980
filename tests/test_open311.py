"""Open311 GeoReport v2 through the gateway: the fire zone's services (its keywords) discovered as the spec and
a real client (`georeport`, from PyPI) read them, a form-encoded post that becomes a case, the same post again
that does not, and the request's status for its sender after routing and after the answer and the close."""

from __future__ import annotations

from xml.etree import ElementTree

import georeport
import httpx
import pytest
import requests

from launcher.stack import Stack
from tests.helpers import wait_until

OPEN311 = "/open311/v2"
AGENCY = "Brandweer Zone Antwerpen"
FORM = {"jurisdiction_id": "brandweer", "service_code": "overlast", "attribute[signal_type]": "klacht",
        "attribute[channel]": "e-mail", "description": "Sirenes elke nacht om drie uur\nIn de Lange Nieuwstraat.",
        "address_string": "Lange Nieuwstraat 1, Antwerpen", "lat": "51.2194", "long": "4.4025",
        "email": "a.burger@example.be", "first_name": "A.", "last_name": "Burger",
        "sender_reference": "ELOKET-311-1"}


@pytest.fixture(scope="module")
def url(gateway: str) -> str:
    return gateway + OPEN311


@pytest.fixture(scope="module")
def key(module_auth) -> str:
    return module_auth["intake"]["X-API-Key"]


@pytest.fixture(scope="module")
def posted(url: str, key: str) -> httpx.Response:
    return httpx.post(f"{url}/requests.json", data={**FORM, "api_key": key}, timeout=30)


def test_the_services_are_the_tenants_keywords_public_and_as_the_spec_has_them_in_json_and_xml(url: str):
    services = httpx.get(f"{url}/services.json", params={"jurisdiction_id": "brandweer"})
    assert services.status_code == 200 and services.headers["content-type"].startswith("application/json")
    nuisance = next(s for s in services.json() if s["service_code"] == "overlast")
    assert nuisance == {**nuisance, "metadata": True, "type": "realtime",
                        "service_name": "Nuisance (sirens and the like)"}
    assert len(services.json()) == 13  # the fire zone's 13 categories
    xml = httpx.get(f"{url}/services.xml", params={"jurisdiction_id": "brandweer"})
    assert xml.headers["content-type"].startswith("text/xml") and xml.content.startswith(b"<?xml")
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "services"
    assert {s.findtext("service_code") for s in root} == {s["service_code"] for s in services.json()}
    dutch = httpx.get(f"{url}/services.json", params={"jurisdiction_id": "brandweer"},
                      headers={"Accept-Language": "nl"}).json()
    assert next(s for s in dutch if s["service_code"] == "overlast")["service_name"] == "Overlast (sirene e.d.)"


def test_a_service_definition_asks_for_the_signal_type_and_the_channel_from_the_tenant_file(url: str):
    definition = httpx.get(f"{url}/services/overlast.json", params={"jurisdiction_id": "brandweer"}).json()
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert definition["service_code"] == "overlast" and list(attributes) == ["signal_type", "channel", "subject"]
    assert attributes["channel"]["required"] and attributes["channel"]["datatype"] == "singlevaluelist"
    assert {v["key"] for v in attributes["channel"]["values"]} >= {"e-mail", "telefoon", "sociale-media"}
    assert not attributes["subject"]["required"]
    xml = ElementTree.fromstring(httpx.get(f"{url}/services/overlast.xml",
                                           params={"jurisdiction_id": "brandweer"}).content)
    assert xml.tag == "service_definition"
    assert [a.findtext("code") for a in xml.find("attributes")] == ["signal_type", "channel", "subject"]


def test_errors_are_the_specs_with_the_right_status(url: str, key: str):
    unknown = httpx.get(f"{url}/services/brandstichting.json", params={"jurisdiction_id": "brandweer"})
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404
    missing = httpx.get(f"{url}/services.xml")
    assert missing.status_code == 400
    error = ElementTree.fromstring(missing.content)
    assert error.tag == "errors" and error.find("error").findtext("code") == "400"
    assert "jurisdiction_id" in error.find("error").findtext("description")
    no_key = httpx.post(f"{url}/requests.json", data=FORM)
    assert no_key.status_code == 403 and "api_key" in no_key.json()[0]["description"]
    wrong = httpx.post(f"{url}/requests.json", data={**FORM, "api_key": "ck_nonsense"})
    assert wrong.status_code == 403
    bad = httpx.post(f"{url}/requests.json", data={"jurisdiction_id": "brandweer", "service_code": "overlast",
                                                   "attribute[channel]": "fax", "api_key": key})
    assert bad.status_code == 400
    described = " ".join(e["description"] for e in bad.json())
    assert all(e["code"] == 400 for e in bad.json()) and "description" in described and "channel" in described
    no_such_service = httpx.post(f"{url}/requests.json", data={**FORM, "service_code": "brand", "api_key": key})
    assert no_such_service.status_code == 404 and "service_code" in no_such_service.json()[0]["description"]


def test_a_form_encoded_post_is_a_case_and_the_same_post_again_is_the_same_case(url: str, key: str,
                                                                                 posted: httpx.Response):
    assert posted.status_code == 201, posted.text
    [created] = posted.json()
    assert created["case_number"].startswith("BZA-") and created["service_notice"] == f"Case {created['case_number']}"
    assert created["sender_reference"] == "ELOKET-311-1"
    again = httpx.post(f"{url}/requests.json", data={**FORM, "api_key": key}, timeout=30)
    assert again.status_code == 201 and again.json()[0]["service_request_id"] == created["service_request_id"]
    # The same request as JSON, with the key in the header: still the same request, so the same case.
    as_json = httpx.post(f"{url}/requests.xml", json=FORM, headers={"X-API-Key": key}, timeout=30)
    assert ElementTree.fromstring(as_json.content).find("request").findtext("service_request_id") == \
        created["service_request_id"]
    # Without a reference of its own, the identical post is still recognised: by the hash of the request.
    anonymous = {**FORM, "sender_reference": "", "description": "Zonder eigen referentie", "api_key": key}
    first, second = (httpx.post(f"{url}/requests.json", data=anonymous, timeout=30) for _ in range(2))
    assert first.status_code == second.status_code == 201
    assert first.json()[0]["service_request_id"] == second.json()[0]["service_request_id"]
    assert first.json()[0]["sender_reference"] is None
    other = httpx.post(f"{url}/requests.json", data={**FORM, "description": "Nog steeds", "sender_reference": "",
                                                      "api_key": key}, timeout=30)
    assert other.status_code == 201 and other.json()[0]["service_request_id"] != created["service_request_id"]


# The spec's own example of a POST (its sample body), in the fire zone's codes: its jurisdiction, a service of
# the fire zone, and the attributes this server asks for beside the spec's WHISHETN (which it ignores).
SPEC_EXAMPLE = ("jurisdiction_id=brandweer&service_code=schadegeval&lat=37.76524078&long=-122.4212043"
                "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456"
                "&first_name=john&last_name=smith&phone=111111111&description=A+large+sinkhole+is+destroying+the+street"
                "&media_url=http%3A%2F%2Fdrop.com%2Fpic.jpg&attribute[WHISHETN]=123&attribute[channel]=e-mail"
                "&attribute[signal_type]=klacht")


def test_the_specs_example_post_answers_the_specs_example_response(url: str, key: str):
    posted = httpx.post(f"{url}/requests.xml", content=f"api_key={key}&{SPEC_EXAMPLE}", timeout=30,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert posted.status_code == 201, posted.text
    root = ElementTree.fromstring(posted.content)
    assert root.tag == "service_requests"
    [request] = root
    assert request.tag == "request"
    assert [child.tag for child in request][:3] == ["service_request_id", "service_notice", "account_id"]
    case_id = request.findtext("service_request_id")
    [status] = _status(url, key, case_id)
    assert status["service_code"] == "schadegeval" and status["status"] == "open"
    assert "A large sinkhole is destroying the street" in status["description"]
    assert "1234 5th street" in status["description"] and "http://drop.com/pic.jpg" in status["description"]


def _status(url: str, key: str, request_id: str, **params: str) -> list[dict]:
    response = httpx.get(f"{url}/requests.json", params={"service_request_id": request_id, "api_key": key,
                                                         **params}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_sender_sees_its_request_open_once_routed_and_closed_with_the_answer_once_answered(
        url: str, key: str, posted: httpx.Response, module_stack: Stack, module_auth):
    request_id = posted.json()[0]["service_request_id"]
    routed = wait_until(lambda: [r for r in _status(url, key, request_id) if r["expected_datetime"]])[0]
    assert routed["status"] == "open" and routed["sender_reference"] == "ELOKET-311-1"
    assert routed["service_code"] == "overlast" and routed["agency_responsible"] == AGENCY
    assert "Lange Nieuwstraat 1" in routed["description"]  # the location, kept in the text
    acknowledged = wait_until(lambda: _status(url, key, request_id)[0]["status_notes"])
    assert acknowledged == "Acknowledgement sent"
    assert _status(url, key, request_id, status="closed") == []

    case = f"{module_stack.url('qualification')}/v1/tenants/brandweer/complaints/{request_id}"
    answer = "De sirenes zijn wettelijk verplicht; we bekijken de route 's nachts."
    manager = module_auth["manager"]
    for step, body in (("qualification", {"qualification": "ongegrond"}),
                       ("answer-draft", {"text": answer, "channel": "e-mail"}), ("answer", None), ("close", {})):
        done = httpx.post(f"{case}/{step}", headers=manager, json=body, timeout=30)
        assert done.status_code == 200, (step, done.text)
        httpx.post(f"{case}/notes", headers=manager, json={"text": "Interne nota: niet doorsturen"}, timeout=30)
    closed = wait_until(lambda: [r for r in _status(url, key, request_id, status="closed")
                                 if r["status_notes"] == answer])[0]
    assert closed["sender_reference"] == "ELOKET-311-1" and "Interne nota" not in str(closed)
    updates = httpx.get(f"{url}/servicerequestupdates.json", params={"service_request_id": request_id},
                        headers={"X-API-Key": key}, timeout=10).json()  # FixMyStreet's extension
    assert [(u["status"], u["description"]) for u in updates] == [("open", "Acknowledgement sent"),
                                                                   ("closed", answer)]
    one = httpx.get(f"{url}/requests/{request_id}.xml", headers={"X-API-Key": key}, timeout=10)
    request = ElementTree.fromstring(one.content).find("request")
    assert request.findtext("status") == "closed" and request.findtext("sender_reference") == "ELOKET-311-1"


def test_a_system_sees_only_its_own_requests(url: str, posted: httpx.Response, module_auth):
    request_id = posted.json()[0]["service_request_id"]
    other = module_auth["other-tenant"]["X-API-Key"]  # the police zone's intake system
    assert httpx.get(f"{url}/requests/{request_id}.json", params={"api_key": other}).status_code in (403, 404)
    listed = httpx.get(f"{url}/requests.json", params={"api_key": other, "service_request_id": request_id})
    assert listed.status_code == 200 and listed.json() == []
    assert httpx.get(f"{url}/requests.json", params={"api_key": other}).json() == []  # its own: none
    key = module_auth["intake"]["X-API-Key"]
    own = wait_until(lambda: httpx.get(f"{url}/requests.json", params={"api_key": key}).json())  # indexed
    assert request_id in [r["service_request_id"] for r in own] and {r["status"] for r in own} <= {"open", "closed"}
    assert httpx.get(f"{url}/requests.json", params={"api_key": key, "start_date": "2020-01-01T00:00:00Z"}
                     ).status_code == 400  # more than 90 days
    importer = module_auth["import"]["X-API-Key"]  # the fire zone's, but another system
    assert httpx.get(f"{url}/requests/{request_id}.json", params={"api_key": importer}).status_code == 403


def test_the_georeport_client_from_pypi_reads_the_services_and_the_senders_requests(url: str, key: str,
                                                                                   posted: httpx.Response,
                                                                                   monkeypatch):
    for output_format in ("json", "xml"):
        client = georeport.GeoReport(url, jurisdiction="brandweer", output_format=output_format)
        services = client.get_service_list()
        assert "overlast" in {s["service_code"] for s in services}
        definition = client.get_service_definition("overlast")
        assert definition["service_code"] == "overlast"
    # georeport sends no api_key when it reads requests (the spec's reads are public; ours are the sender's):
    # its requests are given the key in the platform's header.
    send = requests.Session.request
    monkeypatch.setattr(requests.Session, "request",
                        lambda self, method, url, **kw: send(self, method, url, headers={"X-API-Key": key}, **kw))
    request_id = posted.json()[0]["service_request_id"]
    client = georeport.GeoReport(url, jurisdiction="brandweer")
    assert client.get_service_request(request_id)["sender_reference"] == "ELOKET-311-1"
    [listed] = client.get_service_requests(service_request_id=request_id)
    assert listed["service_request_id"] == request_id
    assert request_id in [r["service_request_id"] for r in client.get_service_requests(status="open,closed")]
