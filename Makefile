# shape-harness — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
UV     := $(shell command -v uv 2>/dev/null)

.DEFAULT_GOAL := help
.PHONY: help venv test test-slow report bench bench-full bench-matrix census datasets lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv (uv when on PATH, else venv + pip) with the harness and its dev extras

$(STAMP): pyproject.toml
ifdef UV
	test -x $(BIN)/python || $(UV) venv --python $(PYTHON) $(VENV)
	$(UV) pip install --python $(BIN)/python -e '.[dev]'
else
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
endif
	touch $(STAMP)

test: venv ## run the test suite (long tests excluded; see test-slow)
	$(BIN)/python -m pytest

test-slow: venv ## run only the long tests
	$(BIN)/python -m pytest -m slow

RUN ?= results/latest
report: venv ## execute the notebooks on a run and write RUN/report.html (RUN=results/latest)
	$(BIN)/harness report $(RUN)

datasets: venv ## generate (or verify) the datasets the quick plan reads, as `make bench` would
	$(BIN)/harness generate --plan quick

bench: venv ## run the quick plan (one fresh process per job), write the report, print where
	$(BIN)/harness bench --plan quick

bench-full: venv ## run the full plan (every strategy, sizes to 50k, growth to 100k; ~30 min)
	$(BIN)/harness bench --plan full

census: venv ## print the shape census of the quick plan's datasets
	@for d in $$($(BIN)/harness generate --plan quick); do $(BIN)/harness census --dataset $$d; echo; done

bench-matrix: venv ## the quick bench plan on every discovered interpreter (pyenv, then PATH; one venv each)
	$(BIN)/harness list --pythons
	$(BIN)/harness bench --plan quick --python all

lint: venv ## ruff (lint and format check) over the package, its notebooks and the tests
	$(BIN)/python -m ruff check harness tests
	$(BIN)/python -m ruff format --check harness tests

clean: ## remove the virtual environment, caches and generated datasets
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -f datasets/*.sqlite datasets/*.manifest.json
