"""What every step process would otherwise import (and compute) for itself, done once by the fork
server (defs/executor.py's PRELOAD_MODULES) so that each forked step starts with it.

Issue #18: after the fork server's preload, each of a run's step processes still imported some
330 modules of its own (0.3-0.5 CPU-s a step): Dagster's SQLite run, schedule and event storage
and the workspace modules its instance loads, the notification libraries the definitions build
with, the registered platforms (their clients' SDK objects), the DuckDB dialect, the parts of Arrow the
transform and the checks use (Acera's group-by, pandas conversion for previews); and each read
the migration scripts for the head revision and (the DuckDB dialect, on its first connection)
the names of DuckDB's settings. None of it depends on the run: doing it here changes what a
step does in no way, only when the work is paid. The same holds for the code
location's definitions, which every step rebuilt (`_definitions`).

Each import is attempted on its own, and a module that is missing (an optional part, another
Dagster version) is skipped: the step then imports what it needs as before. Likewise a platform
plug-in that fails to load is left for the step, which reports the error as it always has.
"""

from __future__ import annotations

import contextlib
import importlib

from perfmkt_pipeline import loading

_MODULES = (
    # Dagster: the instance a step loads from its reference, with its SQLite storages.
    "dagster._core.instance.factory",
    "dagster._core.storage.root",
    "dagster._core.storage.migration.utils",
    "upath.implementations.local",
    "dagster._core.storage.runs.sqlite",
    "dagster._core.storage.event_log.sqlite",
    "dagster._core.storage.schedules.sqlite",
    "dagster._core.storage.local_compute_log_manager",
    "dagster._core.storage.runs.in_memory",
    "dagster._core.secrets.env_file",
    "dagster._core.workspace.context",
    "dagster._core.workspace.autodiscovery",
    "dagster._core.scheduler.execution",
    "dagster._daemon.controller",
    "dagster._core.debug",
    "dagster._core.utility_ops",
    "dagster._utils.test.definitions",
    # Dagster: what building and resolving the job adds.
    "dagster._core.types.primitive_mapping",
    "dagster._core.types.transform_typing",
    "dagster._core.definitions.repository_definition.repository_data_builder",
    "dagster._core.definitions.external_asset",
    "dagster._core.system_config.composite_descent",
    # What the multiprocess executor's step side uses.
    "multiprocessing.queues",
    "multiprocessing.popen_forkserver",
    "multiprocessing.synchronize",
    # The notification channels' libraries (defs/notifications.py).
    "dagster_slack",
    "dagster_msteams",
    # The warehouse: DuckDB's SQLAlchemy dialect (PostgreSQL's driver when installed).
    "duckdb_engine",
    "sqlalchemy.dialects.postgresql.psycopg",
    # Arrow: group-by (Acero), datasets, pandas conversion (metadata previews), markdown tables.
    "pyarrow.acero",
    "pyarrow.dataset",
    "pyarrow.pandas_compat",
    "tabulate",
)


def preload() -> None:
    """Everything below, loaded inside `perfmkt_pipeline.loading()`: what it loads lives as long
    as the server and every step forked from it, so it is frozen at the end, and the steps'
    garbage collectors never walk it (nor write to the memory pages a step shares with the
    server)."""
    with loading():
        for name in _MODULES:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        from perfmkt_pipeline import platforms
        from perfmkt_pipeline.warehouse.migrate import head_revision

        # A plug-in that fails to load fails the step that needs it, with its own error, as
        # before (the schema's versions include every registered platform's own migrations).
        with contextlib.suppress(Exception):
            platforms.all_specs()
            head_revision()
        _duckdb_settings()
        _definitions()


def _duckdb_settings() -> None:
    """The names of DuckDB's settings, which the DuckDB dialect reads once per process (cached)
    from a throwaway in-memory database before its first connection: read here, once. That
    database is closed again at once, so no DuckDB thread runs in the server when it forks."""
    with contextlib.suppress(Exception):
        from duckdb_engine.config import get_core_config

        get_core_config()


def _definitions() -> None:
    """The code location's definitions (`perfmkt_pipeline.definitions`, which every step of a
    deployment loads to find its job), built and resolved once here, from the same settings and
    environment the steps would read, instead of once in every step. Settings that do not build
    are left for the step, which then builds them itself and fails with their error, as before."""
    try:
        definitions = importlib.import_module("perfmkt_pipeline.definitions")
        definitions.defs.get_repository_def()
    except Exception:
        return


preload()
