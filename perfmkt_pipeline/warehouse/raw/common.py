"""The raw table every source shares (the load log) and the column helpers of raw tables."""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.warehouse.tables import COUNT, RAW, _c, _table


def record() -> sa.Column:
    return _c("record", sa.Text, "the record exactly as the source returned it (JSON)")


def loaded_at() -> sa.Column:
    return _c("loaded_at", sa.DateTime(timezone=True), "UTC time of the load", nullable=False)


load_log = _table(
    RAW,
    "load_log",
    ["table_name", "slice", "loaded_at"],
    "One row per slice replaced by the write path: what was replaced, how many rows, when.",
    _c("table_name", sa.String(128), "schema-qualified table written", False),
    _c("slice", sa.Text, "the replaced slice as JSON: equality filters and the date window", False),
    _c("window_start", sa.Date, "first day of the replaced window (NULL for a window-less slice)"),
    _c("window_end", sa.Date, "last day of the replaced window (NULL for a window-less slice)"),
    _c("rows_deleted", COUNT, "rows the slice held before", False),
    _c("rows_inserted", COUNT, "rows the slice holds now", False),
    loaded_at(),
)
