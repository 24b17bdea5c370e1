# shape-harness — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
UV     := $(shell command -v uv 2>/dev/null)

# One virtual environment, installed in layers: a stamp per set of extras records what is in it.
# bench: running plans and building the report; full: bench + scalene (the full plan profiles);
# dev: full + the test tools. A larger set's stamp marks the smaller ones as installed too.
EXTRAS_bench := bench
EXTRAS_full  := bench,scalene
EXTRAS_dev   := dev
INCLUDES_full := bench
INCLUDES_dev  := bench full
stamp = $(VENV)/.installed-$(1)

.DEFAULT_GOAL := help
.PHONY: help venv test test-unit test-bun test-slow report bench bench-full bench-matrix incident loop trial-noise census datasets lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

venv: $(call stamp,dev) ## create .venv (uv when on PATH, else venv + pip) with everything: bench, scalene, test tools

$(VENV)/.installed-%: pyproject.toml
ifdef UV
	test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --python $(BIN)/python -e '.[$(EXTRAS_$*)]'
else
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[$(EXTRAS_$*)]'
endif
	touch $@ $(foreach set,$(INCLUDES_$*),$(call stamp,$(set)))

# $(call suite,SELECTION): the tests the marker expression selects on JOBS processes (pytest-xdist),
# then those of them marked serial, alone (a selection without any is no failure); both always run.
JOBS   ?= 2
PYTEST := $(BIN)/python -m pytest
suite = status=0; \
	$(PYTEST) -n $(JOBS) --dist worksteal -m '$(1) and not serial' || status=$$?; \
	$(PYTEST) -m '$(1) and serial' || { code=$$?; [ $$code = 5 ] || status=$$code; }; \
	exit $$status

test: $(call stamp,dev) ## run the test suite on JOBS=2 processes (long tests excluded; see test-slow; no Bun installed)
	$(call suite,not slow)

test-unit: $(call stamp,dev) ## run the unit tests: none starts a bench run, a measurer process or a notebook kernel
	$(call suite,not slow and not integration)

test-bun: $(call stamp,dev) ## install the pinned Bun if needed (npm) and run the tests that need it
	HARNESS_TEST_BUN=1 $(PYTEST) -m bun

test-slow: $(call stamp,dev) ## run only the long tests
	$(PYTEST) -m slow

RUN ?= results/latest
report: $(call stamp,bench) ## execute the notebooks on a run and write RUN/report.html (RUN=results/latest)
	$(BIN)/harness report $(RUN)

datasets: $(call stamp,bench) ## generate (or verify) the datasets the quick plan reads, as `make bench` would
	$(BIN)/harness generate --plan quick

bench: $(call stamp,bench) ## run the quick plan (one fresh process per job), write the report, print where
	$(BIN)/harness bench --plan quick

bench-full: $(call stamp,full) ## run the full plan (every strategy, sizes to 50k, growth to 100k, scalene profiles)
	$(BIN)/harness bench --plan full

census: $(call stamp,bench) ## print the shape census of the quick plan's datasets
	@for d in $$($(BIN)/harness generate --plan quick); do $(BIN)/harness census --dataset $$d; echo; done

incident: $(call stamp,bench) ## replay the incident (serve, one factor at a time) on this Python and on Bun, one run, report included
	$(BIN)/harness bench --plan incident --python $(BIN)/python,bun

loop: $(call stamp,bench) ## the agent loop per read path at 1k and 50k, the lazy and standard-library rebuilds' GC (the loop plan)
	$(BIN)/harness bench --plan loop

bench-matrix: $(call stamp,bench) ## the quick bench plan on every discovered interpreter (pyenv, then PATH; one venv each)
	$(BIN)/harness list --pythons
	$(BIN)/harness bench --plan quick --python all

trial-noise: $(call stamp,bench) ## two quick runs, the second beside a CPU hog: same answer, no contradicted finding?
	$(BIN)/harness trial --plan quick

lint: $(call stamp,dev) ## ruff (lint, format), the import layers (import-linter) and the type checker (mypy)
	$(BIN)/python -m ruff check harness tests
	$(BIN)/python -m ruff format --check harness tests
	$(BIN)/lint-imports
	$(BIN)/python -m mypy

clean: ## remove the virtual environment, caches and generated datasets
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache .mypy_cache .import_linter_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -f datasets/*.sqlite datasets/*.manifest.json
