"""The daily sync: a schedule that re-pulls each source's restatement window, then a sensor that
rebuilds core and marts once every source run of the day has finished.

For the scheduled day D (the tick's date in `schedule_timezone`) the schedule requests one run per
source, each a partition *range* run (Dagster's range tags) over [D - lookback, D - 1]: every
registered platform, affiliate network and file feed with its own `lookback_days`, and FX over the
union of those windows (one rates file whatever the range, and core needs a rate for every day it
rebuilds). Dagster has no dependencies between the runs of a tick, and core read while the
sources still write would miss their restatements, so core and marts are not requested by the
schedule: the sensor `daily_sync_core_and_marts` waits until the latest tick's source runs have
all finished (succeeded or not: a failed source leaves its raw days as they were) and requests
one run of core and marts over the union window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DagsterRun,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
    sensor,
)

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.policies import SOURCE_RETRY, WAREHOUSE_RETRY
from perfmkt_pipeline.transform.core import CoreRules

SCHEDULE_NAME = "daily_sync"
SENSOR_NAME = "daily_sync_core_and_marts"
SOURCES_JOB = "daily_sync_sources"
DOWNSTREAM_JOB = "daily_sync_core_and_marts_job"
# Tags on every run of the daily sync: the scheduled day and the source the run re-pulls.
SYNC_DAY_TAG = "perfmkt/sync_day"
SYNC_SOURCE_TAG = "perfmkt/sync_source"
FAILED_SOURCES_TAG = "perfmkt/failed_sources"
# Dagster's own tags: a run carrying both range tags materialises that partition range in one
# run (what the UI sets for a single-run range launch); the scheduler tags its runs by schedule.
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
SCHEDULE_NAME_TAG = "dagster/schedule_name"
# The FX source's group, whose run also publishes core.fx_rates.
FX = "fx"
FX_RATES = AssetKey(["core", "fx_rates"])
# First-party orders sources run as "orders_<name>" (a source may share a network's name).
ORDERS_GROUP = "orders"
DOWNSTREAM_GROUPS = ("core", "marts")
# How many recent source runs the sensor reads: a few days of every source, re-executions included.
_RECENT_RUNS = 200
_FINISHED = frozenset(
    {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
)


@dataclass(frozen=True)
class PlannedRun:
    """One run of the daily sync: `keys` over the inclusive day range [start, end]."""

    name: str
    keys: tuple[AssetKey, ...]
    start: dt.date
    end: dt.date

    def run_request(self, day: dt.date) -> RunRequest:
        return RunRequest(
            run_key=f"{self.name}:{day.isoformat()}",
            asset_selection=list(self.keys),
            tags={
                ASSET_PARTITION_RANGE_START_TAG: self.start.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: self.end.isoformat(),
                SYNC_DAY_TAG: day.isoformat(),
                SYNC_SOURCE_TAG: self.name,
            },
        )


def _keys_by_group(assets: Iterable[AssetsDefinition]) -> dict[AssetKey, str]:
    return {
        key: group
        for assets_def in assets
        for key, group in assets_def.group_names_by_key.items()
        if key in assets_def.keys
    }


def source_groups() -> dict[str, bool]:
    """Asset group of every registered source -> whether it splits into one source per
    platform: a group several platforms share, or a platform configured several times (the
    affiliates: each source named by the last part of its key). Otherwise the group is the
    source (a platform's own group; the FX source's "fx")."""
    specs = platforms.all_specs()
    groups = [spec.connector.group for spec in specs]
    split = {spec.connector.group for spec in specs if spec.expand is not None}
    return {group: group in split or groups.count(group) > 1 for group in groups}


def source_keys(assets: Iterable[AssetsDefinition]) -> dict[str, tuple[AssetKey, ...]]:
    """Source name -> the raw asset keys its run materialises (FX: raw and core rates)."""
    groups = source_groups()
    sources: dict[str, list[AssetKey]] = {}
    for key, group in sorted(_keys_by_group(assets).items()):
        if key == FX_RATES:
            name = FX
        elif group == ORDERS_GROUP:
            name = f"orders_{key.path[-1]}"
        elif group in groups:
            name = key.path[-1] if groups[group] else group
        elif group in DOWNSTREAM_GROUPS:
            continue
        else:
            raise ValueError(
                f"asset {key.to_user_string()} is in group {group!r}, which the daily sync does "
                f"not know: give the platform a spec in the registry (platforms/), or add the "
                f"group to DOWNSTREAM_GROUPS"
            )
        sources.setdefault(name, []).append(key)
    return {name: tuple(keys) for name, keys in sources.items()}


def downstream_keys(assets: Iterable[AssetsDefinition]) -> tuple[AssetKey, ...]:
    """Core and marts assets rebuilt after the sources (FX rates excluded: a source run)."""
    return tuple(
        key
        for key, group in sorted(_keys_by_group(assets).items())
        if group in DOWNSTREAM_GROUPS and key != FX_RATES
    )


def sync_day(settings: Settings, scheduled_time: dt.datetime) -> dt.date:
    """The day D of a tick: its date in the schedule's time zone."""
    return scheduled_time.astimezone(ZoneInfo(settings.schedule_timezone)).date()


def plan_sync(
    settings: Settings, assets: Iterable[AssetsDefinition], scheduled_time: dt.datetime
) -> list[PlannedRun]:
    """The source runs of the tick at `scheduled_time`, one per source, each over
    [D - lookback, D - 1] (bounded by `start_date` and by the last daily partition, yesterday
    in UTC); FX over the union of the source windows."""
    day = sync_day(settings, scheduled_time)
    # Partitions are UTC days and the last one is yesterday: a zone ahead of UTC can tick before
    # its D - 1 exists as a partition.
    end = min(day, scheduled_time.astimezone(dt.UTC).date()) - dt.timedelta(days=1)
    lookbacks = dict(CoreRules.from_settings(settings).lookback_days)
    lookbacks.update({f"orders_{s.name}": s.lookback_days for s in settings.orders})
    sources = source_keys(assets)
    platform_lookbacks = [lookbacks[name] for name in sources if name != FX]
    lookbacks[FX] = max(platform_lookbacks, default=1)
    runs = []
    for name, keys in sources.items():
        start = max(day - dt.timedelta(days=lookbacks[name]), settings.start_date)
        if start <= end:
            runs.append(PlannedRun(name, keys, start, end))
    return runs


def build_schedules(
    settings: Settings, assets: Sequence[AssetsDefinition]
) -> list[ScheduleDefinition]:
    """The daily sync schedule (stopped until switched on in the UI or by the daemon's
    deployment): one range run per source at `schedule_cron` in `schedule_timezone`."""
    sources = source_keys(assets)
    if not sources:
        return []
    job = define_asset_job(
        SOURCES_JOB,
        selection=AssetSelection.assets(*[key for keys in sources.values() for key in keys]),
        description="Re-pulls each source's restatement window (one run per source).",
        op_retry_policy=SOURCE_RETRY,
    )

    @schedule(
        name=SCHEDULE_NAME,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.schedule_timezone,
        job=job,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Daily sync: for day D, one run per source over [D - lookback, D - 1] with "
        "the source's own lookback_days; FX over their union. The sensor "
        f"{SENSOR_NAME} then rebuilds core and marts.",
    )
    def daily_sync(context: ScheduleEvaluationContext):
        scheduled = context.scheduled_execution_time
        day = sync_day(settings, scheduled)
        runs = plan_sync(settings, assets, scheduled)
        if not runs:
            return SkipReason(f"{day}: no partition before start_date {settings.start_date}")
        return [run.run_request(day) for run in runs]

    return [daily_sync]


def _latest_by_source(runs: Iterable[DagsterRun]) -> dict[str, dict[str, DagsterRun]]:
    """Day -> source -> its newest run (runs arrive newest first; a re-execution replaces)."""
    by_day: dict[str, dict[str, DagsterRun]] = {}
    for run in runs:
        day, source = run.tags.get(SYNC_DAY_TAG), run.tags.get(SYNC_SOURCE_TAG)
        if day and source:
            by_day.setdefault(day, {}).setdefault(source, run)
    return by_day


def downstream_request(
    runs: Iterable[DagsterRun],
    expected_sources: Iterable[str],
    keys: Sequence[AssetKey],
    cursor: str | None,
) -> RunRequest | SkipReason:
    """What the sensor does given the recent source runs: request core and marts over the union
    of the newest day's source windows once every expected source has a finished run for that
    day and that day is after `cursor` (the last day requested), else say what it waits for."""
    by_day = _latest_by_source(runs)
    if not by_day:
        return SkipReason("no daily sync run yet")
    day = max(by_day)
    if cursor is not None and day <= cursor:
        return SkipReason(f"core and marts already requested for {day}")
    latest = by_day[day]
    missing = sorted(set(expected_sources) - set(latest))
    running = sorted(
        name
        for name, run in latest.items()
        # A crashed run the daemon is about to retry (run_retries in dagster.yaml) is not done.
        if run.status not in _FINISHED or run.is_complete_and_waiting_to_retry
    )
    if missing or running:
        return SkipReason(f"{day}: waiting for source runs of {', '.join(missing + running)}")
    failed = sorted(name for name, run in latest.items() if run.status != DagsterRunStatus.SUCCESS)
    start = min(run.tags[ASSET_PARTITION_RANGE_START_TAG] for run in latest.values())
    end = max(run.tags[ASSET_PARTITION_RANGE_END_TAG] for run in latest.values())
    return RunRequest(
        run_key=f"core_and_marts:{day}",
        asset_selection=list(keys),
        tags={
            ASSET_PARTITION_RANGE_START_TAG: start,
            ASSET_PARTITION_RANGE_END_TAG: end,
            SYNC_DAY_TAG: day,
            SYNC_SOURCE_TAG: "core_and_marts",
            **({FAILED_SOURCES_TAG: ",".join(failed)} if failed else {}),
        },
    )


def build_sensors(settings: Settings, assets: Sequence[AssetsDefinition]) -> list[SensorDefinition]:
    """The sensor that follows the daily sync's source runs with one core-and-marts run."""
    sources = source_keys(assets)
    keys = downstream_keys(assets)
    if not sources or not keys:
        return []
    job = define_asset_job(
        DOWNSTREAM_JOB,
        selection=AssetSelection.assets(*keys),
        description="Rebuilds core and marts over the daily sync's union window.",
        op_retry_policy=WAREHOUSE_RETRY,
    )

    @sensor(
        name=SENSOR_NAME,
        job=job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"After every source run of a {SCHEDULE_NAME} tick has finished, rebuilds "
        "core and marts in one run over the union of the source windows.",
    )
    def daily_sync_core_and_marts(context: SensorEvaluationContext):
        runs = context.instance.get_runs(
            RunsFilter(job_name=SOURCES_JOB, tags={SCHEDULE_NAME_TAG: SCHEDULE_NAME}),
            limit=_RECENT_RUNS,
        )
        outcome = downstream_request(runs, sources, keys, context.cursor)
        if isinstance(outcome, RunRequest):
            context.update_cursor(outcome.tags[SYNC_DAY_TAG])
        return outcome

    return [daily_sync_core_and_marts]
