"""One backfill of the raw layer in a process of its own, as `make bench` measures it.

    python -m benchmarks.backfill_run START END EXECUTOR RESULT_JSON

Materialises every `raw/*` asset of the project's definitions (configuration from
$PERFMKT_CONFIG, warehouse from $PERFMKT_WAREHOUSE_URL) for the partition range START...END in
one run (`BackfillPolicy.single_run`), with Dagster's `in_process` executor (one step after
another) or its `multiprocess` executor (independent assets, here the platforms, in parallel
processes forked from a server that has imported the pipeline once). Writes {"wall_seconds"}
to RESULT_JSON: the run's wall time. Start it under `benchmarks.measure` for its peak memory.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from multiprocessing import forkserver
from pathlib import Path

from dagster import (
    AssetSelection,
    DagsterInstance,
    Definitions,
    JobDefinition,
    define_asset_job,
    execute_job,
    reconstructable,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from perfmkt_pipeline.defs.build import build_definitions

JOB = "raw_backfill"
# Enough step processes for every raw asset at once (Dagster's default is the CPU count).
MAX_STEP_PROCESSES = 16
PRELOAD_MODULES = [
    "dagster",
    "benchmarks.backfill_run",
    "perfmkt_pipeline.warehouse.write",
    "google.ads.googleads.client",
    "facebook_business.api",
    "duckdb",
]


def raw_backfill_job() -> JobDefinition:
    """Every raw asset of the project's definitions (module level: step processes rebuild it)."""
    defs = build_definitions()
    job = define_asset_job(JOB, selection=AssetSelection.key_prefixes("raw"))
    return Definitions.merge(defs, Definitions(jobs=[job])).resolve_job_def(JOB)


def executor_config(executor: str) -> dict:
    if executor == "in_process":
        return {"in_process": {}}
    if executor == "multiprocess":
        # Step processes are forked from a server that imported these once, instead of each
        # starting a fresh interpreter and importing Dagster and every client library again.
        start_method = {"forkserver": {"preload_modules": PRELOAD_MODULES}}
        return {
            "multiprocess": {"max_concurrent": MAX_STEP_PROCESSES, "start_method": start_method}
        }
    raise ValueError(f"unknown executor {executor!r}")


def run(argv: list[str]) -> int:
    start, end, executor, out = argv
    with tempfile.TemporaryDirectory(prefix="perfmkt-dagster-") as home:
        # A persistent (temporary) instance: the multiprocess executor needs one.
        instance = DagsterInstance.local_temp(home)
        began = time.perf_counter()
        result = execute_job(
            reconstructable(raw_backfill_job),
            instance=instance,
            run_config={"execution": {"config": executor_config(executor)}},
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


def _stop_forkserver() -> None:
    """Stop and wait for the fork server, which has waited for every step process it forked:
    only then do their resource usages (peak memory) count among this process's children."""
    server = forkserver._forkserver  # the module's own instance; no public way to stop it
    if server._forkserver_pid is not None:
        server._stop()


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
