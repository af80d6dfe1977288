# Simpul — the commands people run. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test bench fuzz lint migrate seed install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: migrate, seed the demo reference data, serve everything on SQLite at 127.0.0.1:8000
run: $(STAMP)
	$(BIN)/simpul migrate
	$(BIN)/simpul seed-demo
	$(BIN)/simpul serve --service all

## test: the whole suite (PostgreSQL too when SIMPUL_TEST_DATABASE_URL is set), on two
## processes (SIMPUL_TEST_WORKERS; each has its own databases); SIMPUL_TEST_WORKERS=0 for one
test: $(STAMP)
	$(BIN)/pytest -q -n $${SIMPUL_TEST_WORKERS:-2}

## bench: speed figures on PostgreSQL (SIMPUL_BENCH_DATABASE_URL)
bench: $(STAMP)
	$(BIN)/python -m bench

## fuzz: the OpenAPI fuzz run, long, on PostgreSQL (SIMPUL_TEST_DATABASE_URL; default the local server)
fuzz: $(STAMP)
	SIMPUL_TEST_DATABASE_URL=$${SIMPUL_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	SIMPUL_FUZZ_BACKEND=postgresql SIMPUL_FUZZ_EXAMPLES=$${SIMPUL_FUZZ_EXAMPLES:-300} \
	$(BIN)/pytest -q -p no:cacheprovider tests/foundation/test_fuzz_openapi.py

lint: $(STAMP)
	$(BIN)/ruff check shared services tests bench
	$(BIN)/ruff format --check shared services tests bench

migrate: $(STAMP)
	$(BIN)/simpul migrate

seed: $(STAMP)
	$(BIN)/simpul seed-demo

clean:
	rm -rf $(VENV) .pytest_cache
