# Everything runs from the project's own virtual environment, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Dagster's instance lives in the project: SQLite storage (dagster.yaml), or the shared
# PostgreSQL instance with PERFMKT_DAGSTER_INSTANCE=postgres (dagster.postgres.yaml).
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export PERFMKT_DAGSTER_INSTANCE ?= local
INSTANCE_TEMPLATE := $(if $(filter postgres,$(PERFMKT_DAGSTER_INSTANCE)),dagster.postgres.yaml,dagster.yaml)

.PHONY: demo test rabbitmq ui sandbox worker bench bench-write bench-floor bench-fixed bench-celery bench-orders bench-below-memory lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# `perfmkt` also switches an existing copy between the two templates (and leaves a hand-written
# instance file alone).
$(DAGSTER_HOME)/dagster.yaml: $(INSTANCE_TEMPLATE)
	mkdir -p $(DAGSTER_HOME)
	cp $(INSTANCE_TEMPLATE) $@

# `make demo DEMO_ARGS=--anomalies` injects one of each anomaly into the sandbox.
demo: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/perfmkt demo $(DEMO_ARGS)

# The browser test (perfmkt_pipeline_tests/test_ui_browser.py) drives Debian's Chromium through
# Playwright, which never downloads a browser of its own here. Installed once, as root (CI is);
# `make demo` and `make ui` do not need it.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "make test: $(CHROMIUM) is missing; install Debian's chromium package as root" \
			"(apt-get install chromium), the browser test needs it" >&2; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
	@test -x $(CHROMIUM) || { echo "make test: apt-get installed chromium but $(CHROMIUM) is missing" >&2; exit 1; }

# The Celery tests need RabbitMQ at 127.0.0.1:5672 (normally running): start the machine's own
# if it is not up. If it cannot be started, the tests say so (and fail with CI=true).
RABBITMQ_UP = $(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', 5672), 2).close()" 2>/dev/null

rabbitmq:
	@$(RABBITMQ_UP) && exit 0; \
	if ! command -v rabbitmq-server >/dev/null; then \
		echo "make test: RabbitMQ is not running at 127.0.0.1:5672 and rabbitmq-server is not installed" >&2; exit 0; fi; \
	echo "make test: starting RabbitMQ (rabbitmq-server -detached)"; \
	rabbitmq-server -detached; \
	for i in $$(seq 90); do $(RABBITMQ_UP) && exit 0; sleep 1; done; \
	echo "make test: RabbitMQ did not come up at 127.0.0.1:5672 within 90 s" >&2

test: $(VENV)/.installed-dev $(CHROMIUM) rabbitmq
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2

# The sandbox plus `dagster dev` (webserver and daemon) on http://127.0.0.1:3000; Ctrl-C stops
# everything. `make ui UI_ARGS=--no-sandbox` serves the configuration in force (real accounts).
ui: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/perfmkt ui $(UI_ARGS)

sandbox: $(VENV)/.installed
	$(BIN)/perfmkt sandbox

# A Celery worker for `executor.kind: celery` (README: "Running on several machines"): it takes
# steps from the broker in $$PERFMKT_CELERY_BROKER_URL, on WORKER_QUEUE (default: the configured
# executor.celery.queue), WORKER_CONCURRENCY steps at once.
WORKER_CONCURRENCY ?= 4
WORKER_QUEUE ?=
worker: $(VENV)/.installed
	$(BIN)/perfmkt worker --concurrency $(WORKER_CONCURRENCY)$(if $(WORKER_QUEUE), --queue $(WORKER_QUEUE))$(if $(WORKER_ARGS), $(WORKER_ARGS))

bench: $(VENV)/.installed-dev rabbitmq
	$(BIN)/python -m benchmarks

bench-write: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.write_path

# The pipeline against the hand-written floor (PERFMKT_BENCH_FLOOR_* shorten it; see README).
bench-floor: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.floor

bench-fixed: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.fixed_cost

# One Celery worker against two (RabbitMQ at 127.0.0.1:5672, PostgreSQL; see README).
bench-celery: $(VENV)/.installed-dev rabbitmq
	$(BIN)/python -m benchmarks.celery_scaling

# Peak memory streaming 1,000,000 first-party orders from MariaDB vs 100,000.
bench-orders: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.orders_read

# Peak memory below the campaign (issue #17): 365 days vs 30 at the issue's scale, README
# "Benchmarks" (PERFMKT_BENCH_BELOW_DAYS shortens the long range).
bench-below-memory: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.below_memory

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .dagster_home data .pytest_cache .ruff_cache
