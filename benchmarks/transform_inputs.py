"""The transform benchmark's input: Google Ads and Meta raw rows of a backfilled window, read
the way the core asset reads them (`warehouse/core_io.read_raw`: Meta summed to campaigns in
the warehouse), plus the FX rates. `rows` counts every raw row of the window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import sqlalchemy as sa

from benchmarks import scenario
from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import Settings, parse_settings
from perfmkt_pipeline.platforms.ecb import tables as ecb_tables
from perfmkt_pipeline.platforms.google_ads import tables as google_ads_tables
from perfmkt_pipeline.transform.core import CoreInputs, CoreRules
from perfmkt_pipeline.transform.fx import FX_COLUMNS, FX_LOOKBACK_DAYS, fx_rate_rows
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.core_io import read_raw
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.read import read_window
from perfmkt_pipeline.warehouse.write import arrow_schema

PLATFORMS = ("google_ads", "meta")


@dataclass(frozen=True)
class TransformInputs:
    raw: CoreInputs  # Google Ads and Meta only
    fx_rates: pa.Table  # core.fx_rates rows
    rules: CoreRules
    as_of: dict[str, dt.date]
    rows: int  # raw rows the inputs cover
    start: dt.date
    end: dt.date


def benchmark_settings() -> Settings:
    """The reconciliation settings of the benchmark world (`scenario.world()`; the pipeline's
    defaults)."""
    spec = scenario.world()
    return parse_settings(
        {
            "start_date": spec.history_start.isoformat(),
            "google_ads": {"manager_customer_id": spec.of("google_ads").managers[0].customer_id},
            "meta": {"account_ids": [a.account_id for a in spec.accounts("meta")]},
        },
        environ={},
    )


def read_transform_inputs(url: str, settings: Settings | None = None) -> TransformInputs:
    """The raw inputs of the campaign-level transform over the window of the Google Ads rows at
    `url`, read as the core asset does; `settings` default to the benchmark world's."""
    settings = settings or benchmark_settings()
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            daily = google_ads_tables.google_ads_campaign_daily
            start, end = conn.execute(
                sa.select(sa.func.min(daily.c.date), sa.func.max(daily.c.date))
            ).one()
            windows = {platform: (start, end) for platform in PLATFORMS}
            inputs, as_of, rows = read_raw(conn, settings, windows, platforms.configured(settings))
            first = start - dt.timedelta(days=FX_LOOKBACK_DAYS)
            rates = fx_rate_rows(read_window(conn, ecb_tables.ecb_rates, "date", first, end))
    finally:
        warehouse.dispose()
    fx = pa.Table.from_pandas(rates, preserve_index=False).cast(
        arrow_schema(tables.fx_rates, FX_COLUMNS)
    )
    return TransformInputs(inputs, fx, CoreRules.from_settings(settings), as_of, rows, start, end)
