"""`make run`'s embedded default (SQLite, the bundled broker) starts, serves a complaint end to end, and stops."""

import email
import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from launcher.infra import free_port
from launcher.stack import GATEWAY, SERVICES
from tests.helpers import wait_until


def start_launcher(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[str], dict[str, int]]:
    """`python -m launcher` on free ports, with its data in `tmp_path/data`, in a session of its own (so that a
    test that fails can end it and everything it started with `os.killpg`); its ports by setting name."""
    ports = {field: free_port() for field in [*(field for _, field in SERVICES.values()), f"{GATEWAY}_port"]}
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}
    environment.update({field.upper(): str(port) for field, port in ports.items()})
    environment.update({"COMPLAINTS_DATA_DIR": str(tmp_path / "data"),
                        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'complaints.db'}",
                        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
                        # A port of its own for the launcher's mail sink (the session's inbox is not for it).
                        "SMTP_URL": f"smtp://127.0.0.1:{free_port()}", **env})
    launcher = subprocess.Popen([sys.executable, "-m", "launcher"], env=environment, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
    return launcher, ports


def test_the_embedded_default_starts_loads_the_demo_serves_a_complaint_and_stops_on_ctrl_c(tmp_path: Path):
    launcher, ports = start_launcher(tmp_path)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("Ctrl-C" in line for line in lines):
            line = launcher.stdout.readline()
            assert line, f"launcher ended early:\n{''.join(lines)}"
            lines.append(line)
        output = "".join(lines)
        assert f"http://127.0.0.1:{ports['intake_port']}" in output and "13 complaints" in output
        # The gateway first: the one origin people and browsers use; the Try line goes through it.
        gateway = f"http://127.0.0.1:{ports['gateway_port']}"
        assert re.search(rf"^\s+gateway\s+{gateway}\s+\(one origin", output, re.MULTILINE)
        assert output.index(gateway) < output.index(f"http://127.0.0.1:{ports['intake_port']}")
        assert re.search(rf"^Try: curl .* {gateway}/v1/tenants/brandweer$", output, re.MULTILINE)

        credentials = json.loads((tmp_path / "data" / "demo-credentials.json").read_text())
        assert "ENVIRONMENT=development" in (tmp_path / "data" / "complaints.env").read_text()  # said, not assumed
        tenants = {"stad", "politiezone", "brandweer", "onderwijs", "zorgbedrijf", "woonhaven"}
        assert set(credentials["api_keys"]) == set(credentials["tokens"]) == tenants
        assert set(credentials["api_keys"]["brandweer"]) == {"intake", "import", "subscriber"}
        assert set(credentials["tokens"]["brandweer"]) == {"handler", "manager", "auditor"}
        key = {"X-API-Key": credentials["api_keys"]["brandweer"]["intake"]}
        manager = {"Authorization": f"Bearer {credentials['tokens']['brandweer']['manager']}"}

        reporting = f"{gateway}/v1/tenants/brandweer/reports/channel-status"
        wait_until(lambda: httpx.get(reporting, headers=manager).json()["total"] == 13)

        intake = f"{gateway}/v1/tenants/brandweer/complaints"
        ack = httpx.post(intake, headers=key, json={"channel": "telefoon", "signal_type": "vraag",
                                                    "subject": "Brandwacht?", "text": "Waarom geen brandwacht?",
                                                    "complainant": {"email": "vrager@example.be"}}).json()
        # The acknowledgement went over SMTP to the launcher's sink, which keeps it in data/mail/ (a maildir).
        assert re.search(r"^\s+mail\s+smtp://127\.0\.0\.1:\d+ .* kept in .*mail/new/", output, re.MULTILINE)
        kept = wait_until(lambda: [p.read_text() for p in (tmp_path / "data" / "mail" / "new").glob("*")
                                   if ack["case_number"] in p.read_text()])
        assert "To: vrager@example.be" in kept[0] and f"Ontvangstmelding: {ack['case_number']}" in kept[0]
        # It carries the complainant's tracking link, to this gateway, which opens without logging in.
        mail = email.message_from_string(kept[0], policy=email.policy.default)
        link = re.search(r"(http://\S+/track/[A-Za-z0-9_-]{43})", mail.get_content()).group(1)
        assert link.startswith(gateway) and ack["case_number"] in httpx.get(link).text
        wait_until(lambda: httpx.get(f"{intake}/{ack['case_id']}", headers=key).json()["due_date"])
        wait_until(lambda: httpx.get(reporting, headers=manager).json()["total"] == 14)

        # The permission policy on the embedded default too: the manager is offered their next actions,
        # a handler of another team of the demo's people reads nothing of the case.
        case_url = f"{intake}/{ack['case_id']}"
        view = httpx.get(case_url, headers=manager).json()
        assert "reroute" in [a["name"] for a in view["allowed_actions"]]
        other = next(p for p in credentials["people"]["brandweer"] if p["team"] not in (None, view["team"]))
        assert httpx.get(case_url, headers={"Authorization": f"Bearer {other['token']}"}).status_code == 403
        assert "director" in {r for p in credentials["people"]["zorgbedrijf"] for r in p["roles"]}
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            code = launcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)  # the launcher and every service it started
            raise
        assert code == 0
    for port in ports.values():
        with __import__("socket").socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open after Ctrl-C"
