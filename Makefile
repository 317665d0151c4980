# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash

# The newest of python3.13, python3.12, python3.11 and python3 on PATH that is 3.11 or later (a pyenv shim of a
# version not selected answers nothing and is passed over). Another: `make PYTHON=/path/to/python3.12 test`.
newest_python = best=; best_v=0; for p in python3.13 python3.12 python3.11 python3; do \
    v=$$($$p -c 'import sys; print("%d%03d" % sys.version_info[:2])' 2>/dev/null) || continue; \
    if [ "$$v" -ge 3011 ] && [ "$$v" -gt "$$best_v" ]; then best=$$p; best_v=$$v; fi; \
  done; echo $$best
PYTHON ?= $(shell $(newest_python))
PYTHON := $(PYTHON)
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := shared intake-service routing-service qualification-service reporting-service services
STAMP := $(VENV)/.installed
# Which interpreter a venv is made with (its version and installation); `.venv/.python` records the one wanted.
PYTHON_ID_CODE := import sys; print("%d.%d.%d:%s" % (*sys.version_info[:3], sys.base_prefix))
PYTHON_ID := $(if $(PYTHON),$(shell $(PYTHON) -c '$(PYTHON_ID_CODE)' 2>/dev/null))

.PHONY: run test bench install lock postgres-binaries chromium clean FORCE

# Rewritten only when the interpreter changes (another Python installed, or PYTHON=...): then the venv is made again.
$(VENV)/.python: FORCE
	@mkdir -p $(VENV); [ "$$(cat $@ 2>/dev/null)" = "$(PYTHON_ID)" ] || echo "$(PYTHON_ID)" > $@

$(STAMP): $(VENV)/.python requirements.lock requirements-dev.lock $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	@$(if $(PYTHON),$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null ||) { echo "Python 3.11 \
	or later is needed: $(or $(PYTHON),none is on PATH)$(if $(PYTHON), is missing or older); install one, or name it: \
	make PYTHON=/path/to/python3.x"; exit 1; }
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c '$(PYTHON_ID_CODE)' 2>/dev/null)" != "$(PYTHON_ID)" ]; then \
	  echo "$(VENV) was made with another Python: making it again with $(PYTHON) ($(PYTHON_ID))"; \
	  $(PYTHON) -m venv --clear $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock -r requirements-dev.lock
	@# A separate call: --require-hashes refuses the unhashed local packages. Their build backend, setuptools,
	@# is the hashed one the runtime lock just installed (no build isolation, so nothing unpinned is fetched).
	$(BIN)/pip install --quiet --no-deps --no-build-isolation $(foreach p,$(PACKAGES),-e $(p))
	echo "$(PYTHON_ID)" > $(VENV)/.python
	touch $(STAMP)

install: $(STAMP)

## make run: the whole set on the embedded default (SQLite in .data/, the bundled broker)
run: install
	$(BIN)/python -m launcher

## make test: PostgreSQL and the broker are started by the tests' fixtures, and always stopped. Two workers
## (pytest-xdist), each with a PostgreSQL, a broker and a mail sink of its own, take a test module at a time:
## most of the suite waits on the processes it started, so two take some 20 minutes where one took 28.
## Another count: `make test TEST_WORKERS=1` (0 runs in this process, without xdist).
TEST_WORKERS ?= 2
test: install postgres-binaries chromium
	$(BIN)/python -m pytest --durations=30 -n $(TEST_WORKERS) --dist loadfile

# PostgreSQL's server binaries come from Debian's `postgresql` package.
postgres-binaries:
	@if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's postgresql package"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "PostgreSQL's server binaries are missing: install the Debian package 'postgresql' (sudo apt-get install postgresql)"; exit 1; \
	  fi; \
	fi

# The console's browser tests (tests/browser/) drive Debian's `chromium` (Playwright never downloads a browser).
chromium:
	@if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium package"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing for the browser tests: install the Debian package 'chromium' (sudo apt-get install chromium)"; exit 1; \
	  fi; \
	fi

## make lock: recompile requirements.lock (runtime) and requirements-dev.lock (tools, the development broker),
## with hashes, from requirements.in and requirements-dev.in (pip-tools); the runtime lock first: the dev one is
## constrained by it
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links
lock: install
	$(BIN)/pip install --quiet pip-tools
	$(PIP_COMPILE) -o requirements.lock requirements.in
	$(PIP_COMPILE) -o requirements-dev.lock requirements-dev.in

clean:
	rm -rf $(VENV) .data

## make bench: the benchmark harness, full size (up to 15 minutes); results in bench/results/
bench: install postgres-binaries
	$(BIN)/python -m bench --size full
