"""Routing's HTTP surface: health and metrics for now (the rule preview comes with the routing issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["routing"])
