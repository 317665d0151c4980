"""Which messages the complainant gets, and when: decided by events on the case, as the tenant's rules say.

Pure: the trigger (an event's type and time), the case, the tenant's rules and what the complainant gave
(whether there is an e-mail address, the language they prefer) in; the messages to send out. A message's id
is derived from the case and the trigger, so deciding twice (a redelivered event) decides the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from complaints.model.tenants import Tenant

KINDS = ("acknowledgement", "answer", "closing-confirmation")


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
    email = bool(contact.get("email"))
    language = contact.get("preferred_language") if contact.get("preferred_language") in rules.languages \
        else rules.languages[0]

    def message(kind: str, channel: str) -> Decision:
        return Decision(str(uuid5(NAMESPACE_URL, f"complaints:message:{case.id}:{version}:{kind}")), kind, channel,
                        language)

    if trigger == "Received" and rules.acknowledgement == "at-once" and email:
        return [message("acknowledgement", "e-mail")]
    if trigger == "Answered" and not str(case.answer_channel).startswith("via:"):  # an ombudsman's case: theirs
        return [message("answer", "e-mail" if email and case.answer_channel == "e-mail" else "post")]
    if trigger == "Closed" and rules.closing_confirmation and case.answered_at is not None:
        return [message("closing-confirmation", "e-mail" if email else "post")]
    return []
