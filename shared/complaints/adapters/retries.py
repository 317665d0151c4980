"""When to try again: transient store and broker errors, with backoff (tenacity); never a refused request.

A database that restarts or a broker that is away is a pause, not a failure:
workers wait for it for as long as they run, a request for a few seconds
before it answers 503. A validation error, a refused command or a version
conflict is an answer, and is never retried here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from aiokafka.errors import KafkaError
from eventsourcing.persistence import InterfaceError, OperationalError
from sqlalchemy import exc as sa
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_delay, wait_exponential_jitter

log = logging.getLogger(__name__)

REQUEST_PATIENCE_SECONDS = 5.0  # what a caller waits for the database before a 503
START_PATIENCE_SECONDS = 60.0  # what a starting process waits for the database before it gives up


def store_unavailable(error: BaseException) -> bool:
    """The database cannot be reached, or a connection broke under a query (the store wraps psycopg's
    errors, a bare connection does not; SQLAlchemy marks a dropped connection as invalidated). A constraint
    violation is not one."""
    if isinstance(error, sa.DBAPIError):
        return error.connection_invalidated or isinstance(error, (sa.OperationalError, sa.InterfaceError))
    return isinstance(error, (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError,
                              OSError, asyncio.TimeoutError))


def transient(error: BaseException) -> bool:
    """The database or the broker is away for now."""
    return store_unavailable(error) or isinstance(error, KafkaError)


def any_error(error: BaseException) -> bool:
    """For loops that must outlive any failure of what they reconnect to (cancellation still ends them)."""
    return isinstance(error, Exception)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning("unavailable, retrying", extra={"attempt": state.attempt_number, "error": repr(error),
                                                 "wait_seconds": round(state.upcoming_sleep, 2)})


def until_available(retry_on: Callable[[BaseException], bool] = transient) -> AsyncRetrying:
    """For workers: retry for as long as the process runs, backing off to 5 s between tries."""
    return AsyncRetrying(retry=retry_if_exception(retry_on), wait=wait_exponential_jitter(multiplier=0.2, max=5),
                         before_sleep=_log_retry, reraise=True)


def for_a_request() -> Retrying:
    """For a request's store calls: a few seconds, then the error goes up (and becomes a 503)."""
    return Retrying(retry=retry_if_exception(store_unavailable), stop=stop_after_delay(REQUEST_PATIENCE_SECONDS),
                    wait=wait_exponential_jitter(multiplier=0.1, max=1), before_sleep=_log_retry, reraise=True)


def at_start() -> Retrying:
    """For a process opening the store: the database may still be starting, or busy with a crowd of
    processes starting beside this one; wait for it a minute, then fail (and be restarted)."""
    return Retrying(retry=retry_if_exception(store_unavailable), stop=stop_after_delay(START_PATIENCE_SECONDS),
                    wait=wait_exponential_jitter(multiplier=0.2, max=2), before_sleep=_log_retry, reraise=True)
