"""Warehouse reads of the first-party marts: core.orders and the ad side of each day, and the
SQL cross-check of the marts against core.orders (independent of transform/orders.py)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import sqlalchemy as sa

from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.read import read_arrow

Window = tuple[dt.date, dt.date]
AD_COLUMNS = ["date", "reporting_currency", "spend", "conversions", "conversion_value", "settled"]


def read_orders(conn: sa.Connection, window: Window) -> pa.Table:
    t = tables.orders
    return read_arrow(conn, t, t.c.date.between(*window), [c.name for c in t.columns][:-1])


def read_ad_days(conn: sa.Connection, window: Window) -> pa.Table:
    t = tables.ad_performance_daily
    return read_arrow(conn, t, t.c.date.between(*window), AD_COLUMNS)


def read_ad_urls(conn: sa.Connection, window: Window) -> tuple[pa.Table, pa.Table]:
    """core.ad_daily rows of the window (their spend) and every core.ads row (final URLs): the
    spend side of marts.utm_daily."""
    t = tables.ad_daily
    columns = ["date", "platform", "account_id", "ad_id", "reporting_currency", "spend"]
    days = read_arrow(conn, t, t.c.date.between(*window), columns)
    ads = read_arrow(conn, tables.ads, None, ["platform", "account_id", "ad_id", "final_url"])
    return days, ads


def mart_differences(conn: sa.Connection, window: Window) -> list[dict]:
    """Days on which marts.blended_daily or the sum of marts.utm_daily disagree with what
    core.orders says (orders counted, revenue of orders not cancelled), with both values."""
    o = tables.orders
    counts = sa.or_(
        o.c.status == "placed", sa.and_(o.c.status == "refunded", o.c.revenue_local > 0)
    )
    core_days = (
        sa.select(
            o.c.date,
            sa.func.sum(sa.case((counts, 1), else_=0)).label("orders"),
            sa.func.sum(sa.case((o.c.status != "cancelled", o.c.revenue), else_=0)).label(
                "revenue"
            ),
        )
        .where(o.c.date.between(*window))
        .group_by(o.c.date)
    )
    u = tables.utm_daily
    utm_days = (
        sa.select(u.c.date, sa.func.sum(u.c.orders).label("orders"),
                  sa.func.sum(u.c.revenue).label("revenue"))
        .where(u.c.date.between(*window))
        .group_by(u.c.date)
    )  # fmt: skip
    b = tables.blended_daily
    found: dict[dt.date, dict] = {}
    for name, query in (
        ("core", core_days),
        ("blended", sa.select(b.c.date, b.c.orders, b.c.revenue).where(b.c.date.between(*window))),
        ("utm", utm_days),
    ):
        for day, orders, revenue in conn.execute(query).all():
            found.setdefault(day, {})[name] = (int(orders or 0), revenue or 0)
    differences = []
    for day, sides in sorted(found.items()):
        core = sides.get("core", (0, 0))
        for name in ("blended", "utm"):
            mart = sides.get(name, (0, 0))
            if mart[0] != core[0] or mart[1] != core[1]:
                differences.append(
                    {"date": str(day), "mart": name, "mart_orders": mart[0],
                     "mart_revenue": str(mart[1]), "core_orders": core[0],
                     "core_revenue": str(core[1])}
                )  # fmt: skip
    return differences
