"""What every process shows of itself: JSON logs, /healthz, /readyz and /metrics."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pythonjsonlogger.json import JsonFormatter

Check = Callable[[], Awaitable[bool]]
CHECK_TIMEOUT_SECONDS = 3.0  # a probe must answer quickly, even while the database is away


def setup_logging(service: str, level: str = "INFO") -> None:
    """One JSON object per line, with the service name and any `extra` (case_id, event_id...)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # No access log: request lines carry query strings (search text, references) into the log files.
    access = logging.getLogger("uvicorn.access")
    access.handlers[:], access.propagate, access.disabled = [], False, True
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # reconnect noise every 100 ms; our own logs say it once a second


def health_router(checks: dict[str, Check]) -> APIRouter:
    """`/healthz`: the process is up. `/readyz`: every dependency it needs answers."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    in_flight: dict[str, asyncio.Future[bool]] = {}

    async def probe(name: str, check: Check) -> bool:
        # One probe of a dependency at a time: while the database hangs, frequent probes would
        # otherwise pile up blocked threads, and requests wait for the same threads.
        if name not in in_flight or in_flight[name].done():
            in_flight[name] = asyncio.ensure_future(check())
            in_flight[name].add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            return await asyncio.wait_for(asyncio.shield(in_flight[name]), timeout=CHECK_TIMEOUT_SECONDS)
        except Exception:  # noqa: BLE001 - any failure (or no answer in time) means not ready
            return False

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results = {name: await probe(name, check) for name, check in checks.items()}
        ready = all(results.values())
        return JSONResponse({"ready": ready, "checks": results}, status_code=200 if ready else 503)

    return router


def mount_metrics(app: FastAPI) -> None:
    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
