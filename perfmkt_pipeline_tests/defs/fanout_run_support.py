"""A run of every asset and check with the project's executor, in a process of its own (the
executor's fork server belongs to the process that first starts one, with that process's
environment; a test must not leave one behind for the tests after it):

    python -c 'from perfmkt_pipeline_tests.defs.fanout_run_support import main; main()' \
        START END [PARENT_RUN_ID]

Runs the partition range START..END on the instance in $DAGSTER_HOME with the configuration in
force; with PARENT_RUN_ID, re-executes that run from failure instead. Exits 0 either way (the
test reads the outcome from the instance).
"""

from __future__ import annotations

import sys

from dagster import (
    AssetSelection,
    DagsterInstance,
    Definitions,
    JobDefinition,
    ReexecutionOptions,
    define_asset_job,
    execute_job,
    reconstructable,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from perfmkt_pipeline.defs.build import build_definitions


def all_assets_job() -> JobDefinition:
    """Every asset and check of the project's definitions, with its executor and resources."""
    defs = build_definitions()
    job = define_asset_job("every_asset", selection=AssetSelection.all(include_sources=False))
    return Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        resources=defs.resources,
        executor=defs.executor,
        jobs=[job],
    ).resolve_job_def("every_asset")


def main() -> None:
    start, end, *parent = sys.argv[1:]
    tags = {ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end}
    with DagsterInstance.get() as instance:
        options = ReexecutionOptions.from_failure(parent[0], instance) if parent else None
        result = execute_job(
            reconstructable(all_assets_job),
            instance=instance,
            tags=tags,
            reexecution_options=options,
        )
        print(f"run {result.run_id}: success={result.success}")
