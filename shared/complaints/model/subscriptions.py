"""Webhook subscriptions: a tenant's manager, or a calling system with the `subscriber` role, asks for the case
events it wants POSTed to a callback URL.

A subscription is an aggregate, so everything that happens to it (created, its secret rotated, marked failing
by the dispatcher, a re-drive asked for, recovered, deleted) is an event auditors can replay. Its signing
secret is in none of them: it is derived, like a tracking link's MAC, from `WEBHOOK_SECRET`, the subscription
id and the secret's generation (`secret_for`). It is shown once, when the subscription is created or the secret
rotated; a rotation moves the generation on. Events are kept for ever and read by auditors; a secret written in
one would be readable as long as the store is.

Pure: no I/O. Which addresses a callback may reach is decided here (`address_allowed`); resolving and
connecting are the adapter's (`complaints.adapters.webhooks`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import Aggregate, event

SECRET_PREFIX = "whsec_"  # the Standard Webhooks notation: the receiver's library takes the secret as shown


def secret_for(key: bytes, subscription_id: UUID, generation: int) -> str:
    """The subscription's signing secret of this generation (24 bytes, base64, as Standard Webhooks writes it)."""
    raw = hmac.new(key, f"complaints:webhook:{subscription_id}:{generation}".encode(), hashlib.sha256).digest()[:24]
    return SECRET_PREFIX + base64.b64encode(raw).decode()


class Subscription(Aggregate):
    """A callback URL, the event types it wants, and its filters; whose it is; whether it is failing."""

    @event("Created")
    def __init__(self, tenant: str, owner: str, owner_kind: str, owner_roles: list[str], url: str,
                 event_types: list[str], teams: list[str], signal_types: list[str], own_cases: bool,
                 starts_after: int, occurred_at: datetime) -> None:
        self.tenant, self.owner, self.owner_kind, self.owner_roles = tenant, owner, owner_kind, owner_roles
        self.url = url
        self.event_types, self.teams, self.signal_types, self.own_cases = event_types, teams, signal_types, own_cases
        # The store's notification id it was created at: it is sent what happens from then on, not the past.
        self.starts_after = starts_after
        self.created_at = occurred_at
        self.secret_generation = 1
        self.rotated_at: datetime | None = None
        self.failing: dict[str, Any] | None = None  # since when, on which event, why
        self.redrive_asked = False
        self.deleted = False

    def rotate_secret(self, *, actor: str, at: datetime) -> None:
        self._secret_rotated(actor=actor, occurred_at=at)

    @event("SecretRotated")
    def _secret_rotated(self, actor: str, occurred_at: datetime) -> None:
        self.secret_generation += 1
        self.rotated_at = occurred_at

    def mark_failing(self, *, event_id: str, notification_id: int, reason: str, at: datetime) -> bool:
        if self.failing is not None and not self.redrive_asked:
            return False  # failing already (a re-drive that failed again is marked again: it waits for the next)
        self._marked_failing(event_id=event_id, notification_id=notification_id, reason=reason[:1000],
                             occurred_at=at)
        return True

    @event("MarkedFailing")
    def _marked_failing(self, event_id: str, notification_id: int, reason: str, occurred_at: datetime) -> None:
        self.failing = {"since": occurred_at.isoformat(), "event_id": event_id, "notification_id": notification_id,
                        "reason": reason}
        self.redrive_asked = False

    def ask_redrive(self, *, actor: str, at: datetime) -> bool:
        """A manager's re-drive: the dispatcher tries the waiting delivery again, for a new retry period."""
        if self.failing is None or self.redrive_asked:
            return False
        self._redrive_asked(actor=actor, occurred_at=at)
        return True

    @event("RedriveAsked")
    def _redrive_asked(self, actor: str, occurred_at: datetime) -> None:
        self.redrive_asked = True

    def recover(self, *, at: datetime) -> bool:
        if self.failing is None:
            return False
        self._recovered(occurred_at=at)
        return True

    @event("Recovered")
    def _recovered(self, occurred_at: datetime) -> None:
        self.failing = None
        self.redrive_asked = False

    def delete(self, *, actor: str, at: datetime) -> None:
        if not self.deleted:
            self._deleted(actor=actor, occurred_at=at)

    @event("Deleted")
    def _deleted(self, actor: str, occurred_at: datetime) -> None:
        self.deleted = True

    @property
    def status(self) -> str:
        if self.deleted:
            return "deleted"
        return "active" if self.failing is None else "failing"

    def wants(self, event_type: str, *, tenant: str, team: str | None, signal_type: str | None,
              received_by: str | None) -> bool:
        """Whether an event of this type, on a case of this team, signal type and sender, is for it (what the
        owner may read is the permission policy's to say besides)."""
        return (tenant == self.tenant
                and (not self.event_types or event_type in self.event_types)
                and (not self.teams or team in self.teams)
                and (not self.signal_types or signal_type in self.signal_types)
                and (not self.own_cases or received_by == self.owner))


# --- the callback URL -----------------------------------------------------------------------------------------
def url_problem(url: str, *, https_only: bool) -> str | None:
    """What is wrong with a callback URL's form, or None (where it leads is `address_allowed`'s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a URL: {exc}"
    schemes = ("https",) if https_only else ("http", "https")
    if parts.scheme not in schemes:
        return f"the scheme must be {' or '.join(schemes)}"
    if not parts.hostname:
        return "the URL names no host"
    if parts.username or parts.password:
        return "credentials in the URL are not allowed (the signature says who sends)"
    if parts.fragment:
        return "a fragment is never sent: leave it out"
    del port
    return None


def address_allowed(address: str, allowed_networks: Sequence[str] = ()) -> bool:
    """Whether a callback may connect to this IP address outside development: a public (global unicast)
    address, or one in a network the operator allows explicitly. Loopback, private, link-local, shared,
    reserved, multicast and unspecified addresses are refused, also inside an IPv4-mapped IPv6 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is link-local anyway
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(network, strict=False) for network in allowed_networks):
        return True
    return ip.is_global and not ip.is_multicast


def event_type_problems(asked: Collection[str], known: Collection[str]) -> list[str]:
    """The asked event types that are not case event types."""
    return sorted(set(asked) - set(known))
