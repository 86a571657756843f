"""Reads and writes of the below-campaign assets (issue #17), inside the caller's transaction.

A run covers its window in chunks of `CHUNK_DAYS` days: each chunk's raw rows are read, made
into core rows and written before the next is read, so a year's backfill holds no more ad rows
in memory than a month's. The dimension rows (core.ad_groups, core.ads) are upserted with their
evidence, never replaced by the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from perfmkt_pipeline.warehouse import core_raw, tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.read import read_arrow
from perfmkt_pipeline.warehouse.write import Slice, replace_slice, upsert_rows

Window = tuple[dt.date, dt.date]
# Days read, built and written at a time: bounds memory whatever the window's length.
CHUNK_DAYS = 14
DAILY = (tables.ad_daily, tables.keyword_daily)
DIMENSIONS = (tables.ad_groups, tables.ads)


def chunks(start: dt.date, end: dt.date, days: int = CHUNK_DAYS) -> Iterator[Window]:
    first = start
    while first <= end:
        last = min(end, first + dt.timedelta(days=days - 1))
        yield first, last
        first = last + dt.timedelta(days=1)


def below_specs(registered: Sequence[Any]) -> list[Any]:
    """The configured platforms reporting below the campaign."""
    return [s for s in registered if s.core is not None and s.core.below is not None]


def pulled(conn: sa.Connection, specs: Sequence[Any], window: Window) -> dict[str, dt.date]:
    """The day each platform's daily raw rows of the whole run window were pulled (their newest
    load): what `settled` is judged on, for every chunk alike, as the campaign rows judge it."""
    days = {}
    for spec in specs:
        _, newest = core_raw.coverage(conn, list(spec.core.below.daily), window)
        day = core_raw.pulled_on(newest)
        if day is not None:
            days[spec.name] = day
    return days


def read_raw(
    conn: sa.Connection, specs: Sequence[Any], window: Window
) -> tuple[dict[str, Any], int]:
    """Each platform's `BelowRaw` for the window, and how many raw rows they cover."""
    inputs, rows = {}, 0
    for spec in specs:
        inputs[spec.name], (count, _) = spec.core.below.read(conn, window)
        rows += count
    return inputs, rows


@dataclass(frozen=True)
class Dimensions:
    """The dimension rows the below-campaign marts name their rows with."""

    accounts: pa.Table
    campaigns: pa.Table
    ad_groups: pa.Table
    ads: pa.Table


def read_dimensions(conn: sa.Connection) -> Dimensions:
    return Dimensions(
        accounts=read_arrow(conn, tables.ad_accounts),
        campaigns=read_arrow(conn, tables.campaigns),
        ad_groups=read_arrow(conn, tables.ad_groups),
        ads=read_arrow(conn, tables.ads),
    )


def read_daily(
    conn: sa.Connection, table: sa.Table, window: Window, platforms: Sequence[str] | None = None
) -> pa.Table:
    """The rows of a daily table in the window (of `platforms` only, when given)."""
    where = table.c.date.between(*window)
    if platforms is not None:
        where = sa.and_(where, table.c.platform.in_(list(platforms)))
    return read_arrow(conn, table, where)


def write(
    warehouse: Warehouse,
    conn: sa.Connection,
    built: Any,
    platforms: Sequence[str],
    window: Window,
    loaded_at: dt.datetime,
    dimensions: bool = True,
) -> None:
    """Replace each platform's daily slices of the window; upsert the dimension rows (when
    `dimensions`: they are the same for every chunk of a run, written with its first)."""
    if dimensions:
        for table, rows in ((tables.ad_groups, built.ad_groups), (tables.ads, built.ads)):
            upsert_rows(warehouse, table, rows, loaded_at=loaded_at, connection=conn)
    for table, rows in ((tables.ad_daily, built.ad_daily),
                        (tables.keyword_daily, built.keyword_daily)):  # fmt: skip
        for platform in platforms:
            mine = rows.filter(pc.equal(rows["platform"], platform))
            replace_slice(
                warehouse, table, mine, Slice({"platform": platform}, "date", *window),
                loaded_at=loaded_at, connection=conn,
            )  # fmt: skip


def replace_marts(
    warehouse: Warehouse,
    conn: sa.Connection,
    marts: Mapping[sa.Table, pa.Table],
    window: Window,
    loaded_at: dt.datetime,
) -> None:
    for table, rows in marts.items():
        replace_slice(
            warehouse, table, rows, Slice({}, "date", *window), loaded_at=loaded_at,
            connection=conn,
        )  # fmt: skip
