"""Fixed cost: CPU-seconds of one run of every asset and every asset check (raw, core, marts) for
one account per platform and one day, as a run launched from the UI or by a schedule makes it.

    python -m benchmarks.fixed_cost

The run: `benchmarks.backfill_run` with SELECTION `all` and the project's own executor (for a
one-day run, with the default `executor.in_process_max_days` of 1, every step in the run's own
process; `PERFMKT_BENCH_FIXED_IN_PROCESS_MAX_DAYS=0` measures the same run with a step process
each, forked from a server that preloaded Dagster, the pipeline and the client libraries), in a
fresh process tree, against the small sandbox world (`WorldSpec.small()`, so the data is a
few hundred rows and what is measured is the cost of running at all) with one account of each
platform configured, for the day before the sandbox's as-of date, into a new DuckDB warehouse.
The figure is the median of `REPEATS` runs of the CPU-seconds of every process of the tree
(`benchmarks.measure`); the sandbox runs in this process and is not counted.

Baseline: `BEFORE`, the same measurement on main's code before issue #18's work, recorded with
the date and commit it was measured on. Target (issue #18): at most a quarter of it.
PERFMKT_BENCH_FIXED_REPEATS sets the repeats (default 5).
"""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import dataclass

from benchmarks.common import Figure, report
from benchmarks.scenario import API_PLATFORMS, AS_OF, limited_faults, pipeline_config, run_backfill
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.sandbox.spec import WorldSpec

REPEATS = int(os.environ.get("PERFMKT_BENCH_FIXED_REPEATS", "5"))
# executor.in_process_max_days of the measured run; unset: the project's default.
IN_PROCESS_MAX_DAYS = os.environ.get("PERFMKT_BENCH_FIXED_IN_PROCESS_MAX_DAYS")
TARGET = 4.0


@dataclass(frozen=True)
class Recorded:
    cpu_seconds: float  # median over `repeats` runs
    repeats: int
    measured_on: str  # date
    commit: str  # main's commit the code was at
    runs: tuple[float, ...]  # every run's CPU-seconds


# Measured with this module on 2026-12-06 on this machine (2 cores, shared: load average 15-20
# during the runs), at main's c615d3c, before any of issue #18's optimisations.
BEFORE = Recorded(
    cpu_seconds=37.80,
    repeats=7,
    measured_on="2026-12-06",
    commit="c615d3c",
    runs=(37.99, 36.88, 33.93, 35.29, 40.58, 37.80, 39.69),
)


def one_account_config(box: Sandbox) -> dict:
    """The benchmark configuration with the first account of each platform only."""
    config = pipeline_config(box, 1)
    first = {p: box.account_ids()[p][0] for p in API_PLATFORMS}
    config["google_ads"]["customer_ids"] = [first["google_ads"]]
    for platform in ("meta", "impact", "cj", "awin"):
        config[platform]["account_ids"] = [first[platform]]
    config["impact"]["program_ids"] = {
        first["impact"]: config["impact"]["program_ids"][first["impact"]]
    }
    if IN_PROCESS_MAX_DAYS is not None:
        config.setdefault("executor", {})["in_process_max_days"] = int(IN_PROCESS_MAX_DAYS)
    return config


def measure_once() -> float:
    """CPU-seconds of one run."""
    with Sandbox(WorldSpec.small(), as_of=AS_OF, faults=limited_faults(0.0)) as box:
        run = run_backfill(
            box,
            days=1,
            concurrency=1,
            executor="multiprocess",
            config=one_account_config(box),
            selection="all",
        )
    return run.cpu_seconds


def measure(repeats: int = REPEATS) -> tuple[float, list[float]]:
    """The median CPU-seconds of `repeats` runs, and every run's."""
    runs = [measure_once() for _ in range(repeats)]
    return statistics.median(runs), runs


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run() -> list[Figure]:
    before = _load()
    median, runs = measure()
    # CPU-seconds grow with the machine's load (shared caches, frequency): print it beside them.
    print(f"load average (1, 5, 15 min) before the runs: {before}; after: {_load()}")
    print(
        f"fixed cost: one run of every asset and check, one account per "
        f"platform, one day: median {median:.2f} CPU-s of {len(runs)} runs "
        f"({', '.join(f'{s:.2f}' for s in runs)}); before: {BEFORE.cpu_seconds:.2f} CPU-s, the "
        f"median of {BEFORE.repeats} runs measured on {BEFORE.measured_on} at main's "
        f"{BEFORE.commit}"
    )
    return [
        Figure(
            "fixed cost of a run, every asset, 1 account, 1 day",
            median,
            BEFORE.cpu_seconds,
            "CPU-s",
            False,
            TARGET,
        )
    ]


def main() -> int:
    return 0 if report(run()) else 1


if __name__ == "__main__":
    sys.exit(main())
