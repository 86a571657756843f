"""The backfills several benchmarks measure, run once per `make bench` and shared.

A 365-day and a 30-day backfill of every platform at benchmark scale, each in a fresh process,
with the pipeline as configured for backfills (`scenario.pipeline_config`: every account
platform reads `CONCURRENCY` accounts at a time; platforms run in parallel step processes),
against the sandbox with its limits enforced and no added latency. They land in PostgreSQL: the
database then runs in its own server process, so a run's peak memory is the pipeline's alone
(DuckDB runs inside the pipeline's process, and its own memory grows with the tables it
rewrites). The 365-day run gives the API efficiency figures and, with the 30-day one, the memory
figures; the transform benchmark is timed on the 30-day run's warehouse and on a DuckDB copy of
its raw tables.
"""

from __future__ import annotations

import functools

from benchmarks.scenario import Backfill, benchmark_sandbox, run_backfill

CONCURRENCY = 4  # the default of every platform's max_concurrent_accounts
ENGINE = "postgresql"
YEAR, MONTH = 365, 30


@functools.cache
def year_backfill() -> Backfill:
    with benchmark_sandbox(latency_seconds=0.0) as box:
        return run_backfill(
            box, days=YEAR, concurrency=CONCURRENCY, executor="multiprocess", engine=ENGINE
        )


@functools.cache
def month_backfill() -> Backfill:
    """The 30-day backfill; its `inspected` holds the transform benchmark's timings, taken on
    its warehouse before that is dropped."""
    from benchmarks.transform import measure_engines  # that module reads this one's results

    with benchmark_sandbox(latency_seconds=0.0) as box:
        return run_backfill(
            box,
            days=MONTH,
            concurrency=CONCURRENCY,
            executor="multiprocess",
            engine=ENGINE,
            inspect=measure_engines,
        )
