"""The complainant's personal data: sealed in the events with a key per complainant, erasable.

Events carry `{"subject": <pseudonym>, "sealed": <Fernet token>}` instead of the name, e-mail, phone and
address. The pseudonym is random: nothing about the person derives it. Two tables hold what links a person
to it, both deleted by an erasure:

- `complainant_keys`: the pseudonym's Fernet key (read to show a case).
- `complainant_contacts`: a keyed hash (`PSEUDONYM_SECRET`) of each normalised e-mail and phone given, and
  the pseudonym it belongs to. A new case that gives a known e-mail or phone is sealed under the same
  pseudonym (one key, counted as repeated); e-mail and phone given together both point to it, so either
  finds it. A complainant known only by name and address gets a pseudonym of their own for each case.

After an erasure the key and the contact rows are gone: the stored events still name the old pseudonym,
but nothing opens it and nothing leads from the person to it, and their next case gets a new one.

Pseudonyms made before (up to the data-rights change) were a keyed hash of the e-mail or phone; their
keys still open those cases, a new case of such a person finds its old pseudonym through that hash while
its key exists (and is then linked to it in `complainant_contacts`), and an erasure by e-mail or phone
deletes that key too. `index` links the contacts of a case sealed before, so an erasure by any contact it
gave finds it (intake's complainant index calls it for every case it follows).

Encryption is `cryptography`'s Fernet (AES-128-CBC + HMAC-SHA256), the hashes HMAC-SHA256; nothing home-made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, Connection, MetaData, String, Table, create_engine, delete, insert, select, text
from sqlalchemy.engine import Engine, make_url

from complaints.settings import Settings

ERASED = {"erased": True}
_metadata = MetaData()
keys = Table("complainant_keys", _metadata, Column("subject", String(36), primary_key=True),
             Column("key", String(64), nullable=False))
# One row per (contact, pseudonym): a contact normally has one; two when an e-mail and a phone first met
# under different pseudonyms (each stays erasable by the other).
contacts = Table("complainant_contacts", _metadata, Column("contact", String(64), primary_key=True),
                 Column("subject", String(36), primary_key=True, index=True))


def normalised_contacts(complainant: dict[str, Any]) -> list[str]:
    """Each e-mail and phone given, as one person writes them different ways; e-mail first."""
    found = []
    if isinstance(complainant.get("email"), str) and complainant["email"].strip():
        found.append("email:" + complainant["email"].strip().lower())
    if isinstance(complainant.get("phone"), str) and (digits := re.sub(r"\D", "", complainant["phone"])):
        found.append("phone:" + ("32" + digits[1:] if digits.startswith("0") else digits))
    return found


class PersonalData:
    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.database_url)
        if url.get_backend_name() == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        self.secret = settings.pseudonym_secret.get_secret_value().encode()
        if settings.schema_changes:
            _metadata.create_all(self.engine, checkfirst=True)

    # --- hashes ------------------------------------------------------------------
    def _contact_hash(self, tenant: str, contact: str) -> str:
        # Its own prefix: the hash kept in `complainant_contacts` is never a pseudonym, old or new.
        return hmac.new(self.secret, f"contact|{tenant}|{contact}".encode(), hashlib.sha256).hexdigest()

    def legacy_subject(self, tenant: str, contact: str) -> str:
        """The pseudonym a contact was given before pseudonyms were random (cases sealed then carry it)."""
        digest = hmac.new(self.secret, f"{tenant}|{contact}".encode(), hashlib.sha256).digest()
        return str(uuid.UUID(bytes=digest[:16]))

    # --- sealing -----------------------------------------------------------------
    def seal(self, tenant: str, complainant: dict[str, Any] | None) -> dict[str, str] | None:
        if not complainant:
            return None
        given = normalised_contacts(complainant)
        with self.engine.begin() as conn:
            subject = self._subject_for(conn, tenant, given) if given else str(uuid.uuid4())
            key = self._key_in(conn, subject) or self._new_key(conn, subject)
        return {"subject": subject, "sealed": Fernet(key).encrypt(json.dumps(complainant).encode()).decode()}

    def _subject_for(self, conn: Connection, tenant: str, given: list[str]) -> str:
        """The pseudonym of whoever gave these contacts before (linking any new one), or a new one."""
        hashes = [self._contact_hash(tenant, contact) for contact in given]
        _one_at_a_time(conn, hashes)
        rows = conn.execute(select(contacts.c.contact, contacts.c.subject).where(contacts.c.contact.in_(hashes)))
        known: dict[str, set[str]] = {}
        for contact, subject in rows:
            known.setdefault(contact, set()).add(subject)
        # Only a pseudonym with its key: a link left to an erased one (an `index` that met an erasure) must
        # never bring it back.
        alive = set(conn.execute(select(keys.c.subject).where(
            keys.c.subject.in_({s for found in known.values() for s in found}))).scalars()) if known else set()
        known = {h: found & alive for h, found in known.items() if found & alive}
        subject = next((min(known[h]) for h in hashes if h in known), None)  # e-mail first, then phone
        if subject is None:  # someone known from before pseudonyms were random, while their key exists
            subject = next((s for s in (self.legacy_subject(tenant, c) for c in given) if self._key_in(conn, s)),
                           None)
        subject = subject or str(uuid.uuid4())
        missing = [h for h in hashes if subject not in known.get(h, ())]
        if missing:
            conn.execute(insert(contacts), [{"contact": h, "subject": subject} for h in missing])
        return subject

    def index(self, tenant: str, sealed: dict[str, str] | None) -> None:
        """Links the contacts of a case sealed before to its pseudonym, while its key exists (idempotent)."""
        complainant = self.open(sealed)
        given = normalised_contacts(complainant)
        if not given:
            return
        hashes = [self._contact_hash(tenant, contact) for contact in given]
        with self.engine.begin() as conn:
            _one_at_a_time(conn, hashes)
            if self._key_in(conn, sealed["subject"]) is None:  # type: ignore[index]
                return  # erased since it was opened
            linked = set(conn.execute(select(contacts.c.contact).where(
                contacts.c.contact.in_(hashes), contacts.c.subject == sealed["subject"])).scalars())  # type: ignore[index]
            if missing := [h for h in hashes if h not in linked]:
                conn.execute(insert(contacts), [{"contact": h, "subject": sealed["subject"]}  # type: ignore[index]
                                                for h in missing])

    def _key_in(self, conn: Connection, subject: str) -> bytes | None:
        found = conn.execute(select(keys.c.key).where(keys.c.subject == subject)).scalar()
        return found.encode() if found else None

    def _new_key(self, conn: Connection, subject: str) -> bytes:
        # Never taken meanwhile: a new pseudonym is random, and a person's seals take turns by their contacts.
        key = Fernet.generate_key()
        conn.execute(insert(keys).values(subject=subject, key=key.decode()))
        return key

    # --- reading -----------------------------------------------------------------
    def open(self, sealed: dict[str, str] | None) -> dict[str, Any]:
        """The complainant as given, `{"erased": true}` after erasure, `{}` when anonymous."""
        if not sealed:
            return {}
        with self.engine.connect() as conn:
            key = self._key_in(conn, sealed["subject"])
        if key is None:
            return dict(ERASED)
        try:
            return json.loads(Fernet(key).decrypt(sealed["sealed"].encode()))
        except InvalidToken:
            return dict(ERASED)

    def has_key(self, subjects: Iterable[str]) -> set[str]:
        """Those of these pseudonyms whose key still exists (not erased)."""
        wanted = list(set(subjects))
        if not wanted:
            return set()
        with self.engine.connect() as conn:
            return set(conn.execute(select(keys.c.subject).where(keys.c.subject.in_(wanted))).scalars())

    # --- erasing -----------------------------------------------------------------
    def subjects_of(self, tenant: str, complainants: Iterable[dict[str, Any]],
                    subjects: Iterable[str] = ()) -> set[str]:
        """Every pseudonym these contacts (and pseudonyms) lead to: through the contact rows, both ways, until
        nothing new is found (an e-mail and a phone that met in one case lead to each other's cases), and the
        legacy pseudonym of each contact given."""
        given = {c for complainant in complainants for c in normalised_contacts(complainant)}
        found = set(subjects) | self.has_key(self.legacy_subject(tenant, c) for c in given)
        hashes = {self._contact_hash(tenant, c) for c in given}
        with self.engine.connect() as conn:
            while True:
                more_subjects = set(conn.execute(select(contacts.c.subject).where(
                    contacts.c.contact.in_(list(hashes)))).scalars()) if hashes else set()
                more_hashes = set(conn.execute(select(contacts.c.contact).where(
                    contacts.c.subject.in_(list(found | more_subjects)))).scalars()) if found | more_subjects else set()
                if more_subjects <= found and more_hashes <= hashes:
                    return found
                found |= more_subjects
                hashes |= more_hashes

    def erase(self, subjects: Iterable[str]) -> set[str]:
        """Deletes the keys of these pseudonyms and every contact row pointing to them, in one transaction;
        returns those that had a key (the others were erased before, or never known)."""
        wanted = list(set(subjects))
        if not wanted:
            return set()
        with self.engine.begin() as conn:
            had = set(conn.execute(select(keys.c.subject).where(keys.c.subject.in_(wanted))).scalars())
            conn.execute(delete(contacts).where(contacts.c.subject.in_(wanted)))
            conn.execute(delete(keys).where(keys.c.subject.in_(wanted)))
        return had

    def close(self) -> None:
        """Closes the engine's pooled connection(s)."""
        self.engine.dispose()


def _one_at_a_time(conn: Connection, hashes: Iterable[str]) -> None:
    """On PostgreSQL, two first cases of one person at the same moment take turns (a transaction-scoped
    advisory lock per contact, in one order), so both get the same pseudonym. SQLite writes one at a time."""
    if conn.dialect.name != "postgresql":
        return
    for contact in sorted(hashes):
        conn.execute(text("SELECT pg_advisory_xact_lock(('x' || substr(:h, 1, 16))::bit(64)::bigint)"),
                     {"h": contact})
