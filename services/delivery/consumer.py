"""Delivery's policy: the messages an event on a case calls for, then each message sent.

Two steps, each its own event with this consumer's position in one transaction (`process_event`):
`Received`, `Answered` and `Closed` decide messages (`MessageDecided`, by the tenant's rules in
`complaints.model.messages`); a `MessageDecided` is then rendered, handed to the SMTP server, and recorded
as `MessageSent` with the server's reply (or `DeliveryFailed`). A crash after the server's 250 and before
that commit sends the message once more, with the same `Message-ID`: at most one re-send per crash. A
message not delivered for now (the server away through every retry) is also recorded among the skipped
events: a manager's re-drive of the case, once the server is back, sends it (one try per round until it
goes).
A letter (the post channel) is decided and left for a handler to print and post.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.utils import get_topic
from prometheus_client import Counter, Gauge
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from complaints.adapters.follower import NotYet, store_follower
from complaints.adapters.mail import Mailer, NotTaken, RecipientRefused, Templates, context
from complaints.adapters.readmodel import create_engine, migrate
from complaints.adapters.skipped import SkippedEvents, record_now
from complaints.adapters.store import CaseProcess
from complaints.application.clock import Clock
from complaints.model import messages, tracking
from complaints.model.complaint import SYSTEM_DELIVERY, Complaint
from complaints.settings import Settings
from complaints.web.app import Wiring

log = logging.getLogger(__name__)
SENT = Counter("messages_sent_total", "Messages the SMTP server took", ["kind"])
FAILED = Counter("messages_failed_total", "Messages recorded as failed", ["kind", "final"])
RETRIED = Counter("smtp_retries_total", "SMTP attempts that will be tried again")
SMTP_UP = Gauge("smtp_up", "Whether the mail server took the last message handed to it (1) or was away (0)")
OUTCOMES_KEPT = 10_000


class Delivery(CaseProcess):
    topics = tuple(get_topic(e) for e in (Complaint.Received, Complaint.InformationRequested, Complaint.Answered,
                                          Complaint.Closed, Complaint.MessageDecided))

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        super().__init__(settings, clock)
        self.settings = settings
        self.templates = Templates(settings.tenants_dir)
        self.mailer = Mailer(settings)
        self.tracking_secret = settings.tracking_secret.get_secret_value().encode()
        # What the server said of each message this process sent, until its record commits: the record can meet
        # a command saved on the case at the same moment (routing, the clock, a handler) and is then tried again
        # on the case as it is now; that try must record the same outcome, not send the message again.
        self._outcomes: OrderedDict[str, tuple[str, str, bool]] = OrderedDict()

    @singledispatchmethod
    def policy(self, domain_event: Any, processing_event: ProcessingEvent[UUID]) -> None:
        """Receipt, the answer and the close decide messages; a decided message is sent."""
        case: Complaint = self.repository.get(domain_event.originator_id)
        contact = self.personal.open(case.complainant)
        decided = [case.decide_message(message_id=d.message_id, kind=d.kind, channel=d.channel, language=d.language,
                                       actor=SYSTEM_DELIVERY, at=self.clock.now())
                   for d in messages.decide(type(domain_event).__name__, domain_event.occurred_at,
                                            domain_event.originator_version, case, self.tenants[case.tenant],
                                            contact, self.clock.now())]
        if any(decided):
            processing_event.collect_events(case)

    @policy.register
    def _(self, domain_event: Complaint.MessageDecided, processing_event: ProcessingEvent[UUID]) -> None:
        case: Complaint = self.repository.get(domain_event.originator_id)
        message = case.messages.get(domain_event.message_id, {})
        redriving = processing_event.tracking is not None and processing_event.tracking.application_name.endswith(
            ":redrive")
        waiting = message.get("status") == "failed" and not message.get("final")
        if message.get("channel") != "e-mail" or not (message["status"] == "decided" or redriving and waiting):
            return  # sent or failed already (a re-drive tries a failure that was not final); a letter waits
        kind = message["kind"]
        contact = self.personal.open(case.complainant)
        if redriving:  # asked for by a manager once the server is back: one try now, the next round if not
            outcome = self._send(case, domain_event.message_id, message, contact, attempts=1)
            if outcome[0] == "failed" and not outcome[2]:
                raise NotYet(outcome[1])
        else:
            outcome = (self._outcomes.get(domain_event.message_id)
                       or self._send(case, domain_event.message_id, message, contact))
            self._outcomes[domain_event.message_id] = outcome
            while len(self._outcomes) > OUTCOMES_KEPT:
                self._outcomes.popitem(last=False)
        recorded = _record(case, domain_event.message_id, outcome, self.clock.now())
        if recorded:
            processing_event.collect_events(case)
        if recorded and outcome[0] == "failed" and not outcome[2] and processing_event.tracking is not None:
            # Not delivered for now: on the managers' list of what a consumer could not do, for the re-drive.
            record_now(self.personal.engine, consumer=processing_event.tracking.application_name,
                       notification_id=processing_event.tracking.notification_id, tenant=case.tenant,
                       case_id=case.id, event_type="MessageDecided", reason=f"{kind} not delivered: {outcome[1]}")
        log.info("message handled", extra={"case_id": str(case.id), "kind": kind,
                                           "status": case.messages[domain_event.message_id]["status"]})

    def _link(self, case: Complaint) -> str | None:
        return tracking.link(self.settings.public_url, self.tracking_secret, case)

    def _send(self, case: Complaint, message_id: str, message: dict[str, Any], contact: dict[str, Any],
              attempts: int | None = None) -> tuple[str, str, bool]:
        """Sends the message: ("sent", the server's reply, _) or ("failed", why, whether that is final)."""
        kind = message["kind"]
        if not contact.get("email"):  # erased since it was decided
            FAILED.labels(kind, "true").inc()
            return "failed", "no e-mail address (erased)", True
        tenant = self.tenants[case.tenant]
        said = context(case, tenant, contact, message["language"], tracking_url=self._link(case),
                       question=message.get("question"))
        rendered = self.templates.render(tenant, kind, message["language"], said)
        email = self.mailer.compose(to=contact["email"], rendered=rendered,
                                    message_id=message_id, tenant=tenant.id)
        first, most = self.settings.smtp_backoff_seconds
        try:
            for attempt in Retrying(retry=retry_if_exception_type(NotTaken), reraise=True,
                                    stop=stop_after_attempt(attempts or self.settings.smtp_attempts),
                                    wait=wait_exponential(multiplier=first, max=most),
                                    before_sleep=lambda _: RETRIED.inc(), sleep=time.sleep):
                with attempt:
                    reply = self.mailer.send(email)
        except RecipientRefused as refused:
            FAILED.labels(kind, "true").inc()
            return "failed", str(refused), True
        except NotTaken as away:
            FAILED.labels(kind, "false").inc()
            SMTP_UP.set(0)
            return "failed", str(away), False
        SMTP_UP.set(1)
        SENT.labels(kind).inc()
        return "sent", reply, False


def _record(case: Complaint, message_id: str, outcome: tuple[str, str, bool], at: datetime) -> bool:
    status, said, final = outcome
    if status == "sent":
        return case.record_sent(message_id=message_id, reply=said, actor=SYSTEM_DELIVERY, at=at)
    return case.record_delivery_failure(message_id=message_id, reason=said, final=final, actor=SYSTEM_DELIVERY,
                                        at=at)


async def wire(settings: Settings, clock: Clock) -> Wiring:
    app = await asyncio.to_thread(Delivery, settings, clock)
    engine = create_engine(settings)
    await migrate(engine, settings)  # the record of skipped events lives with the read models
    async def smtp() -> bool:
        return await asyncio.to_thread(app.mailer.reachable)

    # Readiness names the mail server: when it is away the messages wait (and are retried), nothing else does.
    return Wiring(store=app, worker=store_follower(settings, app, "delivery", SkippedEvents(engine)),
                  checks={"smtp": smtp}, close=engine.dispose)
