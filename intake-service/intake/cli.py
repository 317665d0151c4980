"""Intake's command line: issue and revoke API keys, import an old register (CSV or JSON Lines), verify the
chains, re-drive a case's skipped events.

    python -m intake.cli issue-key --tenant brandweer --role intake --name e-loket
    python -m intake.cli import register.csv --tenant brandweer --api-key ck_... [--url http://127.0.0.1:8001]
    python -m intake.cli verify [--case ID | --tenant T]
    python -m intake.cli revoke-key ck_...
    python -m intake.cli redrive --tenant brandweer --case ID
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import Iterator
from uuid import UUID
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from complaints.adapters.readmodel import create_engine
from complaints.adapters.skipped import SkippedEvents
from complaints.model.systems import check_name
from complaints.web.auth import Credentials
from complaints.settings import get_settings
from complaints.adapters.store import Complaints
from complaints.adapters.chain import Broken, verify_global
from complaints.model.tenants import load_tenants
from complaints.application.audit import tenant_cases, verification


def read_items(path: Path) -> Iterator[dict[str, Any]]:
    """CSV (one column per field; empty cells are absent) or JSON Lines (one item per line)."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            for row in csv.DictReader(handle):
                yield {k: v for k, v in row.items() if v not in (None, "")}
        else:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def import_file(path: Path, *, url: str, tenant: str, api_key: str, batch_size: int) -> dict[str, int]:
    items = list(read_items(path))
    totals = {"created": 0, "already_present": 0, "rejected": 0}
    with httpx.Client(base_url=url, headers={"X-API-Key": api_key}, timeout=300) as client, \
            tqdm(total=len(items), unit="case", desc=f"import {path.name}") as progress:
        for start in range(0, len(items), batch_size):
            response = client.post(f"/v1/tenants/{tenant}/imports", json={"items": items[start:start + batch_size]})
            if response.status_code != 200:
                sys.exit(f"import refused ({response.status_code}): {response.text}")
            report = response.json()
            for key in totals:
                totals[key] += report[key]
            for result in report["items"]:
                if result["outcome"] == "rejected":
                    tqdm.write(f"line {start + result['index'] + 1} ({result['reference']}): rejected: "
                               + "; ".join(f"{e['field']}: {e['message']}" for e in result["errors"]), file=sys.stderr)
            progress.update(len(report["items"]))
            progress.set_postfix(totals)
    return totals


def verify_store(store: Complaints, *, case: UUID | None = None, tenant: str | None = None) -> dict[str, Any]:
    """Walks the chains with a progress bar; the first broken link, named, or valid."""
    if case or tenant:
        cases = [case] if case else tenant_cases(store, tenant)
        for case_id in tqdm(cases, unit="case", desc="verify", file=sys.stderr):
            result = verification(store, case_id)
            if not result["valid"]:
                return {"valid": False, "first_broken": {"case_id": str(case_id), **result["first_broken"]}}
        return {"valid": True, "cases_checked": len(cases)}
    recorder: Any = store.recorder

    def pages(select: Any) -> Iterator[Any]:
        start = 1
        while batch := select(start):
            yield from batch
            start = batch[-1].notification_id + 1 if hasattr(batch[-1], "notification_id") else batch[-1].id + 1

    head = recorder.max_notification_id() or 0
    checked = 0
    with tqdm(total=head, unit="event", desc="verify store", file=sys.stderr) as bar:
        for step in verify_global(pages(lambda s: recorder.select_notifications(start=s, limit=1000)),
                                  pages(lambda s: recorder.select_links(s, 1000))):
            if isinstance(step, Broken):
                return {"valid": False, "events_checked": checked, "first_broken": vars(step)}
            checked += 1
            bar.update(step - bar.n)
    return {"valid": True, "events_checked": checked}


async def ask_redrive(settings: Any, tenant: str, case_id: UUID) -> int:
    engine = create_engine(settings)
    try:
        return await SkippedEvents(engine).request_redrive(tenant, case_id)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intake.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue-key", help="issue an API key for a calling system (printed once)")
    issue.add_argument("--tenant", required=True)
    issue.add_argument("--role", required=True, choices=["intake", "import", "subscriber"])
    issue.add_argument("--name", required=True, help="the calling system, e.g. e-loket")
    revoke = commands.add_parser("revoke-key", help="revoke an API key (a rotation: issue the system a new key "
                                                    "under the same --name first; it keeps what the system owns)")
    revoke.add_argument("key")
    redrive = commands.add_parser("redrive", help="once the cause is fixed: have every consumer apply a case's "
                                                  "skipped events again (GET /v1/tenants/T/skipped-events lists them)")
    redrive.add_argument("--tenant", required=True)
    redrive.add_argument("--case", type=UUID, required=True)
    load = commands.add_parser("import", help="import an old register (CSV or JSON Lines) through the API")
    load.add_argument("file", type=Path)
    load.add_argument("--tenant", required=True)
    load.add_argument("--api-key", required=True)
    load.add_argument("--url", default=get_settings().public_intake_url())
    load.add_argument("--batch-size", type=int, default=200)
    check = commands.add_parser("verify", help="check the hash chains: one case, a tenant, or the whole store")
    scope = check.add_mutually_exclusive_group()
    scope.add_argument("--case", type=UUID)
    scope.add_argument("--tenant")
    args = parser.parse_args(argv)
    if args.command == "verify":
        result = verify_store(Complaints(get_settings()), case=args.case, tenant=args.tenant)
        print(json.dumps(result, default=str))
        return 0 if result["valid"] else 1

    if args.command == "issue-key":
        settings = get_settings()
        if args.tenant not in load_tenants(settings.tenants_dir):
            parser.error(f"unknown tenant {args.tenant!r}; known: {sorted(load_tenants(settings.tenants_dir))}")
        try:
            check_name(args.name)
        except ValueError as bad:
            parser.error(f"--name: {bad}")
        print(Credentials(Complaints(settings), settings).issue_key(name=args.name, tenant=args.tenant, role=args.role))
        return 0
    if args.command == "redrive":
        asked = asyncio.run(ask_redrive(get_settings(), args.tenant, args.case))
        print(json.dumps({"case_id": str(args.case), "events_asked": asked}))
        return 0 if asked else 1
    if args.command == "revoke-key":
        settings = get_settings()
        Credentials(Complaints(settings), settings).revoke_key(args.key)
        print("revoked")
        return 0
    totals = import_file(args.file, url=args.url, tenant=args.tenant, api_key=args.api_key, batch_size=args.batch_size)
    print(json.dumps(totals))
    return 1 if totals["rejected"] else 0


if __name__ == "__main__":
    sys.exit(main())
