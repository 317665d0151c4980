"""Qualification's HTTP surface: health and metrics for now (the handler workflow comes with its issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["qualification"])
