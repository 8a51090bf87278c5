# Two commands for a new user: `make run` and `make test`.
# Both create the virtual environment and install the pinned dependencies on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run examples browser-deps test lint typecheck security sbom lock crash-test bench bench-web bench-monitoring compiled docs clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Rightsfirst needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

## The case-management application on http://127.0.0.1:8000 with fictional demo data (Ctrl+C stops it).
## Data stays in ./var between runs; the demo is only seeded once. The logins are printed before it starts.
run: $(STAMP)
	$(BIN)/rightsfirst manage migrate --noinput
	$(BIN)/rightsfirst manage seed_demo
	$(BIN)/gunicorn rightsfirst.web.wsgi --bind 127.0.0.1:8000 --workers 2 --threads 4 --access-logfile -

## Assess the bundled example situations and measures, and print the reports.
examples: $(STAMP)
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

## Static security checks, one verdict line each (tools/security.py): bandit over src/, pip-audit
## on requirements.lock, detect-secrets over the tracked files against .secrets.baseline, key files
## kept out of git. Where no vulnerability database can be reached the audit fails, saying so;
## RIGHTSFIRST_VULN_DB_OPTIONAL=1 accepts that (still said loudly).
security: $(STAMP) sbom
	$(BIN)/python tools/security.py

## A CycloneDX software bill of materials of every pinned dependency, with its hashes, in build/.
sbom: $(STAMP)
	@mkdir -p build
	$(BIN)/cyclonedx-py requirements --pyproject pyproject.toml --output-reproducible --of JSON \
		-o build/sbom.cdx.json requirements.lock 2>/dev/null
	@echo "sbom: build/sbom.cdx.json"

## Re-resolve requirements.lock from pyproject.toml: every pin with its sha256 hashes, so that pip
## refuses a file that differs from the one locked. Pins already in the lock are kept; to move
## one, delete its lines first (or add --upgrade-package NAME).
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --no-emit-index-url --no-emit-find-links \
		--strip-extras --extra dev --extra postgres -o requirements.lock pyproject.toml

## Crash safety (about a minute): gunicorn killed mid-load three times on SQLite and, when one is
## reachable, PostgreSQL; no acknowledged write may be lost (tests/reliability, marked slow).
crash-test: $(STAMP)
	$(BIN)/python -m pytest -m slow -p no:cacheprovider -rs -s tests/reliability

## Regenerate the generated documentation: JSON Schemas (docs/schema/), the rule catalogue (docs/rules.md)
## and the monitoring indicators (docs/indicators.md).
docs: $(STAMP)
	$(BIN)/rightsfirst schema --write docs/schema
	$(BIN)/rightsfirst framework rules > docs/rules.md
	$(BIN)/python -m rightsfirst.monitoring.indicator_docs > docs/indicators.md

## The engine compiled with mypyc into build/compiled (the production build), for benchmarks and CI.
compiled: $(STAMP)
	rm -rf build/compiled
	RIGHTSFIRST_COMPILE=1 $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --target build/compiled .

## Benchmark assess throughput and framework load, pure Python and compiled, in one run.
bench: compiled
	$(BIN)/python benchmarks/bench_engine.py

## Load benchmark of the application: 100,000 fictional cases, 50 simulated users, each with its own
## account and authenticator, for 2 minutes against gunicorn (docs/performance.md). Options go in
## BENCH_WEB, e.g. make bench-web BENCH_WEB="--database postgres" or BENCH_WEB="--cases 2000 --users 10
## --duration 30" for a quick look; --check exits 1 unless every target is met.
bench-web: $(STAMP)
	$(BIN)/python benchmarks/bench_web.py $(BENCH_WEB)

## Monitoring benchmark (5 to 15 minutes, with the load): a release of every indicator with disclosure
## control over 1,000,000 synthetic cases, and the k-anonymous HTCDS export of 100,000, each against
## pandas in the same run, 5 fresh processes of each; prints a Markdown table for docs/performance.md
## and fails when a target is missed (docs/performance.md). Options go in BENCH_MONITORING, e.g.
## make bench-monitoring BENCH_MONITORING="--only release --cases 200000 --runs 3" (no --check then).
BENCH_MONITORING ?= --check
bench-monitoring: $(STAMP)
	$(BIN)/python benchmarks/bench_monitoring.py $(BENCH_MONITORING)

## What the browser tests need beside Python: axe-core from the npm registry (chromium comes from
## the system: apt install chromium). Without them the browser tests are skipped, with the reason.
browser-deps:
	@command -v npm >/dev/null || { echo "npm not found: the browser tests will be skipped"; exit 0; }; \
	test -f build/npm/node_modules/axe-core/axe.min.js || npm install --prefix build/npm --no-audit --no-fund --silent axe-core@4

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build src/*.egg-info
