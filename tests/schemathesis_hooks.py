"""Schemathesis hooks for tests/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

The one check schemathesis has no built-in for: every refusal a client gets is an
RFC 9457 problem document, as the README promises, so a client can read any 4xx
the same way. The router's own 404 and 405 count too: they pass through the same
handler (problems.install) as the application's errors, so they have no excuse.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

import schemathesis

MEDIA_TYPE = "application/problem+json"
# Open311 GeoReport v2 answers its errors in its spec's format, not as problem documents (intake/open311.py);
# what the shared limits refuse before any route (a body too large, too many requests, a NUL in the URL) is a
# problem document there as everywhere.
OPEN311 = "/open311/"
BEFORE_ANY_ROUTE = {413, 422, 429, 431}


def open311_error(status: int, content_type: str, content: bytes) -> bool:
    """Whether the body is the spec's error list, in JSON or XML, naming this status."""
    if content_type == "text/xml":
        root = ElementTree.fromstring(content)  # our own answer, not untrusted input
        codes = [error.findtext("code") for error in root.findall("error")] if root.tag == "errors" else []
        return bool(codes) and all(code == str(status) for code in codes)
    if content_type != "application/json":
        return False
    body = json.loads(content)
    return isinstance(body, list) and bool(body) and all(
        isinstance(e, dict) and e.get("code") == status and isinstance(e.get("description"), str) for e in body)


@schemathesis.check
def problem_details(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                    case: schemathesis.Case) -> bool | None:
    status = response.status_code
    if not 400 <= status < 500:
        return None
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if OPEN311 in case.path and not (status in BEFORE_ANY_ROUTE and content_type == MEDIA_TYPE):
        if not open311_error(status, content_type, response.content):
            raise AssertionError(f"{status} not in Open311's error format: {response.content[:200]!r}")
        return True
    if content_type != MEDIA_TYPE:
        raise AssertionError(f"{status} with Content-Type {content_type!r}, not {MEDIA_TYPE}")
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{status} whose body is not JSON: {response.content[:200]!r}") from None
    missing = [key for key in ("type", "title", "status") if not isinstance(body, dict) or key not in body]
    if missing:
        raise AssertionError(f"{status} problem document without {missing}: {body!r}")
    if body["status"] != status:
        raise AssertionError(f"problem document says status {body['status']!r}, the response is {status}")
    return True
