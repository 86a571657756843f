"""The below-campaign assets (issue #17): raw -> core.ad_groups, core.ads, core.ad_daily,
core.keyword_daily, and core -> marts.account_daily, ad_group_daily, ad_daily, keyword_daily,
url_daily. Each is one transaction per run window, covered chunk by chunk
(warehouse/below_io.py) so memory does not grow with the window.

Thin: the platforms reporting below the campaign are the configured ones whose spec has a
`CoreMapping.below`; transform/core/below.py builds the core rows through the campaign path's
FX, channel and `settled` rules; transform/restatements.changed_values finds what a re-pull
changed (logged and counted in the metadata: core.restatements keeps campaign grain).
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt
from collections.abc import Iterator

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
from perfmkt_pipeline.defs.assets.core import AD_ACCOUNTS, AD_PERFORMANCE_DAILY, CAMPAIGNS, FX_RATES
from perfmkt_pipeline.defs.core_windows import core_span
from perfmkt_pipeline.defs.metadata import table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.defs.policies import WAREHOUSE_RETRY, warehouse_pool
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.transform import ad_marts
from perfmkt_pipeline.transform.core import CoreRules
from perfmkt_pipeline.transform.core.below import build_below
from perfmkt_pipeline.transform.restatements import changed_values
from perfmkt_pipeline.warehouse import below_io, core_io, tables


def _key(table) -> AssetKey:
    return AssetKey([table.schema, table.name])


CORE_DESCRIPTIONS = {
    tables.ad_groups: "Every ad group (an ad set on some platforms) with its latest name and "
    "status, from the platforms' listings (upserted: one that left a listing keeps its row).",
    tables.ads: "Every ad with its latest name, status and landing URL (final_url, per platform "
    "as README 'Below the campaign' says: a first final URL, or a creative's destination with "
    "its url_tags appended).",
    tables.ad_daily: "Daily impressions, clicks, conversions, spend and conversion value per ad, "
    "in local and reporting currency, by the campaign rows' conversion, FX and settled rules. "
    "A platform's ads sum to its campaigns, except campaign types without ad rows (Performance "
    "Max): there they fall short, never exceed them.",
    tables.keyword_daily: "Daily delivery, spend and conversions per keyword (text and match "
    "type) of the platforms that report keywords, in local and reporting currency.",
}
MART_DESCRIPTIONS = {
    tables.account_daily: "Daily metrics per account in the reporting currency, from the "
    "campaign rows (complete for every campaign type), with ctr, cpc, cpm, cvr, cpa and roas.",
    tables.ad_group_daily: "Daily metrics per ad group / ad set in the reporting currency, "
    "summed from its ads, with names and ratios.",
    tables.ad_daily_mart: "Daily metrics per ad in the reporting currency, with names, landing "
    "URL and ratios.",
    tables.keyword_daily_mart: "Daily metrics per keyword in the reporting currency, with text, "
    "match type, names and ratios.",
    tables.url_daily: "Daily metrics per landing URL (the ads' final URLs) in the reporting "
    "currency, with host, path and the five utm_* parameters.",
}


def _below_deps(settings: Settings) -> tuple[list[AssetKey], list[AssetKey]]:
    daily, listings = [], []
    for spec in below_io.below_specs(platforms.configured(settings)):
        below = spec.core.below
        daily += [_key(t) for t in below.daily] + [_key(spec.core.accounts)]
        listings += [_key(t) for t in below.listings]
    return daily, listings


def build_below_core_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """One multi-asset writing the four below-campaign core tables (none when no configured
    platform reports below the campaign)."""
    specs_ = below_io.below_specs(platforms.configured(settings))
    if not specs_:
        return []
    rules = CoreRules.from_settings(settings)
    daily, listings = _below_deps(settings)
    deps = {
        tables.ad_groups: listings,
        tables.ads: listings,
        # Built from raw and the FX rates only, beside the campaign rows: the reconciliation
        # checks on core.ad_daily, which compare the two, depend on core.ad_performance_daily
        # themselves (defs/below_checks.py), so they run once both are written.
        tables.ad_daily: [*daily, *listings, FX_RATES],
        tables.keyword_daily: [*daily, *listings, FX_RATES],
    }
    asset_specs = [
        AssetSpec(
            _key(table), description=text, group_name="core", kinds={"python", engine_kind},
            deps=deps[table], metadata=table_definition_metadata(table),
        )
        for table, text in CORE_DESCRIPTIONS.items()
    ]  # fmt: skip

    @multi_asset(
        name="below_campaign_core",
        specs=asset_specs,
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        can_subset=False,
        pool=warehouse_pool(engine_kind, "below_campaign_core"),
        retry_policy=WAREHOUSE_RETRY,
    )
    def below_campaign_core(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[MaterializeResult]:
        """Rebuilds ad groups, ads, ad and keyword days for the run's window from raw."""
        start, end = window(context)
        wh = warehouse.get()
        loaded_at = dt.datetime.now(dt.UTC)  # the load's timestamp, stamped on every row
        names = [spec.name for spec in specs_]
        written = {table: 0 for table in below_io.DAILY}
        restated, raw_rows, groups, ads = 0, 0, 0, 0
        with wh.begin() as conn:
            fx = core_io.read_fx(conn, (start, end))
            pulled = below_io.pulled(conn, specs_, (start, end))
            for number, chunk in enumerate(below_io.chunks(start, end)):
                inputs, rows = below_io.read_raw(conn, specs_, chunk)
                built = build_below(inputs, fx, rules, pulled)
                previous = below_io.read_daily(conn, tables.ad_daily, chunk, names)
                grain = list(tables.ad_daily.info["grain"])
                changed = changed_values(previous, built.ad_daily, grain)
                if changed.num_rows:
                    context.log.info(
                        f"below the campaign {chunk[0]}..{chunk[1]}: {changed.num_rows} ad-day "
                        "values restated (replaced): "
                        + "; ".join(
                            f"{r['date']} {r['platform']} {r['account_id']} ad {r['ad_id']} "
                            f"{r['metric']} {r['old_value']} -> {r['new_value']}"
                            for r in changed.slice(0, 10).to_pylist()
                        )
                    )
                below_io.write(wh, conn, built, names, chunk, loaded_at, dimensions=number == 0)
                restated += changed.num_rows
                raw_rows += rows
                written[tables.ad_daily] += built.ad_daily.num_rows
                written[tables.keyword_daily] += built.keyword_daily.num_rows
                if number == 0:
                    groups, ads = built.ad_groups.num_rows, built.ads.num_rows
        wh.refresh_statistics([*below_io.DAILY, *below_io.DIMENSIONS])
        context.log.info(
            f"below the campaign {start}..{end}: {raw_rows} raw rows -> "
            f"{written[tables.ad_daily]} ad rows, {written[tables.keyword_daily]} keyword rows; "
            f"{restated} restated values"
        )
        yield MaterializeResult(asset_key=_key(tables.ad_groups), metadata={"listed": groups})
        yield MaterializeResult(asset_key=_key(tables.ads), metadata={"listed": ads})
        for table in below_io.DAILY:
            yield MaterializeResult(
                asset_key=_key(table),
                metadata={
                    "dagster/row_count": written[table],
                    "window": f"{start}..{end}",
                    **({"restated_values": restated} if table is tables.ad_daily else {}),
                },
            )

    return [below_campaign_core]


def build_below_mart_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """One multi-asset writing the five below-campaign marts."""
    if not below_io.below_specs(platforms.configured(settings)):
        return []
    core = {t: _key(t) for t in (*below_io.DAILY, *below_io.DIMENSIONS)}
    deps = {
        tables.account_daily: [AD_PERFORMANCE_DAILY, AD_ACCOUNTS],
        tables.ad_group_daily: [core[tables.ad_daily], AD_ACCOUNTS, CAMPAIGNS,
                                core[tables.ad_groups]],
        tables.ad_daily_mart: [core[tables.ad_daily], AD_ACCOUNTS, CAMPAIGNS,
                               core[tables.ad_groups], core[tables.ads]],
        tables.keyword_daily_mart: [core[tables.keyword_daily], AD_ACCOUNTS, CAMPAIGNS,
                                    core[tables.ad_groups]],
        tables.url_daily: [core[tables.ad_daily], core[tables.ads]],
    }  # fmt: skip
    asset_specs = [
        AssetSpec(
            _key(table), description=text, group_name="marts", kinds={"python", engine_kind},
            deps=deps[table], metadata=table_definition_metadata(table),
        )
        for table, text in MART_DESCRIPTIONS.items()
    ]  # fmt: skip

    @multi_asset(
        name="below_campaign_marts",
        specs=asset_specs,
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        can_subset=False,
        pool=warehouse_pool(engine_kind, "below_campaign_marts"),
        retry_policy=WAREHOUSE_RETRY,
    )
    def below_campaign_marts(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[MaterializeResult]:
        """Rebuilds the five below-campaign marts for the run's window from core."""
        start, end = window(context)
        wh = warehouse.get()
        loaded_at = dt.datetime.now(dt.UTC)
        counts = {table: 0 for table in MART_DESCRIPTIONS}
        with wh.begin() as conn:
            first, last = core_span(conn, settings, start, end)
            names = below_io.read_dimensions(conn)
            accounts, campaigns, groups = names.accounts, names.campaigns, names.ad_groups
            for chunk in below_io.chunks(first, last):
                performance = below_io.read_daily(conn, tables.ad_performance_daily, chunk)
                ad_rows = below_io.read_daily(conn, tables.ad_daily, chunk)
                keyword_rows = below_io.read_daily(conn, tables.keyword_daily, chunk)
                built = {
                    tables.account_daily: ad_marts.account_daily(performance, accounts),
                    tables.ad_group_daily: ad_marts.ad_group_daily(
                        ad_rows, accounts, campaigns, groups
                    ),
                    tables.ad_daily_mart: ad_marts.ad_daily(
                        ad_rows, accounts, campaigns, groups, names.ads
                    ),
                    tables.keyword_daily_mart: ad_marts.keyword_daily(
                        keyword_rows, accounts, campaigns, groups
                    ),
                    tables.url_daily: ad_marts.url_daily(ad_rows, names.ads),
                }
                below_io.replace_marts(wh, conn, built, chunk, loaded_at)
                for table, rows in built.items():
                    counts[table] += rows.num_rows
        wh.refresh_statistics(list(MART_DESCRIPTIONS))
        context.log.info(
            f"below-campaign marts {first}..{last}: "
            + ", ".join(f"{t.name} {n} rows" for t, n in counts.items())
        )
        currency = settings.reporting_currency
        for table, count in counts.items():
            yield MaterializeResult(
                asset_key=_key(table),
                metadata={"dagster/row_count": count, "window": f"{first}..{last}",
                          "reporting_currency": currency},
            )  # fmt: skip

    return [below_campaign_marts]
