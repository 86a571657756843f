"""raw.orders -> core.orders rows in local currency (transform/orders.py converts them).

Each order's latest reading wins (latest `updated_at`, then the later load); its status word is
mapped by the source's `status_map`; revenue_local = revenue - refunded; its day is the day of
`ordered_at` in the business time zone. A run rebuilds the order days its read touched: the days
of [start, end] and the days of every order it read (a refund of an older order rebuilds that
order's day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from perfmkt_pipeline.config import OrderSourceSettings
from perfmkt_pipeline.platforms.orders.raw_tables import orders as raw_orders
from perfmkt_pipeline.platforms.orders.window import ReadWindow, midnight
from perfmkt_pipeline.transform.fx import MONEY
from perfmkt_pipeline.transform.orders import ORDERS_LOCAL
from perfmkt_pipeline.transform.utm import UTM_FIELDS
from perfmkt_pipeline.warehouse.read import read_arrow

Window = tuple[dt.date, dt.date]
_READ = [c.name for c in raw_orders.columns if c.name != "record"]


def business_day(moment: dt.datetime, zone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(zone)).date()


def touched_days(
    conn: sa.Connection, source: str, window: ReadWindow, business_timezone: str
) -> Window | None:
    """The first and last order day among the raw readings `window` holds (None: none)."""
    t = raw_orders
    held = sa.or_(
        sa.and_(t.c.updated_at >= window.changed_since, t.c.updated_at < window.until),
        sa.and_(t.c.ordered_at >= window.placed_since, t.c.ordered_at < window.until),
    )
    low, high = conn.execute(
        sa.select(sa.func.min(t.c.ordered_at), sa.func.max(t.c.ordered_at)).where(
            t.c.source == source, held
        )
    ).one()
    if low is None:
        return None
    return business_day(_utc(low), business_timezone), business_day(_utc(high), business_timezone)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def read_raw(conn: sa.Connection, source: str, days: Window, business_timezone: str) -> pa.Table:
    """Every reading of every order of `source` placed on the days (business time zone)."""
    t = raw_orders
    first, last = (
        midnight(days[0], business_timezone),
        midnight(days[1] + dt.timedelta(days=1), business_timezone),
    )
    where = sa.and_(t.c.source == source, t.c.ordered_at >= first, t.c.ordered_at < last)
    return read_arrow(conn, t, where, _READ)


def pulled_on(conn: sa.Connection, source: str) -> dt.date | None:
    """The UTC day of the newest load of the source's raw rows (what `settled` is judged on)."""
    newest = conn.execute(
        sa.select(sa.func.max(raw_orders.c.loaded_at)).where(raw_orders.c.source == source)
    ).scalar()
    return _utc(newest).date() if newest is not None else None


def latest(readings: pa.Table) -> pa.Table:
    """One reading per (source, order_id): the latest update, then the later load."""
    if readings.num_rows == 0:
        return readings
    ordered = readings.sort_by(
        [("source", "ascending"), ("order_id", "ascending"), ("updated_at", "ascending"),
         ("loaded_at", "ascending")]
    )  # fmt: skip
    keys = pc.binary_join_element_wise(ordered["source"], ordered["order_id"], "\x1f")
    # The last row of each run of equal keys.
    following = pa.concat_arrays([keys.combine_chunks().slice(1), pa.array([None], pa.string())])
    last = pc.fill_null(pc.not_equal(keys.combine_chunks(), following), True)
    return ordered.filter(last)


def local_orders(
    readings: pa.Table, sources: Mapping[str, OrderSourceSettings], business_timezone: str
) -> pa.Table:
    """ORDERS_LOCAL rows of the latest reading of every order in `readings`."""
    rows = latest(readings)
    if rows.num_rows == 0:
        return ORDERS_LOCAL.empty_table()
    status = pa.nulls(rows.num_rows, pa.string())
    for name in pc.unique(rows["source"]).to_pylist():
        mapping = sources[name].status_map
        mine = pc.equal(rows["source"], name)
        words = pa.array(list(mapping), pa.string())
        mapped = pc.take(
            pa.array(list(mapping.values()), pa.string()),
            pc.index_in(rows["status"], value_set=words),
        )
        status = pc.if_else(mine, mapped, status)
    if status.null_count:
        bad = rows.filter(pc.is_null(status))
        raise ValueError(
            f"orders source {bad['source'][0].as_py()!r}: order {bad['order_id'][0].as_py()!r}: "
            f"field status: {bad['status'][0].as_py()!r} is no longer in status_map (raw keeps "
            "the word as sent; map it again or reload the order)"
        )
    refunded = pc.fill_null(rows["refunded"], pa.scalar(0, MONEY))
    revenue_local = pc.subtract_checked(rows["revenue"], refunded).cast(MONEY)
    local_time = pc.local_timestamp(
        rows["ordered_at"].cast(pa.timestamp("us", tz=business_timezone))
    )
    return pa.table(
        {
            "source": rows["source"],
            "order_id": rows["order_id"],
            "ordered_at": rows["ordered_at"],
            "date": local_time.cast(pa.date32()),
            "status": status,
            "currency": rows["currency"],
            "revenue_local": revenue_local,
            "customer_id": rows["customer_id"],
            "is_new_customer": rows["is_new_customer"],
            **{name: rows[name] for name in UTM_FIELDS},
            "source_updated_at": rows["updated_at"],
        },
        schema=ORDERS_LOCAL,
    )
