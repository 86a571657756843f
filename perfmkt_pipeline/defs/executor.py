"""The executor of every run: Dagster's multiprocess executor, with step processes forked from a
server that imported Dagster, the pipeline and the platforms' client libraries once.

Dagster's default starts each step in a fresh interpreter, which imports all of that again: two
to three CPU-seconds a step, paid by every run of the daily sync and every backfill. A fork of
the warmed-up server starts at once. At most `max_concurrent_steps` steps run at a time.

Before it starts any step, the executor refuses a run whose partition range is reversed or
outside the partitions (Dagster launches those, and every step would then read and write a
nonsense window), and records on the run which process runs it (the run worker,
defs/run_worker.py), so that the daemon can tell when that process died (defs/run_launcher.py);
the fork server and the steps die with it (defs/lifeline.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from dagster import (
    DagsterEvent,
    DailyPartitionsDefinition,
    Executor,
    ExecutorDefinition,
    Failure,
    InitExecutorContext,
    executor,
    multiple_process_executor_requirements,
    multiprocess_executor,
)

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import DerivedTuple, Settings
from perfmkt_pipeline.defs.partitions import daily_partitions, range_problem
from perfmkt_pipeline.defs.run_worker import RUN_WORKER_TAG, RunWorker

# Imported once by the fork server; every step process starts with them loaded. The lifeline
# comes first: from then on the server and its steps die with the run worker (defs/lifeline.py).
# Each registered platform adds its heavy client libraries (its spec's `preload`).
PRELOAD_MODULES: Sequence[str] = DerivedTuple(
    lambda: (
        "perfmkt_pipeline.defs.lifeline",
        "dagster",
        "perfmkt_pipeline.defs.build",
        *(module for spec in platforms.all_specs() for module in spec.preload),
        "duckdb",
    )
)
# Dagster's tags of a run over a partition range, and the one capping its automatic re-runs.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
MAX_RETRIES_TAG = "dagster/max_retries"


class GuardedExecutor(Executor):
    """Another executor (the multiprocess one) that first checks the run's partition range and
    records the run's worker."""

    def __init__(self, inner: Executor, partitions: DailyPartitionsDefinition):
        self._inner = inner
        self._partitions = partitions

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan) -> Iterator[DagsterEvent]:
        instance, run = plan_context.instance, plan_context.dagster_run
        problem = self.range_problem(run.tags)
        if problem is not None:
            # The same range would fail the same way: no automatic re-run (dagster.yaml).
            instance.add_run_tags(run.run_id, {MAX_RETRIES_TAG: "0"})
            raise Failure(description=problem, allow_retries=False)
        instance.add_run_tags(run.run_id, {RUN_WORKER_TAG: RunWorker.current().tag_value()})
        yield from self._inner.execute(plan_context, execution_plan)

    def range_problem(self, tags: Mapping[str, str]) -> str | None:
        start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
        if start is None or end is None:
            return None
        first = self._partitions.get_first_partition_key() or ""
        last = self._partitions.get_last_partition_key()  # as of now: yesterday in UTC
        return range_problem(start, end, first, last)


def executor_config(settings: Settings) -> dict:
    """The multiprocess executor's configuration (retries stay Dagster's default: enabled)."""
    return {
        "max_concurrent": settings.max_concurrent_steps,
        "start_method": {"forkserver": {"preload_modules": list(PRELOAD_MODULES)}},
    }


def run_executor(settings: Settings) -> ExecutorDefinition:
    partitions = daily_partitions(settings)

    @executor(
        name="guarded_multiprocess",
        config_schema=multiprocess_executor.config_schema,
        requirements=multiple_process_executor_requirements(),
    )
    def guarded_multiprocess(init_context: InitExecutorContext) -> Executor:
        return GuardedExecutor(multiprocess_executor.executor_creation_fn(init_context), partitions)

    return guarded_multiprocess.configured(executor_config(settings), name="perfmkt_multiprocess")
