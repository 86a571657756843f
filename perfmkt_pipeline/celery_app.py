"""The Celery app of this project's workers (`perfmkt worker`, `make worker`), for
`executor.kind: celery`.

It is dagster-celery's worker task (`execute_plan`: load the run from the Dagster instance the
task names, execute its one step, send the step's events back) in an app built from the same
settings as the run worker's executor (defs/executor.py): the broker and the result backend from
$PERFMKT_CELERY_BROKER_URL and $PERFMKT_CELERY_BACKEND_URL, the queue `executor.celery.queue`,
a task acknowledged once its step has finished and one task per worker process at a time.

Loading it checks the configuration, so a worker that could only fail its steps refuses to
start: its configuration must say `executor.kind: celery`, the broker must be set and the
warehouse must be PostgreSQL. It then imports what the steps need (Dagster, the pipeline, the
platforms' clients), once: Celery forks the worker's processes after that.

The steps record their own events in the Dagster instance, so a worker stores a step's partition
materialisations in batches of $DAGSTER_EVENT_BATCH_SIZE, as every process `perfmkt` starts does
(unless the environment already says): a step over 30 days of five assets records 150, one
statement on PostgreSQL instead of one connection and statement each.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Mapping

from celery import Celery
from dagster import BetaWarning, PreviewWarning
from dagster_celery.executor import CeleryExecutor
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from perfmkt_pipeline.cli import EVENT_BATCH_ENV_VAR, EVENT_BATCH_SIZE
from perfmkt_pipeline.config import (
    CELERY_BACKEND_ENV_VAR,
    CELERY_BROKER_ENV_VAR,
    CONFIG_ENV_VAR,
    DEFAULT_CELERY_BACKEND_URL,
    ConfigError,
    Settings,
    load_settings,
    require_executor,
)
from perfmkt_pipeline.defs.executor import PRELOAD_MODULES, celery_config_source


def require_celery(settings: Settings, environ: Mapping[str, str]) -> None:
    """Refuse a worker whose configuration does not send steps to Celery (the run workers would
    never send it anything: a worker started against the wrong file), or lacks what Celery
    steps need (the broker, a PostgreSQL warehouse)."""
    if settings.executor.kind != "celery":
        source = environ.get(CONFIG_ENV_VAR) or "the configuration in force"
        raise ConfigError(
            f"configuration error:\n  executor.kind: {settings.executor.kind} in {source}; a "
            "Celery worker serves only executor.kind: celery (set it, with the same file on "
            "every machine)"
        )
    require_executor(settings, environ)


def build_app(settings: Settings, environ: Mapping[str, str]) -> Celery:
    require_celery(settings, environ)
    executor = CeleryExecutor.for_cli(
        broker=environ[CELERY_BROKER_ENV_VAR],
        backend=environ.get(CELERY_BACKEND_ENV_VAR) or DEFAULT_CELERY_BACKEND_URL,
        config_source=celery_config_source(settings),
    )
    celery_app = make_app(executor.app_args())
    create_task(celery_app)
    return celery_app


# As in the test suite (pyproject.toml): the single-run backfill policy is beta and partitioned
# asset checks a preview in Dagster 1.13; the pipeline relies on both, knowingly. Without this
# every worker process would log both warnings for every asset when it loads the definitions.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)
os.environ.setdefault(EVENT_BATCH_ENV_VAR, EVENT_BATCH_SIZE)
app = build_app(load_settings(), os.environ)
for _module in PRELOAD_MODULES:
    importlib.import_module(_module)
