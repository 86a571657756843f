"""The sandbox shop's CSV export: the same columns as its database (shop_table.py), times in ISO
8601 with each storefront's UTC offset, one file of the orders placed in the last
`history_days` as they stand at the world's `as_of`."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from perfmkt_pipeline.platforms.orders.standin import shop_table
from perfmkt_pipeline.platforms.orders.standin.mariadb import HISTORY_DAYS
from perfmkt_pipeline.platforms.orders.standin.stream import orders_between, shop_now

FILE_NAME = "orders.csv"


def write_csv(world, folder: Path, *, history_days: int = HISTORY_DAYS) -> Path:
    """Write (or rewrite) `folder/orders.csv`; returns its path."""
    now = shop_now(world.as_of)
    orders = orders_between(world, now - dt.timedelta(days=history_days), now)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    temporary = path.with_suffix(".csv.tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(shop_table.COLUMNS)
        writer.writerows(shop_table.csv_row(order, now) for order in orders)
    temporary.replace(path)  # a reader never sees half a file
    return path
