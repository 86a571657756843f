"""Plain-text summaries of the warehouse for the command line (the demo's closing table)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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


_RATIO_PLACES = Decimal("0.01")


def blended_totals(warehouse: Warehouse, start: dt.date, end: dt.date) -> dict | None:
    """marts.blended_daily summed over [start, end], with MER, blended CPA and the
    over-attribution ratio of the sums (None when the mart holds no day of the range)."""
    mart = tables.blended_daily
    query = sa.select(
        sa.func.count(),
        sa.func.min(mart.c.reporting_currency),
        sa.func.sum(mart.c.spend),
        sa.func.sum(mart.c.orders),
        sa.func.sum(mart.c.revenue),
        sa.func.sum(mart.c.claimed_conversions),
    ).where(mart.c.date.between(start, end))
    with warehouse.begin() as conn:
        days, currency, spend, orders, revenue, claimed = conn.execute(query).one()
    if not days:
        return None

    def ratio(numerator, denominator):
        if numerator is None or not denominator:
            return None
        return Decimal(numerator) / Decimal(denominator)

    return {
        "days": days, "currency": currency, "spend": spend, "orders": orders, "revenue": revenue,
        "claimed_conversions": claimed, "mer": ratio(revenue, spend),
        "blended_cpa": ratio(spend, orders), "over_attribution": ratio(claimed, orders),
    }  # fmt: skip


def _shown(value) -> str:
    if value is None:
        return "n/a"
    return f"{Decimal(value).quantize(_RATIO_PLACES):,}"


def print_blended_totals(url: str, start: dt.date, end: dt.date) -> None:
    """MER and the over-attribution ratio beside the per-channel table (orders configured)."""
    warehouse = Warehouse(url)
    totals = blended_totals(warehouse, start, end)
    warehouse.dispose()
    if totals is None:
        return
    currency = totals["currency"]
    print(f"\nmarts.blended_daily, {start}..{end} (the shop's own orders):")
    rows = [
        ["spend, every channel", f"{_shown(totals['spend'])} {currency}"],
        ["orders", f"{totals['orders']:,}"],
        ["revenue", f"{_shown(totals['revenue'])} {currency}"],
        ["MER (revenue / spend)", _shown(totals["mer"])],
        ["blended CPA (spend / orders)", f"{_shown(totals['blended_cpa'])} {currency}"],
        ["conversions the platforms claim", _shown(totals["claimed_conversions"])],
        ["over-attribution (claimed / orders)", _shown(totals["over_attribution"])],
    ]
    print(tabulate(rows, tablefmt="plain"))
