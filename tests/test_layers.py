"""The layering is a checked contract: `lint-imports` runs the contracts in `.importlinter`.

`complaints.model` has no I/O, the application does not know the web, the adapters
do not call the web, routes call the application rather than the adapters, and the
services never import each other. The second test proves the check can fail, so a
green first test means the contracts hold, not that nothing was checked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    # No cache: every run reads the code as it is now, and leaves nothing behind.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layering_contracts_are_kept() -> None:
    assert (ROOT / ".importlinter").is_file()
    result = lint_imports()
    assert result.returncode == 0, (
        f"lint-imports found broken layering contracts (exit {result.returncode}):\n"
        f"{result.stdout}\n{result.stderr}"
    )
    assert "0 broken" in result.stdout, result.stdout


def test_a_broken_contract_fails_the_check(tmp_path: Path) -> None:
    # The web edge does import the application (the app factory wires the use cases),
    # so forbidding it must break the contract and make lint-imports exit non-zero.
    config = tmp_path / "broken.importlinter"
    config.write_text(
        "[importlinter]\n"
        "root_packages =\n"
        "    complaints\n"
        "\n"
        "[importlinter:contract:web-not-application]\n"
        "name = complaints.web must not import complaints.application\n"
        "type = forbidden\n"
        "source_modules =\n"
        "    complaints.web\n"
        "forbidden_modules =\n"
        "    complaints.application\n"
    )
    result = lint_imports(str(config))
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode != 0, output
    # Broken for the right reason, not because the configuration could not be read.
    assert "complaints.web must not import complaints.application BROKEN" in result.stdout, output
    assert "Contracts: 0 kept, 1 broken." in result.stdout, output
    assert "complaints.web.app -> complaints.application" in result.stdout, output
