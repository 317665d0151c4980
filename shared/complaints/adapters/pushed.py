"""The store's new events as they are committed, on the event loop, in batches.

eventsourcing's `ApplicationSubscription` is a blocking iterator (LISTEN/NOTIFY on
PostgreSQL, a short poll on SQLite); a thread moves what it yields onto the loop
with back-pressure. Used by the relay (to the broker) and by the live stream (to
browsers): both follow the notification log from a position of their own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import ApplicationSubscription

from complaints.adapters.store import Complaints


async def batches(store: Complaints, *, gt: int, topics: Sequence[str],
                  size: int) -> AsyncIterator[list[tuple[Any, Tracking]]]:
    """Every event after notification `gt` of these topics, in order: what has arrived, up to `size` at a
    time, waiting for more when there is none. Close it (`contextlib.aclosing`) to stop the subscription."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=2 * size)
    subscription = ApplicationSubscription(store, gt=gt, topics=topics)
    pump = threading.Thread(target=_pump, args=(subscription, queue, loop), daemon=True, name="store-push")
    pump.start()
    try:
        while True:
            batch = [_item(await queue.get())]
            while len(batch) < size and not queue.empty():
                more = queue.get_nowait()
                if isinstance(more, BaseException):
                    queue.put_nowait(more)  # raised after this batch is handled
                    break
                batch.append(more)
            yield batch
    finally:
        subscription.stop()


def _item(item: Any) -> Any:
    if isinstance(item, BaseException):
        raise item
    return item


def _pump(subscription: ApplicationSubscription[Any], queue: asyncio.Queue[Any],
          loop: asyncio.AbstractEventLoop) -> None:
    """Moves the blocking subscription's events onto the event loop, with back-pressure."""
    try:
        for item in subscription:
            asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()
    except BaseException as exc:  # noqa: BLE001 - handed to the loop, which restarts
        if not loop.is_closed():
            asyncio.run_coroutine_threadsafe(queue.put(exc), loop)
        return
    if not loop.is_closed():
        asyncio.run_coroutine_threadsafe(queue.put(ConnectionError("subscription ended")), loop)
