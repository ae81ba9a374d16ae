# The two commands of the README. Both set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

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
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) terraplan-demo.db .pytest_cache .mypy_cache .ruff_cache
