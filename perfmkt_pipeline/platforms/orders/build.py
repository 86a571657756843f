"""What a run over the days [start, end] rebuilds from raw.orders: per source, the order days its
read touched (core.touched_days) widened to [start, end], and those days' core.orders rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pyarrow as pa
import sqlalchemy as sa

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.platforms.orders import core
from perfmkt_pipeline.platforms.orders.window import ReadWindow
from perfmkt_pipeline.transform.orders import ORDERS_LOCAL, finish_orders

Window = tuple[dt.date, dt.date]


def read_window(settings: Settings, name: str, start: dt.date, end: dt.date) -> ReadWindow:
    source = next(s for s in settings.orders if s.name == name)
    return ReadWindow.for_days(start, end, source.lookback_days, settings.business_timezone)


def core_windows(
    conn: sa.Connection, settings: Settings, start: dt.date, end: dt.date
) -> dict[str, Window]:
    """Source -> the order days its core rows are rebuilt for."""
    windows = {}
    for source in settings.orders:
        window = read_window(settings, source.name, start, end)
        touched = core.touched_days(conn, source.name, window, settings.business_timezone)
        if touched is None:
            windows[source.name] = (start, end)
        else:
            windows[source.name] = (min(start, touched[0]), max(end, touched[1]))
    return windows


def core_orders(
    conn: sa.Connection, settings: Settings, windows: Mapping[str, Window], fx_rates: pa.Table
) -> pa.Table:
    """core.orders rows (without loaded_at) of every source's window."""
    by_name = {source.name: source for source in settings.orders}
    local = [
        core.local_orders(
            core.read_raw(conn, name, days, settings.business_timezone),
            by_name,
            settings.business_timezone,
        )
        for name, days in windows.items()
    ]
    rows = pa.concat_tables([ORDERS_LOCAL.empty_table(), *local])
    return finish_orders(rows, fx_rates, settings.reporting_currency)


def settled_through(conn: sa.Connection, settings: Settings) -> dt.date | None:
    """The last day whose orders are settled for every source: the newest load of its raw rows
    minus its lookback (None while a source has loaded nothing)."""
    days = []
    for source in settings.orders:
        pulled = core.pulled_on(conn, source.name)
        if pulled is None:
            return None
        days.append(pulled - dt.timedelta(days=source.lookback_days))
    return min(days) if days else None
