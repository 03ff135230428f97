# Warroom's commands. `make help` lists them; `make run` and `make test` are the two that matter.

PYTHON ?= python3
# bash with pipefail: a failing command on the left of a pipe fails the recipe.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV := .venv
BIN := $(VENV)/bin
# A stamp per install, redone only when pyproject.toml changes: a second `make` installs nothing.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
LOCK := requirements.lock
CHROMIUM := /usr/bin/chromium
# The Matrix tests start a real Synapse from its own venv, kept out of Warroom's dependencies.
SYNAPSE_VERSION := 1.163.2
SYNAPSE_STAMP := .venv-synapse/.installed-$(SYNAPSE_VERSION)
WARROOM_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
WARROOM_REQUIRE_POSTGRES ?= 0
PYTEST_ARGS ?=
# Two workers (this machine has two cores); a worker that finishes its share takes tests from the other.
PYTEST_WORKERS ?= -n 2 --dist worksteal
# The inner loop: everything but the tests that drive real outside programs (browser, Synapse, Alertmanager)
# and the fault and fuzz runs.
FAST_MARKERS := not browser and not matrix and not alertmanager and not prometheus and not fault and not fuzz

.DEFAULT_GOAL := help
.PHONY: help run lock test test-fast test-faults lint typecheck test-sqlite test-postgres browser synapse bench clean

help: ## List the targets
	@echo "Warroom — make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

run: $(RUN_STAMP) ## Install and start Warroom at http://127.0.0.1:8080 (demo sign-in: alice / warroom-demo)
	$(BIN)/warroom serve

# The two stores' runs go side by side: much of each waits (PostgreSQL round trips, processes starting, receivers),
# so together they share the two cores better than one after the other. Each run's output is printed whole, in
# one piece, when that run ends.
test: $(DEV_STAMP) browser synapse lint typecheck ## Lint, typecheck, then the whole suite (faults and fuzz included) on SQLite and on PostgreSQL, side by side
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres
	@echo "make test: all checks passed"

test-fast: $(DEV_STAMP) ## The inner loop: unit and service tests on SQLite (no browser, Synapse, Alertmanager, faults or fuzz)
	@$(call pytest,env -u WARROOM_TEST_DATABASE_URL,SQLite,-m '$(FAST_MARKERS)')

test-faults: $(DEV_STAMP) ## Only the fault suite (tests/faults: kill -9, restarts, full disk, storms), on SQLite then PostgreSQL
	@$(call pytest,env -u WARROOM_TEST_DATABASE_URL,SQLite faults,tests/faults)
	@$(call pytest,env WARROOM_TEST_DATABASE_URL='$(WARROOM_TEST_DATABASE_URL)',PostgreSQL faults,tests/faults)

lint: $(DEV_STAMP) ## ruff on src, tests and bench; the layer contracts (import-linter, pyproject.toml)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports --no-logo --no-cache

typecheck: $(DEV_STAMP) ## mypy (strict) on src/warroom
	$(BIN)/mypy

# pytest exits 5 when it collected nothing: that is a broken suite, never a pass.
define pytest
	$(1) $(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS) $(3); status=$$?; \
	if [ $$status -eq 5 ]; then echo "ERROR: pytest collected no tests ($(2)) — failing" >&2; exit 1; fi; \
	exit $$status
endef

test-sqlite: $(DEV_STAMP) ## The suite on SQLite (the embedded default)
	@echo "== pytest on SQLite"
	@$(call pytest,env -u WARROOM_TEST_DATABASE_URL,SQLite)

test-postgres: $(DEV_STAMP) ## The suite on PostgreSQL at WARROOM_TEST_DATABASE_URL, if it answers (WARROOM_REQUIRE_POSTGRES=1: must)
	@if $(BIN)/python -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()' \
	    '$(WARROOM_TEST_DATABASE_URL)' 2>/dev/null; then \
	  echo "== pytest on PostgreSQL ($(WARROOM_TEST_DATABASE_URL))"; \
	  $(call pytest,env WARROOM_TEST_DATABASE_URL='$(WARROOM_TEST_DATABASE_URL)',PostgreSQL); \
	elif [ "$(WARROOM_REQUIRE_POSTGRES)" = "1" ]; then \
	  echo "ERROR: PostgreSQL does not answer at $(WARROOM_TEST_DATABASE_URL) and WARROOM_REQUIRE_POSTGRES=1" >&2; \
	  exit 1; \
	else \
	  echo "WARNING: PostgreSQL does not answer at $(WARROOM_TEST_DATABASE_URL): the PostgreSQL run is SKIPPED" >&2; \
	fi

browser: ## Make sure Debian's Chromium, Prometheus, Alertmanager, haproxy and PgBouncer are there for the browser, compatibility, monitoring, topology and pooler tests (installs them when root)
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	[ -x /usr/bin/prometheus-alertmanager ] || missing="$$missing prometheus-alertmanager"; \
	[ -x /usr/bin/promtool ] || missing="$$missing prometheus"; \
	[ -x /usr/sbin/haproxy ] || missing="$$missing haproxy"; \
	[ -x /usr/sbin/pgbouncer ] || missing="$$missing pgbouncer"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
	  echo "== installing$$missing (Debian packages) for the browser, Alertmanager, Prometheus, haproxy and PgBouncer tests"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else \
	  echo "WARNING: missing$$missing and we are not root: run 'sudo apt-get install$$missing'" >&2; \
	fi

synapse: $(SYNAPSE_STAMP) ## Install Synapse (matrix-synapse, pinned) in .venv-synapse for the Matrix tests

$(SYNAPSE_STAMP):
	@echo "== installing matrix-synapse $(SYNAPSE_VERSION) in .venv-synapse for the Matrix tests"
	@[ -x .venv-synapse/bin/python ] || $(PYTHON) -m venv .venv-synapse
	.venv-synapse/bin/python -m pip install -qq 'matrix-synapse==$(SYNAPSE_VERSION)'
	@rm -f .venv-synapse/.installed-*
	@touch $@

bench: $(DEV_STAMP) ## Run the benchmarks in bench/ (figures for docs/benchmarks.md; needs wrk, installed when root)
	@if ! command -v wrk >/dev/null 2>&1 && [ "$$(id -u)" = "0" ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; fi
	@for script in $$(grep -l "__main__" bench/*.py); do \
	  name=$$(basename "$$script" .py); echo "== bench.$$name"; \
	  $(BIN)/python -m "bench.$$name" || exit 1; \
	done

clean: ## Remove caches, build leftovers and test output (keeps .venv; rm -rf .venv for a full reset)
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist test-results bench/results
	rm -f $(RUN_STAMP) $(DEV_STAMP)
	find src tests bench -name __pycache__ -type d -prune -exec rm -rf {} +

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Warroom needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

# Installs take the exact versions in $(LOCK) (pip constraints), so every machine runs what CI ran.
$(RUN_STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	@echo "== installing Warroom and its dependencies into $(VENV) (pinned by $(LOCK); about a minute the first time)"
	$(BIN)/python -m pip install --disable-pip-version-check -c $(LOCK) -e . | { grep -E '^(Collecting|Successfully)' || true; }
	@touch $@

$(DEV_STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	@echo "== installing Warroom with its development tools into $(VENV) (pinned by $(LOCK))"
	$(BIN)/python -m pip install --disable-pip-version-check -c $(LOCK) -e '.[dev]' | { grep -E '^(Collecting|Successfully)' || true; }
	@touch $@ $(RUN_STAMP)

lock: | $(BIN)/python ## Refresh requirements.lock: the newest versions pyproject.toml allows, resolved in a throwaway venv
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	{ echo "# Exact versions every install takes (pip constraints). Refresh with 'make lock'; never edit by hand."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable; } > $(LOCK)
	rm -rf .venv-lock
	@echo "$(LOCK) refreshed: review 'git diff $(LOCK)', run make test, commit both"
