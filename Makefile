# shape-harness — `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
UV     := $(shell command -v uv 2>/dev/null)

DATASETS := datasets/reference-s11-m5000-a0.sqlite datasets/reference-s11-m2500-a5.sqlite \
            datasets/realistic-s11-m5000.sqlite datasets/realistic-s11-m20000.sqlite

.DEFAULT_GOAL := help
.PHONY: help venv test test-slow bench bench-full bench-matrix census datasets lint clean

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

datasets: venv $(DATASETS) ## generate the seed's datasets (reference 5k / 2.5k, realistic 5k / 20k)

datasets/reference-s11-m5000-a0.sqlite: | $(STAMP)
	$(BIN)/harness generate --profile reference --seed 11 --messages 5000 --avg-parts 0 --out $@
datasets/reference-s11-m2500-a5.sqlite: | $(STAMP)
	$(BIN)/harness generate --profile reference --seed 11 --messages 2500 --avg-parts 5 --out $@
datasets/realistic-s11-m%.sqlite: | $(STAMP)
	$(BIN)/harness generate --profile realistic --seed 11 --messages $* --out $@

bench: venv ## run the quick profile (one fresh process per job), write the report, print where
	$(BIN)/harness bench --profile quick

bench-full: venv ## run the full profile (every strategy, sizes to 50k, growth to 100k; ~30 min)
	$(BIN)/harness bench --profile full

census: datasets ## print the shape census of the seed's datasets
	@for d in $(DATASETS); do $(BIN)/harness census --dataset $$d; echo; done

bench-matrix: venv ## the quick bench profile on every discovered interpreter (pyenv, then PATH; one venv each)
	$(BIN)/harness list --pythons
	$(BIN)/harness bench --profile quick --python all

lint: venv ## ruff over the package and the tests
	$(BIN)/python -m ruff check harness tests

clean: ## remove the virtual environment, caches and generated datasets
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -f datasets/*.sqlite datasets/*.manifest.json
