# llmdecide — every target sets itself up from a fresh clone (only python3 >= 3.11 needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-stamp
EXAMPLES := params/clients/example-retail.yaml params/clients/example-pilot.yaml

.DEFAULT_GOAL := help
.PHONY: help setup report test lint lab bench schema clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "llmdecide needs Python >= 3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install (idempotent: a second call costs < 1 s)
	@# bytecode for lib/ (an editable install has none, and PYTHONDONTWRITEBYTECODE, set on some
	@# machines, stops imports from writing it): ~0.25 s of compiling saved in every process
	@$(BIN)/python -m compileall -q lib >/dev/null

report: setup ## the examples (retail, pilot) side by side: reports/<slug>/report.html, report.pdf
ifdef CLIENT
	$(BIN)/llmdecide run $(CLIENT)
else
	$(BIN)/llmdecide batch --jobs 2 $(EXAMPLES)
endif

test: lint ## lint (ruff, mypy), then the full test suite (offline)
	$(BIN)/python -m pytest -q

lint: setup ## ruff check + format check + mypy
	$(BIN)/ruff check lib tests bench scripts
	$(BIN)/ruff format --check lib tests bench scripts
	$(BIN)/mypy lib/llmdecide

lab: setup ## JupyterLab on the notebooks (installs the lab extra once)
	@test -x $(BIN)/jupyter-lab || $(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	cd notebooks && ../$(BIN)/jupyter lab

bench: setup ## every performance figure with its target
	$(BIN)/python bench/all.py

schema: setup ## regenerate params/schema.json
	$(BIN)/llmdecide schema params/schema.json

clean: ## remove the venv and caches (reports are kept)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
