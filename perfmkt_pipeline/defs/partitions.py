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


def range_problem(start: str, end: str, first: str, last: str | None) -> str | None:
    """Why a run over the partition range start...end must not run (None: it may), given the
    first and the last daily partition (None: there is none yet). Dagster launches reversed and
    out-of-range ranges; their steps would read and write a nonsense window."""
    span = f"the run's partition range {start}...{end}"
    for value in (start, end):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return f"{span}: {value!r} is not a day (YYYY-MM-DD); nothing was run"
    if end < start:
        return f"{span} ends before it starts; nothing was run (did you mean {end}...{start}?)"
    if start < first:
        return (
            f"{span} starts before the first partition, {first} (start_date in the "
            "configuration); nothing was run"
        )
    if last is None or end > last:
        return (
            f"{span} ends after the last partition, {last or 'none yet'} (yesterday in UTC: "
            "today is still being counted); nothing was run"
        )
    return None
