"""The demo: BZA's 2023 complaints, imported through the intake API as an old register would be."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml


def demo_items() -> tuple[str, list[dict]]:
    data = yaml.safe_load((Path(__file__).parent / "demo" / "bza-2023.yaml").read_text(encoding="utf-8"))
    items = [
        {"reference": f"BZA-2023-{n:02d}", "received_at": f"{c['received']}T09:00:00+01:00", "channel": c["channel"],
         "signal_type": "klacht", "category": c["category"], "subject": c["subject"], "text": c["subject"],
         "qualification": c["qualification"]}
        for n, c in enumerate(data["complaints"], start=1)
    ]
    return data["tenant"], items


def load_demo(intake_url: str, import_key: str) -> dict:
    """Imports the demo once; the old register's references make a rerun report them as already present."""
    tenant, items = demo_items()
    response = httpx.post(f"{intake_url}/v1/tenants/{tenant}/imports", json={"items": items},
                          headers={"X-API-Key": import_key}, timeout=60)
    response.raise_for_status()
    return response.json()
