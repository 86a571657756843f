"""Landing a read in raw.orders: every chunk upserted by (source, order_id, updated_at), all in
one transaction. A reading already held is replaced by itself (re-running leaves the same rows);
nothing is deleted (an order missing from an answer says nothing about it); a failure anywhere
(a bad order in the last chunk, a query that breaks off) rolls the whole read back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyarrow as pa

from perfmkt_pipeline.platforms.orders.raw_tables import orders as raw_orders
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import upsert_rows


@dataclass
class Landed:
    rows: int = 0
    chunks: int = 0
    revenue_by_currency: dict[str, object] = field(default_factory=dict)
    preview: pa.Table | None = None


def land_orders(
    warehouse: Warehouse,
    frames: Iterable[pa.Table],
    *,
    loaded_at: dt.datetime,
    progress: Callable[[int], None] | None = None,
) -> Landed:
    """Upsert every frame of a read into raw.orders in one transaction."""
    landed = Landed()
    with warehouse.begin() as conn:
        for frame in frames:
            landed.chunks += 1
            if frame.num_rows == 0:
                continue
            upsert_rows(warehouse, raw_orders, frame, loaded_at=loaded_at, connection=conn)
            landed.rows += frame.num_rows
            _add_revenue(landed, frame)
            if landed.preview is None:
                landed.preview = frame.slice(0, 10).drop_columns(["record"])
            if progress is not None:
                progress(landed.rows)
    return landed


def _add_revenue(landed: Landed, frame: pa.Table) -> None:
    sums = frame.group_by(["currency"], use_threads=False).aggregate([("revenue", "sum")])
    for currency, total in zip(
        sums["currency"].to_pylist(), sums["revenue_sum"].to_pylist(), strict=True
    ):
        landed.revenue_by_currency[currency] = landed.revenue_by_currency.get(currency, 0) + total


__all__ = ["Landed", "land_orders"]
