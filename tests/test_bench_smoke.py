"""The benchmark harness, at smoke size, so it never rots: it runs and reports every measure."""

import json
import subprocess
import sys
from pathlib import Path


def test_the_benchmark_harness_runs_at_smoke_size_and_reports_every_measure(tmp_path: Path):
    result = subprocess.run([sys.executable, "-m", "bench", "--size", "smoke", "--output", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "smoke.json").read_text())
    assert report["intake"]["peak_per_s"] > 0 and report["intake"]["raw_eventsourcing_per_s"] > 0
    assert report["intake"]["raw_insert_per_s"] > 0
    assert report["intake"]["half_load"]["e2e_projected_ms"]["p99"] is not None
    assert report["replay"]["events"] >= 3000 and report["replay"]["rebuild_events_per_s"] > 0
    assert report["queries"]["queue"]["p95"] is not None
    assert all(v for v in report["rss_at_rest_mb"].values())
    assert report["intake"]["half_load"]["push_delay_ms"]["events"] > 0  # the live stream pushed the cases
    assert len(report["targets"]) == 10 and "| measure |" in (tmp_path / "smoke.md").read_text()
