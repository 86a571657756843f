"""The core asset: raw -> every reconciled core table, one transaction per run window.

Thin: the window comes from the partition (widened per platform by core_io.platform_windows),
warehouse/core_io reads raw (each registered platform through its spec's core mapping),
transform/core builds the rows, transform/restatements compares them with the rows they replace,
and core_io replaces every slice in the same transaction; accounts and campaigns are upserted
(warehouse/core_dims), never replaced by the window.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
from collections.abc import Iterator

import pyarrow.compute as pc
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    multi_asset,
)

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.assets.summaries import summary
from perfmkt_pipeline.defs.metadata import table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.defs.policies import WAREHOUSE_RETRY, warehouse_pool
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.transform.core import CoreRules, build_core
from perfmkt_pipeline.transform.core.evidence import with_evidence
from perfmkt_pipeline.transform.restatements import restatements
from perfmkt_pipeline.warehouse import core_io, tables

FX_RATES = AssetKey(["core", "fx_rates"])
AD_ACCOUNTS = AssetKey(["core", "ad_accounts"])
CAMPAIGNS = AssetKey(["core", "campaigns"])
AD_PERFORMANCE_DAILY = AssetKey(["core", "ad_performance_daily"])
CONVERSIONS_DAILY = AssetKey(["core", "conversions_daily"])
AFFILIATE_ACTIONS = AssetKey(["core", "affiliate_actions"])
RESTATEMENTS = AssetKey(["core", "restatements"])

_DESCRIPTIONS = {
    AD_ACCOUNTS: "Every advertising and affiliate account: platform, id, name, currency and the "
    "time zone its days are reported in. Ad platforms from their account rows in raw; "
    "affiliate accounts from configuration.",
    CAMPAIGNS: "Every campaign with its latest name and status; for affiliates the partner "
    "(publisher) is the campaign.",
    AD_PERFORMANCE_DAILY: "Daily impressions, clicks, conversions (per the configured mapping), "
    "spend and conversion value per campaign, in local and reporting currency, with the FX "
    "rate used and whether the day is settled. Ad platforms per campaign (rolled up from ads "
    "where a platform reports ads), affiliates from their non-reversed actions.",
    CONVERSIONS_DAILY: "Daily conversions and conversion value per campaign and conversion "
    "name (an ad platform's conversion action, or its action type at the configured "
    "attribution; an affiliate network's action type), in local and reporting currency.",
    AFFILIATE_ACTIONS: "The latest known state (pending, approved, reversed) of every affiliate "
    "action, with sale amount and commission in local and reporting currency.",
    RESTATEMENTS: "Every metric value a re-pull changed on a day that had already been loaded: "
    "old and new value and when the change was seen, per campaign and day.",
}
_TABLES = {
    AD_ACCOUNTS: tables.ad_accounts,
    CAMPAIGNS: tables.campaigns,
    AD_PERFORMANCE_DAILY: tables.ad_performance_daily,
    CONVERSIONS_DAILY: tables.conversions_daily,
    AFFILIATE_ACTIONS: tables.affiliate_actions,
    RESTATEMENTS: tables.restatements,
}


def _key(table) -> AssetKey:
    return AssetKey([table.schema, table.name])


def raw_keys(settings: Settings) -> dict[str, list[AssetKey]]:
    """The configured platforms' raw asset keys, by role."""
    keys: dict[str, list[AssetKey]] = {"accounts": [], "daily": [], "names": [], "affiliate": []}
    for spec in platforms.configured(settings):
        if spec.core is not None:
            keys["accounts"].append(_key(spec.core.accounts))
            keys["daily"] += [_key(table) for table in spec.core.daily]
            keys["names"].append(_key(spec.core.names))
    keys["affiliate"] = [
        AssetKey(list(raw.asset_key))
        for spec in core_io.affiliates(platforms.configured(settings))
        for raw in spec.connector.raw_assets
    ]
    return keys


def _deps(settings: Settings) -> dict[AssetKey, list[AssetKey]]:
    keys = raw_keys(settings)
    daily = [*keys["accounts"], *keys["daily"], *keys["affiliate"], FX_RATES]
    return {
        AD_ACCOUNTS: [*keys["accounts"], *keys["affiliate"]],
        CAMPAIGNS: [*keys["names"], *keys["affiliate"]],
        AD_PERFORMANCE_DAILY: daily,
        CONVERSIONS_DAILY: daily,
        AFFILIATE_ACTIONS: [*keys["affiliate"], FX_RATES],
        RESTATEMENTS: [*keys["daily"], *keys["affiliate"]],
    }


def build_core_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """One multi-asset writing every core table (except fx_rates, see assets/fx.py)."""
    rules = CoreRules.from_settings(settings)
    registered = platforms.configured(settings)
    deps = _deps(settings)
    specs = [
        AssetSpec(
            key,
            description=_DESCRIPTIONS[key],
            group_name="core",
            kinds={"python", engine_kind},
            deps=deps[key],
            metadata=table_definition_metadata(_TABLES[key]),
        )
        for key in _TABLES
    ]

    @multi_asset(
        name="core_tables",
        specs=specs,
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        can_subset=False,
        pool=warehouse_pool(engine_kind, "core_tables"),
        retry_policy=WAREHOUSE_RETRY,
    )
    def core_tables(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[MaterializeResult]:
        """Rebuilds every core table for the run's window from raw, in one transaction."""
        start, end = window(context)
        wh = warehouse.get()
        loaded_at = dt.datetime.now(dt.UTC)  # the load's timestamp, stamped on every row
        with wh.begin() as conn:
            windows = core_io.platform_windows(conn, settings, start, end, registered)
            context.log.info(f"core {start}..{end}: days per platform {windows}")
            raw_inputs, pulled, raw_rows = core_io.read_raw(conn, settings, windows, registered)
            fx = core_io.read_fx(conn, core_io.overall(windows, start, end))
            core = core_io.clip(build_core(raw_inputs, fx, rules, pulled), windows)
            core = with_evidence(core, raw_inputs)
            previous = core_io.read_core_performance(conn, windows)
            restated = restatements(previous, core.ad_performance_daily, loaded_at)
            core_io.write_core(wh, conn, core, restated, windows, loaded_at, registered)
        wh.refresh_statistics(core_io.CORE_TABLES)
        context.log.info(
            f"core {start}..{end}: {raw_rows} raw rows -> "
            f"{core.ad_performance_daily.num_rows} performance rows; "
            f"{restated.num_rows} restated values"
        )
        currency = settings.reporting_currency
        yield MaterializeResult(asset_key=AD_ACCOUNTS, metadata=summary(core.ad_accounts))
        yield MaterializeResult(asset_key=CAMPAIGNS, metadata=summary(core.campaigns))
        yield MaterializeResult(
            asset_key=AD_PERFORMANCE_DAILY,
            metadata=summary(
                core.ad_performance_daily,
                date_column="date",
                money="spend",
                reporting_currency=currency,
            ),
        )
        yield MaterializeResult(
            asset_key=CONVERSIONS_DAILY,
            metadata=summary(
                core.conversions_daily,
                date_column="date",
                money="conversion_value",
                money_label="conversion_value_by_platform",
                reporting_currency=currency,
            ),
        )
        yield MaterializeResult(
            asset_key=AFFILIATE_ACTIONS,
            metadata=summary(
                core.affiliate_actions,
                date_column="event_date",
                money="commission",
                money_where=pc.not_equal(core.affiliate_actions["status"], "reversed"),
                reporting_currency=currency,
            ),
        )
        yield MaterializeResult(
            asset_key=RESTATEMENTS, metadata=summary(restated, date_column="date")
        )

    return [core_tables]
