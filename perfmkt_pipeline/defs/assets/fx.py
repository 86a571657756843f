"""FX assets: ECB reference rates landed in `raw`, then published as `core.fx_rates`."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import datetime as dt

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.metadata import preview, table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.defs.policies import SOURCE_RETRY, WAREHOUSE_RETRY
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.sources import ecb
from perfmkt_pipeline.transform.fx import FX_HISTORY_DAYS_BEFORE_START, fx_rate_rows
from perfmkt_pipeline.warehouse import raw, tables
from perfmkt_pipeline.warehouse.core_io import read_ecb_rates
from perfmkt_pipeline.warehouse.write import Slice, replace_slice


def build_fx_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    partitions = daily_partitions(settings)

    def _history(context: AssetExecutionContext) -> tuple[dt.date, dt.date]:
        start, end = window(context)
        return min(start, settings.start_date) - dt.timedelta(FX_HISTORY_DAYS_BEFORE_START), end

    @asset(
        key=AssetKey(["raw", "ecb_rates"]),
        group_name="fx",
        kinds={"python", engine_kind},
        partitions_def=partitions,
        backfill_policy=SINGLE_RUN,
        metadata=table_definition_metadata(raw.ecb_rates),
        pool="ecb",
        retry_policy=SOURCE_RETRY,
    )
    def raw_ecb_rates(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> MaterializeResult:
        """ECB euro reference rates as published (units of each currency per 1 EUR): the whole
        history from a year before `start_date` to the end of the partition window (one request;
        any core day a run rebuilds, however old, then finds its rate)."""
        first, end = _history(context)
        rates = ecb.parse(ecb.fetch(settings.endpoints.ecb), first, end)
        frame = pd.DataFrame(
            {
                "date": [r.date for r in rates],
                "currency": [r.currency for r in rates],
                "units_per_eur": [r.units_per_eur for r in rates],
            }
        )
        result = replace_slice(warehouse.get(), raw.ecb_rates, frame, Slice({}, "date", first, end))
        context.log.info(f"ECB rates {first}..{end}: {result.rows_inserted} rows")
        return MaterializeResult(
            metadata={
                "dagster/row_count": result.rows_inserted,
                "window": f"{first}..{end}",
                "currencies": len(set(frame["currency"])),
                "preview": preview(frame),
            }
        )

    @asset(
        key=AssetKey(["core", "fx_rates"]),
        group_name="core",
        kinds={"python", engine_kind},
        partitions_def=partitions,
        backfill_policy=SINGLE_RUN,
        deps=[raw_ecb_rates],
        metadata=table_definition_metadata(tables.fx_rates),
        pool="warehouse",
        retry_policy=WAREHOUSE_RETRY,
    )
    def core_fx_rates(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> MaterializeResult:
        """ECB reference rates per day and currency, units per 1 EUR (EUR itself is 1). Only
        publication days have rows; conversion uses the latest fix on or before a day."""
        first, end = _history(context)
        wh = warehouse.get()
        with wh.begin() as conn:
            frame = fx_rate_rows(read_ecb_rates(conn, first, end))
            result = replace_slice(
                wh, tables.fx_rates, frame, Slice({}, "date", first, end), connection=conn
            )
        return MaterializeResult(
            metadata={
                "dagster/row_count": result.rows_inserted,
                "window": f"{first}..{end}",
                "preview": preview(frame),
            }
        )

    return [raw_ecb_rates, core_fx_rates]
