"""Reads and writes of the core asset: which days a run rebuilds per platform, the raw slices it
reads for them, and the core slices it replaces (all inside the caller's transaction).

Registered platforms (platforms/: the caller passes the configured ones, `registered`) read
their own raw inputs through their spec's core mapping (`spec.core.read`), into
`CoreInputs.platforms` keyed by name; they land raw rows by report day, so a run over [start, end]
rebuilds exactly those days. Every other platform of a run is an affiliate source (`spec.actions`: a network or file feed,
`affiliate_platforms`); a window naming neither is an error naming it. Affiliate sources land
records by *read window* and re-read a trailing lookback, so
for each affiliate platform the run rebuilds every event day touched by a record of its raw read
window (the range and its lookback), plus [start, end] itself; for those days it reads every
record of every action (all read windows), reduces them to each action's latest state and
rebuilds the day. Every network is now read by event day (a record's window day is its event
day), so the touched days are the read window itself; the widening still holds for records an
older version landed by update or posting day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from perfmkt_pipeline.config import Settings
from perfmkt_pipeline.transform.affiliates import RAW_COLUMNS, latest_actions, sync_window
from perfmkt_pipeline.transform.core import AffiliateRaw, CoreInputs, CoreRules, CoreTables
from perfmkt_pipeline.transform.core.networks import latest_state_table
from perfmkt_pipeline.transform.fx import FX_LOOKBACK_DAYS
from perfmkt_pipeline.warehouse import core_dims, core_raw, tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.read import read_arrow, read_query, read_window
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice

Window = tuple[dt.date, dt.date]
# The configured registered platforms' specs (platforms/base/spec.PlatformSpec): their `name`,
# `core.read`, and for an affiliate source `actions` (its raw table and status words).
Registered = Sequence[Any]


def affiliates(registered: Registered) -> list[Any]:
    """The registered affiliate sources (their actions land in a shared raw table)."""
    return [spec for spec in registered if spec.actions is not None]


def _own_core(registered: Registered) -> set[str]:
    """Platforms whose core rows come from their own raw tables (not affiliate actions)."""
    return {spec.name for spec in registered if spec.core is not None}


def platform_windows(
    conn: sa.Connection,
    settings: Settings,
    start: dt.date,
    end: dt.date,
    registered: Registered = (),
) -> dict[str, Window]:
    """The inclusive days each configured platform's core rows are rebuilt for (`registered`:
    the configured registered platforms, which land by report day)."""
    windows: dict[str, Window] = {}
    for spec in registered:
        if spec.core is not None:
            windows[spec.name] = (start, end)
    # The event days each affiliate platform's read windows touched: one query for all of them.
    sources = affiliates(registered)
    touched = []
    for spec in sources:
        table = spec.actions.table
        first, last = sync_window(start, end, spec.lookback_days(settings))
        touched.append(
            sa.select(
                sa.literal(spec.name).label("platform"),
                sa.func.min(table.c.event_date).label("low"),
                sa.func.max(table.c.event_date).label("high"),
            ).where(table.c.platform == spec.name, table.c.window_date.between(first, last))
        )
    found = {row.platform: row for row in conn.execute(sa.union_all(*touched))} if touched else {}
    for spec in sources:  # in the registry's order, whatever order the rows come in
        low, high = found[spec.name].low, found[spec.name].high
        windows[spec.name] = (min(start, low) if low else start, max(end, high) if high else end)
    return windows


def overall(windows: Mapping[str, Window], start: dt.date, end: dt.date) -> Window:
    """The smallest window holding [start, end] and every platform's window."""
    firsts = [w[0] for w in windows.values()] + [start]
    lasts = [w[1] for w in windows.values()] + [end]
    return min(firsts), max(lasts)


def _in_window(table: sa.Table, column: str, window: Window) -> sa.ColumnElement[bool]:
    return table.c[column].between(window[0], window[1])


def _pulled_on(*frames: pa.Table) -> dt.date | None:
    """The UTC day of the newest load among the frames' `loaded_at` (None without rows)."""
    newest = [pc.max(f["loaded_at"]).as_py() for f in frames if f.num_rows]
    newest = [moment for moment in newest if moment is not None]
    return max(newest).astimezone(dt.UTC).date() if newest else None


def read_raw(
    conn: sa.Connection,
    settings: Settings,
    windows: Mapping[str, Window],
    registered: Registered = (),
) -> tuple[CoreInputs, dict[str, dt.date], int]:
    """The raw inputs of `build_core` (each registered platform's read by its core mapping, which
    may sum ad rows to campaigns in the warehouse), the day each platform's data was pulled (its
    newest load among the raw rows of its window), and how many raw rows those inputs cover."""
    pulled: dict[str, dt.date | None] = {}
    mapped: dict[str, Any] = {}
    actions = None
    rows = 0
    for spec in registered:
        if spec.core is not None and spec.name in windows:
            mapped[spec.name], (count, newest) = spec.core.read(conn, windows[spec.name])
            pulled[spec.name] = core_raw.pulled_on(newest)
            rows += count
    own = _own_core(registered)
    sources = [spec for spec in affiliates(registered) if spec.name in windows]
    if sources:
        records = [_affiliate_records(conn, spec, windows[spec.name]) for spec in sources]
        for spec, frame in zip(sources, records, strict=True):
            pulled[spec.name] = _pulled_on(frame)
            rows += frame.num_rows
        actions = _affiliate_inputs(conn, settings, sources, records)
    unknown = sorted(set(windows) - own - {spec.name for spec in sources})
    if unknown:
        raise ValueError(f"no registered platform reads the raw rows of {unknown}")
    as_of = {platform: day for platform, day in pulled.items() if day is not None}
    return CoreInputs(mapped, actions), as_of, rows


def _affiliate_records(conn: sa.Connection, spec: Any, window: Window) -> pa.Table:
    """Every record of every action of the source `spec` with a record dated in `window`."""
    platform, table = spec.name, spec.actions.table
    touched = sa.select(table.c.action_id).where(
        table.c.platform == platform, _in_window(table, "event_date", window)
    )
    return read_arrow(
        conn,
        table,
        sa.and_(table.c.platform == platform, table.c.action_id.in_(touched)),
        [*RAW_COLUMNS, "loaded_at"],
    )


def _affiliate_inputs(
    conn: sa.Connection, settings: Settings, sources: list[Any], records: list[pa.Table]
) -> AffiliateRaw:
    rules = CoreRules.from_settings(settings)
    frame = pa.concat_tables(records).to_pandas()
    vocabularies = {spec.name: spec.actions.statuses for spec in sources}
    latest = latest_state_table(
        latest_actions(frame, {**vocabularies, **rules.status_maps}), rules.affiliate_currencies
    )
    platforms = [spec.name for spec in sources]
    table = sources[0].actions.table
    names = [
        "platform", "account_id", "partner_id", "updated_at", "window_date", "partner_name",
        "loaded_at",
    ]  # fmt: skip
    query = core_raw.latest_rows(
        table, ["platform", "account_id", "partner_id"], "window_date", names
    )
    query = query.where(table.c.platform.in_(platforms))
    return AffiliateRaw(
        latest=latest, partner_names=read_query(conn, query, arrow_schema(table, names))
    )


def read_rates(conn: sa.Connection, table: sa.Table, first: dt.date, last: dt.date) -> pd.DataFrame:
    """The FX source's raw rates (`table`: the FX platform's own raw table) published in [first, last]: what
    core.fx_rates is made from."""
    return read_window(conn, table, "date", first, last)


def read_fx(conn: sa.Connection, window: Window) -> pa.Table:
    first = window[0] - dt.timedelta(days=FX_LOOKBACK_DAYS)
    return read_arrow(
        conn,
        tables.fx_rates,
        tables.fx_rates.c.date.between(first, window[1]),
        tables.column_names(tables.fx_rates, ["loaded_at"]),
    )


def read_performance(conn: sa.Connection, first: dt.date, last: dt.date) -> pa.Table:
    """Every core.ad_performance_daily row of [first, last]."""
    table = tables.ad_performance_daily
    return read_arrow(conn, table, table.c.date.between(first, last))


def read_campaigns(conn: sa.Connection) -> pa.Table:
    """Every core.campaigns row."""
    return read_arrow(conn, tables.campaigns)


def performance_slices(windows: Mapping[str, Window], column: str = "date") -> list[Slice]:
    return [Slice({"platform": p}, column, w[0], w[1]) for p, w in windows.items()]


def read_core_performance(conn: sa.Connection, windows: Mapping[str, Window]) -> pa.Table:
    """The core.ad_performance_daily rows the run is about to replace."""
    table = tables.ad_performance_daily
    where = sa.or_(sa.false(), *[s.where(table) for s in performance_slices(windows)])
    return read_arrow(conn, table, where)


def _rows_of(frame: pa.Table, platform: str, column: str | None, windows) -> pa.Table:
    mine = frame.filter(pc.equal(frame["platform"], platform))
    if column is None:
        return mine
    first, last = windows[platform]
    days = mine[column]
    inside = pc.and_(
        pc.greater_equal(days, pa.scalar(first, pa.date32())),
        pc.less_equal(days, pa.scalar(last, pa.date32())),
    )
    return mine.filter(inside)


def clip(core: CoreTables, windows: Mapping[str, Window]) -> CoreTables:
    """Only the platforms and days the run rebuilds. (An action whose latest record moved it to
    a day outside the window belongs to the run covering that day.)"""

    def keep(frame: pa.Table, column: str | None) -> pa.Table:
        parts = [_rows_of(frame, p, column, windows) for p in windows]
        return pa.concat_tables([frame.schema.empty_table(), *parts])

    return CoreTables(
        ad_accounts=keep(core.ad_accounts, None),
        campaigns=keep(core.campaigns, None),
        ad_performance_daily=keep(core.ad_performance_daily, "date"),
        conversions_daily=keep(core.conversions_daily, "date"),
        affiliate_actions=keep(core.affiliate_actions, "event_date"),
    )


# What write_core replaces.
CORE_TABLES = [
    tables.ad_accounts, tables.campaigns, tables.ad_performance_daily, tables.conversions_daily,
    tables.affiliate_actions, tables.restatements,
]  # fmt: skip


def write_core(
    warehouse: Warehouse,
    conn: sa.Connection,
    core: CoreTables,
    restated: pa.Table,
    windows: Mapping[str, Window],
    loaded_at: dt.datetime,
    registered: Registered = (),
) -> None:
    """Replace every core slice the run covers and upsert its accounts and campaigns (which
    carry their evidence, core_dims.with_evidence), on the caller's connection (one
    transaction); `core` must already be clipped to `windows`."""

    def put(table: sa.Table, frame: pa.Table, slice_: Slice) -> None:
        replace_slice(warehouse, table, frame, slice_, loaded_at=loaded_at, connection=conn)

    def of(frame: pa.Table, platform: str) -> pa.Table:
        return _rows_of(frame, platform, None, windows)

    core_dims.write_dimensions(warehouse, conn, core, loaded_at)
    for slice_ in performance_slices(windows):
        platform = slice_.filters["platform"]
        put(tables.ad_performance_daily, of(core.ad_performance_daily, platform), slice_)
        put(tables.conversions_daily, of(core.conversions_daily, platform), slice_)
    own = _own_core(registered)
    affiliate = {p: w for p, w in windows.items() if p not in own}
    for slice_ in performance_slices(affiliate, "event_date"):
        platform = slice_.filters["platform"]
        put(tables.affiliate_actions, of(core.affiliate_actions, platform), slice_)
    put(tables.restatements, restated, Slice({"detected_at": [loaded_at]}))
