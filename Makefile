# crimac: `make run` serves the app with demo data; `make test` runs the suites.
# Both work on a fresh clone with Python 3.11 and the package registries.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SERVE_HOST ?= 127.0.0.1
SERVE_PORT ?= 8000

.PHONY: install run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/crimac migrate --verbosity 0
	$(BIN)/crimac demo --once
	@echo ""
	@echo "crimac is at http://$(SERVE_HOST):$(SERVE_PORT)/ (log in with a demo user above; Ctrl-C stops it)"
	$(BIN)/crimac serve --host $(SERVE_HOST) --port $(SERVE_PORT)

test: install
	$(BIN)/python scripts/run_tests.py

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	CRIMAC_DATA_DIR=$$(mktemp -d) $(BIN)/crimac check --fail-level WARNING
	CRIMAC_DATA_DIR=$$(mktemp -d) $(BIN)/crimac makemigrations --check --dry-run

bench: install
	@ls bench/*.py >/dev/null 2>&1 || { echo "no benchmarks yet"; exit 0; }; \
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
