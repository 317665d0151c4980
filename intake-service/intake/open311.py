"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) under `/open311/v2/`, `jurisdiction_id` being
the tenant: a city system that speaks Open311 posts complaints through the same intake use case, with the same
idempotency, as `POST /v1/tenants/{tenant}/complaints`, and reads where its requests stand.

As the spec has it: `.json` or `.xml` on every resource; `POST requests` form-encoded (or as JSON); errors as
`[{"code": 400, "description": "..."}]` (`<errors><error>...`) with the HTTP status of the code.
Where this server differs from it, on purpose:
- `GET requests` and `GET requests/{id}` need the calling system's key (`api_key`, or `X-API-Key`) and show
  only that system's requests: complaints carry personal content, unlike a pothole (`intake/sent.py` indexes
  the cases each system sent).
- `service_request_id` is the case id; `case_number` (what the complainant is told) and `sender_reference`
  (the sender's own reference, an extension of the POST) come with every status.
- A location is optional. The mapping itself is `complaints.model.open311`.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl
from uuid import UUID
from xml.etree import ElementTree

from anyio import from_thread
from fastapi import APIRouter, Header, Path, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import APIKeyQuery
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.routing import Match
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from complaints.application.callers import Caller
from complaints.application.errors import InvalidFields
from complaints.application.intake import Complainant
from complaints.application.permissions import Forbidden
from complaints.model import open311
from complaints.model.complaint import CaseNotFound
from complaints.model.deduplication import Submission
from complaints.model.tenants import LANGUAGES, Tenant, in_language
from complaints.web.auth import API_KEY
from complaints.web.problems import Problem

router = APIRouter(prefix="/open311/v2", tags=["open311"])
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# Each list's items, as the spec names them in XML.
ITEMS = {"services": "service", "attributes": "attribute", "values": "value", "service_requests": "request",
         "service_request_updates": "request_update", "errors": "error"}
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot carry
MAX_IDS = 100  # service_request_ids in one GET requests
MAX_LISTED = 200  # requests in one list without ids, the newest first (the spec lets a server limit it)
WINDOW = timedelta(days=90)  # the spec's default range of a list, and the longest


# --- the spec's records, for the contract (the answers are written by `_answer`) -------------------------
class Open311Error(BaseModel):
    code: int = Field(description="The HTTP status")
    description: str


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="Always true: every service has attributes (GET services/{code})")
    type: str = Field(examples=["realtime"])
    keywords: str = Field(description="The signal types it is posted as, comma separated")
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class Attribute(BaseModel):
    variable: bool
    code: str
    datatype: str = Field(examples=["singlevaluelist", "string"])
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue]


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[Attribute]


class CreatedRequest(BaseModel):
    service_request_id: str = Field(description="The case id: GET requests/{id} reads it")
    service_notice: str = Field(description="The case number, as the complainant is told it")
    account_id: str | None
    case_number: str = Field(description="Extension: the case number")
    sender_reference: str | None = Field(description="Extension: the sender's own reference, as posted")


class ServiceRequest(BaseModel):
    service_request_id: str
    status: str = Field(description="open or closed")
    status_notes: str | None = Field(description="Only what was sent to the complainant: their answer, the "
                                                 "question asked of them, or that an acknowledgement went out")
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None = Field(description="The end of the due day, once the case is routed")
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    case_number: str = Field(description="Extension: the case number")
    sender_reference: str | None = Field(description="Extension: the sender's own reference")


class RequestUpdate(BaseModel):
    """FixMyStreet's extension: one message sent to the complainant."""

    update_id: str
    service_request_id: str
    status: str = Field(description="open or closed, once it went out")
    updated_datetime: datetime
    description: str = Field(description="What it told the complainant, as `status_notes`")
    media_url: str | None


class NewRequest(BaseModel):
    """POST requests, form-encoded as the spec has it (or the same fields as JSON). Each attribute of the
    service's definition is sent as `attribute[code]` (in JSON also as an object `attribute`)."""

    model_config = ConfigDict(extra="allow")
    jurisdiction_id: str = Field(description="The tenant, e.g. brandweer")
    service_code: str = Field(description="A service of GET services")
    description: str = Field(description="What happened (at most 4000 characters)")
    api_key: str | None = Field(default=None, description="The calling system's intake key (or X-API-Key)")
    lat: str | None = Field(default=None, description="Optional (an extension): a complaint may have no place")
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    media_url: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    sender_reference: str | None = Field(default=None, description="Extension: the sender's own reference; "
                                                                   "a second post with it is the same case")


# --- errors and answers ----------------------------------------------------------------------------
class Refused(Exception):
    """An Open311 error: the HTTP status, and one description per thing wrong."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status, self.descriptions = status, descriptions


def _answer(format: str, root: str, body: Any, status: int = 200) -> Response:
    if format == "xml":
        return Response(_xml(root, body), status_code=status, media_type=MEDIA_TYPES["xml"])
    return Response(json.dumps(body, default=_json, ensure_ascii=False).encode(), status_code=status,
                    media_type=MEDIA_TYPES["json"])


def _json(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _xml(root: str, body: Any) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, root, body)
    return ElementTree.tostring(element, encoding="UTF-8", xml_declaration=True)


def _fill(element: ElementTree.Element, name: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), key, item)
    elif isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, ITEMS[name]), ITEMS[name], item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        text = value.isoformat() if isinstance(value, (datetime, date)) else str(value)
        element.text = NOT_XML.sub("\ufffd", text)


def _error(format: str, status: int, *descriptions: str) -> Response:
    errors = [{"code": status, "description": description} for description in descriptions]
    return _answer(format if format in MEDIA_TYPES else "json", "errors", errors, status)


async def _guarded(format: str, work: Any) -> Response:
    """Runs `work` (in the thread pool: it reads the store) and answers what it raises as the spec's errors."""
    if format not in MEDIA_TYPES:
        return _error("json", 404, f"unknown format {format!r}: json or xml")
    try:
        return await run_in_threadpool(work, format)
    except Refused as refused:
        return _error(format, refused.status, *refused.descriptions)
    except open311.Unknown as unknown:
        return _error(format, 404, str(unknown))
    except InvalidFields as invalid:
        return _error(format, 400, *(f"{e['field']}: {e['message']}" for e in invalid.errors))
    except Forbidden as forbidden:
        return _error(format, 403, str(forbidden))
    except CaseNotFound:
        return _error(format, 404, "service_request_id: no such request")
    except Problem as problem:  # e.g. the store unavailable (503)
        return _error(format, problem.status, problem.detail or problem.title)


# --- who, and which jurisdiction -----------------------------------------------------------------------
def _jurisdiction(request: Request, jurisdiction_id: str | None, caller: Caller | None = None) -> Tenant:
    """The tenant: `jurisdiction_id`, or for a system's call without it the one tenant its key is bound to."""
    if not jurisdiction_id and caller is not None:
        jurisdiction_id = next(iter(caller.tenants))
    if not jurisdiction_id:
        raise Refused(400, "jurisdiction_id: required (the tenant, e.g. brandweer)")
    tenants = request.app.state.tenants
    if jurisdiction_id not in tenants:
        raise Refused(404, f"jurisdiction_id: unknown; known: {', '.join(sorted(tenants))}")
    if caller is not None and jurisdiction_id not in caller.tenants:
        raise Refused(403, f"api_key: not granted jurisdiction {jurisdiction_id!r}")
    language = parse_accept_header(request.headers.get("accept-language"), LanguageAccept).best_match(
        LANGUAGES, default="en")
    return in_language(tenants[jurisdiction_id], language)


def _system(request: Request, form_key: str | None = None) -> Caller:
    """The calling system of the key: the spec's `api_key` (in the query, or a POST's form), or the platform's
    `X-API-Key`; the query's and the header's first, as a form's fields are the post's own."""
    key = request.query_params.get("api_key") or request.headers.get("x-api-key") or form_key
    if not key:
        raise Refused(403, "api_key: required (a calling system's intake key)")
    try:
        return request.app.state.credentials.system(key)
    except Problem as problem:
        raise Refused(403, f"api_key: {problem.detail}") from None


# --- the contract's parameters -------------------------------------------------------------------------
Format = Annotated[str, Path(description="json or xml", json_schema_extra={"enum": ["json", "xml"]})]
Jurisdiction = Annotated[str | None, Query(description="The tenant, e.g. brandweer")]
ServiceCode = Annotated[str, Path(description="A service of GET services")]
RequestId = Annotated[str, Path(description="The id POST requests answered (the case id)")]
AcceptLanguage = Annotated[str | None, Header(description="nl for Dutch names; English without it")]
# The spec's way to send the key; `X-API-Key` (the platform's) works as well.
API_KEY_PARAMETER = APIKeyQuery(name="api_key", scheme_name="Open311ApiKey", auto_error=False,
                                description="A city system's intake key, as the Open311 spec sends it")
Keys = Security(API_KEY_PARAMETER)
ANONYMOUS: dict[str, Any] = {"security": []}  # the tenant's published vocabulary: public, as the spec has it


def _documented(model: Any, status: int = 200, **errors: str) -> dict[int | str, dict[str, Any]]:
    """The answer in both formats, and each error in the spec's format."""
    xml = {"text/xml": {"schema": {"type": "string", "description": "The same, as the spec's XML"}}}
    documented: dict[int | str, dict[str, Any]] = {status: {"model": model, "content": xml}}
    for code, text in errors.items():
        documented[int(code.lstrip("_"))] = {"model": list[Open311Error], "description": text, "content": xml}
    return documented


# --- services --------------------------------------------------------------------------------------------
@router.get("/services.{format}", response_model=None, openapi_extra=ANONYMOUS,
            responses=_documented(list[Service], _400="No jurisdiction_id", _404="Unknown jurisdiction or format"))
async def list_services(request: Request, format: Format, jurisdiction_id: Jurisdiction = None,
                        accept_language: AcceptLanguage = None) -> Response:
    """The tenant's services: its categories (or signal types, where it has none), each with attributes."""
    def work(format: str) -> Response:
        return _answer(format, "services", open311.services(_jurisdiction(request, jurisdiction_id)))
    return await _guarded(format, work)


@router.get("/services/{service_code}.{format}", response_model=None, openapi_extra=ANONYMOUS,
            responses=_documented(ServiceDefinition, _400="No jurisdiction_id",
                                  _404="Unknown jurisdiction, service or format"))
async def service_definition(request: Request, service_code: ServiceCode, format: Format,
                             jurisdiction_id: Jurisdiction = None,
                             accept_language: AcceptLanguage = None) -> Response:
    """What a request for this service takes: the signal type, the channel, a subject, the district or the
    legal entity where the tenant has them, each with its allowed values."""
    def work(format: str) -> Response:
        tenant = _jurisdiction(request, jurisdiction_id)
        return _answer(format, "service_definition", open311.definition(tenant, service_code))
    return await _guarded(format, work)


# --- posting a request ---------------------------------------------------------------------------------------
async def _posted(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """The request's fields and its `attribute[code]` values, from the query and the form (or JSON) body."""
    pairs = list(request.query_params.multi_items())
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media_type == "application/json":
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            raise Refused(400, "body: not valid JSON") from None
        if not isinstance(document, dict):
            raise Refused(400, "body: a JSON object of the request's fields")
        nested = document.pop("attribute", None)
        pairs += [(f"attribute[{k}]", v) for k, v in nested.items()] if isinstance(nested, dict) else []
        pairs += list(document.items())
    elif media_type in ("application/x-www-form-urlencoded", ""):
        pairs += parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    else:
        raise Refused(415, f"body: form-encoded (application/x-www-form-urlencoded) or JSON, not {media_type!r}")
    params: dict[str, str] = {}
    attributes: dict[str, str] = {}
    wrong = []
    for name, value in pairs:
        if value is None:
            continue  # JSON's null: not given
        if isinstance(value, (dict, list)):
            wrong.append(f"{name}: a single value")
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if match := re.fullmatch(r"attribute\[([^\]]+)\](\[\])?", name):
            attributes[match[1]] = text
        else:
            params[name] = text
    if wrong:
        raise Refused(400, *wrong)
    return params, attributes


def _request_hash(params: dict[str, str], attributes: dict[str, str]) -> str:
    """The identical request, however sent (form or JSON, whichever key): the same hash."""
    what = {k: v for k, v in params.items() if k != "api_key"}
    canonical = json.dumps({"params": what, "attributes": attributes}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _complainant(contact: dict[str, Any] | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    try:
        return Complainant(**contact).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        names = {"name": "first_name, last_name"}
        raise Refused(400, *(f"{names.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" for e in exc.errors())) \
            from None


def _form_schema() -> dict[str, Any]:
    """The request's fields as the form sends them: every value a string, `attribute[code]` beside them."""
    schema = NewRequest.model_json_schema()
    fields = {name: {"type": "string", **({"description": field["description"]} if "description" in field else {})}
              for name, field in schema["properties"].items()}
    return {**schema, "properties": fields, "additionalProperties": {
        "type": "string", "description": "attribute[code]: the value of the service's attribute `code`"}}


@router.post("/requests.{format}", response_model=None, status_code=201, openapi_extra={"requestBody": {
    "required": True, "content": {media: {"schema": _form_schema()}
                                  for media in ("application/x-www-form-urlencoded", "application/json")}}},
    responses=_documented(list[CreatedRequest], 201, _400="Missing or invalid fields, each named",
                          _403="No, unknown or revoked api_key, or not granted the jurisdiction",
                          _404="Unknown jurisdiction, service or format", _415="Neither form-encoded nor JSON"))
async def post_service_request(request: Request, format: Format, api_key: Annotated[Any, Keys] = None,
                               x_api_key: Annotated[Any, Security(API_KEY)] = None) -> Response:
    """A city system posts a complaint, as `POST /v1/tenants/{tenant}/complaints` would record it: the
    identical post again within the idempotency window (`IDEMPOTENCY_KEY_HOURS`) is the same case, and a
    `sender_reference` posted before is that case too."""
    if format not in MEDIA_TYPES:
        return await _guarded(format, None)  # its 404, before the body is read
    try:
        params, attributes = await _posted(request)
    except Refused as refused:
        return _error(format, refused.status, *refused.descriptions)

    def work(format: str) -> Response:
        caller = _system(request, params.get("api_key"))
        tenant = _jurisdiction(request, params.get("jurisdiction_id") or None, caller)
        asked, errors = open311.received(tenant, params, attributes)
        if asked is None:
            raise Refused(400, *errors)
        digest = _request_hash(params, attributes)
        submission = Submission(sender=caller.name, idempotency_key=f"open311:{digest}", request_hash=digest,
                                reference=asked.sender_reference)
        case, _ = request.app.state.intake.receive(caller, tenant, submission, received_at=None,
                                                   complainant=_complainant(asked.complainant), **asked.fields)
        created = {"service_request_id": str(case.id), "service_notice": f"Case {case.case_number}",
                   "account_id": None, "case_number": case.case_number, "sender_reference": case.sender_reference}
        return _answer(format, "service_requests", [created], 201)
    return await _guarded(format, work)


# --- where the sender's requests stand -------------------------------------------------------------------------
def _moment(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Refused(400, f"{name}: a W3C date and time with its offset, e.g. 2026-01-01T00:00:00Z")
    return moment


def _listed(value: str | None) -> set[str]:
    """A filter's values, comma separated as the spec has them."""
    return {item.strip() for item in (value or "").split(",") if item.strip()}


def _sent(request: Request, caller: Caller, tenant: Tenant, since: datetime | None,
          until: datetime | None) -> list[UUID]:
    """The calling system's own requests received within the range (the spec's default: the last 90 days, and
    never more than 90 days at once), newest first, up to `MAX_LISTED`."""
    until = until or request.app.state.clock.now()
    try:
        since = since or until - WINDOW
    except OverflowError:  # an end_date in the first days of the year 1
        raise Refused(400, "end_date: too early") from None
    if until - since > WINDOW:
        raise Refused(400, f"start_date, end_date: at most {WINDOW.days} days apart")
    index = request.app.state.wiring.resources["sent_requests"]
    return [UUID(found) for found in from_thread.run(index.sent, tenant.id, caller.actor, since, until, MAX_LISTED)]


def _ids(value: str | None) -> list[UUID]:
    wanted = _listed(value)
    if len(wanted) > MAX_IDS:
        raise Refused(400, f"service_request_id: at most {MAX_IDS} at once")
    try:
        return [UUID(item) for item in sorted(wanted)]
    except ValueError:
        raise Refused(400, "service_request_id: the ids POST requests answered") from None


def _readable(request: Request, caller: Caller, tenant: Tenant, case_id: UUID) -> Any:
    """The case, if it is this system's (another's, or none at all, is left out of a list)."""
    try:
        return request.app.state.cases.read(caller, tenant, case_id).case
    except (CaseNotFound, Forbidden):
        return None


@router.get("/requests.{format}", response_model=None,
            responses=_documented(list[ServiceRequest], _400="A filter that is not valid, each named",
                                  _403="No, unknown or revoked api_key, or not granted the jurisdiction",
                                  _404="Unknown jurisdiction or format"))
async def service_requests(
        request: Request, format: Format, api_key: Annotated[Any, Keys] = None,
        x_api_key: Annotated[Any, Security(API_KEY)] = None, jurisdiction_id: Jurisdiction = None,
        service_request_id: Annotated[str | None, Query(description="These requests, comma separated (else the "
                                                                    "system's requests in the date range)")]
        = None,
        service_code: Annotated[str | None, Query(description="Only these services, comma separated")] = None,
        status: Annotated[str | None, Query(description="open, closed, or both, comma separated")] = None,
        start_date: Annotated[str | None, Query(description="Requested at or after (W3C date and time; default: "
                                                            "90 days before end_date)")] = None,
        end_date: Annotated[str | None, Query(description="Requested at or before (W3C date and time; default: "
                                                          "now)")] = None,
        accept_language: AcceptLanguage = None) -> Response:
    """The calling system's own requests: those named in `service_request_id`, else those it sent within the
    date range (90 days at most, the newest 200), each with its status, what was sent to the complainant, its
    case number and the sender's reference; `service_code` and `status` narrow them."""
    def work(format: str) -> Response:
        caller = _system(request)
        tenant = _jurisdiction(request, jurisdiction_id, caller)
        statuses, codes = _listed(status), _listed(service_code)
        if statuses - {"open", "closed"}:
            raise Refused(400, "status: open, closed, or both (comma separated)")
        since, until = _moment("start_date", start_date), _moment("end_date", end_date)
        named = _ids(service_request_id)
        found = []
        for case_id in named or _sent(request, caller, tenant, since, until):
            case = _readable(request, caller, tenant, case_id)
            if case is None or (statuses and open311.status(case) not in statuses) or (
                    codes and open311.service_code_of(case) not in codes) or not _within(case.received_at, since,
                                                                                          until):
                continue
            found.append(open311.request_status(case, tenant))
        return _answer(format, "service_requests", found)
    return await _guarded(format, work)


@router.get("/requests/{service_request_id}.{format}", response_model=None,
            responses=_documented(list[ServiceRequest],
                                  _403="No, unknown or revoked api_key, another system's request, or not granted "
                                       "the jurisdiction", _404="Unknown request, jurisdiction or format"))
async def service_request(request: Request, service_request_id: RequestId,
                          format: Format, api_key: Annotated[Any, Keys] = None,
                          x_api_key: Annotated[Any, Security(API_KEY)] = None, jurisdiction_id: Jurisdiction = None,
                          accept_language: AcceptLanguage = None) -> Response:
    """One of the calling system's requests (a list of one, as the spec has it)."""
    def work(format: str) -> Response:
        caller = _system(request)
        tenant = _jurisdiction(request, jurisdiction_id, caller)
        try:
            case_id = UUID(service_request_id)
        except ValueError:
            raise Refused(404, "service_request_id: no such request") from None
        case = request.app.state.cases.read(caller, tenant, case_id).case
        return _answer(format, "service_requests", [open311.request_status(case, tenant)])
    return await _guarded(format, work)


def _within(moment: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or moment >= since) and (until is None or moment <= until)


@router.get("/servicerequestupdates.{format}", response_model=None,
            responses=_documented(list[RequestUpdate], _400="A filter that is not valid, each named",
                                  _403="No, unknown or revoked api_key, or not granted the jurisdiction",
                                  _404="Unknown jurisdiction or format"))
async def service_request_updates(
        request: Request, format: Format, api_key: Annotated[Any, Keys] = None,
        x_api_key: Annotated[Any, Security(API_KEY)] = None, jurisdiction_id: Jurisdiction = None,
        service_request_id: Annotated[str | None, Query(description="These requests, comma separated (else the "
                                                                    "system's requests of the last 90 days)")]
        = None,
        start_date: Annotated[str | None, Query(description="Sent at or after (W3C date and time)")] = None,
        end_date: Annotated[str | None, Query(description="Sent at or before (W3C date and time)")] = None,
        accept_language: AcceptLanguage = None) -> Response:
    """FixMyStreet's service request updates: each message sent to the complainant of the calling system's own
    requests (those named in `service_request_id`, else those received in the 90 days up to `end_date`), sent
    within the date range, oldest first."""
    def work(format: str) -> Response:
        caller = _system(request)
        tenant = _jurisdiction(request, jurisdiction_id, caller)
        since, until = _moment("start_date", start_date), _moment("end_date", end_date)
        # Without ids: the updates of the requests received in the 90 days up to `end_date` (or now).
        named = _ids(service_request_id) or _sent(request, caller, tenant, None, until)
        found = [update for case_id in named
                 if (case := _readable(request, caller, tenant, case_id)) is not None
                 for update in open311.updates(case) if _within(update["updated_datetime"], since, until)]
        found.sort(key=lambda update: update["updated_datetime"])
        return _answer(format, "service_request_updates", found)
    return await _guarded(format, work)


# --- anything else under /open311/v2/ -------------------------------------------------------------------------
class AnyMethod(APIRoute):
    """A route that takes every method (QUERY, TRACE, ...): the router reaches it only when no other route takes
    the request, and it answers why in the spec's error format."""

    def matches(self, scope: dict[str, Any]) -> tuple[Match, dict[str, Any]]:
        match, child = super().matches(scope)
        return (Match.FULL if match == Match.PARTIAL else match), child

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


async def not_a_resource(request: Request, elsewhere: str) -> Response:
    """Another method on a resource (405) or no resource at all (404). Last of the router's routes."""
    format = elsewhere.rsplit(".", 1)[-1] if elsewhere.rsplit(".", 1)[-1] in MEDIA_TYPES else "json"
    path = request.url.path
    methods = sorted({method for route in router.routes if route.name != "not_a_resource"
                      and route.path_regex.match(path) for method in getattr(route, "methods", ())})
    if methods:
        response = _error(format, 405, f"{request.method} is not allowed here: {', '.join(methods)}")
        response.headers["Allow"] = ", ".join(methods)
        return response
    return _error(format, 404, f"no such resource: {path}")


router.add_api_route("/{elsewhere:path}", not_a_resource, methods=["GET"], include_in_schema=False,
                     route_class_override=AnyMethod)
