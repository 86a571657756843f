"""The daily sync (acceptance 1): for day D the schedule requests one range run per source over
exactly [D - lookback, D - 1] with that source's lookback, FX over their union; the sensor then
requests one core-and-marts run over the union once every source run of D has finished; a range
run request really executes as one run over its whole range; and a whole tick, run in process
against the sandbox, lands each platform's own window in the marts."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from dagster import (
    AssetKey,
    AssetsDefinition,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    Definitions,
    RunRequest,
    RunsFilter,
    asset,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
)

from perfmkt_pipeline.config import Settings, bundled_sandbox_config, parse_settings
from perfmkt_pipeline.defs.assets.core import build_core_assets
from perfmkt_pipeline.defs.assets.marts import build_mart_assets
from perfmkt_pipeline.defs.checks import build_checks
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.defs.schedules import (
    DOWNSTREAM_JOB,
    SCHEDULE_NAME,
    SENSOR_NAME,
    SOURCES_JOB,
    build_schedules,
    build_sensors,
    source_keys,
)
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.defs.affiliate_assets_support import (
    affiliate_resources,
    build_affiliate_assets,
    build_fx_assets,
)
from perfmkt_pipeline_tests.defs.google_ads_assets_support import (
    build_google_ads_assets,
    google_ads_resource,
)
from perfmkt_pipeline_tests.defs.meta_assets_support import build_meta_assets, meta_resource
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox, sandbox_env  # noqa: F401

START, END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
FEED = {
    "name": "rakuten",
    "location": "feeds/rakuten",
    "currency": "USD",
    "columns": {
        "action_id": "Order",
        "event_date": "Date",
        "status": "Status",
        "commission": "Commission",
    },
    "status_map": {"Approved": "approved"},
    "lookback_days": 20,
}
# Every platform, each with its own lookback (Google Ads keeps its default of 30).
CONFIG = {
    "start_date": "2026-01-01",
    "google_ads": {"customer_ids": ["1234567890"]},
    "meta": {"account_ids": ["101"], "lookback_days": 28},
    "impact": {
        "account_ids": ["IRabc"],
        "program_ids": {"IRabc": ["12345"]},
        "currency": "USD",
        "lookback_days": 45,
    },
    "cj": {"account_ids": ["777"], "currency": "USD", "lookback_days": 40},
    "awin": {"account_ids": ["555"], "currency": "GBP", "lookback_days": 35},
    "file_feeds": [FEED],
}
GOOGLE_ADS_KEYS = [
    AssetKey(["raw", "google_ads_accounts"]),
    AssetKey(["raw", "google_ads_ad_conversion_daily"]),
    AssetKey(["raw", "google_ads_ad_daily"]),
    AssetKey(["raw", "google_ads_ad_groups"]),
    AssetKey(["raw", "google_ads_ads"]),
    AssetKey(["raw", "google_ads_campaign_daily"]),
    AssetKey(["raw", "google_ads_campaigns"]),
    AssetKey(["raw", "google_ads_conversion_daily"]),
    AssetKey(["raw", "google_ads_keyword_conversion_daily"]),
    AssetKey(["raw", "google_ads_keyword_daily"]),
]
META_KEYS = [
    AssetKey(["raw", "meta_accounts"]),
    AssetKey(["raw", "meta_ad_actions"]),
    AssetKey(["raw", "meta_ad_insights"]),
    AssetKey(["raw", "meta_ads"]),
    AssetKey(["raw", "meta_adsets"]),
]
FX_KEYS = [AssetKey(["core", "fx_rates"]), AssetKey(["raw", "ecb_rates"])]
CORE_AND_MARTS = [
    AssetKey(["core", "ad_accounts"]),
    AssetKey(["core", "ad_performance_daily"]),
    AssetKey(["core", "affiliate_actions"]),
    AssetKey(["core", "campaigns"]),
    AssetKey(["core", "conversions_daily"]),
    AssetKey(["core", "restatements"]),
    AssetKey(["marts", "campaign_daily"]),
    AssetKey(["marts", "channel_daily"]),
]
# D = 2026-11-20: the tick at 06:00 UTC.
TICK = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.UTC)


def _settings(**overrides) -> Settings:
    return parse_settings({**CONFIG, **overrides}, environ={})


def _assets(settings: Settings) -> list[AssetsDefinition]:
    return [
        *build_fx_assets(settings, "duckdb"),
        *build_google_ads_assets(settings, "duckdb"),
        *build_meta_assets(settings, "duckdb"),
        *build_affiliate_assets(settings, "duckdb"),
        *build_core_assets(settings, "duckdb"),
        *build_mart_assets(settings, "duckdb"),
    ]


def _definitions(
    settings: Settings,
    warehouse_url: str = "duckdb:///unused.duckdb",
    environ: dict[str, str] | None = None,
) -> Definitions:
    """What build.py assembles, with the daily sync's schedule and sensor."""
    assets = _assets(settings)
    resources = {
        "warehouse": WarehouseResource(url=warehouse_url),
        "google_ads": google_ads_resource(environ or {}),
        "meta": meta_resource(),
        **affiliate_resources(settings),
    }
    return Definitions(
        assets=assets,
        asset_checks=build_checks(settings),
        resources=resources,
        schedules=build_schedules(settings, assets),
        sensors=build_sensors(settings, assets),
    )


def _tick(settings: Settings, at: dt.datetime) -> dict[str, tuple[list[AssetKey], str, str]]:
    """source -> (asset selection, range start, range end) of the schedule's run requests."""
    defs = _definitions(settings)
    with build_schedule_context(
        scheduled_execution_time=at, repository_def=defs.get_repository_def()
    ) as context:
        result = defs.resolve_schedule_def(SCHEDULE_NAME).evaluate_tick(context)
    requests = result.run_requests or []
    assert len({r.run_key for r in requests}) == len(requests)
    return {
        r.tags["perfmkt/sync_source"]: (sorted(r.asset_selection or []), r.tags[START], r.tags[END])
        for r in requests
    }


def test_each_source_is_requested_once_over_d_minus_its_lookback_to_d_minus_one() -> None:
    assert _tick(_settings(), TICK) == {
        "google_ads": (GOOGLE_ADS_KEYS, "2026-10-21", "2026-11-19"),  # 30 days
        "meta": (META_KEYS, "2026-10-23", "2026-11-19"),  # 28 days
        "impact": ([AssetKey(["raw", "affiliate_actions", "impact"])], "2026-10-06", "2026-11-19"),
        "cj": ([AssetKey(["raw", "affiliate_actions", "cj"])], "2026-10-11", "2026-11-19"),
        "awin": ([AssetKey(["raw", "affiliate_actions", "awin"])], "2026-10-16", "2026-11-19"),
        "rakuten": (
            [AssetKey(["raw", "affiliate_actions", "rakuten"])],
            "2026-10-31",
            "2026-11-19",
        ),
        "fx": (FX_KEYS, "2026-10-06", "2026-11-19"),  # the union: impact's 45 days
    }


def test_every_run_request_carries_the_day_and_targets_the_sources_job() -> None:
    defs = _definitions(_settings())
    schedule = defs.resolve_schedule_def(SCHEDULE_NAME)
    with build_schedule_context(
        scheduled_execution_time=TICK, repository_def=defs.get_repository_def()
    ) as context:
        requests = schedule.evaluate_tick(context).run_requests or []
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
        "0 6 * * *",
        "UTC",
        SOURCES_JOB,
    )
    assert sorted(r.run_key for r in requests) == [
        "awin:2026-11-20",
        "cj:2026-11-20",
        "fx:2026-11-20",
        "google_ads:2026-11-20",
        "impact:2026-11-20",
        "meta:2026-11-20",
        "rakuten:2026-11-20",
    ]
    assert {r.tags["perfmkt/sync_day"] for r in requests} == {"2026-11-20"}


def test_the_day_is_the_date_in_the_schedule_time_zone() -> None:
    settings = _settings(schedule_cron="30 5 * * *", schedule_timezone="America/New_York")
    # 02:30 UTC on the 21st is 21:30 on the 20th in New York: D is the 20th.
    windows = _tick(settings, dt.datetime(2026, 11, 21, 2, 30, tzinfo=dt.UTC))
    assert windows["meta"][1:] == ("2026-10-23", "2026-11-19")
    defs = _definitions(settings)
    schedule = defs.resolve_schedule_def(SCHEDULE_NAME)
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "30 5 * * *",
        "America/New_York",
    )


def test_a_zone_ahead_of_utc_stops_at_the_last_existing_partition() -> None:
    settings = _settings(schedule_timezone="Asia/Tokyo")
    # 06:00 on the 20th in Tokyo is 21:00 UTC on the 19th: the 19th is not a partition yet.
    windows = _tick(settings, dt.datetime(2026, 11, 19, 21, 0, tzinfo=dt.UTC))
    assert windows["google_ads"][1:] == ("2026-10-21", "2026-11-18")
    assert windows["fx"][1:] == ("2026-10-06", "2026-11-18")


def test_windows_start_no_earlier_than_the_start_date() -> None:
    windows = _tick(_settings(start_date="2026-11-01"), TICK)
    assert {name: window[1:] for name, window in windows.items()} == {
        name: ("2026-11-01", "2026-11-19")
        for name in ("google_ads", "meta", "impact", "cj", "awin", "rakuten", "fx")
    }


def test_an_asset_in_an_unknown_group_is_refused() -> None:
    @asset(key=["raw", "tiktok_ads"], group_name="tiktok")
    def tiktok_ads() -> None:
        """A new platform nobody gave a lookback yet."""

    with pytest.raises(ValueError, match="raw/tiktok_ads is in group 'tiktok'"):
        source_keys([*_assets(_settings()), tiktok_ads])


# --- the sensor that follows the sources with core and marts ---------------------------------


def _source_run(
    instance: DagsterInstance,
    source: str,
    status: DagsterRunStatus,
    day: str,
    extra_tags: dict[str, str] | None = None,
):
    start = {"google_ads": "2026-10-21", "meta": "2026-10-23", "fx": "2026-10-06"}.get(
        source, "2026-10-06"
    )
    instance.add_run(
        DagsterRun(
            job_name=SOURCES_JOB,
            run_id=str(uuid.uuid4()),
            status=status,
            tags={
                "dagster/schedule_name": SCHEDULE_NAME,
                "perfmkt/sync_day": day,
                "perfmkt/sync_source": source,
                START: start,
                END: (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat(),
                **(extra_tags or {}),
            },
        )
    )


SOURCES = ("google_ads", "meta", "impact", "cj", "awin", "rakuten", "fx")


def _sense(instance: DagsterInstance, cursor: str | None = None):
    defs = _definitions(_settings())
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    with build_sensor_context(
        instance=instance, cursor=cursor, repository_def=defs.get_repository_def()
    ) as context:
        return sensor.evaluate_tick(context)


def test_core_and_marts_wait_until_every_source_run_has_finished() -> None:
    with instance_for_test() as instance:
        for source in SOURCES[:-1]:
            _source_run(instance, source, DagsterRunStatus.SUCCESS, "2026-11-20")
        _source_run(instance, "fx", DagsterRunStatus.STARTED, "2026-11-20")
        waiting = _sense(instance)
        assert waiting.run_requests == []
        assert waiting.skip_message == "2026-11-20: waiting for source runs of fx"


def test_core_and_marts_wait_for_a_source_whose_run_is_not_created_yet() -> None:
    with instance_for_test() as instance:
        for source in SOURCES:
            if source != "meta":
                _source_run(instance, source, DagsterRunStatus.SUCCESS, "2026-11-20")
        assert _sense(instance).skip_message == "2026-11-20: waiting for source runs of meta"


def test_once_all_sources_finished_one_run_rebuilds_core_and_marts_over_the_union() -> None:
    with instance_for_test() as instance:
        _source_run(instance, "google_ads", DagsterRunStatus.SUCCESS, "2026-11-19")
        for source in SOURCES:
            status = DagsterRunStatus.FAILURE if source == "cj" else DagsterRunStatus.SUCCESS
            _source_run(instance, source, status, "2026-11-20")
        result = _sense(instance)
        assert len(result.run_requests) == 1
        request: RunRequest = result.run_requests[0]
        assert sorted(request.asset_selection or []) == CORE_AND_MARTS
        assert request.run_key == "core_and_marts:2026-11-20"
        assert (request.tags[START], request.tags[END]) == ("2026-10-06", "2026-11-19")
        assert request.tags["perfmkt/failed_sources"] == "cj"
        assert result.cursor == "2026-11-20"
        # The next evaluation, with the cursor moved on, requests nothing more for that day.
        again = _sense(instance, cursor=result.cursor)
        assert (again.run_requests, again.skip_message) == (
            [],
            "core and marts already requested for 2026-11-20",
        )


def test_the_newest_re_execution_of_a_source_decides() -> None:
    with instance_for_test() as instance:
        for source in SOURCES:
            _source_run(instance, source, DagsterRunStatus.FAILURE, "2026-11-20")
        _source_run(instance, "meta", DagsterRunStatus.STARTED, "2026-11-20")  # re-executed
        assert _sense(instance).skip_message == "2026-11-20: waiting for source runs of meta"


def test_a_failed_run_about_to_be_retried_automatically_is_waited_for() -> None:
    with instance_for_test() as instance:
        for source in SOURCES:
            _source_run(instance, source, DagsterRunStatus.SUCCESS, "2026-11-20")
        _source_run(
            instance, "awin", DagsterRunStatus.FAILURE, "2026-11-20", {"dagster/will_retry": "true"}
        )
        assert _sense(instance).skip_message == "2026-11-20: waiting for source runs of awin"


def test_the_sensor_targets_the_core_and_marts_job() -> None:
    defs = _definitions(_settings())
    assert defs.resolve_sensor_def(SENSOR_NAME).job_name == DOWNSTREAM_JOB
    job = defs.resolve_job_def(DOWNSTREAM_JOB)
    assert sorted(job.asset_layer.executable_asset_keys) == CORE_AND_MARTS


# --- a range run request is one run ----------------------------------------------------------


def _materialized_partitions(instance: DagsterInstance, key: AssetKey) -> list[str]:
    records = instance.fetch_materializations(key, limit=1000).records
    return sorted(r.partition_key for r in records)


def _days(first: str, last: str) -> list[str]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def test_the_scheduled_fx_request_runs_its_whole_range_as_one_run(
    sandbox,  # noqa: F811
    tmp_path: Path,
) -> None:
    box = sandbox()
    settings = parse_settings({**CONFIG}, environ=box.env())
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    defs = _definitions(settings, url)
    with build_schedule_context(
        scheduled_execution_time=TICK, repository_def=defs.get_repository_def()
    ) as context:
        tick = defs.resolve_schedule_def(SCHEDULE_NAME).evaluate_tick(context)
    requests = tick.run_requests or []
    fx_request = next(r for r in requests if r.tags["perfmkt/sync_source"] == "fx")

    with instance_for_test() as instance:
        result = defs.resolve_job_def(SOURCES_JOB).execute_in_process(
            instance=instance,
            tags=fx_request.tags,
            asset_selection=list(fx_request.asset_selection or []),
        )
        assert result.success
        assert len(instance.get_runs(RunsFilter(job_name=SOURCES_JOB))) == 1
        expected = _days("2026-10-06", "2026-11-19")
        assert _materialized_partitions(instance, AssetKey(["raw", "ecb_rates"])) == expected
        assert _materialized_partitions(instance, AssetKey(["core", "fx_rates"])) == expected

    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            days = conn.execute(
                tables.fx_rates.select()
                .with_only_columns(tables.fx_rates.c.date.distinct())
                .where(tables.fx_rates.c.date.between(dt.date(2026, 10, 6), dt.date(2026, 11, 19)))
            ).scalars()
            published = sorted(day.isoformat() for day in days)
    finally:
        warehouse.dispose()
    # The ECB publishes on working days only: every weekday of the range has its rates.
    assert published == [d for d in expected if dt.date.fromisoformat(d).weekday() < 5]


# --- a whole tick: source runs, then the sensor's core-and-marts run --------------------------


def test_a_tick_then_the_sensor_land_each_source_window_and_rebuild_core_and_marts(
    sandbox,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box = sandbox()
    env = sandbox_env(monkeypatch, box)
    # The sandbox's accounts, with short lookbacks to keep the runs small.
    config = yaml.safe_load(bundled_sandbox_config())
    config["google_ads"]["lookback_days"] = 3
    config["meta"]["lookback_days"] = 2
    for network in ("impact", "cj", "awin"):
        config[network]["lookback_days"] = 4
    settings = parse_settings(config, environ=env)
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    defs = _definitions(settings, url, env)
    repository = defs.get_repository_def()

    with instance_for_test() as instance:
        with build_schedule_context(
            instance=instance, scheduled_execution_time=TICK, repository_def=repository
        ) as context:
            requests = defs.resolve_schedule_def(SCHEDULE_NAME).evaluate_tick(context).run_requests
        sources = defs.resolve_job_def(SOURCES_JOB)
        for request in requests or []:
            # What the scheduler adds to each run it creates from the request.
            tags = {**request.tags, "dagster/schedule_name": SCHEDULE_NAME}
            selection = list(request.asset_selection or [])
            result = sources.execute_in_process(
                instance=instance, tags=tags, asset_selection=selection
            )
            assert result.success, request.run_key

        with build_sensor_context(instance=instance, repository_def=repository) as context:
            sensed = defs.resolve_sensor_def(SENSOR_NAME).evaluate_tick(context)
        [downstream] = sensed.run_requests
        assert (downstream.tags[START], downstream.tags[END]) == ("2026-11-16", "2026-11-19")
        result = defs.resolve_job_def(DOWNSTREAM_JOB).execute_in_process(
            instance=instance,
            tags=downstream.tags,
            asset_selection=list(downstream.asset_selection or []),
        )
        assert result.success
        assert [e.check_name for e in result.get_asset_check_evaluations() if not e.passed] == []
        assert len(instance.get_runs()) == 7  # google_ads, meta, impact, cj, awin, fx; core+marts

    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            rows = conn.execute(
                sa.select(tables.channel_daily.c.platform, tables.channel_daily.c.date)
            ).all()
    finally:
        warehouse.dispose()
    days = {
        platform: sorted({day.isoformat() for p, day in rows if p == platform})
        for platform, _ in rows
    }
    # Each platform's core and marts rows are the days its own window re-pulled.
    assert days["google_ads"] == ["2026-11-17", "2026-11-18", "2026-11-19"]
    assert days["meta"] == ["2026-11-18", "2026-11-19"]
