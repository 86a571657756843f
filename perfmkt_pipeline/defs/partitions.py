"""Partitioning: one daily partition per reporting day, from the configured start date."""

from __future__ import annotations

import datetime as dt

from dagster import AssetExecutionContext, BackfillPolicy, DailyPartitionsDefinition

from perfmkt_pipeline.config import Settings

# A backfill of any range runs as one run: sources fetch the whole window in few requests.
SINGLE_RUN = BackfillPolicy.single_run()


def daily_partitions(settings: Settings) -> DailyPartitionsDefinition:
    # The last partition is yesterday: today's numbers are still being counted.
    return DailyPartitionsDefinition(start_date=settings.start_date.isoformat(), end_offset=0)


def window(context: AssetExecutionContext) -> tuple[dt.date, dt.date]:
    """The inclusive day range a (possibly multi-partition) run covers."""
    time_window = context.partition_time_window
    return time_window.start.date(), (time_window.end - dt.timedelta(days=1)).date()
