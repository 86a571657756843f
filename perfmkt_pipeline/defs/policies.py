"""Step-level retry policies, shared by the assets and the scheduled jobs.

The clients already retry each request (rate limits, 5xx, dropped connections) within a bounded
budget. A step fails only when that budget is spent (an outage longer than the client waits) or
something outside the client broke (the warehouse connection, the run worker): a retry of the
whole step a few minutes later then usually succeeds, and is safe because every write replaces
exactly its window. Errors that a retry cannot fix (bad credentials, missing permission, a record
that does not parse, a bad configuration) must not burn the retries: `fail_fast` turns them into
a `Failure` that bypasses the policy, and `fail_fast_steps` runs every step of the definitions
inside it (build.py applies it to every asset and check), so no asset can forget it.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from dagster import (
    AssetChecksDefinition,
    AssetsDefinition,
    Backoff,
    Failure,
    GraphDefinition,
    In,
    Jitter,
    OpDefinition,
    Out,
    RetryPolicy,
)
from dagster._core.definitions.decorators.op_decorator import DecoratedOpFunction

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import ConfigError
from perfmkt_pipeline.platforms.orders.errors import OrderFatalError
from perfmkt_pipeline.warehouse.loss import RowLossError
from perfmkt_pipeline.warehouse.write import SliceViolation

# Source steps (raw landing): 2 more attempts, about 5 and 15 minutes after the failure
# (exponential backoff, +/- 5 minutes of jitter so that the platforms' steps of one failed
# schedule tick do not all come back at the same second).
SOURCE_RETRY = RetryPolicy(
    max_retries=2, delay=300, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)
# Warehouse-only steps (core, marts, FX rates): transient database trouble (a dropped connection,
# a lock timeout) clears in seconds: about 30 and 90 seconds, +/- 30 seconds.
WAREHOUSE_RETRY = RetryPolicy(
    max_retries=2, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)

# The pool of the steps that only read and write the warehouse (FX rates, core, marts): one step
# of a pool at a time across every run of the instance, so two runs never replace the same
# tables' windows at once. DuckDB allows one writing process at a time, so there they all share
# one pool; PostgreSQL takes writers side by side, and each such step has a pool of its own
# (`warehouse_core_tables`, ...): a step still never runs beside itself, while steps writing
# different tables (the campaign core and the below-the-campaign core, say) run side by side.
WAREHOUSE_POOL = "warehouse"


def warehouse_pool(engine_kind: str, step: str) -> str:
    """The pool of the warehouse step `step` (its op name) on a warehouse of `engine_kind`
    (build.py: "duckdb", "postgres", ...)."""
    return WAREHOUSE_POOL if engine_kind == "duckdb" else f"{WAREHOUSE_POOL}_{step}"


# The order in which Celery workers take a run's waiting steps (executor.kind: celery).
# dagster-celery sends the steps that are ready in the order of their priority and RabbitMQ hands
# the waiting ones out highest first (dagster-celery declares the queues as priority queues): the
# step tag `dagster-celery/priority`, 5 when not set. With Celery every step that another step of
# the pipeline waits for gets `GATING_PRIORITY`: an asset computed in one step (FX rates, core,
# marts, a platform read in one step) and the blocking checks of an asset that another asset
# reads. The rest keeps 5: the account steps of a fanned-out platform (long, many, and nothing but
# their own landing step waits for each one alone), the checks nothing waits for and the warnings.
# So a free worker takes the short steps that gate the core (the FX rates and their check) before
# a platform's next account step, and after the core the checks its marts wait for first.
# The multiprocess and Kubernetes executors ignore the tag; their steps are not tagged.
CELERY_PRIORITY_TAG = "dagster-celery/priority"
GATING_PRIORITY = "6"


def celery_step_tags(
    assets: Iterable[AssetsDefinition],
) -> Callable[[AssetsDefinition], Mapping[str, str]]:
    """The step tags, for Celery, of each asset or check of the pipeline whose assets are
    `assets`: `GATING_PRIORITY` for a step another step waits for, nothing for the others."""
    read = {dep.asset_key for a in assets for spec in a.specs for dep in spec.deps}
    gating = {CELERY_PRIORITY_TAG: GATING_PRIORITY}

    def tags(step: AssetsDefinition) -> Mapping[str, str]:
        if not isinstance(step, AssetChecksDefinition):
            return gating
        waited_for = any(s.blocking and s.asset_key in read for s in step.check_specs)
        return gating if waited_for else {}

    return tags


# Errors a retry cannot fix: the client has classified them as fatal or as bad data. Registered
# platforms add their own fatal and data errors (their spec's `errors`).
NOT_RETRYABLE: tuple[type[BaseException], ...] = (
    ConfigError,
    SliceViolation,
    RowLossError,
    OrderFatalError,
)


def not_retryable() -> tuple[type[BaseException], ...]:
    """Every error type a retry cannot fix: the shared ones and each platform's."""
    found = [error for spec in platforms.all_specs() for error in spec.errors.not_retryable]
    return (*NOT_RETRYABLE, *found)


def is_retryable(error: BaseException) -> bool:
    """Whether a later attempt of the step may succeed where this error stopped it."""
    return not isinstance(error, not_retryable())


@contextlib.contextmanager
def fail_fast() -> Iterator[None]:
    """Re-raise an error that is not retryable as a `Failure(allow_retries=False)`, so the step
    fails at once instead of waiting out its retry policy; anything else propagates unchanged.
    The failure's description is the error's own message (source, account, day, field), which
    Dagster shows as the first line of the step's failure; the class is kept as metadata."""
    try:
        yield
    except Exception as error:
        if is_retryable(error):
            raise
        raise Failure(
            description=str(error) or type(error).__name__,
            metadata={"error": type(error).__name__},
            allow_retries=False,
        ) from error


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn` run inside `fail_fast`, with its signature (Dagster reads the parameters) and, for a
    generator (an asset yielding its results), still a generator."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with fail_fast():
                yield from fn(*args, **kwargs)

        return generator

    @functools.wraps(fn)
    def function(*args: Any, **kwargs: Any) -> Any:
        with fail_fast():
            return fn(*args, **kwargs)

    return function


def _fail_fast_step(assets_def: AssetsDefinition, tags: Mapping[str, str]) -> AssetsDefinition:
    if isinstance(assets_def.node_def, GraphDefinition):
        # A graph-backed asset (a platform's accounts fanned out over steps,
        # defs/connectors.py): its steps run inside `fail_fast` themselves.
        return assets_def
    op = assets_def.op
    compute = op.compute_fn
    if not isinstance(compute, DecoratedOpFunction):
        raise TypeError(f"{op.name}: only steps defined by a decorated function can fail fast")
    guarded = OpDefinition(
        compute_fn=DecoratedOpFunction(_guarded(compute.decorated_fn)),
        name=op.name,
        ins={d.name: In.from_definition(d) for d in op.input_defs},
        outs={d.name: Out.from_definition(d) for d in op.output_defs},
        description=op.description,
        config_schema=op.config_schema,
        required_resource_keys=op.required_resource_keys,
        tags={**op.tags, **tags},
        retry_policy=op.retry_policy,
        code_version=op._version,
        pool=op.pool,
    )
    # How Dagster itself rebuilds an asset around another node (replace_specs_on_asset).
    return assets_def.__class__.dagster_internal_init(
        **{**assets_def.get_attributes_dict(), "node_def": guarded}
    )


def fail_fast_steps(
    definitions: Iterable[AssetsDefinition],
    step_tags: Callable[[AssetsDefinition], Mapping[str, str]] | None = None,
) -> list[AssetsDefinition]:
    """The same assets (or asset checks), each step's computation run inside `fail_fast`, with
    the tags `step_tags` gives it added to its step's (`celery_step_tags`)."""
    return [
        _fail_fast_step(assets_def, step_tags(assets_def) if step_tags else {})
        for assets_def in definitions
    ]
