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

A small run executes in the run's own process instead: with `executor.kind: multiprocess`, a
run over at most `executor.in_process_max_days` days (1 by default: a one-day run, as launched
from the UI or re-executed) runs its steps one after another in the run worker, with Dagster's
in-process executor. Forking the server (which imports Dagster, the pipeline, the client
libraries and builds the definitions once more) and a process per step costs several times the
data work of such a run; the steps, their order, their checks and what a failure blocks are the
same, only no two of them run at once. A run over more days, or without partitions, forks.
In such a run, consecutive steps that work only on the warehouse (core, marts and their checks)
share one DuckDB connection, released before any other step starts and when the steps end.

`executor.kind` chooses the executor the guard wraps: `multiprocess` (the default, one machine,
as above), `celery` (dagster-celery: each step a Celery task on `executor.celery.queue`, run by
whichever worker takes it, `perfmkt worker`; broker and result backend from
$PERFMKT_CELERY_BROKER_URL and $PERFMKT_CELERY_BACKEND_URL) or `k8s` (dagster-k8s: each step a
Kubernetes Job running `executor.k8s.image` in `executor.k8s.namespace`). Their libraries are
imported only when chosen.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from dagster import (
    DagsterError,
    DagsterEvent,
    DagsterEventType,
    DailyPartitionsDefinition,
    Executor,
    ExecutorDefinition,
    Failure,
    InitExecutorContext,
    executor,
    in_process_executor,
    multiple_process_executor_requirements,
    multiprocess_executor,
)
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.plan.step import IExecutionStep

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import (
    CELERY_BACKEND_ENV_VAR,
    CELERY_BROKER_ENV_VAR,
    DEFAULT_CELERY_BACKEND_URL,
    ConfigError,
    DerivedTuple,
    Settings,
)
from perfmkt_pipeline.defs.partitions import daily_partitions, range_problem
from perfmkt_pipeline.defs.run_worker import RUN_WORKER_TAG, RunWorker
from perfmkt_pipeline.warehouse.engine import connections_shared

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
        "perfmkt_pipeline.defs.step_preload",
    )
)
# Dagster's tags of a run over a partition range, of a run of one partition, and the one
# capping its automatic re-runs.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
MAX_RETRIES_TAG = "dagster/max_retries"
# The first part of a raw asset's key: the layer that reads from outside the warehouse.
RAW_LAYER = "raw"


class GuardedExecutor(Executor):
    """Another executor (multiprocess, Celery or Kubernetes) that first checks the run's
    partition range and records the run's worker; with `in_process`, a run over at most
    `in_process_max_days` days executes with that one instead (the same retries)."""

    def __init__(
        self,
        inner: Executor,
        partitions: DailyPartitionsDefinition,
        in_process: Executor | None = None,
        in_process_max_days: int = 0,
    ):
        self._inner = inner
        self._partitions = partitions
        self._in_process = in_process
        self._in_process_max_days = in_process_max_days

    def __getattr__(self, name: str) -> Any:
        # What an executor's own execution loop asks of "its" executor (dagster-celery's asks
        # for the Celery app's arguments) is the inner executor's.
        if name == "_inner":
            raise AttributeError(name)
        return getattr(self._inner, name)

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
        chosen = self.executor_for(run.tags)
        events = chosen.execute(plan_context, execution_plan)
        if chosen is self._in_process:
            events = warehouse_steps_share_a_connection(events, execution_plan)
        yield from events

    def executor_for(self, tags: Mapping[str, str]) -> Executor:
        """The in-process executor for a run over at most `in_process_max_days` days (its range
        already checked), else the wrapped one."""
        days = run_days(tags)
        small = days is not None and days <= self._in_process_max_days
        return self._in_process if small and self._in_process is not None else self._inner

    def range_problem(self, tags: Mapping[str, str]) -> str | None:
        start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
        if start is None or end is None:
            return None
        first = self._partitions.get_first_partition_key() or ""
        last = self._partitions.get_last_partition_key()  # as of now: yesterday in UTC
        return range_problem(start, end, first, last)


def warehouse_steps_share_a_connection(
    events: Iterator[DagsterEvent], execution_plan: ExecutionPlan
) -> Iterator[DagsterEvent]:
    """The events of steps run one after another in this process, while consecutive steps that
    work only on the warehouse (`works_in_the_warehouse`) share one DuckDB connection
    (`connections_shared`): it is opened at their first unit of work and closed, with the writer
    lock released, when a step of another kind starts, a step fails (a retry may wait minutes)
    or the run's steps end. Opening the file
    costs about 20 ms of CPU each time, and a one-day run's core, marts and checks have some 40
    units of work. Each unit is still its own transaction. No thread, no fork: the steps run in
    this thread, in order."""
    with contextlib.ExitStack() as shared:
        sharing = False
        for event in events:
            if event.event_type == DagsterEventType.STEP_START and event.step_key is not None:
                step = execution_plan.get_step_by_key(event.step_key)
                if not works_in_the_warehouse(step):
                    shared.close()  # the step may wait on an API: the file is free meanwhile
                    sharing = False
                elif not sharing:
                    shared.enter_context(connections_shared())
                    sharing = True
            elif event.event_type in _STEP_FAILED:  # nor held while a retry waits its delay
                shared.close()
                sharing = False
            yield event


_STEP_FAILED = frozenset({DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_UP_FOR_RETRY})


def works_in_the_warehouse(step: IExecutionStep) -> bool:
    """Whether a step only reads and writes the warehouse: each of its outputs is an asset, or a
    check of one, outside the raw layer (whose steps read platforms' APIs, feeds and the shop's
    database, and may wait on them for minutes)."""
    keys = []
    for output in step.step_outputs:
        properties = output.properties
        check = properties.asset_check_key
        key = check.asset_key if check is not None else properties.asset_key
        if key is None:
            return False
        keys.append(key)
    return bool(keys) and all(key.path[0] != RAW_LAYER for key in keys)


def run_days(tags: Mapping[str, str]) -> int | None:
    """How many daily partitions a run materialises, from Dagster's tags (None: a run without
    partitions). A range is already checked (`range_problem`)."""
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if start is not None and end is not None:
        return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1
    if tags.get(PARTITION_TAG) is not None:
        return 1
    return None


def executor_config(settings: Settings) -> dict:
    """The multiprocess executor's configuration (retries stay Dagster's default: enabled)."""
    return {
        "max_concurrent": settings.max_concurrent_steps,
        "start_method": {"forkserver": {"preload_modules": list(PRELOAD_MODULES)}},
    }


def celery_config_source(settings: Settings) -> dict[str, Any]:
    """Celery settings of the run worker's app and of every worker's (perfmkt_pipeline/celery_app):
    the queue steps go to; a task acknowledged only once its step has finished, so a worker
    holds no more tasks than it runs (prefetch 1 per process) and a step whose worker died is
    taken by another worker instead of being lost (its writes replace whole windows)."""
    return {
        "task_default_queue": settings.executor.celery_settings.queue,
        "worker_prefetch_multiplier": 1,
        "task_acks_late": True,
    }


def celery_executor_config(settings: Settings, environ: Mapping[str, str] | None = None) -> dict:
    """dagster-celery's configuration: the broker (and the backend, when set) as environment
    variables, so the UI shows their names, never a password."""
    environ = os.environ if environ is None else environ
    backend: object = (
        {"env": CELERY_BACKEND_ENV_VAR}
        if environ.get(CELERY_BACKEND_ENV_VAR)
        else DEFAULT_CELERY_BACKEND_URL
    )
    return {
        "broker": {"env": CELERY_BROKER_ENV_VAR},
        "backend": backend,
        "config_source": celery_config_source(settings),
    }


def k8s_executor_config(settings: Settings) -> dict:
    """dagster-k8s' job executor: the step pods' image, namespace and environment."""
    k8s = settings.executor.k8s
    assert k8s is not None  # the settings refuse kind k8s without its section
    config: dict[str, Any] = {
        "job_image": k8s.image,
        "job_namespace": k8s.namespace,
        "image_pull_policy": k8s.image_pull_policy,
        "max_concurrent": settings.max_concurrent_steps,
        "env_secrets": list(k8s.env_secrets),
        "env_config_maps": list(k8s.env_config_maps),
    }
    if k8s.service_account_name:
        config["service_account_name"] = k8s.service_account_name
    return config


def _inner_executor(settings: Settings) -> tuple[ExecutorDefinition, dict]:
    kind = settings.executor.kind
    if kind == "celery":
        from dagster_celery import celery_executor

        return celery_executor, celery_executor_config(settings)
    if kind == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor, k8s_executor_config(settings)
    return multiprocess_executor, executor_config(settings)


class ExecutorRefused(DagsterError, ConfigError):
    """The executor cannot run with this instance. A Dagster error: the run fails at once, its
    failure event carrying this message."""


def _require_k8s_run_launcher(init_context: InitExecutorContext) -> None:
    """dagster-k8s' step handler takes the step pods' defaults from the instance's run launcher,
    which must then be its K8sRunLauncher (the Dagster Helm chart's)."""
    from dagster_k8s import K8sRunLauncher

    launcher = init_context.instance.run_launcher
    if not isinstance(launcher, K8sRunLauncher):
        raise ExecutorRefused(
            "executor.kind: k8s launches every step as a Kubernetes Job and needs a Dagster "
            "instance whose run launcher is dagster-k8s' K8sRunLauncher (the Dagster Helm "
            f"chart's, see deploy/); this instance's is {type(launcher).__name__}"
        )


def _in_process(init_context: InitExecutorContext) -> Executor:
    """Dagster's in-process executor with the run's retries (the multiprocess configuration's,
    defaults included)."""
    config = init_context.executor_config
    own = {"retries": config["retries"]}
    if config.get("step_dependency_config") is not None:
        own["step_dependency_config"] = config["step_dependency_config"]
    return in_process_executor.executor_creation_fn(
        init_context._replace(executor_def=in_process_executor, executor_config=own)
    )


def run_executor(settings: Settings) -> ExecutorDefinition:
    partitions = daily_partitions(settings)
    kind = settings.executor.kind
    inner, config = _inner_executor(settings)

    @executor(
        name=f"guarded_{kind}",
        config_schema=inner.config_schema,
        requirements=multiple_process_executor_requirements(),
    )
    def guarded(init_context: InitExecutorContext) -> Executor:
        if kind == "k8s":
            _require_k8s_run_launcher(init_context)
        created = inner.executor_creation_fn(init_context)
        max_days = settings.executor.in_process_max_days if kind == "multiprocess" else 0
        if max_days == 0:
            return GuardedExecutor(created, partitions)
        return GuardedExecutor(created, partitions, _in_process(init_context), max_days)

    return guarded.configured(config, name=f"perfmkt_{kind}")
