"""A run's orders, from either form of source, as raw.orders frames a chunk at a time.

`read_orders` parses and validates every row (records.OrderParser), keeps those the run's window
holds (window.ReadWindow) and yields Arrow tables of raw.orders columns. Memory stays at one
chunk whatever the number of orders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pyarrow as pa

from perfmkt_pipeline.config import OrderSourceSettings
from perfmkt_pipeline.platforms.orders.errors import OrderDataError
from perfmkt_pipeline.platforms.orders.files import file_rows
from perfmkt_pipeline.platforms.orders.raw_tables import orders as raw_orders
from perfmkt_pipeline.platforms.orders.records import RAW_COLUMNS, OrderParser
from perfmkt_pipeline.platforms.orders.sql import sql_rows
from perfmkt_pipeline.platforms.orders.window import ReadWindow
from perfmkt_pipeline.warehouse.write import arrow_schema

RAW_SCHEMA = arrow_schema(raw_orders, RAW_COLUMNS)
_ORDER_ID, _UPDATED_AT, _ORDERED_AT = (
    RAW_COLUMNS.index(n) for n in ("order_id", "updated_at", "ordered_at")
)
_log = logging.getLogger(__name__)


def frame(rows: list[tuple]) -> pa.Table:
    """raw.orders columns (without loaded_at) of parsed rows."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in RAW_COLUMNS]
    return pa.Table.from_arrays(
        [pa.array(list(values), f.type) for values, f in zip(columns, RAW_SCHEMA, strict=True)],
        schema=RAW_SCHEMA,
    )


def read_orders(
    source: OrderSourceSettings,
    window: ReadWindow,
    *,
    url: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> Iterator[pa.Table]:
    """raw.orders frames of the source's orders in `window`; `url` for a SQL source."""
    if source.sql is not None:
        if not url:
            raise ValueError(f"orders source {source.name!r}: a SQL source needs its URL")
        yield from _sql_frames(source, url, window)
    else:
        yield from _file_frames(source, window, warn or _log.warning)


def _sql_frames(source: OrderSourceSettings, url: str, window: ReadWindow) -> Iterator[pa.Table]:
    parser = OrderParser(source)
    checked = False
    for names, rows in sql_rows(source, url, window):
        if not checked:
            parser.check_columns(names, "the query's result")
            checked = True
        kept: dict[tuple, tuple] = {}
        for row in rows:
            parsed = parser.parse(row)
            if not window.holds(parsed[_ORDERED_AT], parsed[_UPDATED_AT]):
                continue
            key = (parsed[_ORDER_ID], parsed[_UPDATED_AT])
            if key in kept:
                raise OrderDataError(
                    source.name, key[0], "updated_at", source.columns["updated_at"],
                    f"the answer holds the order twice with the same update time {key[1]} (does "
                    "the query join something that repeats orders?)",
                )  # fmt: skip
            kept[key] = parsed
        yield frame(list(kept.values()))


def _file_frames(
    source: OrderSourceSettings, window: ReadWindow, warn: Callable[[str], None]
) -> Iterator[pa.Table]:
    assert source.files is not None
    parser = OrderParser(source, source.files.timestamp_format)
    seen: dict[tuple, str] = {}  # (order, update time) -> where, in the current file
    current = None
    duplicates, first = 0, ""

    def check(columns: list[str], what: str, where: str) -> None:
        parser.check_columns(columns, what, where)

    for path, rows in file_rows(source, check):
        if path != current:
            seen.clear()
            current = path
        kept: dict[tuple, tuple] = {}
        for where, row in rows:
            parsed = parser.parse(row, where)
            key = (parsed[_ORDER_ID], parsed[_UPDATED_AT])
            if key in seen:
                if source.files.duplicates == "error":
                    raise OrderDataError(
                        source.name, key[0], "updated_at", source.columns["updated_at"],
                        f"duplicate: the order with this update time is already on "
                        f"{seen[key].split(', ', 1)[1]} (set duplicates: warn to keep the later "
                        "line)", where=where,
                    )  # fmt: skip
                duplicates += 1
                first = first or f"{where}, order {key[0]!r}"
            seen[key] = where
            if window.holds(parsed[_ORDERED_AT], parsed[_UPDATED_AT]):
                kept.pop(key, None)  # the later line (or file) wins
                kept[key] = parsed
        yield frame(list(kept.values()))
    if duplicates:
        warn(
            f"orders source {source.name!r}: {duplicates} duplicate row(s) (the same order and "
            f"update time twice in one file), the later line kept; the first: {first}"
        )
