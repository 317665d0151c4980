# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := shared intake-service routing-service qualification-service reporting-service services
STAMP := $(VENV)/.installed

.PHONY: run test bench install lock postgres-binaries clean

$(STAMP): requirements.lock $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation $(foreach p,$(PACKAGES),-e $(p))
	touch $(STAMP)

install: $(STAMP)

## make run: the whole set on the embedded default (SQLite in .data/, the bundled broker)
run: install
	$(BIN)/python -m launcher

## make test: PostgreSQL and the broker are started by the tests' fixtures, and always stopped
test: install postgres-binaries
	$(BIN)/python -m pytest

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

## make lock: recompile requirements.lock from requirements.in (pip-tools)
lock: install
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock requirements.in

clean:
	rm -rf $(VENV) .data

## make bench: the benchmark harness, full size (up to 15 minutes); results in bench/results/
bench: install postgres-binaries
	$(BIN)/python -m bench --size full
