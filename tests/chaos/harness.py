"""The load, the faults' tools and the count that follows each fault.

A city system is played by `Load`: it posts complaints at a steady rate, each
with its own Idempotency-Key, and retries a post that got no answer with the
same key, as the API asks of it. Half of the complaints say they came in
seventy days ago, so their due date has passed: the scheduler must record
`DeadlineApproaching` and `DeadlineBreached` for them, once each. The other
half come from a complainant with an e-mail address: each must be acknowledged,
decided once, recorded as sent once, and reach the SMTP server; a second copy
(the same Message-ID) is the one re-send a crash between the server's 250 and
the commit may cause, and is counted apart.

`Ledger` then counts, from the database itself, what every part did with each
accepted case; `settle` waits until the counts are right and every process
reports zero lag, and fails with the counts if they never are.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx
import psycopg

from complaints.settings import Settings
from launcher.stack import Stack
from tests.helpers import complaint
from tests.mail import Inbox

EVENT = "complaints.domain:Complaint."
PAST = timedelta(days=70)  # beyond any window (the ceiling is 45 days): the deadline has passed


def intake_key(settings: Settings) -> dict[str, str]:
    """The city system's headers: an intake key of the fire zone, issued in this settings' store."""
    from complaints.web.auth import Credentials
    from complaints.adapters.store import Complaints

    store = Complaints(settings)
    try:
        return {"X-API-Key": Credentials(store, settings).issue_key(name="city", tenant="brandweer", role="intake")}
    finally:
        store.close()


@dataclass
class Load:
    """Posts `rate` complaints a second for `seconds`, in the background; `accepted` maps key -> case id."""

    stack: Stack
    headers: dict[str, str]
    rate: float
    seconds: float
    patience: float = 90.0  # how long one complaint is retried before the sender gives up
    accepted: dict[str, str] = field(default_factory=dict)
    past: set[str] = field(default_factory=set)  # case ids received seventy days ago
    mailed: dict[str, str] = field(default_factory=dict)  # case id -> the complainant's address (the others)
    given_up: list[str] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._client = httpx.Client(timeout=30, limits=httpx.Limits(max_connections=64))
        self._pool = ThreadPoolExecutor(max_workers=64)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._posts: list[Future[None]] = []

    def start(self) -> Load:
        self._thread.start()
        return self

    def wait(self) -> None:
        """Waits for every post; an unexpected answer fails here (a worker thread's error would be lost)."""
        self._thread.join()
        self._pool.shutdown(wait=True)
        self._client.close()
        for post in self._posts:
            post.result()

    def _run(self) -> None:
        started, n = time.monotonic(), 0
        while (due := started + n / self.rate) < started + self.seconds:
            time.sleep(max(0.0, due - time.monotonic()))
            self._posts.append(self._pool.submit(self._post, n))
            n += 1

    def _post(self, n: int) -> None:
        key, in_past = str(uuid.uuid4()), n % 2 == 0
        received = datetime.now(timezone.utc) - (PAST if in_past else timedelta(0))
        address = f"chaos-{uuid.uuid4().hex[:12]}@example.be"
        body = complaint(n, received_at=received.isoformat(),
                         **({} if in_past else {"complainant": {"email": address}}))
        url = f"{self.stack.url('intake')}/v1/tenants/brandweer/complaints"
        deadline = time.monotonic() + self.patience
        while time.monotonic() < deadline:
            self.attempts["sent"] += 1
            try:
                response = self._client.post(url, json=body, headers={**self.headers, "Idempotency-Key": key})
            except httpx.HTTPError:
                self.attempts["no answer"] += 1
                time.sleep(0.5)
                continue
            if response.status_code == 201:
                with self._lock:
                    self.accepted[key] = response.json()["case_id"]
                    if in_past:
                        self.past.add(response.json()["case_id"])
                    else:
                        self.mailed[response.json()["case_id"]] = address
                return
            self.attempts[str(response.status_code)] += 1
            assert response.status_code in (502, 503, 504), response.text  # anything else is a bug, not a fault
            time.sleep(0.5)
        self.given_up.append(key)


@dataclass
class Ledger:
    """What the store and every read model hold for the accepted cases."""

    accepted: int
    in_store: int
    routed: int
    due: int
    projected: int
    indexed: int
    deadline_events: int
    duplicates: list[str]
    lost: list[str]
    mails: int  # messages the SMTP server took for the accepted cases
    resent: list[str]  # cases whose acknowledgement the server took twice (the documented crash window)
    head: int  # the store's last notification: where every consumer ends
    last_case_event: int  # the last one the relay publishes (counters and keys are not published)

    def line(self) -> str:
        return (f"accepted={self.accepted} in_store={self.in_store} routed={self.routed} due={self.due} "
                f"projected={self.projected} deadline_indexed={self.indexed} deadline_events={self.deadline_events} "
                f"mails={self.mails} resent={len(self.resent)} duplicates={len(self.duplicates)} lost={len(self.lost)}")

    @property
    def complete(self) -> bool:
        return not self.lost and not self.duplicates


def count(database_url: str, load: Load, inbox: Inbox) -> Ledger:
    with psycopg.connect(database_url) as conn:
        # One snapshot for the store and the read models: read apart, the projection can already
        # hold events committed after the store was read, and look applied twice.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        events: dict[str, Counter[str]] = {}
        versions: dict[str, int] = {}
        for case_id, topic, version in conn.execute(
                "SELECT originator_id::text, topic, originator_version FROM complaints_events WHERE topic LIKE %s",
                (EVENT + "%",)):
            events.setdefault(case_id, Counter())[topic.removeprefix(EVENT)] += 1
            versions[case_id] = max(versions.get(case_id, 0), version)
        projected = dict(conn.execute("SELECT case_id, events_applied FROM case_summaries").fetchall())
        indexed = {row[0] for row in conn.execute("SELECT case_id FROM deadline_index")}
        head, last_case_event = conn.execute(
            "SELECT coalesce(max(notification_id), 0), coalesce(max(notification_id) FILTER (WHERE topic LIKE %s), 0)"
            " FROM complaints_events", (EVENT + "%",)).fetchone()
    taken = Counter((m["To"], m["Message-ID"]) for m in list(inbox.messages))
    lost, duplicates, resent, mails = [], [], [], 0
    for case_id in load.accepted.values():
        seen = events.get(case_id, Counter())
        once = {"Received": 1, "Routed": 1, "ClockStarted": 1}
        if case_id in load.past:
            once |= {"DeadlineApproaching": 1, "DeadlineBreached": 1}
        copies = [n for (to, _), n in taken.items() if to == load.mailed.get(case_id)]
        if case_id in load.mailed:
            once |= {"MessageDecided": 1, "MessageSent": 1}
            mails += sum(copies)
            if copies and max(copies) == 2 and len(copies) == 1:
                resent.append(case_id)
        if (any(seen[name] > n for name, n in once.items()) or projected.get(case_id, 0) > versions.get(case_id, 0)
                or len(copies) > 1 or any(n > 2 for n in copies)):
            duplicates.append(case_id)
        else:
            missing = [name for name, n in once.items() if seen[name] < n]
            missing += [f"projected {projected.get(case_id)} of {versions.get(case_id)}"] * (
                projected.get(case_id) != versions.get(case_id))
            missing += ["deadline index"] * (case_id not in indexed)
            missing += ["mail"] * (case_id in load.mailed and not copies)
            if missing:  # what is missing, named: a failure then says which part fell behind
                lost.append(f"{case_id}: {', '.join(missing)}")
    accepted = set(load.accepted.values())
    return Ledger(
        accepted=len(accepted), in_store=len(accepted & set(events)),
        routed=sum(1 for c in accepted if events.get(c, Counter())["Routed"]),
        due=sum(1 for c in accepted if events.get(c, Counter())["ClockStarted"]),
        projected=len(accepted & set(projected)), indexed=len(accepted & indexed),
        deadline_events=sum(events.get(c, Counter())["DeadlineBreached"] for c in accepted),
        duplicates=duplicates, lost=lost, mails=mails, resent=resent, head=head, last_case_event=last_case_event,
    )


def gauges(stack: Stack, name: str) -> dict[str, float]:
    """One metric of every running process, by process (and consumer label)."""
    found = {}
    for instance in stack.processes:
        try:
            text = httpx.get(f"{stack.url(instance)}/metrics", timeout=5).text
        except httpx.HTTPError:
            found[instance] = float("nan")
            continue
        for line in text.splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                label, value = line.rsplit(" ", 1)
                found[f"{instance}:{label.removeprefix(name)}"] = float(value)
    return found


def lag(stack: Stack, ledger: Ledger) -> dict[str, float]:
    """What each running process has yet to do: the relay to publish, each consumer to apply."""
    behind = {k: ledger.last_case_event - v for k, v in gauges(stack, "relay_position").items()}
    behind |= {k: ledger.head - v for k, v in gauges(stack, "consumer_position").items()}
    return {k: v for k, v in behind.items() if v != 0}


def settle(stack: Stack, database_url: str, load: Load, inbox: Inbox, timeout: float = 120.0) -> Ledger:
    """Waits until every accepted case is complete and nothing lags; prints the counts either way."""
    deadline = time.monotonic() + timeout
    while True:
        ledger = count(database_url, load, inbox)
        behind = lag(stack, ledger)
        # Something applied twice stays applied twice: no use waiting then.
        if (ledger.complete and not behind) or ledger.duplicates or time.monotonic() > deadline:
            break
        time.sleep(1)
    print(f"\n{ledger.line()} lagging={behind or 'none'} given_up={len(load.given_up)} posts={dict(load.attempts)}")
    return ledger

