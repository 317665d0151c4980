"""Schemathesis hooks for tests/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

The one check schemathesis has no built-in for: every refusal a client gets is an
RFC 9457 problem document, as the README promises, so a client can read any 4xx
the same way. The router's own 404 and 405 count too: they pass through the same
handler (problems.install) as the application's errors, so they have no excuse.
"""

from __future__ import annotations

import json

import schemathesis

MEDIA_TYPE = "application/problem+json"


@schemathesis.check
def problem_details(ctx: schemathesis.CheckContext, response: schemathesis.Response,
                    case: schemathesis.Case) -> bool | None:
    status = response.status_code
    if not 400 <= status < 500:
        return None
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
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
