# autofin: two commands set everything up on a fresh machine with Python 3.11+.
#   make run   create .venv, install, migrate, load demo data, serve http://127.0.0.1:8000
#   make test  the whole suite on SQLite, and again on PostgreSQL when AUTOFIN_TEST_POSTGRES_URL is set
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint typecheck bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "autofin needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/autofin db upgrade
	$(BIN)/autofin demo
	$(BIN)/autofin serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	AUTOFIN_TEST_DATABASE=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$AUTOFIN_TEST_POSTGRES_URL" ]; then \
		echo "== again on PostgreSQL =="; \
		AUTOFIN_TEST_DATABASE=postgres $(BIN)/python -m pytest $(PYTEST_ARGS); \
	else echo "AUTOFIN_TEST_POSTGRES_URL not set: PostgreSQL run skipped"; fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/autofin

bench: $(STAMP)
	$(BIN)/python bench/calc.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
