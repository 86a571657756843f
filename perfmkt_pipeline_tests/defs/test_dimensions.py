"""Dimensions through the real assets, on DuckDB and PostgreSQL: a backfill of an old week leaves
every configured account in core.ad_accounts (issue 15, case 1), and a core rebuild from raw rows
loaded long ago never overwrites a campaign's newer name and status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from dagster import materialize

from perfmkt_pipeline.defs.assets.core import build_core_assets
from perfmkt_pipeline.defs.assets.marts import build_mart_assets
from perfmkt_pipeline.defs.checks import build_checks
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.platforms.google_ads import tables as google_ads_tables
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import Slice, replace_slice
from perfmkt_pipeline_tests import core_marts_fixture as fx
from perfmkt_pipeline_tests.defs.affiliate_assets_support import (
    affiliate_resources,
    build_affiliate_assets,
    build_fx_assets,
)
from perfmkt_pipeline_tests.defs.affiliates_support import (
    AWIN_ACCOUNT,
    CJ_ACCOUNT,
    IMPACT_SID,
    PULLS,
    settings_for,
    tell_story,
)
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox, sandbox_env  # noqa: F401

D = Decimal


def _range(start: dt.date, end: dt.date) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": start.isoformat(),
        "dagster/asset_partition_range_end": end.isoformat(),
    }


def _rows(url: str, table: sa.Table, columns: list[str]) -> list[tuple]:
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            chosen = [table.c[c] for c in columns]
            return [tuple(r) for r in conn.execute(sa.select(*chosen).order_by(*chosen)).all()]
    finally:
        warehouse.dispose()


# -- an old week without any affiliate action --------------------------------------------------

RECENT = (dt.date(2026, 9, 26), dt.date(2026, 10, 2))  # holds the story's sale (2026-10-01)
OLD = (dt.date(2026, 2, 1), dt.date(2026, 2, 7))  # no network has any action near it
ACCOUNT_COLUMNS = ["platform", "account_id", "account_name", "currency", "timezone"]
ACCOUNTS = [
    # impact.com and Awin configure no currency: it comes from their actions.
    ("awin", AWIN_ACCOUNT, None, "GBP", "UTC"),
    ("cj", CJ_ACCOUNT, None, "EUR", "UTC"),
    ("impact", IMPACT_SID, None, "USD", "America/New_York"),
]


def test_an_old_week_backfill_leaves_every_configured_account(
    sandbox,  # noqa: F811
    monkeypatch,
    warehouse_url,
):
    box = sandbox(google_ads=False)
    sandbox_env(monkeypatch, box)
    tell_story(box, monkeypatch).as_of = PULLS[
        0
    ]  # each network serves one pending sale of 2026-10-01
    networks = settings_for(box)
    settings = networks.model_copy(
        update={
            "endpoints": networks.endpoints.model_copy(update={"ecb": box.env()["PERFMKT_ECB_URL"]})
        }
    )
    assets = [
        *build_fx_assets(settings, "duckdb"),
        *build_affiliate_assets(settings, "duckdb"),
        *build_core_assets(settings, "duckdb"),
        *build_mart_assets(settings, "duckdb"),
    ]
    resources = {"warehouse": WarehouseResource(url=warehouse_url), **affiliate_resources(settings)}

    def backfill(start: dt.date, end: dt.date) -> None:
        result = materialize(
            [*assets, *build_checks(settings)], resources=resources, tags=_range(start, end)
        )
        failed = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
        assert failed == []  # every_configured_account_present among them

    backfill(*RECENT)
    assert _rows(warehouse_url, tables.ad_accounts, ACCOUNT_COLUMNS) == ACCOUNTS
    backfill(*OLD)
    assert _rows(warehouse_url, tables.ad_accounts, ACCOUNT_COLUMNS) == ACCOUNTS
    assert _rows(warehouse_url, tables.ad_performance_daily, ["platform", "date"]) == [
        ("awin", dt.date(2026, 10, 1)),
        ("cj", dt.date(2026, 10, 1)),
        ("impact", dt.date(2026, 10, 1)),
    ]


# -- a campaign renamed and paused, rebuilt from older raw rows ---------------------------------

GOOGLE = "1234567890"
OLD_DAY = dt.date(2026, 11, 2)
LONG_AGO = dt.datetime(2026, 11, 3, 6, 0, tzinfo=dt.UTC)  # when OLD_DAY was pulled
REPULLED = dt.datetime(2026, 11, 21, 6, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 22, 6, 0, tzinfo=dt.UTC)
PROMO = ["campaign_name", "campaign_status", "source_loaded_at"]


def _promo_row(day: dt.date, name: str, status: str, impressions: int, cost: int) -> dict:
    return {
        "account_id": GOOGLE, "date": day, "campaign_id": "333", "campaign_name": name,
        "campaign_status": status, "cost_micros": cost, "impressions": impressions, "clicks": 0,
        "conversions": D("0"), "conversions_value": D("0"),
    }  # fmt: skip


def _land_old_day(warehouse: Warehouse, name: str, status: str, loaded_at: dt.datetime) -> None:
    day = Slice({"account_id": GOOGLE}, "date", OLD_DAY, OLD_DAY)
    rows = fx._table(
        google_ads_tables.google_ads_campaign_daily, [_promo_row(OLD_DAY, name, status, 900, 0)]
    )
    replace_slice(
        warehouse, google_ads_tables.google_ads_campaign_daily, rows, day, loaded_at=loaded_at
    )


def _core(url: str, start: dt.date, end: dt.date) -> None:
    resources = {"warehouse": WarehouseResource(url=url)}
    assert materialize(
        build_core_assets(fx.SETTINGS, "duckdb"), resources=resources, tags=_range(start, end)
    ).success


def _promo(url: str) -> tuple:
    table = tables.campaigns
    [row] = [
        r[1:]
        for r in _rows(url, table, ["campaign_id", *PROMO])
        if r[0] == "333"  # the fixture's own campaigns are checked by test_core_marts
    ]
    return (row[0], row[1], row[2].astimezone(dt.UTC))


def test_a_core_rebuild_from_older_raw_rows_keeps_a_campaigns_newer_name_and_status(
    warehouse_url: str,
):
    warehouse = Warehouse(warehouse_url)
    warehouse.ensure_schema()
    # Pulled on 2026-11-20: on Saturday "Winter Promo" (renamed "Winter Promo - Ended", paused)
    # had one impression left.
    ended = _promo_row(fx.SAT, "Winter Promo - Ended", "PAUSED", 1, 0)
    daily = [*fx.google_campaign_daily().to_pylist(), ended]
    fx.load_raw(
        warehouse,
        google_ads_campaign_daily=fx._table(google_ads_tables.google_ads_campaign_daily, daily),
    )
    # 2026-11-02 was pulled long ago, while the campaign still ran under its first name.
    _land_old_day(warehouse, "Winter Promo", "ENABLED", LONG_AGO)
    thursday = fx.fx_rates().filter(pc.equal(fx.fx_rates()["date"], fx.THU))
    old_day_rates = thursday.set_column(0, "date", pa.array([OLD_DAY] * 3, pa.date32()))
    replace_slice(warehouse, tables.fx_rates, old_day_rates, Slice({}, "date", OLD_DAY, OLD_DAY))

    _core(warehouse_url, fx.START, fx.END)
    current = ("Winter Promo - Ended", "PAUSED", fx.PULLED_AT)
    assert _promo(warehouse_url) == current
    _core(warehouse_url, OLD_DAY, OLD_DAY)  # raw of 11-02 is older than the current name
    assert _promo(warehouse_url) == current

    # The re-pull of 11-05..11-07 on 11-21 no longer has the campaign: invalid-traffic filtering
    # took its one impression, and Google Ads omits a campaign-day without any metric.
    fx.load_raw(warehouse, REPULLED)
    _core(warehouse_url, OLD_DAY, OLD_DAY)
    assert _promo(warehouse_url) == current
    _core(warehouse_url, fx.START, fx.END)
    assert _promo(warehouse_url) == current

    # A newer reading wins: 11-02 pulled again on 11-22, when the campaign had been removed.
    _land_old_day(warehouse, "Winter Promo - Ended", "REMOVED", LATER)
    warehouse.dispose()
    _core(warehouse_url, OLD_DAY, OLD_DAY)
    assert _promo(warehouse_url) == ("Winter Promo - Ended", "REMOVED", LATER)
