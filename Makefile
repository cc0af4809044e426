# The front door. Every target creates and uses .venv by itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM := $(VENV)/.system

.PHONY: report test bench lint clean setup

report: $(STAMP) $(SYSTEM)
	$(BIN)/imds-audit demo --out reports/demo

test: $(STAMP) $(SYSTEM)
	$(BIN)/python -m pytest -q -n auto --dist loadfile

bench: $(STAMP) $(SYSTEM)
	$(BIN)/python scripts/bench.py

lint: $(STAMP)
	$(BIN)/ruff check src tests

setup: $(STAMP) $(SYSTEM)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test,dev]"
	touch $@

$(SYSTEM): scripts/setup-system.sh
	bash scripts/setup-system.sh
	touch $@

clean:
	rm -rf $(VENV) reports/demo .pytest_cache
