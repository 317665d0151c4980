#!/usr/bin/env python3
"""Checks a case export (GET /v1/tenants/{tenant}/complaints/{case_id}/export) with nothing but Python.

    python3 verify_export.py case-export.json

For each event in version order it recomputes
    content     = sha256(f"{case_id}\\n{version}\\n{topic}\\n" + state)
    stream_hash = sha256(f"{previous stream_hash, or empty}|{content}")
    global_hash = sha256(f"{previous_global_hash}|{notification_id}|{content}")
and compares them with the recorded values; versions must run 1, 2, 3 ... without a gap.
Prints the first broken link, or how many events it checked. Exit 0 when intact, 1 when not.
"""

import base64
import hashlib
import json
import sys
import uuid


def sha(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def check(export: dict) -> str | None:
    case_id = str(uuid.UUID(export["case_id"]))
    previous = ""
    for expected, event in enumerate(sorted(export["events"], key=lambda e: e["version"]), start=1):
        where = f"version {event['version']} (notification {event['notification_id']})"
        if event["version"] != expected:
            return f"version {expected} is missing"
        state = base64.b64decode(event["state_base64"])
        content = sha(f"{case_id}\n{event['version']}\n{event['topic']}\n".encode() + state)
        if content != event["content_hash"]:
            return f"{where}: the content was changed"
        stream = sha(f"{previous}|{content}".encode())
        if stream != event["stream_hash"]:
            return f"{where}: the case's chain is broken"
        if sha(f"{event['previous_global_hash']}|{event['notification_id']}|{content}".encode()) != event["global_hash"]:
            return f"{where}: the store's chain is broken"
        previous = stream
    return None


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        export = json.load(handle)
    problem = check(export)
    if problem:
        print(f"BROKEN: {problem}")
        return 1
    print(f"OK: {len(export['events'])} events of case {export['case_id']} verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
