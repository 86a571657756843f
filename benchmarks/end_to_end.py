"""End-to-end backfill of the raw layer with 100 ms of latency on every request, at benchmark
scale, against the very same backfill with concurrency 1.

Concurrent: Dagster's multiprocess executor runs the platforms' assets in parallel step
processes, and each asset reads `runs.CONCURRENCY` accounts at a time (`max_concurrent_accounts`).
Baseline: the in-process executor (one asset after another) and one account at a time. Both land
in a new DuckDB warehouse (the default engine: writers from every thread and process queue for its
single writer) from a freshly started sandbox (no warm caches), with the limits enforced
(`scenario.limited_faults`): a figure only counts with no request beyond a limit. The figure is
rows landed per second of the run. Target: at least 4x the baseline.

The range is `DAYS` days: 365 as the target asks (the baseline alone takes over 10 minutes on 2
cores). PERFMKT_BENCH_E2E_DAYS=90 gives a quicker, similar ratio (requests, waits and rows all
grow with the range).
"""

from __future__ import annotations

import os
import resource
import sys

from benchmarks import runs
from benchmarks.common import Figure, report
from benchmarks.scenario import Backfill, benchmark_sandbox, run_backfill

DAYS = int(os.environ.get("PERFMKT_BENCH_E2E_DAYS", "365"))
LATENCY_SECONDS = 0.1
TARGET = 4.0


def _measured(concurrency: int, executor: str) -> tuple[Backfill, float]:
    """The backfill and the CPU seconds the sandbox (this process) spent serving it."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    with benchmark_sandbox(LATENCY_SECONDS) as box:
        backfill = run_backfill(box, days=DAYS, concurrency=concurrency, executor=executor)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return backfill, cpu


def run() -> list[Figure]:
    base, base_sandbox = _measured(1, "in_process")
    fast, fast_sandbox = _measured(runs.CONCURRENCY, "multiprocess")
    if base.rows != fast.rows:
        raise AssertionError(f"the runs landed different rows: {base.rows} != {fast.rows}")
    cores = os.cpu_count() or 1
    print(
        f"end-to-end: {DAYS} days at benchmark scale, {LATENCY_SECONDS * 1000:.0f} ms per request:"
    )
    for name, backfill, sandbox_cpu in (
        ("baseline", base, base_sandbox),
        ("concurrent", fast, fast_sandbox),
    ):
        busy = (backfill.cpu_seconds + sandbox_cpu) / (backfill.wall_seconds * cores)
        slowest = max(backfill.steps.items(), key=lambda item: item[1], default=("-", 0.0))
        print(
            f"  {name}: {backfill.describe()}; sandbox CPU {sandbox_cpu:,.0f} s; the "
            f"{cores} cores {busy:.0%} busy; longest step {slowest[0]} {slowest[1]:,.1f} s"
        )
    # On these cores the concurrent run cannot take less than its CPU time spread over them.
    floor = (fast.cpu_seconds + fast_sandbox) / cores
    print(
        f"  CPU bound: the concurrent run needs {fast.cpu_seconds + fast_sandbox:,.0f} CPU-s "
        f"(pipeline and sandbox), at least {floor:,.1f} s on {cores} cores, so at most "
        f"{base.wall_seconds / floor:.2f}x the baseline here"
    )
    violations = sum(base.violations.values()) + sum(fast.violations.values())
    return [
        Figure(
            f"end-to-end backfill, {DAYS} days (rows/s)",
            fast.total_rows / fast.wall_seconds,
            base.total_rows / base.wall_seconds,
            "r/s",
            True,
            TARGET,
            condition="no request beyond the sandbox's rate limits (both runs)",
            condition_met=violations == 0,
        )
    ]


def main() -> int:
    return 0 if report(run()) else 1


if __name__ == "__main__":
    sys.exit(main())
