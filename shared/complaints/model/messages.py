"""Which messages the complainant gets, and when: decided by events on the case, as the tenant's rules say.

Pure: the trigger (an event's type and time), the case, the tenant's rules and what the complainant gave
(whether there is an e-mail address, the language they prefer) in; the messages to send out. A message's id
is derived from the case and the trigger, so deciding twice (a redelivered event) decides the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import NAMESPACE_URL, uuid5

from complaints.model.tenants import Tenant

KINDS = ("acknowledgement", "information-request", "answer", "closing-confirmation")
MessageKind = Literal["acknowledgement", "information-request", "answer", "closing-confirmation"]


@dataclass(frozen=True)
class Decision:
    message_id: str
    kind: str
    channel: str  # e-mail or post
    language: str


def decide(trigger: str, occurred_at: datetime, version: int, case: Any, tenant: Tenant, contact: dict[str, Any],
           now: datetime) -> list[Decision]:
    """The messages `trigger` (an event type, at `version` of the case) calls for."""
    rules = tenant.messages
    if case.part_of is not None or now - occurred_at > timedelta(days=rules.not_after_days):
        return []  # a part's complainant hears from its complaint; an imported register's history sends nothing
    language = language_for(tenant, contact)

    def message(kind: str, channel: str | None) -> list[Decision]:
        if channel is None:
            return []  # no address to write to (anonymous, or a phone number only: the handler calls)
        return [Decision(str(uuid5(NAMESPACE_URL, f"complaints:message:{case.id}:{version}:{kind}")), kind, channel,
                         language)]

    if trigger == "Received" and rules.acknowledgement == "at-once" and contact.get("email"):
        return message("acknowledgement", "e-mail")
    if trigger == "InformationRequested":
        return message("information-request", channel_for(contact, "e-mail"))
    if trigger == "Answered" and not str(case.answer_channel).startswith("via:"):  # an ombudsman's case: theirs
        return message("answer", channel_for(contact, case.answer_channel))
    if trigger == "Closed" and rules.closing_confirmation and case.answered_at is not None:
        return message("closing-confirmation", channel_for(contact, "e-mail"))
    return []


def language_for(tenant: Tenant, contact: dict[str, Any]) -> str:
    """The complainant's preferred language where the tenant writes in it, else the tenant's first."""
    languages = tenant.messages.languages
    return contact["preferred_language"] if contact.get("preferred_language") in languages else languages[0]


def channel_for(contact: dict[str, Any], preferred: str | None) -> str | None:
    """E-mail where it is preferred and there is an address, else a letter to a postal address, else e-mail."""
    if preferred == "e-mail" and contact.get("email"):
        return "e-mail"
    if contact.get("address"):
        return "post"
    return "e-mail" if contact.get("email") else None
