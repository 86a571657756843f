"""One backfill of the raw layer in a process of its own, as `make bench` measures it.

    python -m benchmarks.backfill_run START END EXECUTOR RESULT_JSON [SELECTION]

Materialises every `raw/*` asset of the project's definitions (configuration from
$PERFMKT_CONFIG, warehouse from $PERFMKT_WAREHOUSE_URL) for the partition range START...END in
one run (`BackfillPolicy.single_run`); with SELECTION `all`, every asset and every asset check
(raw, core, marts), as a run of the whole graph launched from the UI or by a schedule is. With
Dagster's `in_process` executor (one step after
another) or, for `multiprocess`, the executor every run of the project uses (`defs/executor.py`:
independent assets, here the platforms, in parallel processes forked from a server that has
imported the pipeline once). Writes {"wall_seconds"} to RESULT_JSON: the run's wall time. Start
it under `benchmarks.measure` for its peak memory.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from multiprocessing import forkserver
from pathlib import Path

import yaml
from dagster import (
    AssetSelection,
    DagsterInstance,
    Definitions,
    ExecutorDefinition,
    JobDefinition,
    define_asset_job,
    execute_job,
    in_process_executor,
    reconstructable,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

JOB = "raw_backfill"


def _raw_backfill_job(
    executor_def: ExecutorDefinition | None, selection: AssetSelection | None = None
) -> JobDefinition:
    """Every raw asset of the project's definitions (or `selection`); `executor_def` None: the
    project's own. The definitions are the code location's (`perfmkt_pipeline.definitions`), as
    a deployment's run and step processes load them (the fork server has built them once)."""
    from perfmkt_pipeline.definitions import defs

    job = define_asset_job(
        JOB, selection=selection or AssetSelection.key_prefixes("raw"), executor_def=executor_def
    )
    return Definitions.merge(defs, Definitions(jobs=[job])).resolve_job_def(JOB)


# Module level, without arguments: step processes rebuild the job from these.
def multiprocess_job() -> JobDefinition:
    return _raw_backfill_job(None)


def in_process_job() -> JobDefinition:
    return _raw_backfill_job(in_process_executor)


def multiprocess_all_job() -> JobDefinition:
    """Every asset and, with them, every asset check on them."""
    return _raw_backfill_job(None, AssetSelection.all())


JOBS = {
    ("in_process", "raw"): in_process_job,
    ("multiprocess", "raw"): multiprocess_job,
    ("multiprocess", "all"): multiprocess_all_job,
}


def run(argv: list[str]) -> int:
    start, end, executor, out, *rest = argv
    selection = rest[0] if rest else "raw"
    with tempfile.TemporaryDirectory(prefix="perfmkt-dagster-") as home:
        # A persistent (temporary) instance: the multiprocess executor needs one.
        instance = DagsterInstance.local_temp(home, overrides=instance_class())
        began = time.perf_counter()
        result = execute_job(
            reconstructable(JOBS[(executor, selection)]),
            instance=instance,
            tags={ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end},
        )
        wall = time.perf_counter() - began
        success = result.success
        instance.dispose()
    _stop_forkserver()
    if not success:
        return 1
    Path(out).write_text(json.dumps({"wall_seconds": wall}))
    return 0


def instance_class() -> dict:
    """The local instance's class and telemetry setting, as the shipped dagster.yaml has them
    (Dagster's default would write a telemetry record for every step event, which no deployment
    of the shipped instance does)."""
    shipped = yaml.safe_load((Path(__file__).parents[1] / "dagster.yaml").read_text())
    return {"instance_class": shipped["instance_class"], "telemetry": shipped["telemetry"]}


def _stop_forkserver() -> None:
    """Stop and wait for the fork server, which has waited for every step process it forked:
    only then do their resource usages (peak memory) count among this process's children."""
    server = forkserver._forkserver  # the module's own instance; no public way to stop it
    if server._forkserver_pid is not None:
        server._stop()


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
