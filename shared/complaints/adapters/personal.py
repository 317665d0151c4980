"""The complainant's personal data: sealed in the events with a key per complainant, erasable.

Events carry `{"subject": <pseudonym>, "sealed": <Fernet token>}` instead of
the name, e-mail, phone and address. The key lives in `complainant_keys`, one
row per complainant (the pseudonym is a keyed hash of the normalised e-mail or
phone, so one person's cases share a key and are counted as repeated without
anyone reading who). Erasing a complainant deletes the key: the events, their
hash chains and every count stay as they were, and the personal data can no
longer be read anywhere. Encryption is `cryptography`'s Fernet (AES-128-CBC +
HMAC-SHA256); nothing home-made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, MetaData, String, Table, create_engine, delete, insert, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError

from complaints.settings import Settings

ERASED = {"erased": True}
_metadata = MetaData()
keys = Table("complainant_keys", _metadata, Column("subject", String(36), primary_key=True),
             Column("key", String(64), nullable=False))


def normalised_contact(complainant: dict[str, Any]) -> str | None:
    if complainant.get("email"):
        return "email:" + complainant["email"].strip().lower()
    if complainant.get("phone"):
        digits = re.sub(r"\D", "", complainant["phone"])
        return "phone:" + ("32" + digits[1:] if digits.startswith("0") else digits)
    return None


class PersonalData:
    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.database_url)
        if url.get_backend_name() == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        self.secret = settings.pseudonym_secret.get_secret_value().encode()
        if settings.schema_changes:
            _metadata.create_all(self.engine, checkfirst=True)

    def subject_of(self, tenant: str, complainant: dict[str, Any]) -> str:
        """A stable pseudonym for a person with an address; a fresh one for someone without."""
        contact = normalised_contact(complainant)
        if contact is None:
            return str(uuid.uuid4())
        digest = hmac.new(self.secret, f"{tenant}|{contact}".encode(), hashlib.sha256).digest()
        return str(uuid.UUID(bytes=digest[:16]))

    def _key(self, subject: str, create: bool) -> bytes | None:
        with self.engine.begin() as conn:
            found = conn.execute(select(keys.c.key).where(keys.c.subject == subject)).scalar()
            if found or not create:
                return found.encode() if found else None
            key = Fernet.generate_key()
            try:
                conn.execute(insert(keys).values(subject=subject, key=key.decode()))
            except IntegrityError:  # another request created it meanwhile
                conn.rollback()
                return self._key(subject, create=False)
            return key

    def seal(self, tenant: str, complainant: dict[str, Any] | None) -> dict[str, str] | None:
        if not complainant:
            return None
        subject = self.subject_of(tenant, complainant)
        key = self._key(subject, create=True)
        assert key is not None
        return {"subject": subject, "sealed": Fernet(key).encrypt(json.dumps(complainant).encode()).decode()}

    def open(self, sealed: dict[str, str] | None) -> dict[str, Any]:
        """The complainant as given, `{"erased": true}` after erasure, `{}` when anonymous."""
        if not sealed:
            return {}
        key = self._key(sealed["subject"], create=False)
        if key is None:
            return dict(ERASED)
        try:
            return json.loads(Fernet(key).decrypt(sealed["sealed"].encode()))
        except InvalidToken:
            return dict(ERASED)

    def erase(self, subject: str) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(delete(keys).where(keys.c.subject == subject)).rowcount > 0

    def close(self) -> None:
        """Closes the engine's pooled connection(s)."""
        self.engine.dispose()
