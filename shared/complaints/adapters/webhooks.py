"""Sending a webhook: the body (a CloudEvent), its Standard Webhooks signature, and a client that reaches only
the addresses it may.

Outside development a callback may not reach this platform's own network (SSRF): the client's network backend
resolves the host itself, checks every address it got (`complaints.model.subscriptions.address_allowed`) and
connects to the address it checked, so a name that resolves to a public address when the subscription is made
and to 127.0.0.1 when a delivery is sent (DNS rebinding) is refused at the connection, before any byte goes
out. Redirects are not followed (a 3xx is a failed delivery), and no proxy from the environment is used (it
would connect on our behalf, past the check).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from standardwebhooks import Webhook

from complaints.adapters.cloudevents import to_message
from complaints.model.subscriptions import address_allowed

Resolve = Callable[[str, int], Awaitable[list[str]]]
# What a body never carries: the complainant's sealed contact details (the subscriber reads the case's state
# through the case, not who complained).
WITHHELD = ("complainant",)
# What a calling system's body keeps of the event's own fields: when it happened and which version of the case.
STATUS_FIELDS = ("occurred_at", "version", "recorded_at")
USER_AGENT = "complaints-webhooks/1"


class AddressRefused(Exception):
    """The callback's host resolves to an address the platform does not connect to (loopback, private, ...)."""


async def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (an IP literal is itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def refusal(url: str, allowed_networks: Sequence[str], resolver: Resolve = resolve) -> str | None:
    """Why a callback URL may not be used (a host that does not resolve, an address refused), or None: the
    check at subscription time, for a clear 422. Deliveries are checked again on connecting."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await resolver(parts.hostname or "", port)
    except OSError as exc:
        return f"the host {parts.hostname!r} does not resolve: {exc}"
    refused = [a for a in addresses if not address_allowed(a, allowed_networks)]
    if refused or not addresses:
        return f"the host {parts.hostname!r} resolves to {', '.join(refused) or 'nothing'}: loopback, private, " \
               "link-local and reserved addresses are not called"
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, and connects to the address it checked."""

    def __init__(self, allowed_networks: Sequence[str], resolver: Resolve = resolve,
                 inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allowed_networks = tuple(allowed_networks)
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await self.resolver(host, port)
        refused = [a for a in addresses if not address_allowed(a, self.allowed_networks)]
        if refused or not addresses:
            # One refused address refuses the name: which one a connection would get is not ours to choose.
            raise AddressRefused(f"{host} resolves to {', '.join(refused) or 'nothing'}: not called")
        return await self.inner.connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                            socket_options=socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("a callback is never a local socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on the guarded backend (TLS still verifies the certificate against the host's name)."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(ssl_context=httpx.create_ssl_context(trust_env=False),
                                                  network_backend=backend)


def client(*, guarded: bool, allowed_networks: Sequence[str] = (), timeout: float = 10.0,
           resolver: Resolve = resolve, backend: httpcore.AsyncNetworkBackend | None = None) -> httpx.AsyncClient:
    """The dispatcher's client: guarded outside development; never following a redirect."""
    transport = (GuardedTransport(GuardedBackend(allowed_networks, resolver, backend)) if guarded
                 else httpx.AsyncHTTPTransport(trust_env=False))
    return httpx.AsyncClient(transport=transport, follow_redirects=False, timeout=timeout, trust_env=False,
                             headers={"user-agent": USER_AGENT})


def body(domain_event: Any, notification_id: int, case: dict[str, Any], *, full: bool) -> bytes:
    """The CloudEvent (structured JSON, as on the broker) with the case as it stood after the event: its number,
    the sender's reference, its status and team, so the portal that sent it can show where it stands.

    `full`: the event's own fields too (its actor, a note's text, a draft), for an owner who may read the whole
    case (a manager). A calling system reads its cases' status and nothing of the work inside them, so its
    body carries the envelope and the case's status only, never a handler's name or an internal note."""
    envelope = json.loads(to_message(domain_event, notification_id).value)
    said = envelope["data"]
    data = ({k: v for k, v in said.items() if k not in WITHHELD} if full
            else {k: said[k] for k in STATUS_FIELDS if k in said})
    data["case"] = case
    return json.dumps({**envelope, "data": data}, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(message_id: str, payload: bytes, secrets: Sequence[str], at: datetime) -> dict[str, str]:
    """Standard Webhooks headers: the id (the event's: the receiver deduplicates by it), the moment, and a
    signature per secret (two while a rotated secret's predecessor is still honoured)."""
    text = payload.decode()
    signatures = " ".join(Webhook(secret).sign(message_id, at, text) for secret in secrets)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signatures, "content-type": "application/cloudevents+json"}
