"""The marts asset: core.ad_performance_daily -> marts.campaign_daily and marts.channel_daily,
both replaced for the run's window in one transaction.

The window is the core asset's (defs/core_windows.core_span): affiliate runs can rebuild event days
before the partition, and the marts must follow them.
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

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.assets.core import AD_PERFORMANCE_DAILY, CAMPAIGNS
from perfmkt_pipeline.defs.assets.summaries import summary
from perfmkt_pipeline.defs.core_windows import core_span
from perfmkt_pipeline.defs.mart_metadata import channel_picture
from perfmkt_pipeline.defs.metadata import table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.defs.policies import WAREHOUSE_RETRY, warehouse_pool
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.transform import marts
from perfmkt_pipeline.warehouse import core_io, tables
from perfmkt_pipeline.warehouse.engine import connections_shared
from perfmkt_pipeline.warehouse.write import Slice, replace_slice

CAMPAIGN_DAILY = AssetKey(["marts", "campaign_daily"])
CHANNEL_DAILY = AssetKey(["marts", "channel_daily"])
_OVER_COUNT = (
    " Platforms each claim their own conversions: summing conversions across platforms over-counts."
)


def build_mart_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """One multi-asset writing both marts."""
    kinds = {"python", engine_kind}
    specs = [
        AssetSpec(
            CAMPAIGN_DAILY,
            description="Daily spend, delivery, conversions and conversion value per campaign in "
            "the reporting currency, with ctr, cpc, cpm, cvr, cpa and roas (NULL where the "
            "denominator is 0 or NULL) and whether the day is settled." + _OVER_COUNT,
            group_name="marts",
            kinds=kinds,
            deps=[AD_PERFORMANCE_DAILY, CAMPAIGNS],
            metadata=table_definition_metadata(tables.campaign_daily),
        ),
        AssetSpec(
            CHANNEL_DAILY,
            description="Daily totals per channel (search, social, affiliate) and platform in the "
            "reporting currency, with the same ratios; settled only when every campaign of the "
            "day is." + _OVER_COUNT,
            group_name="marts",
            kinds=kinds,
            deps=[AD_PERFORMANCE_DAILY],
            metadata=table_definition_metadata(tables.channel_daily),
        ),
    ]

    @multi_asset(
        name="mart_tables",
        specs=specs,
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        can_subset=False,
        pool=warehouse_pool(engine_kind, "mart_tables"),
        retry_policy=WAREHOUSE_RETRY,
    )
    def mart_tables(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[MaterializeResult]:
        """Rebuilds both marts for the run's window from core, in one transaction."""
        start, end = window(context)
        wh = warehouse.get()
        loaded_at = dt.datetime.now(dt.UTC)  # the load's timestamp, stamped on every row
        # The write and the picture drawn from it on one DuckDB connection (opened once).
        with connections_shared():
            with wh.begin() as conn:
                first, last = core_span(conn, settings, start, end)
                performance = core_io.read_performance(conn, first, last)
                campaign_rows = marts.campaign_daily(performance, core_io.read_campaigns(conn))
                channel_rows = marts.channel_daily(performance)
                for table, rows in (
                    (tables.campaign_daily, campaign_rows),
                    (tables.channel_daily, channel_rows),
                ):
                    replace_slice(
                        wh,
                        table,
                        rows,
                        Slice({}, "date", first, last),
                        loaded_at=loaded_at,
                        connection=conn,
                    )
            wh.refresh_statistics([tables.campaign_daily, tables.channel_daily])
            context.log.info(
                f"marts {first}..{last}: {performance.num_rows} core rows -> {campaign_rows.num_rows} "
                f"campaign rows, {channel_rows.num_rows} channel rows"
            )
            currency = settings.reporting_currency
            with wh.begin() as conn:  # after the commit: the picture shows what was written
                picture = channel_picture(conn, settings, last)
        for key, rows in ((CAMPAIGN_DAILY, campaign_rows), (CHANNEL_DAILY, channel_rows)):
            metadata = summary(rows, date_column="date", money="spend", reporting_currency=currency)
            yield MaterializeResult(
                asset_key=key, metadata=metadata | (picture if key == CHANNEL_DAILY else {})
            )

    return [mart_tables]
