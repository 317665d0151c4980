"""Open311 GeoReport v2 in the platform's words: a tenant's vocabulary as services, a service request as the
fields of a complaint, and a case as its sender's request status.

Pure: a tenant, the parameters a city system posted (form fields or JSON, as strings) and a case in; the
spec's records out, as plain dicts in the spec's field order (the web edge writes them as JSON or XML).

- A service is one of the tenant's categories (its keywords); a tenant without categories offers its signal
  types instead. Each service's attributes are what intake needs besides the description: the signal type
  (where the service is a category), the channel, a subject, and the district or legal entity where the
  tenant has them.
- A location is optional (a documented extension: a complaint about a member of staff has none). Where one is
  given it is kept in the complaint's text, as the case has no place of its own for it.
- A request's status is `open` or `closed`; `status_notes` says only what was sent to the complainant (their
  answer, the question asked of them, that an acknowledgement went out), never a note or a team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from complaints.model.tenants import Code, Tenant

SERVICE_TYPE = "realtime"  # a request becomes a case with its number at once, not a token to redeem later
MAX_DESCRIPTION = 4000  # the spec's limit on `description`
SUBJECT_LENGTH = 120  # a subject taken from the description's first line, where none is given
# The bundled tenants are Belgian; a tenant file has no time zone of its own yet. A due date is a whole day:
# the request is expected by its end there.
ZONE = ZoneInfo("Europe/Brussels")
# What a message sent to the complainant says, where its own words are not the answer or a question.
SENT = {"acknowledgement": "Acknowledgement sent", "closing-confirmation": "Closing confirmation sent"}
# The fields of a request, in the spec's order, and the platform's extensions after them.
CONTACT = ("email", "first_name", "last_name", "phone")
LOCATION = ("lat", "long", "address_string", "address_id", "zipcode")


class Unknown(Exception):
    """No such service (or jurisdiction): the spec's 404."""


@dataclass(frozen=True)
class Received:
    """What an Open311 post asks intake to record: the complaint's fields and its complainant."""

    fields: dict[str, Any]
    complainant: dict[str, Any] | None
    sender_reference: str | None


# --- services ----------------------------------------------------------------------------------------
def _vocabulary(tenant: Tenant) -> list[Code]:
    return list(tenant.categories) or list(tenant.signal_types)


def services(tenant: Tenant) -> list[dict[str, Any]]:
    """GET services: every category (or signal type) of the tenant, each with attributes to ask for."""
    return [{"service_code": code.code, "service_name": code.label, "description": _description(tenant, code),
             "metadata": True, "type": SERVICE_TYPE, "keywords": ", ".join(_kinds(tenant, code)),
             "group": getattr(code, "group", None) or ""} for code in _vocabulary(tenant)]


def _kinds(tenant: Tenant, code: Code) -> list[str]:
    """The signal types a service is posted as (a category may be used for some only)."""
    if not tenant.categories:
        return [code.code]
    return [kind for kind in tenant.codes("signal_types") if code in tenant.categories_for((kind,))]


def _description(tenant: Tenant, code: Code) -> str:
    return f"{code.label} ({tenant.name})"


def _service(tenant: Tenant, service_code: str) -> Code:
    found = next((code for code in _vocabulary(tenant) if code.code == service_code), None)
    if found is None:
        raise Unknown(f"service_code: {service_code!r} is not a service of {tenant.id}")
    return found


def definition(tenant: Tenant, service_code: str) -> dict[str, Any]:
    """GET services/{code}: the attributes a request for this service takes (raises `Unknown`)."""
    code = _service(tenant, service_code)
    attributes = []
    if tenant.categories and len(kinds := _kinds(tenant, code)) > 1:  # one kind only: nothing to ask
        attributes.append(_list("signal_type", "What it is: a complaint, a report, a question, ...", True,
                                [c for c in tenant.signal_types if c.code in kinds]))
    attributes.append(_list("channel", "How it reached the organisation", True, tenant.channels))
    attributes.append(_attribute("subject", "string", False,
                                 "A short subject (at most 300 characters); else the description's first line"))
    if tenant.districts:
        attributes.append(_list("district", "The district it is about", False, tenant.districts))
    if tenant.entities:
        attributes.append(_list("entity", "The legal entity it is about", False, tenant.entities))
    for order, attribute in enumerate(attributes, start=1):
        attribute["order"] = order
    return {"service_code": code.code, "attributes": attributes}


def _attribute(code: str, datatype: str, required: bool, description: str) -> dict[str, Any]:
    return {"variable": True, "code": code, "datatype": datatype, "required": required,
            "datatype_description": None, "order": 0, "description": description, "values": []}


def _list(code: str, description: str, required: bool, values: Any) -> dict[str, Any]:
    attribute = _attribute(code, "singlevaluelist", required, description)
    attribute["values"] = [{"key": value.code, "name": value.label} for value in values]
    return attribute


# --- a request posted ----------------------------------------------------------------------------------
def received(tenant: Tenant, params: dict[str, str], attributes: dict[str, str]) -> tuple[Received | None,
                                                                                         list[str]]:
    """The complaint a POST requests asks for, or what is wrong with it (each bad field named, in the spec's
    words: one error per field); an unknown service raises `Unknown`. `params`: the request's fields;
    `attributes`: its `attribute[code]` values."""
    errors: list[str] = []
    service_code, description = params.get("service_code"), (params.get("description") or "").strip()
    if not service_code:
        errors.append("service_code: required")
    if not description:
        errors.append("description: required")
    elif len(description) > MAX_DESCRIPTION:
        errors.append(f"description: at most {MAX_DESCRIPTION} characters")
    code = _service(tenant, service_code) if service_code else None  # an unknown one: the spec's 404
    location, wrong = _location(params)
    errors += wrong
    fields = _fields(tenant, code, attributes, description, errors)
    if errors:
        return None, errors
    fields["text"] = "\n\n".join(filter(None, [description, location, _media(params)]))
    name = " ".join(filter(None, (params.get("first_name"), params.get("last_name")))) or None
    contact = {"name": name, "email": params.get("email") or None, "phone": params.get("phone") or None}
    complainant = {k: v for k, v in contact.items() if v} or None
    return Received(fields, complainant, params.get("sender_reference") or None), []


def _fields(tenant: Tenant, code: Code | None, attributes: dict[str, str], description: str,
            errors: list[str]) -> dict[str, Any]:
    """The complaint's codes and subject from the service and its attributes."""
    as_category = bool(tenant.categories)
    kinds = _kinds(tenant, code) if code is not None else []
    signal_type = attributes.get("signal_type") if as_category else (code.code if code else None)
    if as_category and not signal_type:
        # One kind only (the police's keywords of a complaint about police action): no need to ask.
        signal_type = kinds[0] if len(kinds) == 1 else None
        if signal_type is None:
            errors.append(f"attribute[signal_type]: required, one of {kinds}")
    channel = attributes.get("channel")
    if not channel:
        errors.append(f"attribute[channel]: required, one of {tenant.codes('channels')}")
    first_line = description.splitlines()[0].strip() if description else ""
    subject = (attributes.get("subject") or "").strip() or first_line[:SUBJECT_LENGTH]
    if len(subject) > 300:
        errors.append("attribute[subject]: at most 300 characters")
    fields = {"channel": channel, "signal_type": signal_type, "category": code.code if as_category and code else None,
              "district": attributes.get("district") or None, "entity": attributes.get("entity") or None,
              "subject": subject, "attachments": []}
    for problem in tenant.unknown_codes(fields):
        # The category is the service itself (known by now): a keyword that does not fit the signal type.
        field = "service_code" if problem["field"] == "category" else f"attribute[{problem['field']}]"
        errors.append(f"{field}: {problem['message']}, allowed: {problem['allowed']}")
    return fields


def _location(params: dict[str, str]) -> tuple[str | None, list[str]]:
    """The location, as a line of the text (optional: a documented extension), or what is wrong with it."""
    errors, point = [], None
    lat, long = params.get("lat"), params.get("long")
    if lat or long:
        try:
            latitude, longitude = float(lat or ""), float(long or "")
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise ValueError
            point = f"{latitude}, {longitude}"
        except ValueError:
            errors.append("lat, long: both, as decimal degrees (WGS84)")
    address = params.get("address_string") or params.get("address_id")
    parts = [p for p in (address, params.get("zipcode"), f"({point})" if point else None) if p]
    return (f"Location: {' '.join(parts)}" if parts else None), errors


def _media(params: dict[str, str]) -> str | None:
    return f"Media: {params['media_url']}" if params.get("media_url") else None


# --- a request's status, for its sender -------------------------------------------------------------------
def service_code_of(case: Any) -> str:
    return case.category or case.signal_type


def status(case: Any) -> str:
    return "open" if case.is_open else "closed"


def _sent(case: Any) -> list[tuple[str, dict[str, Any]]]:
    """The messages that went to the complainant, oldest first, with their ids."""
    sent = [(message_id, m) for message_id, m in case.messages.items() if m["status"] == "sent"]
    return sorted(sent, key=lambda item: item[1].get("sent_at") or item[1]["decided_at"])


def _said(case: Any, message: dict[str, Any]) -> str:
    """What a message sent told the complainant: their answer, what they were asked, or that it went out."""
    if message["kind"] == "answer":
        return case.answer or "Answer sent"
    if message["kind"] == "information-request":
        return message.get("question") or "Information requested"
    return SENT.get(message["kind"], "Message sent")


def status_notes(case: Any) -> str | None:
    """What was last sent to the complainant. Never a note, a team or a person."""
    sent = _sent(case)
    return _said(case, sent[-1][1]) if sent else None


def updates(case: Any) -> list[dict[str, Any]]:
    """FixMyStreet's service request updates: one per message sent to the complainant, with the request's
    status once it went out (the answer and the closing confirmation go out with the case answered)."""
    return [{"update_id": message_id, "service_request_id": str(case.id),
             "status": "closed" if message["kind"] in ("answer", "closing-confirmation") else "open",
             "updated_datetime": _w3c(message.get("sent_at") or message["decided_at"]),
             "description": _said(case, message), "media_url": None} for message_id, message in _sent(case)]


def _w3c(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)  # the spec's W3C date and time, as its examples write it


def expected(due: date | None) -> datetime | None:
    return datetime.combine(due, time(23, 59, 59), tzinfo=ZONE) if due else None


def request_status(case: Any, tenant: Tenant) -> dict[str, Any]:
    """GET requests: one request as its sender sees it, in the spec's field order, then the extensions:
    `case_number` (what the complainant is told) and `sender_reference` (the sender's own)."""
    code = service_code_of(case)
    name = next((c.label for c in _vocabulary(tenant) if c.code == code), code)
    return {
        "service_request_id": str(case.id), "status": status(case), "status_notes": status_notes(case),
        "service_name": name, "service_code": code, "description": case.text,
        "agency_responsible": tenant.name, "service_notice": f"Case {case.case_number}",
        "requested_datetime": _w3c(case.received_at), "updated_datetime": _w3c(case.modified_on),
        "expected_datetime": expected(case.due_date), "address": None, "address_id": None, "zipcode": None,
        "lat": None, "long": None, "media_url": None,
        "case_number": case.case_number, "sender_reference": case.sender_reference,
    }
