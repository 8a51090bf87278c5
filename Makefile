# Two commands for a new user: `make run` and `make test`.
# Both create the virtual environment and install the pinned dependencies on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench compiled docs clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Rightsfirst needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## Assess the bundled example situations and measures, and print the reports.
run: $(STAMP)
	$(BIN)/rightsfirst framework check
	@for f in examples/*.yaml; do \
		echo; echo "=================== $$f"; \
		$(BIN)/rightsfirst assess "$$f" || exit $$?; \
	done

## All tests, with lint and type checks first.
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Regenerate the generated documentation: JSON Schemas (docs/schema/) and the rule catalogue (docs/rules.md).
docs: $(STAMP)
	$(BIN)/rightsfirst schema --write docs/schema
	$(BIN)/rightsfirst framework rules > docs/rules.md

## The engine compiled with mypyc into build/compiled (the production build), for benchmarks and CI.
compiled: $(STAMP)
	rm -rf build/compiled
	RIGHTSFIRST_COMPILE=1 $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --target build/compiled .

## Benchmark assess throughput and framework load, pure Python and compiled, in one run.
bench: compiled
	$(BIN)/python benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build src/*.egg-info
