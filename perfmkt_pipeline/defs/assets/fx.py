"""The FX rates published to core: `core.fx_rates` from the reference rates the FX source (the
registered platform of channel "fx") landed in raw; its raw asset is built by the
connector factory (defs/connectors.py)."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.defs.metadata import preview, table_definition_metadata
from perfmkt_pipeline.defs.partitions import SINGLE_RUN, daily_partitions, window
from perfmkt_pipeline.defs.policies import WAREHOUSE_RETRY, warehouse_pool
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.transform.fx import fx_rate_rows, history_window
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.core_io import read_rates
from perfmkt_pipeline.warehouse.write import Slice, replace_slice

# The channel of the source whose raw rates core.fx_rates is made from.
FX_CHANNEL = "fx"


def build_fx_rates_assets(settings: Settings, engine_kind: str) -> list[AssetsDefinition]:
    """core.fx_rates, from the raw rates of the FX source."""
    [source] = [spec for spec in platforms.all_specs() if spec.channel == FX_CHANNEL]
    [raw] = source.connector.raw_assets

    @asset(
        key=AssetKey(["core", "fx_rates"]),
        group_name="core",
        kinds={"python", engine_kind},
        partitions_def=daily_partitions(settings),
        backfill_policy=SINGLE_RUN,
        deps=[AssetKey(list(raw.asset_key))],
        metadata=table_definition_metadata(tables.fx_rates),
        pool=warehouse_pool(engine_kind, "core__fx_rates"),
        retry_policy=WAREHOUSE_RETRY,
    )
    def core_fx_rates(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> MaterializeResult:
        """The FX source's reference rates per day and currency, units per 1 EUR (EUR itself is 1). Only
        publication days have rows; conversion uses the latest fix on or before a day."""
        first, end = history_window(settings.start_date, *window(context))
        wh = warehouse.get()
        with wh.begin() as conn:
            frame = fx_rate_rows(read_rates(conn, raw.table, first, end))
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

    return [core_fx_rates]
