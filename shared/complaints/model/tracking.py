"""The complainant's tracking link: an unguessable token that names one case, and their feedback after the close.

Nothing is stored for a token: it is the case id and a keyed MAC (HMAC-SHA256 under `TRACKING_SECRET`) of
the case id and the case's link generation, so the link in the acknowledgement needs no table, and revoking
it is an event on the case (`TrackingRevoked`) that moves the generation on: the old token's MAC no longer
matches. The case id in it is no secret (it is in every URL of the API); the 128-bit MAC is what cannot be
guessed.

Pure: the secret, the case id and the generation in; a token, or whether one matches, out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from complaints.model.tenants import FeedbackRules

MAC_BYTES = 16
TOKEN_LENGTH = 43  # base64url of 32 bytes (the case id and the MAC), without padding
COMPLAINANT = "complainant"  # how events record a complainant's own act (no name: they hold a link, not an account)


def _mac(secret: bytes, case_id: UUID, generation: int) -> bytes:
    return hmac.new(secret, f"complaints:tracking:{case_id}:{generation}".encode(), hashlib.sha256).digest()[:MAC_BYTES]


def token_for(secret: bytes, case_id: UUID, generation: int) -> str:
    return base64.urlsafe_b64encode(case_id.bytes + _mac(secret, case_id, generation)).decode().rstrip("=")


def link(public_url: str, secret: bytes, case: Any) -> str | None:
    """The complainant's tracking link (the page), unless it was revoked."""
    if case.tracking_revoked:
        return None
    return f"{public_url.rstrip('/')}/track/{token_for(secret, case.id, case.tracking_generation)}"


def case_id_in(token: str) -> UUID | None:
    """The case a well-formed token names (not yet whether it is valid); None for anything else."""
    if len(token) != TOKEN_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        return None
    return UUID(bytes=raw[:16]) if len(raw) == 16 + MAC_BYTES else None


def matches(secret: bytes, token: str, case_id: UUID, generation: int) -> bool:
    """Whether `token` is the current link of the case (compared in constant time)."""
    return hmac.compare_digest(token.encode(), token_for(secret, case_id, generation).encode())


# --- feedback -------------------------------------------------------------------------------------------
def feedback_refusal(rules: FeedbackRules, status: str, closed_at: datetime | None, given_for: datetime | None,
                     now: datetime) -> str | None:
    """Why feedback cannot be given now (None: it can): after the close, within the period, once per close."""
    if status != "closed" or closed_at is None:
        return "feedback is given once the case is closed"
    if given_for == closed_at:
        return "feedback on this case was given already"
    if now - closed_at > timedelta(days=rules.period_days):
        return f"feedback is given within {rules.period_days} days of the close"
    return None


def calls_for(rules: FeedbackRules, rating: int, resolved: bool) -> Literal["flag", "reopen"] | None:
    """What a rating asks of the organisation: a low rating marked "not resolved" flags or reopens the case."""
    return rules.when_not_resolved if rating <= rules.low_rating and not resolved else None
