"""Raw tables shared by every source (ECB rates, the load log) and column helpers."""

from __future__ import annotations

import sqlalchemy as sa

from perfmkt_pipeline.warehouse.tables import COUNT, RAW, UNITS_PER_EUR, _c, _table


def record() -> sa.Column:
    return _c("record", sa.Text, "the record exactly as the source returned it (JSON)")


def loaded_at() -> sa.Column:
    return _c("loaded_at", sa.DateTime(timezone=True), "UTC time of the load", nullable=False)


ecb_rates = _table(
    RAW,
    "ecb_rates",
    ["date", "currency"],
    "ECB reference rates as published (units per EUR).",
    _c("date", sa.Date, "publication day", False),
    _c("currency", sa.String(3), "ISO 4217 code", False),
    _c("units_per_eur", UNITS_PER_EUR, "units per 1 EUR", False),
    loaded_at(),
)

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
