"""The executor of every run: Dagster's multiprocess executor, with step processes forked from a
server that imported Dagster, the pipeline and the platforms' client libraries once.

Dagster's default starts each step in a fresh interpreter, which imports all of that again: two
to three CPU-seconds a step, paid by every run of the daily sync and every backfill. A fork of
the warmed-up server starts at once. At most `max_concurrent_steps` steps run at a time.
"""

from __future__ import annotations

from dagster import ExecutorDefinition, multiprocess_executor

from perfmkt_pipeline.config import Settings

# Imported once by the fork server; every step process starts with them loaded. The lifeline
# comes first: from then on the server and its steps die with the run worker (defs/lifeline.py).
PRELOAD_MODULES = (
    "perfmkt_pipeline.defs.lifeline",
    "dagster",
    "perfmkt_pipeline.defs.build",
    "google.ads.googleads.client",
    "facebook_business.api",
    "duckdb",
)


def executor_config(settings: Settings) -> dict:
    """The multiprocess executor's configuration (retries stay Dagster's default: enabled)."""
    return {
        "max_concurrent": settings.max_concurrent_steps,
        "start_method": {"forkserver": {"preload_modules": list(PRELOAD_MODULES)}},
    }


def run_executor(settings: Settings) -> ExecutorDefinition:
    return multiprocess_executor.configured(executor_config(settings), name="perfmkt_multiprocess")
