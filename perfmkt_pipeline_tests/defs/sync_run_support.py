"""One run of the daily sync exactly as its schedule requests it, in a process of its own:

    python -c 'from perfmkt_pipeline_tests.defs.sync_run_support import main; main()' DAY SOURCE...

For the tick of DAY (06:00 UTC), the planned run of each SOURCE in turn (its assets and tags from
`plan_sync`, the schedule's name tag) of the `daily_sync_sources` job, with that job's retry
policy and the project's executor, on the instance in $DAGSTER_HOME and the configuration in
force.
"""

from __future__ import annotations

import datetime as dt
import sys

from dagster import DagsterInstance, JobDefinition, execute_job, reconstructable

from perfmkt_pipeline.config import load_settings
from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.defs.schedules import SCHEDULE_NAME, SCHEDULE_NAME_TAG, SOURCES_JOB, plan_sync


def sources_job() -> JobDefinition:
    return build_definitions().resolve_job_def(SOURCES_JOB)


def main() -> None:
    day, *sources = sys.argv[1:]
    settings = load_settings()
    defs = build_definitions(settings)
    tick = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(6), tzinfo=dt.UTC)
    planned = {run.name: run for run in plan_sync(settings, defs.assets, tick)}
    with DagsterInstance.get() as instance:
        for source in sources:
            run = planned[source]
            tags = {**run.run_request(tick.date()).tags, SCHEDULE_NAME_TAG: SCHEDULE_NAME}
            job = reconstructable(sources_job).get_subset(asset_selection=set(run.keys))
            execute_job(job, instance=instance, tags=tags)
