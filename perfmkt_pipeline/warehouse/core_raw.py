"""The core asset's reads of raw rows: only what the transform uses crosses out of the
warehouse.

A platform landing rows below campaign grain (ads) has them summed to campaigns in SQL
(`rollup`), so tens of thousands of campaign rows leave the warehouse instead of hundreds of
thousands of ad rows. Each platform's reads are its own (platforms/<name>/core_read.py) over
these helpers. How many raw rows the window holds and the newest load among them (the day the
data was pulled, which decides `settled`) come from aggregates over every row (`coverage`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from perfmkt_pipeline.warehouse.read import read_query
from perfmkt_pipeline.warehouse.write import arrow_schema

Window = tuple[dt.date, dt.date]

# loaded_at: the evidence of the core rows made from them (core_dims).
ACCOUNT_COLUMNS = ["account_id", "account_name", "currency", "timezone", "loaded_at"]
_LOADED_AT = pa.timestamp("us", tz="UTC")
# PostgreSQL memory for the roll-ups' hash tables. At the default 4 MB, a month of ad-level
# actions (~10^5 rows per attribution) does not fit: the planner sorts instead, spilling to disk, about
# twice as slow. Set for the reading transaction only.
ROLLUP_WORK_MEM = "64MB"


def in_window(table: sa.Table, window: Window) -> sa.ColumnElement[bool]:
    return table.c.date.between(window[0], window[1])


def rollup_memory(conn: sa.Connection) -> None:
    """PostgreSQL: room for the roll-ups to aggregate in memory, for the rest of the
    transaction (never less than the session already has)."""
    if conn.dialect.name != "postgresql":
        return
    less = f"SELECT pg_size_bytes(current_setting('work_mem')) < pg_size_bytes('{ROLLUP_WORK_MEM}')"
    if conn.exec_driver_sql(less).scalar_one():
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{ROLLUP_WORK_MEM}'")


def latest_rows(table: sa.Table, keys: list[str], order: str, columns: list[str]) -> sa.Select:
    """Rows of `table` on the latest `order` value of each `keys` group (ties: all of them)."""
    latest = (
        sa.select(*[table.c[k] for k in keys], sa.func.max(table.c[order]).label("_latest"))
        .group_by(*[table.c[k] for k in keys])
        .subquery()
    )
    on = sa.and_(*[table.c[k] == latest.c[k] for k in keys], table.c[order] == latest.c._latest)
    return sa.select(*[table.c[c] for c in columns]).select_from(table.join(latest, on))


def campaign_names(conn: sa.Connection, table: sa.Table, columns: list[str]) -> pa.Table:
    """The distinct rows naming each campaign on its latest day (all history, not just the
    window; with their load time, the evidence of the core row), in a fixed order (so a tie between names on one day resolves the same way on
    every engine)."""
    query = latest_rows(table, ["account_id", "campaign_id"], "date", columns).distinct()
    query = query.order_by(*[table.c[c].asc().nulls_first() for c in columns])
    return read_query(conn, query, arrow_schema(table, columns))


def coverage(
    conn: sa.Connection, tables: Sequence[sa.Table], window: Window
) -> tuple[int, dt.datetime | None]:
    """How many rows `tables` hold in the window, and the newest `loaded_at` among them."""
    per_table = [
        sa.select(sa.func.count().label("n"), sa.func.max(t.c.loaded_at).label("newest")).where(
            in_window(t, window)
        )
        for t in tables
    ]
    found = conn.execute(sa.union_all(*per_table)).all()
    stamps = [newest for _, newest in found if newest is not None]
    return sum(n for n, _ in found), max(stamps) if stamps else None


Covered = tuple[int, dt.datetime | None]  # raw rows of the window, their newest loaded_at


_COVERAGE = [("_rows", pa.int64()), ("_loaded_at", _LOADED_AT)]


def _rollup_query(
    table: sa.Table,
    keys: list[str],
    sums: list[str],
    where: sa.ColumnElement[bool],
    with_ads: bool,
    covered: bool,
) -> sa.Select:
    """SQL of a roll-up to campaigns: sums per `keys` (and, when `covered`, how many
    rows each sums and their newest load); `ad_id` is the smallest ad of a group without
    campaign_id when `with_ads` (only asked for when there is such a group)."""
    grain = [table.c[k] for k in keys]
    ad = sa.case((table.c.campaign_id.is_(None), sa.func.min(table.c.ad_id))) if with_ads else None
    coverage_ = [sa.func.count().label("_rows"), sa.func.max(table.c.loaded_at).label("_loaded_at")]
    return (
        sa.select(
            *grain,
            *[sa.func.sum(table.c[name]).label(name) for name in sums],
            sa.cast(ad if ad is not None else sa.null(), sa.String).label("ad_id"),
            *(coverage_ if covered else []),
        )
        .where(where)
        .group_by(*grain)
    )


def rollup(
    conn: sa.Connection,
    table: sa.Table,
    schema: pa.Schema,
    sums: list[str],
    where: sa.ColumnElement[bool],
    covered: bool,
) -> tuple[pa.Table, Covered | None]:
    """The roll-up (`schema`) of the rows matching `where`, and (when `covered`) the rows it
    covers."""
    keys = [name for name in schema.names if name not in (*sums, "ad_id")]
    wide = pa.schema([*schema, *_COVERAGE]) if covered else schema
    rows = read_query(conn, _rollup_query(table, keys, sums, where, False, covered), wide)
    if pc.any(pc.is_null(rows["campaign_id"])).as_py():  # bad data: read again, naming the ads
        rows = read_query(conn, _rollup_query(table, keys, sums, where, True, covered), wide)
    if not covered:
        return rows, None
    count = pc.sum(rows["_rows"]).as_py() or 0
    return rows.select(schema.names), (count, pc.max(rows["_loaded_at"]).as_py())


def pulled_on(newest: dt.datetime | None) -> dt.date | None:
    """The UTC day of the newest load (None without rows)."""
    return newest.astimezone(dt.UTC).date() if newest is not None else None


__all__ = [
    "campaign_names", "coverage", "in_window", "latest_rows", "pulled_on", "rollup",
    "rollup_memory",
]  # fmt: skip
