# The two commands of the README. Each sets itself up from nothing: a .venv of
# its own, brought up to date when pyproject.toml or setup.py change.
# `make demo` needs only the runtime (pip install -e .); `make test` adds the
# test extras (pytest, moto's server, Playwright, build, check-jsonschema).
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed

.PHONY: demo test build check clean benchmark

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $(RUNTIME)

$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP) $(RUNTIME)

demo: $(RUNTIME)
	$(BIN)/cagnotte check
	$(BIN)/cagnotte serve --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

build: $(RUNTIME)
	$(BIN)/cagnotte build

check: $(RUNTIME)
	$(BIN)/cagnotte check

benchmark: $(RUNTIME)
	$(BIN)/python benchmarks/build.py --campaigns 1000

clean:
	rm -rf _site .cagnotte $(VENV) *.egg-info
