"""`make run` supervises what it starts: a process that exits is started again, and says so.

The end-to-end test kills each process of one `python -m launcher` in turn (`kill -9`), the bundled broker
last, and sees a complaint posted meanwhile routed, clocked and projected. The others run the `Supervisor`
on stand-in processes: one that keeps failing, and processes stopped or killed on purpose.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from launcher.stack import GATEWAY, SERVICES, Stack, Supervisor
from tests.helpers import wait_until
from tests.test_make_run import start_launcher

BACKOFF = 1.0  # ample time to post a complaint right after a kill, while the process is still away


def session_processes(sid: int) -> list[str]:
    """The processes of a session (the launcher's, started with `start_new_session`): /proc/PID/stat's sixth field."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        if int(text.rsplit(")", 1)[1].split()[3]) == sid:
            found.append(text[:text.rindex(")") + 1])
    return found


def test_make_run_restarts_each_killed_process_and_a_complaint_posted_meanwhile_is_routed_clocked_and_projected(
        tmp_path: Path):
    launcher, ports = start_launcher(tmp_path, SUPERVISE_BACKOFF_SECONDS=str(BACKOFF),
                                     SUPERVISE_MAX_BACKOFF_SECONDS="2")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(launcher.stdout.readline, "")), daemon=True)
    reader.start()

    def printed(text: str) -> bool:
        return any(text in line for line in list(lines))

    try:
        wait_until(lambda: printed("Ctrl-C") or launcher.poll() is not None, timeout=120)
        assert printed("Ctrl-C"), f"launcher ended early:\n{''.join(lines)}"
        pids = {m[1]: int(m[2]) for line in lines if (m := re.match(r"\s+(\w+)\s+http://\S+ .* pid (\d+)$", line))}
        pids["broker"] = int(next(m[1] for line in lines if (m := re.search(r"broker: \S+\s+\(pid (\d+)\)", line))))
        assert set(pids) == {*SERVICES, GATEWAY, "broker"}

        credentials = json.loads((tmp_path / "data" / "demo-credentials.json").read_text())
        key = {"X-API-Key": credentials["api_keys"]["brandweer"]["intake"]}
        manager = {"Authorization": f"Bearer {credentials['tokens']['brandweer']['manager']}"}
        intake = f"http://127.0.0.1:{ports['intake_port']}/v1/tenants/brandweer/complaints"
        reporting = f"http://127.0.0.1:{ports['reporting_port']}/v1/tenants/brandweer/reports/channel-status"

        def total() -> int | None:
            try:
                response = httpx.get(reporting, headers=manager, timeout=5)
            except httpx.HTTPError:
                return None  # reporting is the one away
            return response.json()["total"] if response.status_code == 200 else None

        def post() -> str | None:
            try:  # the same Idempotency-Key on every try: a post that was saved but not answered is not doubled
                response = httpx.post(intake, headers={**key, "Idempotency-Key": idempotency}, timeout=10,
                                      json={"channel": "telefoon", "signal_type": "vraag", "subject": "x", "text": "y"})
            except httpx.HTTPError:
                return None  # intake is the one away
            return response.json()["case_id"] if response.status_code in (200, 201) else None

        def settled(case_id: str) -> bool:
            try:
                case = httpx.get(f"{intake}/{case_id}", headers=key, timeout=5).json()
            except httpx.HTTPError:
                return False
            return bool(case["team"] and case["due_date"])

        wait_until(lambda: total() == 13)
        for n, name in enumerate([*SERVICES, GATEWAY, "broker"], start=1):
            began = time.monotonic()
            os.kill(pids[name], signal.SIGKILL)
            idempotency = str(uuid.uuid4())
            case_id = wait_until(post, timeout=60)
            if name != "intake":
                assert not printed(f"{name} is back"), "the complaint was meant to be posted while the process was away"
            wait_until(lambda: settled(case_id), timeout=60)
            wait_until(lambda: total() == 13 + n, timeout=60)
            assert printed(f"{name} exited (code -9); restarting in {BACKOFF:.1f} s (restart 1)"), "".join(lines)
            back = wait_until(lambda: next((line for line in list(lines) if line.startswith(f"{name} is back")), None))
            new_pid = int(re.search(r"pid (\d+)", back)[1])
            assert new_pid != pids[name]
            print(f"{name}: killed, complaint routed, clocked and projected in {time.monotonic() - began:.1f} s; {back.strip()}")
        assert not printed("keeps failing")
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            code = launcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)  # the launcher and every process it started
            raise
        reader.join(timeout=5)
    assert code == 0, "".join(lines)
    assert printed("Restarts: " + ", ".join(f"{name} 1" for name in [*SERVICES, GATEWAY, "broker"])), "".join(lines)
    assert session_processes(launcher.pid) == [], "processes of the launcher still running after Ctrl-C"


class StandIns(Stack):
    """A stack whose processes are small Python scripts: `script` is the code each runs."""

    script = "import time; print('ready', flush=True); time.sleep(60)"

    def _spawn(self, name: str) -> subprocess.Popen[bytes]:
        with open(self.log_dir / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen([sys.executable, "-c", self.script], stdout=log,
                                                    stderr=subprocess.STDOUT)
        return self.processes[name]

    def _wait_healthy(self, name: str, timeout: float, cancel: threading.Event | None = None) -> None:
        # A stand-in is healthy once it says `ready`, and failed if it exits first: never a matter of timing,
        # which a loaded machine (a slow interpreter start) would decide the other way.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited")
            if "ready" in (self.log_dir / f"{name}.log").read_text():
                return
            time.sleep(0.02)
        raise TimeoutError(f"{name} not ready after {timeout}s")


def test_one_that_keeps_failing_is_reported_with_its_log_and_tried_on_at_the_maximum_backoff(tmp_path: Path):
    stack = StandIns({}, log_dir=tmp_path)
    stack.script = "import sys; print('cannot open the store: disk full', flush=True); sys.exit(3)"
    stack._spawn("routing")
    said: list[str] = []
    supervisor = Supervisor(stack, backoff=0.1, max_backoff=0.4, failures=4, window=60, echo=said.append)
    supervisor.start()
    try:
        wait_until(lambda: supervisor.restarts["routing"] >= 6, timeout=20)
    finally:
        stack.stop()
    assert said[0] == "routing exited (code 3); restarting in 0.1 s (restart 1)"
    assert said[1] == "routing exited (code 3) while starting; restarting in 0.2 s (restart 2)"
    assert said[2] == "routing exited (code 3) while starting; restarting in 0.4 s (restart 3)"
    reports = [line for line in said if "keeps failing" in line]
    assert len(reports) == 1 and said.index(reports[0]) == 4  # once, at the fourth exit
    assert reports[0].startswith("routing keeps failing: 4 exits in 60 s; still restarting it, at most every 0.4 s")
    assert "cannot open the store: disk full" in reports[0]
    assert all("restarting in 0.4 s" in line for line in said[5:] if "keeps failing" not in line)
    count = len(said)
    time.sleep(0.5)
    assert len(said) == count and stack.processes == {}  # stopped: nothing restarted after `stop`


def test_a_process_stopped_or_killed_on_purpose_is_not_restarted(tmp_path: Path):
    stack = StandIns({}, log_dir=tmp_path)
    for name in ("routing", "reporting"):
        stack._spawn(name)
    said: list[str] = []
    supervisor = Supervisor(stack, backoff=0.05, echo=said.append)
    supervisor.start()
    try:
        stack.kill("routing")
        stack.stop("reporting")
        time.sleep(1)
        assert said == [] and stack.processes == {}
    finally:
        stack.stop()
    assert supervisor.restarts == {"routing": 0, "reporting": 0}
