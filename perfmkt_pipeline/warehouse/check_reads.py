"""The reads behind the asset checks (defs/checks.py): each returns the rows a check compares,
for a window of days, as Arrow with the tables' exact types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from perfmkt_pipeline.transform.decimals import micros_to_units
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.read import read_arrow

Window = tuple[dt.date, dt.date]
MONEY_SUM = pa.decimal128(38, 6)


def _between(table: sa.Table, column: str, span: Window) -> sa.ColumnElement[bool]:
    return table.c[column].between(span[0], span[1])


def grain_rows(
    conn: sa.Connection, table: sa.Table, column: str | None = None, span: Window | None = None
) -> pa.Table:
    """The grain columns of `table`'s rows (those whose `column` lies in `span`, when given)."""
    where = _between(table, column, span) if column is not None and span is not None else None
    return read_arrow(conn, table, where, table.info["grain"])


def rows_in(
    conn: sa.Connection, table: sa.Table, column: str, span: Window, columns: Sequence[str] = ()
) -> pa.Table:
    """`columns` (default: all) of `table`'s rows whose `column` lies in `span`."""
    return read_arrow(conn, table, _between(table, column, span), list(columns) or None)


def rows_of(conn: sa.Connection, table: sa.Table, columns: Sequence[str]) -> pa.Table:
    """`columns` of every row of `table`."""
    return read_arrow(conn, table, None, list(columns))


def core_totals(conn: sa.Connection, platform: str, span: Window) -> pa.Table:
    """(date, spend, impressions, clicks) of core.ad_performance_daily rows of `platform`, spend
    in local currency."""
    table = tables.ad_performance_daily
    rows = read_arrow(
        conn,
        table,
        sa.and_(table.c.platform == platform, _between(table, "date", span)),
        ["date", "spend_local", "impressions", "clicks"],
    )
    return rows.rename_columns(["date", "spend", "impressions", "clicks"])


def raw_totals(conn: sa.Connection, totals: Any, span: Window) -> pa.Table:
    """(date, spend, impressions, clicks) of the raw rows `totals` (a platform's
    base.spec.RawTotals) describes, spend in units (micros divided out)."""
    t = totals.table
    names = [totals.date, totals.spend, totals.impressions, totals.clicks]
    rows = read_arrow(conn, t, _between(t, totals.date, span), names)
    spend = rows[totals.spend]
    if totals.micros:
        spend = micros_to_units(spend, MONEY_SUM)
    return pa.table(
        {
            "date": rows[totals.date],
            "spend": spend,
            "impressions": rows[totals.impressions],
            "clicks": rows[totals.clicks],
        }
    )


def affiliate_latest(conn: sa.Connection, platform: str, span: Window) -> pa.Table:
    """(event_date, status, commission_local, action_id) of core.affiliate_actions rows of
    `platform` in `span`."""
    actions = tables.affiliate_actions
    return read_arrow(
        conn,
        actions,
        sa.and_(actions.c.platform == platform, _between(actions, "event_date", span)),
        ["event_date", "status", "commission_local", "action_id"],
    )


def affiliate_original_ids(
    conn: sa.Connection, records: sa.Table, platform: str, span: Window
) -> pa.Table:
    """action_id of every raw original record (not a correction) of `platform` in `span`
    (`records`: the raw table of affiliate records, raw.affiliate_actions)."""
    r = records
    originals = sa.and_(
        r.c.platform == platform, _between(r, "event_date", span), r.c.is_correction.is_(False)
    )
    return read_arrow(conn, r, originals, ["action_id"])
