"""The demo: BZA's 2023 complaints, posted through the intake API as a city system would."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml


def demo_complaints() -> tuple[str, list[dict]]:
    data = yaml.safe_load((Path(__file__).parent / "demo" / "bza-2023.yaml").read_text(encoding="utf-8"))
    return data["tenant"], data["complaints"]


def load_demo(intake_url: str) -> list[dict]:
    """Posts each demo complaint once; the sender's reference keeps a rerun from duplicating (intake issue)."""
    tenant, complaints = demo_complaints()
    acknowledgements = []
    with httpx.Client(base_url=intake_url, timeout=30) as client:
        for item in complaints:
            response = client.post(f"/v1/tenants/{tenant}/complaints", json={
                "channel": item["channel"], "signal_type": "klacht", "category": item["category"],
                "subject": item["subject"], "text": item["subject"],
                "received_at": f"{item['received']}T09:00:00+01:00",
            })
            response.raise_for_status()
            acknowledgements.append(response.json())
    return acknowledgements
