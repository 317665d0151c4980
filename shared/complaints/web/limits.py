"""Refuses, before anything parses them, requests no service should handle: bodies above the configured
size (413), oversized header sections (431), NUL characters in the URL (422), and more requests than a
credential (or, without one, a client address) may send (429), each as a problem document."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from urllib.parse import parse_qsl

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

# uvicorn's default HTTP parser (httptools) puts no bound on headers, so the services set their own:
# Apache's default count, and room for a large IdP token and then some.
MAX_HEADERS = 100
MAX_HEADER_BYTES = 32 * 1024


class BodyTooLarge(Exception):
    pass


Problem = dict[str, Any]


def _problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> Problem:
    return {"type": f"https://complaints.example/problems/{kind}", "title": title, "status": status,
            "detail": detail, **extra}


def _too_large(limit: int) -> Problem:
    return _problem(413, "body-too-large", "The request body is too large", f"Bodies are limited to {limit} bytes",
                    limit=limit)


def _headers_too_large(headers: list[tuple[bytes, bytes]]) -> Problem | None:
    size = sum(len(name) + len(value) for name, value in headers)
    if len(headers) <= MAX_HEADERS and size <= MAX_HEADER_BYTES:
        return None
    return _problem(431, "headers-too-large", "The request's headers are too large",
                    f"At most {MAX_HEADERS} headers of {MAX_HEADER_BYTES} bytes together; "
                    f"got {len(headers)} of {size} bytes", max_headers=MAX_HEADERS, max_header_bytes=MAX_HEADER_BYTES)


def _nul_in_url(scope: dict[str, Any]) -> Problem | None:
    """PostgreSQL text cannot hold NUL: a query parameter with one, compared with a column, is a database
    error (a 500) wherever it reaches SQL. No code or text of this API contains NUL, so it is refused here."""
    query = scope.get("query_string", b"").decode("latin-1")
    fields = [f"query.{name}" for name, value in parse_qsl(query, keep_blank_values=True)
              if "\x00" in name or "\x00" in value]
    if "\x00" in scope.get("path", ""):
        fields.insert(0, "path")
    if not fields:
        return None
    return _problem(422, "validation-error", "The request has invalid fields", f"Invalid: {', '.join(fields)}",
                    errors=[{"field": field, "message": "must not contain NUL characters"} for field in fields])


class BodySizeLimit:
    """ASGI middleware: checks the headers and the URL, and Content-Length up front; counts the bytes of a
    streamed body. (Named after its first job; every service's composition root adds it.)"""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers") or []
        refusal = _headers_too_large(headers) or _nul_in_url(scope)
        if refusal is not None:
            await _refuse(send, refusal)
            return
        declared = dict(headers).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(send, _too_large(self.max_bytes))
            return
        seen = 0
        started = refused = False

        async def counting_receive() -> dict[str, Any]:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer now: FastAPI turns any error raised while it reads a body into a 400 of its own
                    # ("There was an error parsing the body"), so the exception never reaches us as itself.
                    if not started and not refused:
                        refused = True
                        await _refuse(send, _too_large(self.max_bytes))
                    raise BodyTooLarge
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out already; whatever the app answers to the aborted read is dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            pass  # answered in counting_receive (or the app had started its answer: nothing more to say)


async def _refuse(send: Any, problem: Problem, extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(problem).encode()
    await send({"type": "http.response.start", "status": problem["status"],
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode()), *(extra_headers or [])]})
    await send({"type": "http.response.body", "body": body})


# Health, readiness and metrics are asked by the platform itself, often: never limited.
UNLIMITED = frozenset({"/healthz", "/readyz", "/metrics"})
# A complainant's tracking link, opened without credentials: a tighter budget per address, so guessing links
# is slow as well as hopeless.
TRACKING_PATHS = ("/track/", "/v1/track/")


def _query_key(scope: dict[str, Any]) -> bytes | None:
    """Open311's way to send a key, `api_key` in the query: counted as that credential, not as an address."""
    query = scope.get("query_string", b"")
    if b"api_key=" not in query:
        return None
    key = dict(parse_qsl(query.decode("latin-1"))).get("api_key")
    return key.encode("latin-1") if key else None


class RateLimit:
    """At most `per_credential` requests per API key or bearer token (counted by a hash of it),
    `per_address` per client address for requests without credentials, and `per_tracking_address` per
    client address to tracking links (whatever headers come with them). Counted per process, in memory:
    enough to stop one caller from swamping a process, not a quota across processes."""

    def __init__(self, app: Any, *, per_credential: str, per_address: str, per_tracking_address: str) -> None:
        self.app = app
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.per_credential, self.per_address = parse(per_credential), parse(per_address)
        self.per_tracking_address = parse(per_tracking_address)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        secret = headers.get(b"x-api-key") or headers.get(b"authorization") or _query_key(scope)
        address = str((scope.get("client") or ("unknown",))[0])
        if scope["path"].startswith(TRACKING_PATHS):
            secret, limit, who = None, self.per_tracking_address, "tracking:" + address
        elif secret:
            limit, who = self.per_credential, "credential:" + hashlib.sha256(secret).hexdigest()
        else:
            limit, who = self.per_address, "address:" + address
        if self.limiter.hit(limit, who):
            await self.app(scope, receive, send)
            return
        reset = self.limiter.get_window_stats(limit, who).reset_time
        wait = max(1, int(reset - time.time() + 0.999))
        problem = _problem(429, "too-many-requests", "Too many requests",
                           f"At most {limit} for these credentials" if secret else f"At most {limit} without "
                           "credentials from one address", retry_after_seconds=wait)
        await _refuse(send, problem, extra_headers=[(b"retry-after", str(wait).encode())])
