"""Plain-text summaries of the warehouse for the command line (the demo's closing table)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from tabulate import tabulate

from perfmkt_pipeline.warehouse import measures, tables
from perfmkt_pipeline.warehouse.engine import Warehouse

_CROSS_PLATFORM_NOTE = (
    "Each platform claims its own conversions: the conversions column over-counts when summed "
    "across platforms."
)


def channel_totals(warehouse: Warehouse, start: dt.date, end: dt.date) -> list[tuple]:
    """marts.channel_daily summed per channel and platform over [start, end]."""
    mart = tables.channel_daily
    query = (
        sa.select(
            mart.c.channel,
            mart.c.platform,
            mart.c.reporting_currency,
            *[sa.func.sum(mart.c[name]) for name in measures.NAMES],
            sa.func.count(sa.distinct(mart.c.date)),
        )
        .where(mart.c.date.between(start, end))
        .group_by(mart.c.channel, mart.c.platform, mart.c.reporting_currency)
        .order_by(mart.c.channel, mart.c.platform)
    )
    with warehouse.begin() as conn:
        return [tuple(row) for row in conn.execute(query).all()]


def print_channel_totals(url: str, start: dt.date, end: dt.date) -> None:
    warehouse = Warehouse(url)
    rows = channel_totals(warehouse, start, end)
    headers = ["channel", "platform", "currency",
               *[name.replace("_", " ") for name in measures.NAMES], "days"]  # fmt: skip
    print(f"\nmarts.channel_daily, {start}..{end}:")
    print(tabulate(rows, headers=headers, floatfmt=",.2f", intfmt=","))
    print(_CROSS_PLATFORM_NOTE)
    warehouse.dispose()
