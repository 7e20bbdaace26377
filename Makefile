# alphaforge developer tasks. `make help` lists them.
# Everything runs inside .venv, created from constraints.txt (exact pins) on first use.

PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PIN    := -c constraints.txt
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed

.DEFAULT_GOAL := help
.PHONY: help demo check install build core test test-slow lint format typecheck imports cov bench bundle-data services clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "alphaforge needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet $(PIN) -e '.[dev,scale,ml,dl]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install alphaforge with its dev tools (pinned)

build: $(STAMP) ## Recompile the engine's core with mypyc after editing it (about a minute)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .

core: $(STAMP)
	@$(BIN)/python -W ignore -c 'import sys, alphaforge._native as n; sys.exit("stale" in n.status())' \
		|| $(MAKE) --no-print-directory build

demo: $(STAMP) core ## The main job: backtest SMA 20/100 on the bundled S&P 500, write the tearsheet
	$(BIN)/alphaforge data validate spx_daily
	$(BIN)/alphaforge backtest --strategy sma_cross -p fast=20 -p slow=100 --data spx_daily --out out/sma_cross_spx

check: $(STAMP) core lint typecheck imports test ## The whole check (what CI runs): lint, types, layers, tests

test: $(STAMP) core ## Run the test suite (without slow tests); the core is rebuilt if stale
	$(BIN)/pytest -n 2 -m "not slow" --cov --cov-report=term

cov: $(STAMP) ## Coverage of the whole package, the compiled core run as Python (htmlcov/)
	ALPHAFORGE_PURE=1 $(BIN)/pytest -n 2 -m "not slow" --cov --cov-report=term --cov-report=html

test-slow: $(STAMP) core ## Run only the slow tests
	$(BIN)/pytest -m slow

lint: $(STAMP) ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Reformat and autofix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP) ## mypy on the package (strict on domain, core, config)
	$(BIN)/mypy

imports: $(STAMP) ## import-linter: the layer contracts of ARCHITECTURE.md
	$(BIN)/lint-imports

$(BENCH_STAMP): $(STAMP)
	$(PIP) install --quiet $(PIN) -e '.[dev,scale,ml,dl,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) ## Print the performance figures quoted in the README (all of benchmarks/)
	@status=0; for script in benchmarks/bench_*.py; do \
		echo "== $$script"; $(BIN)/python $$script || status=1; \
	done; exit $$status

bundle-data: $(STAMP) ## Rebuild the bundled Parquet copies from ../shared/data
	$(BIN)/python scripts/bundle_data.py

services: ## Start PostgreSQL and Redis on 127.0.0.1 if they are down
	bash .ci/services

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage htmlcov build
	find src -name '*.so' -delete; rm -f src/alphaforge/_native.json
