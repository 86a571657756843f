"""The executor of every run: Dagster's multiprocess executor, with step processes forked from a
server that imported Dagster, the pipeline and the platforms' client libraries once.

Dagster's default starts each step in a fresh interpreter, which imports all of that again: two
to three CPU-seconds a step, paid by every run of the daily sync and every backfill. A fork of
the warmed-up server starts at once. At most `max_concurrent_steps` steps run at a time.

Before it starts any step, the executor records on the run which process runs it (the run
worker, defs/run_worker.py), so that the daemon can tell when that process died
(defs/run_launcher.py); the fork server and the steps die with it (defs/lifeline.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from dagster import (
    DagsterEvent,
    Executor,
    ExecutorDefinition,
    InitExecutorContext,
    executor,
    multiple_process_executor_requirements,
    multiprocess_executor,
)

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.run_worker import RUN_WORKER_TAG, RunWorker

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


class WorkerRecordingExecutor(Executor):
    """Another executor (the multiprocess one) that first tags the run with its run worker."""

    def __init__(self, inner: Executor):
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan) -> Iterator[DagsterEvent]:
        plan_context.instance.add_run_tags(
            plan_context.run_id, {RUN_WORKER_TAG: RunWorker.current().tag_value()}
        )
        yield from self._inner.execute(plan_context, execution_plan)


@executor(
    name="multiprocess_recording_worker",
    config_schema=multiprocess_executor.config_schema,
    requirements=multiple_process_executor_requirements(),
)
def _recording_multiprocess_executor(init_context: InitExecutorContext) -> Executor:
    return WorkerRecordingExecutor(multiprocess_executor.executor_creation_fn(init_context))


def executor_config(settings: Settings) -> dict:
    """The multiprocess executor's configuration (retries stay Dagster's default: enabled)."""
    return {
        "max_concurrent": settings.max_concurrent_steps,
        "start_method": {"forkserver": {"preload_modules": list(PRELOAD_MODULES)}},
    }


def run_executor(settings: Settings) -> ExecutorDefinition:
    return _recording_multiprocess_executor.configured(
        executor_config(settings), name="perfmkt_multiprocess"
    )
