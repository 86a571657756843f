"""Helpers for the chaos tests: settings for every platform of a sandbox with waits shrunk to
milliseconds, materialising the raw assets, reading raw tables back, and the sandbox's ground
truth in the shape of the raw tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from dagster import DagsterInstance, materialize

from perfmkt_pipeline.config import DEFAULT_LOOKBACK_DAYS, Settings, parse_settings
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.platforms.base.affiliates import tables as affiliate_tables
from perfmkt_pipeline.platforms.base.affiliates.records import sync_window
from perfmkt_pipeline.platforms.cj.standin import data as cj_data
from perfmkt_pipeline.platforms.google_ads import tables as google_ads_tables
from perfmkt_pipeline.platforms.google_ads.standin import data as google_ads_data
from perfmkt_pipeline.platforms.meta import tables as meta_tables
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.warehouse import raw
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.defs.affiliate_assets_support import (
    affiliate_resources,
    build_affiliate_assets,
)
from perfmkt_pipeline_tests.defs.google_ads_assets_support import (
    build_google_ads_assets,
    google_ads_resource,
)
from perfmkt_pipeline_tests.defs.meta_assets_support import build_meta_assets, meta_resource

MANAGER = "1000000001"
# The networks' defaults: a sync reads at least this many days.
LOOKBACK_DAYS = {name: DEFAULT_LOOKBACK_DAYS[name] for name in ("impact", "cj", "awin")}
# Retries enough that 27% of requests failing never exhausts them; waits of milliseconds.
FAST = {
    "google_ads": {"backoff_seconds": 0.001, "max_attempts": 20},
    "meta": {
        "async_poll_seconds": 0.002,
        "async_poll_max_seconds": 0.005,
        "retry_base_seconds": 0.001,
        "retry_max_seconds": 0.005,
        "throttle_max_wait_seconds": 0.002,
        "max_retries": 20,
    },
    "network": {"retry_base_seconds": 0.0, "retry_max_seconds": 0.005, "max_retries": 20},
}
AWIN_WORDS = {"pending": "pending", "approved": "approved", "reversed": "declined"}


def settings_for(
    box: Sandbox,
    platforms: tuple[str, ...] = ("google_ads", "meta", "impact", "cj", "awin"),
    *,
    meta_accounts: list[str] | None = None,
    concurrency: int = 4,
) -> Settings:
    ids = box.account_ids()
    each = {"max_concurrent_accounts": concurrency}
    network = {**FAST["network"], **each}
    sections: dict[str, dict[str, Any]] = {
        "google_ads": {"manager_customer_id": MANAGER, **FAST["google_ads"], **each},
        "meta": {"account_ids": meta_accounts or ids["meta"], **FAST["meta"], **each},
        "impact": {
            "account_ids": ids["impact"],
            "timezone": box.world.accounts("impact")[0].timezone,
            "program_ids": {sid: [p] for sid, p in box.program_ids("impact").items()},
            **network,
        },
        "cj": {"account_ids": ids["cj"], "currency": "EUR", **network},
        # The sandbox enforces no per-minute limit here: pace fast so tests do not wait.
        "awin": {"account_ids": ids["awin"], "calls_per_minute": 60000, **network},
    }
    data = {"start_date": "2026-01-01", **{p: sections[p] for p in platforms}}
    return parse_settings(data, environ=box.env())


def raw_assets(settings: Settings) -> tuple[list, dict]:
    """The raw assets of every configured platform and the resources they need."""
    assets = [
        *build_google_ads_assets(settings, "duckdb"),
        *build_meta_assets(settings, "duckdb"),
        *build_affiliate_assets(settings, "duckdb"),
    ]
    resources: dict[str, Any] = dict(affiliate_resources(settings))
    if settings.google_ads.configured:
        resources["google_ads"] = google_ads_resource()
    if settings.meta.configured:
        resources["meta"] = meta_resource()
    return assets, resources


def backfill(settings: Settings, url: str, start: dt.date, end: dt.date, **kwargs):
    assets, resources = raw_assets(settings)
    return materialize(
        assets,
        resources={"warehouse": WarehouseResource(url=url), **resources},
        instance=DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": start.isoformat(),
            "dagster/asset_partition_range_end": end.isoformat(),
        },
        **kwargs,
    )


def rows(url: str, table: sa.Table, *, loaded_at: bool = False) -> list[dict[str, Any]]:
    """Every row of a table as dicts (without `loaded_at` unless asked), in a fixed order."""
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            columns = [c for c in table.c if loaded_at or c.name != "loaded_at"]
            found = [dict(r._mapping) for r in conn.execute(sa.select(*columns))]
    finally:
        warehouse.dispose()
    return sorted(found, key=lambda r: tuple(str(v) for v in r.values()))


def snapshot(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every raw table and the load log, every column (load times included)."""
    tables = [
        google_ads_tables.google_ads_accounts,
        google_ads_tables.google_ads_campaign_daily,
        google_ads_tables.google_ads_conversion_daily,
        meta_tables.meta_accounts,
        meta_tables.meta_ad_insights,
        meta_tables.meta_ad_actions,
        affiliate_tables.affiliate_actions,
        raw.load_log,
    ]
    return {t.fullname: rows(url, t, loaded_at=True) for t in tables}


# -- ground truth in the shape of the raw tables ------------------------------------------------


def google_campaign_truth(box: Sandbox, start: dt.date, end: dt.date) -> list[tuple]:
    return sorted(
        (r.account_id, r.day, r.campaign_id, r.cost_micros, r.impressions, r.clicks,
         Decimal(repr(r.conversions)), Decimal(repr(r.conversions_value)))
        for account in box.account_ids()["google_ads"]
        for r in google_ads_data.campaign_days(box.world, account, start, end)
    )  # fmt: skip


def google_campaign_landed(url: str) -> list[tuple]:
    return sorted(
        (r["account_id"], r["date"], r["campaign_id"], r["cost_micros"], r["impressions"],
         r["clicks"], r["conversions"], r["conversions_value"])
        for r in rows(url, google_ads_tables.google_ads_campaign_daily)
    )  # fmt: skip


def google_conversion_keys_truth(box: Sandbox, start: dt.date, end: dt.date) -> list[tuple]:
    return sorted(
        (r.account_id, r.day, r.campaign_id, r.conversion_action_name)
        for account in box.account_ids()["google_ads"]
        for r in google_ads_data.conversion_action_days(box.world, account, start, end)
    )


def google_conversion_keys_landed(url: str) -> list[tuple]:
    return sorted(
        (r["account_id"], r["date"], r["campaign_id"], r["conversion_action_name"])
        for r in rows(url, google_ads_tables.google_ads_conversion_daily)
    )


def affiliate_landed(url: str, platform: str) -> list[tuple]:
    """(record id, window day, status, commission, sale amount) of one network's raw rows."""
    return sorted(
        (r["record_id"], r["window_date"], r["status"], r["commission"], r["sale_amount"])
        for r in rows(url, affiliate_tables.affiliate_actions)
        if r["platform"] == platform
    )


def affiliate_truth(box: Sandbox, platform: str, start: dt.date, end: dt.date) -> list[tuple]:
    """What the network serves for a sync of [start, end], in `affiliate_landed`'s shape."""
    first, last = sync_window(start, end, LOOKBACK_DAYS[platform])
    world = box.world
    if platform == "impact":  # by event day (in the account's zone), in the current state
        truth = world.ground_truth_affiliate_actions("impact", first, last)
        return sorted(
            (t.action_id, t.event_date, t.status.upper(), t.commission, t.sale_amount)
            for t in truth.itertuples()
        )
    if platform == "cj":  # by event day, corrections included
        since = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
        before = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        (account,) = box.account_ids()["cj"]
        return sorted(
            (c.commission_id, c.event_date.date(), c.action_status, c.commission, c.sale_amount)
            for c in cj_data.cj_commissions(world, account, since, before, by="event")
        )
    truth = world.ground_truth_affiliate_actions("awin", first, last)
    return sorted(
        (t.action_id, t.event_date, AWIN_WORDS[t.status], t.commission, t.sale_amount)
        for t in truth.itertuples()
    )
