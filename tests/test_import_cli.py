"""The import command reads an old register (CSV or JSON Lines) and feeds it through the running intake."""

import csv
import json
import subprocess
import sys
from pathlib import Path

from launcher.demo import demo_items
from tests.helpers import Api, wait_until


def run_import(stack, auth, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intake.cli", "import", str(path), "--tenant", "brandweer",
         "--api-key", auth["import"]["X-API-Key"], "--url", stack.url("intake"), "--batch-size", "5"],
        capture_output=True, text=True, timeout=120)


def test_a_csv_register_is_imported_with_progress_and_a_rerun_creates_nothing(stack, auth, tmp_path: Path):
    _, items = demo_items()
    register = tmp_path / "register.csv"
    with register.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(items[0]))
        writer.writeheader()
        writer.writerows(items)

    first = run_import(stack, auth, register)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout.strip().splitlines()[-1]) == {"created": 13, "already_present": 0, "rejected": 0}
    assert "13/13" in first.stderr  # the progress bar

    again = run_import(stack, auth, register)
    assert json.loads(again.stdout.strip().splitlines()[-1])["already_present"] == 13
    wait_until(lambda: Api(stack, auth).report()["total"] == 13)


def test_a_json_lines_register_reports_each_rejected_line(stack, auth, tmp_path: Path):
    _, items = demo_items()
    register = tmp_path / "register.jsonl"
    register.write_text("\n".join(json.dumps(i) for i in [items[0], {**items[1], "channel": "postduif"}]) + "\n")
    result = run_import(stack, auth, register)
    assert result.returncode == 1
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"created": 1, "already_present": 0, "rejected": 1}
    assert "line 2" in result.stderr and "postduif" in result.stderr
