# Everything runs from the project's own virtual environment, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Dagster's local instance lives in the project (SQLite storage); see dagster.yaml.
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: demo test ui sandbox bench bench-write lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

demo: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/perfmkt demo

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2

ui: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/perfmkt ui

sandbox: $(VENV)/.installed
	$(BIN)/perfmkt sandbox

bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks

bench-write: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.write_path

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .dagster_home data .pytest_cache .ruff_cache
