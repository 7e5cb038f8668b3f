# The two commands of the README. Each sets itself up from nothing: a .venv of
# its own, rebuilt when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test build check clean benchmark

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cagnotte check
	$(BIN)/cagnotte serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

build: $(STAMP)
	$(BIN)/cagnotte build

check: $(STAMP)
	$(BIN)/cagnotte check

benchmark: $(STAMP)
	$(BIN)/python benchmarks/build.py --campaigns 1000

clean:
	rm -rf _site .cagnotte $(VENV) *.egg-info
