"""The auditor's use cases: a case's history, what changed between versions, verification of its hash
chains, an export an outside party can check, the log of auditors' reads, and erasure of a complainant.

The history is read from the stored events without replaying them, so a damaged
stream can still be shown and verified; who may read it is decided from the
events too (the team of the last routing, the system that sent it).
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from complaints.adapters.chain import Broken, global_link, verify_stream
from complaints.adapters.cloudevents import plain
from complaints.adapters.personal import normalised_contacts
from complaints.adapters.store import Complaints
from complaints.application import permissions
from complaints.application.callers import Caller
from complaints.application.cases import CaseWork
from complaints.application.clock import Clock
from complaints.application.errors import InvalidFields, VersionNotFound
from complaints.model.audit import ReadLog, diff, entry, state_of
from complaints.model.complaint import CaseNotFound
from complaints.model.erasures import RETENTION, SYSTEM_RETENTION, Erasures
from complaints.model.tenants import Tenant

RECEIVED_TOPIC = "complaints.domain:Complaint.Received"
PROCEDURE = ("For each event in version order: content = sha256(f'{case_id}\\n{version}\\n{topic}\\n' + state); "
             "stream_hash = sha256(f'{previous stream_hash or empty}|{content}'); "
             "global_hash = sha256(f'{previous_global_hash}|{notification_id}|{content}'). Every computed value must "
             "equal the recorded one. services/audit/verify_export.py does this with the standard library only.")


class Audit:
    def __init__(self, store: Complaints, clock: Clock, read_log_window: timedelta = timedelta(hours=1)) -> None:
        self.store, self.clock = store, clock
        self.cases = CaseWork(store, clock, read_log_window)

    def _events(self, caller: Caller, tenant: Tenant, case_id: UUID, what: str) -> list[Any]:
        """The case's events, once the caller may read them; the read logged for auditors."""
        permissions.ensure(caller, "audit-case")
        events = list(self.store.events.get(case_id))
        if not events or getattr(events[0], "tenant", None) != tenant.id or type(events[0]).__name__ != "Received":
            raise CaseNotFound(tenant.id, case_id)  # another tenant's case is as absent as none
        team = next((e.team for e in reversed(events) if type(e).__name__ in ("Routed", "Rerouted")), None)
        permissions.ensure_may_read(caller, team=team, received_by=events[0].actor)
        self.cases.log_read(caller, tenant, case_id, what)
        return events

    def history(self, caller: Caller, tenant: Tenant, case_id: UUID) -> list[dict[str, Any]]:
        """Every event in order (as JSON values): type, who, when it happened and was recorded, the
        configuration version that decided it, a readable summary; the complainant readable while their
        key exists."""
        entries = [entry(e, tenant.language) for e in self._events(caller, tenant, case_id, "history")]
        for item in entries:
            if "complainant" in item["data"]:
                item["data"]["complainant"] = self.store.personal.open(item["data"]["complainant"])
        return plain(entries)

    def diff(self, caller: Caller, tenant: Tenant, case_id: UUID, from_version: int,
             to_version: int) -> dict[str, list[Any]]:
        events = self._events(caller, tenant, case_id, f"diff {from_version}..{to_version}")
        if max(from_version, to_version) > len(events):
            raise VersionNotFound(f"The case has {len(events)} versions")
        before = state_of(self.store.repository.get(case_id, version=from_version))
        after = state_of(self.store.repository.get(case_id, version=to_version))
        return plain(diff(before, after))

    def verify(self, caller: Caller, tenant: Tenant, case_id: UUID) -> dict[str, Any]:
        self._events(caller, tenant, case_id, "verify")
        return verification(self.store, case_id)

    def export(self, caller: Caller, tenant: Tenant, case_id: UUID) -> dict[str, Any]:
        """One document with the stored events, their chain links and the verification result."""
        self._events(caller, tenant, case_id, "export")
        recorder: Any = self.store.recorder
        links = {link.originator_version: link for link in recorder.stream_links(case_id)}
        items = []
        for stored in recorder.select_events(case_id):
            link = links.get(stored.originator_version)
            items.append({
                "version": stored.originator_version, "topic": stored.topic,
                "state_base64": base64.b64encode(bytes(stored.state)).decode(),
                "notification_id": link.notification_id if link else None,
                "content_hash": link.content_hash if link else None,
                "stream_hash": link.stream_hash if link else None,
                "global_hash": link.global_hash if link else None,
                "previous_global_hash": recorder.link_before(link.notification_id) if link else None,
            })
        return {"case_id": str(case_id), "tenant": tenant.id, "exported_at": self.clock.now().isoformat(),
                "procedure": PROCEDURE, "events": items, "verification": verification(self.store, case_id)}

    def reads(self, caller: Caller, tenant: Tenant, case_id: UUID) -> list[dict[str, Any]]:
        """Who read this case's record as an auditor, and when."""
        permissions.ensure(caller, "read-log")
        self.store.case(tenant.id, case_id)
        log = self.store.find(ReadLog.id_for(case_id))
        return log.reads if log else []

    def verify_tenant(self, caller: Caller, tenant: Tenant) -> dict[str, Any]:
        """Checks every case of the tenant; names the first broken link."""
        permissions.ensure(caller, "verify-tenant")
        cases = tenant_cases(self.store, tenant.id)
        for checked, case_id in enumerate(cases, start=1):
            result = verification(self.store, case_id)
            if not result["valid"]:
                return {"valid": False, "cases_checked": checked,
                        "first_broken": {"case_id": str(case_id), **result["first_broken"]}}
        return {"valid": True, "cases_checked": len(cases), "first_broken": None}

    def erase(self, caller: Caller, tenant: Tenant, *, email: str | None = None, phone: str | None = None,
              case_id: UUID | None = None, reason: str) -> dict[str, Any]:
        """Erases a complainant's personal data everywhere: by a case of theirs (whoever complained in it), by
        e-mail or by phone. Every pseudonym these lead to goes (every contact given on their cases with it),
        keys and contact links deleted; history, counts and chains stay. The record says who erased which
        pseudonyms, of which case, when and why."""
        permissions.ensure(caller, "erase")
        errors = _erasure_problems(email, phone, case_id, reason)
        subjects: set[str] = set()
        complainants = [{k: v for k, v in (("email", email), ("phone", phone)) if v}]
        if case_id is not None and not errors:
            try:
                case = self.store.case(tenant.id, case_id)
            except CaseNotFound:
                errors.append({"field": "case_id", "message": f"is no case of {tenant.id}"})
            else:
                if case.complainant:
                    subjects.add(case.complainant["subject"])
                    complainants.append(self.store.personal.open(case.complainant))
        if errors:
            raise InvalidFields(errors)
        subjects = self.store.personal.subjects_of(tenant.id, complainants, subjects)
        return self._erase(tenant, subjects, [str(case_id)] if case_id else [], reason, caller.actor)

    def erase_expired(self, tenant: Tenant, due: dict[str, list[str]]) -> dict[str, Any]:
        """The tenant's retention (the system's own, no caller): erases the pseudonyms whose every case has
        been closed longer than the tenant keeps personal data (`due`: pseudonym -> its cases), in one record
        with the reason `retention`."""
        return self._erase(tenant, set(due), sorted(c for cases in due.values() for c in cases), RETENTION,
                           SYSTEM_RETENTION, cases_of=due)

    def _erase(self, tenant: Tenant, subjects: set[str], case_ids: list[str], reason: str,
               actor: str, cases_of: dict[str, list[str]] | None = None) -> dict[str, Any]:
        # The record first, then the keys: if the deletion breaks off, intake's complainant index deletes
        # them when it follows the record (deleting twice changes nothing).
        for attempt in range(5):
            record = self.store.find(Erasures.id_for(tenant.id)) or Erasures(tenant=tenant.id)
            if cases_of is not None:  # retention: a round that met another (two intakes) erases what is left
                subjects = set(cases_of) - record.subjects_erased
                case_ids = sorted(c for subject in subjects for c in cases_of[subject])
                if not subjects:
                    return {"subject": None, "subjects": [], "case_ids": [], "erased": False}
            record.erased(tenant=tenant.id, subjects=sorted(subjects), case_ids=case_ids, reason=reason,
                          actor=actor, occurred_at=self.clock.now())
            try:
                self.store.save(record)
                break
            except IntegrityError:  # another erasure of the tenant was recorded meanwhile
                if attempt == 4:
                    raise
        erased = self.store.personal.erase(subjects)
        return {"subject": min(subjects) if subjects else None, "subjects": sorted(subjects), "case_ids": case_ids,
                "erased": bool(erased)}


def _erasure_problems(email: str | None, phone: str | None, case_id: UUID | None,
                      reason: str) -> list[dict[str, Any]]:
    """What is wrong with an erasure request, each field named."""
    errors = []
    if not (email or phone or case_id):
        errors += [{"field": field, "message": "give the case id, the e-mail address or the phone number"}
                   for field in ("case_id", "email", "phone")]
    if email is not None and not normalised_contacts({"email": email}):
        errors.append({"field": "email", "message": "is empty"})
    elif email and "@" not in email:
        errors.append({"field": "email", "message": "is not an e-mail address"})
    if phone is not None and not normalised_contacts({"phone": phone}):
        errors.append({"field": "phone", "message": "has no digits"})
    if not reason.strip():
        errors.append({"field": "reason", "message": "is empty"})
    return errors


def verification(store: Complaints, case_id: UUID) -> dict[str, Any]:
    recorder: Any = store.recorder
    stored = list(recorder.select_events(case_id))
    links = recorder.stream_links(case_id)
    broken = verify_stream(stored, links, str(case_id))
    if broken is None:
        for link in links:  # each global link, against the link before it in the store's order
            if global_link(recorder.link_before(link.notification_id), link.notification_id,
                           link.content_hash) != link.global_hash:
                broken = Broken(link.notification_id, str(case_id), link.originator_version,
                                "the store's chain is broken here")
                break
    return {"valid": broken is None, "events": len(stored),
            "first_broken": None if broken is None else vars(broken)}


def tenant_cases(store: Complaints, tenant: str) -> list[UUID]:
    """The tenant's case ids, from the store's notification log (the one truth there is)."""
    found, start = [], 1
    while True:
        batch = store.recorder.select_notifications(start=start, limit=1000, topics=[RECEIVED_TOPIC])
        for notification in batch:
            if store.mapper.to_domain_event(notification).tenant == tenant:
                found.append(notification.originator_id)
        if len(batch) < 1000:
            return found
        start = batch[-1].id + 1
