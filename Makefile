# The two commands of the README. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck install browser java clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@$(MAKE) --no-print-directory browser
	@$(MAKE) --no-print-directory java
	touch $(STAMP)

## Chromium for the web UI's browser tests (Debian's package, driven by Playwright from PyPI):
## installed with apt-get when running as root; otherwise those tests skip and say why.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends chromium >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends chromium >/dev/null; }; \
	else echo "note: no chromium: the web UI's browser tests will be skipped (apt-get install chromium)"; fi

## Java for the Spark tests (PySpark from PyPI runs on Debian's default JRE, 17 on Debian 12):
## installed with apt-get when running as root; otherwise those tests skip and say why.
java:
	@if command -v java >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends default-jre-headless >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends default-jre-headless >/dev/null; }; \
	else echo "note: no java: the Spark tests will be skipped (apt-get install default-jre-headless)"; fi

install: $(STAMP)

## Set up and run the main job on the built-in demo (SQLite file terraplan-demo.db).
demo: $(STAMP)
	TERRAPLAN_DATABASE_URL=$${TERRAPLAN_DATABASE_URL:-sqlite:///terraplan-demo.db} $(BIN)/terraplan demo --reset --force

## Set up and run the whole test suite (lint, types, layer contracts, tests on SQLite and PostgreSQL).
test: $(STAMP)
	bash scripts/ensure_postgres.sh
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) terraplan-demo.db .pytest_cache .mypy_cache .ruff_cache
