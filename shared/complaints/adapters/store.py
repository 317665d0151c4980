"""The event store: the eventsourcing application every process opens.

All processes write the one `complaints` store (its events table is the single
source of truth, its notification log the order everybody follows). Intake
records `Received`; routing and qualification append to the same case streams
through `process_event`, which writes their new events and their position
(a tracking record keyed by the consumer's name) in one transaction.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    ListenNotifySubscription,
    Transcoding,
)
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.sqlite import SQLiteProcessRecorder
from eventsourcing.utils import get_topic, register_topic

from complaints.model import audit, case_numbers, deduplication, erasures, systems
from complaints.model.case_numbers import CaseNumbers
from complaints.model.deduplication import IdempotencyKey, IdempotencyKeyReused, SenderReference, Submission
from complaints.model.complaint import CaseNotFound, Complaint, StaleVersion
from complaints.adapters.personal import ERASED, PersonalData
from complaints.adapters.retries import at_start, for_a_request
from complaints.application.clock import Clock, SystemClock
from complaints.adapters.schema import one_at_a_time
from complaints.settings import Settings
from complaints.model.tenants import Tenant, load_tenants


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class PollingSQLiteSubscription(ListenNotifySubscription[Any]):
    """SQLite has no LISTEN/NOTIFY, so the embedded default wakes the library's
    own pull loop on a short timer instead (PostgreSQL is pushed to)."""

    interval = 0.2

    def __init__(self, recorder: Any, gt: int | None = None, topics: Sequence[str] = ()) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._tick_thread = threading.Thread(target=self._tick, daemon=True)
        self._tick_thread.start()

    def _tick(self) -> None:
        while not self._has_been_stopped:
            self._has_been_notified.set()
            threading.Event().wait(self.interval)


class PollingSQLiteProcessRecorder(SQLiteProcessRecorder):
    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> PollingSQLiteSubscription:
        return PollingSQLiteSubscription(self, gt=gt, topics=topics)


# Aggregates whose module moved when the package was split into layers: events stored before keep
# the old topics, and these make them resolve to where the classes live now. (The case events have
# explicit topics of their own, so theirs never change.)
for _old, _module in (("complaints.case_numbers", case_numbers), ("complaints.deduplication", deduplication),
                      ("complaints.auth", systems), ("complaints.audit", audit), ("intake.audit", erasures)):
    register_topic(_old, _module)

# The topics of the case events (not of the case-number counters), as stored.
COMPLAINT_EVENT_TOPICS = tuple(
    get_topic(cls) for name, cls in vars(Complaint).items()
    if isinstance(cls, type) and issubclass(cls, Complaint.Event) and name not in ("Event", "Created")
)
# The erasure record's event that the read models follow, under its topic now and the one stored before the
# layers were split (a topic filter compares the stored strings).
ERASURE_TOPICS = (get_topic(erasures.Erasures.ComplainantErased), "intake.audit:Erasures.ComplainantErased")
# What the relay publishes: the case events and the erasures.
PUBLISHED_TOPICS = COMPLAINT_EVENT_TOPICS + ERASURE_TOPICS


# How often a command given without If-Match is decided again when another event landed on the case first.
CHANGE_ATTEMPTS = 3


class Complaints(EventSourcedProjection[UUID]):
    """The complaint store and its use cases. Subclasses add a `policy` to react to events."""

    name = "Complaints"  # names the tables: every process, every subclass, the one store

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = "Complaints"  # the library would name a subclass's tables after the subclass

    # The counters and the erasure record are one stream per tenant (and year) that grows with every case
    # or erasure: a snapshot keeps loading them short.
    snapshotting_intervals: ClassVar[dict[type, int]] = {CaseNumbers: 100, erasures.Erasures: 100}
    # One intake process takes case numbers one at a time; other processes are
    # kept out by the store's optimistic concurrency (and retry).
    _numbering = threading.Lock()

    def __init__(self, settings: Settings) -> None:
        self._counters: dict[tuple[str, int], CaseNumbers] = {}
        for attempt in at_start():
            with attempt, one_at_a_time(settings):
                super().__init__(env=settings.eventsourcing_env())
                self.personal = PersonalData(settings)

    def close(self) -> None:
        """Closes the event store's pool and the personal-data engine: each holds connections of its own."""
        super().close()
        with contextlib.suppress(AttributeError):  # a store whose opening failed has no `personal`
            self.personal.close()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def receive(self, tenant: Tenant, submission: Submission, *, actor: str, received_at: datetime,
                history: Callable[[Complaint], None] | None = None, **fields: Any) -> tuple[Complaint, bool]:
        """Records a new case with the next case number of its tenant and year, and says True;
        or returns the case this submission already made, and says False.

        `history` may add further events before the one atomic save (an imported case's steps).
        A database that is away for a moment is waited for (`retries.for_a_request`).
        """
        unsure: list[UUID] = []  # cases whose save broke off unanswered: they may have been committed
        for attempt in for_a_request():
            with attempt:
                return self._receive(tenant, submission, unsure, actor=actor, received_at=received_at,
                                     history=history, **fields)
        raise AssertionError("unreachable")

    def _receive(self, tenant: Tenant, submission: Submission, unsure: list[UUID], *, actor: str,
                 received_at: datetime, history: Callable[[Complaint], None] | None, **fields: Any,
                 ) -> tuple[Complaint, bool]:
        year = received_at.year
        for attempt in range(20):
            with self._numbering:
                for case_id in unsure:
                    if (committed := self.find(case_id)) is not None:
                        return committed, True
                existing, expired = self._already_received(tenant.id, submission)
                if existing is not None:
                    return existing, False
                numbers = self._counters.pop((tenant.id, year), None) or self._counter(tenant, year)
                complaint = Complaint(
                    tenant=tenant.id, actor=actor, occurred_at=received_at, config_version=tenant.version,
                    case_number=numbers.issue(), sender_reference=submission.reference, **fields,
                )
                if history:
                    history(complaint)
                records: list[Aggregate] = []
                if expired is not None:  # saved with its new event: a concurrent reuse conflicts, as a new key does
                    expired.use_again(request_hash=submission.request_hash, case_id=complaint.id,
                                      used_at=submission.used_at or received_at)
                    records.append(expired)
                elif submission.idempotency_key:
                    records.append(IdempotencyKey(tenant=tenant.id, sender=submission.sender,
                                                  key=submission.idempotency_key,
                                                  request_hash=submission.request_hash, case_id=complaint.id,
                                                  used_at=submission.used_at))
                if submission.reference:
                    records.append(SenderReference(tenant=tenant.id, sender=submission.sender,
                                                   reference=submission.reference, case_id=complaint.id))
                try:
                    self.save(numbers, complaint, *records)
                except Exception as error:
                    # Unsure even on a conflict: the library retries a broken-off insert itself, and
                    # the retry of one that did commit conflicts with it. The counter is read again.
                    unsure.append(complaint.id)
                    if not isinstance(error, IntegrityError):
                        raise
                    # Another process took the number, or this submission arrived twice: look again.
                    if attempt == 19:
                        raise
                    continue
                # Kept for the next case: the counter is read from the store only after a conflict.
                self._counters[(tenant.id, year)] = numbers
                return complaint, True
        raise AssertionError("unreachable")

    def transfer(self, source: Tenant, case_id: UUID, target: Tenant, *, decide: Callable[[Complaint], None],
                 received_at: datetime, actor: str, at: datetime, reason: str, **fields: Any,
                 ) -> tuple[Complaint, Complaint]:
        """Moves a case to another organisation in one save: the new case there (the next number of the
        target's year, linking back, the complainant sealed again under the target's own keys) and
        `Transferred` on the source. `decide` checks, on the source as it is now, that this may happen.
        A conflict on the source (someone acted on it meanwhile) is a StaleVersion; on the numbers, a retry."""
        year = received_at.year
        for _ in range(20):
            with self._numbering:
                case = self.case(source.id, case_id)
                decide(case)
                numbers = self._counters.pop((target.id, year), None) or self._counter(target, year)
                complainant = self.personal.open(case.complainant)
                moved = Complaint(
                    tenant=target.id, actor=actor, occurred_at=received_at, config_version=target.version,
                    case_number=numbers.issue(), sender_reference=case.case_number,
                    complainant=None if complainant in ({}, ERASED) else
                    self.personal.seal(target.id, complainant),
                    transferred_from={"tenant": source.id, "case_id": str(case.id), "case_number": case.case_number},
                    subject=case.subject, text=case.text, attachments=case.attachments,
                    via_oversight=target.is_oversight(fields["channel"]), **fields)
                version = case.version
                case.transfer(to_tenant=target.id, to_case_id=str(moved.id), to_case_number=moved.case_number,
                              reason=reason, actor=actor, at=at)
                try:
                    self.save(numbers, moved, case)
                except IntegrityError:
                    if self.case(source.id, case_id).version != version:
                        raise StaleVersion(version, None) from None
                    continue  # another process took the number: read the counter again
                self._counters[(target.id, year)] = numbers
                return case, moved
        raise AssertionError("twenty conflicts on the case numbers in a row")

    def _counter(self, tenant: Tenant, year: int) -> CaseNumbers:
        try:
            return self.repository.get(CaseNumbers.id_for(tenant.id, year))
        except AggregateNotFoundError:
            return CaseNumbers(tenant=tenant.id, year=year, prefix=tenant.case_prefix)

    def _already_received(self, tenant: str, submission: Submission,
                          ) -> tuple[Complaint | None, IdempotencyKey | None]:
        """The case this submission made before, if any; and its Idempotency-Key's record if the key was
        used before but its window has closed (a genuine repeat, a new case)."""
        expired = None
        if submission.idempotency_key:
            key = self.find(IdempotencyKey.id_for(tenant, submission.sender, submission.idempotency_key))
            if key is not None and key.expired(submission.keys_used_since):
                expired = key
            elif key is not None:
                if key.request_hash != submission.request_hash:
                    raise IdempotencyKeyReused(key.case_id)
                return self.get(key.case_id), None
        if submission.reference:
            return self.find_by_reference(tenant, submission.sender, submission.reference), expired
        return None, expired

    def find_by_reference(self, tenant: str, sender: str, reference: str) -> Complaint | None:
        record = self.find(SenderReference.id_for(tenant, sender, reference))
        return None if record is None else self.get(record.case_id)

    def find(self, aggregate_id: UUID) -> Any:
        """The aggregate with this id, or None."""
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def get(self, case_id: UUID) -> Complaint:
        return self.repository.get(case_id)

    def case(self, tenant: str, case_id: UUID) -> Complaint:
        """The tenant's case; another tenant's case is as absent as one that does not exist."""
        complaint = self.find(case_id)
        if not isinstance(complaint, Complaint) or complaint.tenant != tenant:
            raise CaseNotFound(tenant, case_id)
        return complaint

    def change(self, tenant: str, case_id: UUID, command: Callable[[Complaint], Iterable[Complaint] | None], *,
               expected_version: int | None = None) -> Complaint:
        """Loads the case, runs one command on it, saves: the one place a command commits. The command may
        return other cases it changed with it (a complaint and its parts), saved in the same transaction.

        Another event saved on the case meanwhile (the system's, usually: a message recorded as sent, the
        clock) is a conflict for a caller who named the version they decided on (`expected_version`, If-Match);
        for one who did not, the command is decided again on the case as it now is."""
        for attempt in range(CHANGE_ATTEMPTS):
            complaint = self.case(tenant, case_id)
            if expected_version is not None and complaint.version != expected_version:
                raise StaleVersion(expected_version, complaint.version)
            together = command(complaint) or ()
            try:
                self.save(complaint, *together)
                return complaint
            except IntegrityError:
                if expected_version is not None or attempt == CHANGE_ATTEMPTS - 1:
                    raise StaleVersion(complaint.version - len(complaint.pending_events), None) from None
        raise AssertionError("unreachable")

    @singledispatchmethod
    def policy(self, domain_event: DomainEventProtocol[UUID], processing_event: ProcessingEvent[UUID]) -> None:
        """No reaction by default; consumers register their own."""


class CaseProcess(Complaints):
    """A consumer that appends to the case streams under its tenants' rules (routing, the clock).

    Each subclass declares its own `topics` and `@singledispatchmethod policy`.
    """

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        super().__init__(settings)
        self.tenants = load_tenants(settings.tenants_dir)
        self.clock: Clock = clock or SystemClock()
