"""Bad input from an orders source: an unknown currency, a negative revenue that is not a
refund, a missing mapped column and a query that fails each give one clear error naming the
source, the order and the field (the file and line for an export), and leave the warehouse as it
was, even when earlier chunks of the same read had been landed. Against the shop on MariaDB and
its CSV export, on DuckDB and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from dagster import materialize

from perfmkt_pipeline.defs.assets.orders import build_orders_assets, orders_resources
from perfmkt_pipeline.defs.policies import fail_fast_steps
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.platforms.orders.build import read_window
from perfmkt_pipeline.platforms.orders.errors import OrderDataError, OrderFatalError
from perfmkt_pipeline.platforms.orders.land import land_orders
from perfmkt_pipeline.platforms.orders.raw_tables import orders as raw_orders
from perfmkt_pipeline.platforms.orders.reader import read_orders
from perfmkt_pipeline.platforms.orders.standin.export import write_csv
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

FIRST, LAST = AS_OF - dt.timedelta(days=3), AS_OF - dt.timedelta(days=1)
LOADED_AT = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)
# The order the tests break: placed on the range's last day, so its rows come late in the read.
BROKEN_DAY = LAST


def _load(settings, url: str, warehouse: Warehouse, progress: list[int]) -> None:
    source = settings.orders[0]
    window = read_window(settings, source.name, FIRST, LAST)
    frames = read_orders(source, window, url=url)
    land_orders(warehouse, frames, loaded_at=LOADED_AT, progress=progress.append)


def _last_order(database) -> str:
    database.execute("SELECT 1")
    with database._connection.cursor() as cursor:
        cursor.execute(
            "SELECT MAX(id) FROM orders WHERE created_at < %s",
            (dt.datetime.combine(AS_OF, dt.time()),),
        )
        return cursor.fetchone()[0]


@pytest.fixture
def loaded(shop, warehouse):  # noqa: F811
    """A warehouse holding a good read of the shop, the shop, and its settings (chunks of 100)."""
    database = shop()
    settings = settings_with(
        [orders_config({"sql": {"table": "orders", "chunk_rows": 100}}, lookback_days=2)]
    )
    _load(settings, database.url, warehouse, [])
    before = table_rows(warehouse.url, raw_orders)
    assert len(before) > 300
    return database, settings, before


def _touch(database, order_id: str, **values) -> None:
    """Change an order in the shop's database (its update time inside the read window)."""
    assignments = ", ".join(f"{name} = %s" for name in values)
    database.execute(
        f"UPDATE orders SET {assignments}, updated_at = %s WHERE id = %s",
        *values.values(),
        dt.datetime.combine(LAST, dt.time(23, 59)),
        order_id,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"currency": "XYZ"},
            "field currency: unknown currency 'XYZ' (ECB reference currencies only)",
        ),
        (
            {"total": -5, "status": "paid"},
            "field revenue (column 'total'): negative revenue -5.00 on an order that is not a "
            "refund (status 'paid' maps to placed)",
        ),
    ],
    ids=["unknown_currency", "negative_revenue"],
)
def test_a_bad_order_names_source_order_and_field_and_the_warehouse_stays_as_it_was(
    loaded, warehouse, change, message
):
    database, settings, before = loaded
    broken = _last_order(database)
    _touch(database, broken, **change)
    landed: list[int] = []
    with pytest.raises(OrderDataError) as raised:
        _load(settings, database.url, warehouse, landed)
    assert str(raised.value) == f"orders source 'shop': order '{broken}': {message}"
    assert landed and landed[-1] > 0  # earlier chunks had been upserted, then rolled back
    assert table_rows(warehouse.url, raw_orders) == before


def test_a_mapped_column_missing_from_the_query_names_it(loaded, warehouse):
    database, settings, before = loaded
    database.execute("ALTER TABLE orders DROP COLUMN currency")
    with pytest.raises(OrderDataError) as raised:
        _load(settings, database.url, warehouse, [])
    assert str(raised.value) == (
        "orders source 'shop': before the first order: field currency: column 'currency' missing "
        "from the query's result"
    )
    assert table_rows(warehouse.url, raw_orders) == before


def test_a_failing_query_names_the_source_and_the_database_error(loaded, warehouse):
    database, _, before = loaded
    settings = settings_with(
        [orders_config({"sql": {"query": "SELECT * FROM orders JOIN no_such_table USING (id)"}})]
    )
    with pytest.raises(OrderFatalError) as raised:
        _load(settings, database.url, warehouse, [])
    assert str(raised.value) == (
        "orders source 'shop': sql.query: the query failed: (1146, \"Table "
        f"'{database.database}.no_such_table' doesn't exist\")"
    )
    assert table_rows(warehouse.url, raw_orders) == before


def test_an_unreachable_database_is_named_without_its_password(warehouse):
    settings = settings_with([orders_config({"sql": {"table": "orders"}})])
    url = "mysql+pymysql://shop:s3cret@127.0.0.1:1/shop"
    with pytest.raises(Exception) as raised:
        _load(settings, url, warehouse, [])
    assert str(raised.value).startswith(
        "orders source 'shop': cannot connect to the database in $PERFMKT_ORDERS_URL: "
    )
    assert "s3cret" not in str(raised.value)
    assert table_rows(warehouse.url, raw_orders) == []


def test_the_step_fails_at_once_with_the_error_as_its_message(shop, duckdb_url):  # noqa: F811
    database = shop()
    _touch(database, _last_order(database), currency="XYZ")
    settings = settings_with([orders_config({"sql": {"table": "orders"}}, lookback_days=2)])
    assets = fail_fast_steps(build_orders_assets(settings, "duckdb")[:1])
    result = materialize(
        assets,
        resources={
            "warehouse": WarehouseResource(url=duckdb_url),
            **{k: type(r)(url=database.url) for k, r in orders_resources(settings).items()},
        },
        partition_key=LAST.isoformat(),
        raise_on_error=False,
    )
    assert not result.success
    [failure] = result.get_step_failure_events()
    data = failure.step_failure_data
    assert data.user_failure_data.description == (
        f"orders source 'shop': order '{_last_order(database)}': field currency: unknown currency "
        "'XYZ' (ECB reference currencies only)"
    )


# --- the CSV export -------------------------------------------------------------------------


def _export(tmp_path: Path) -> Path:
    return write_csv(World(WorldSpec.small(), as_of=AS_OF), tmp_path / "exports")


def _rewrite(path: Path, edit) -> int:
    """Apply `edit(header, row)` to the export's last row placed on BROKEN_DAY; its line."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    target = max(i for i, row in enumerate(rows[1:], 1) if row[1].startswith(str(BROKEN_DAY)))
    edit(header, rows[target])
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return target + 1


def _files_settings(path: Path, **overrides):
    return settings_with(
        [orders_config({"files": {"location": str(path.parent)}}, lookback_days=2, **overrides)]
    )


def test_an_export_row_with_an_unknown_currency_names_file_line_order_and_field(
    tmp_path, warehouse
):
    path = _export(tmp_path)
    settings = _files_settings(path)
    _load(settings, "", warehouse, [])
    before = table_rows(warehouse.url, raw_orders)
    order = {}

    def edit(header, row):
        row[header.index("currency")] = "XYZ"
        row[header.index("updated_at")] = f"{LAST}T23:59:00+00:00"
        order["id"] = row[0]

    line = _rewrite(path, edit)
    with pytest.raises(OrderDataError) as raised:
        _load(settings, "", warehouse, [])
    assert str(raised.value) == (
        f"orders source 'shop': {path}, line {line}: order '{order['id']}': field currency: "
        "unknown currency 'XYZ' (ECB reference currencies only)"
    )
    assert table_rows(warehouse.url, raw_orders) == before


def test_an_export_without_a_mapped_column_names_the_file_and_column(tmp_path, warehouse):
    path = _export(tmp_path)
    text = path.read_text().replace("refunded_total", "refund", 1)
    path.write_text(text)
    with pytest.raises(OrderDataError) as raised:
        _load(_files_settings(path), "", warehouse, [])
    assert str(raised.value) == (
        f"orders source 'shop': {path}, line 1: before the first order: field refunded (column "
        "'refunded_total'): column 'refunded_total' missing from the header"
    )
    assert table_rows(warehouse.url, raw_orders) == []


def test_a_duplicate_export_row_is_an_error_or_with_warn_the_later_line_wins(tmp_path, warehouse):
    path = _export(tmp_path)
    lines = path.read_text().splitlines()
    last = lines[-1].split(",")
    doubled = [*last[:3], "99.00", *last[4:]]
    path.write_text("\n".join([*lines, ",".join(doubled)]) + "\n")
    with pytest.raises(
        OrderDataError, match=re.escape(f"line {len(lines) + 1}: order '{last[0]}'")
    ):
        _load(_files_settings(path), "", warehouse, [])
    assert table_rows(warehouse.url, raw_orders) == []

    settings = settings_with(
        [orders_config({"files": {"location": str(path), "duplicates": "warn"}}, lookback_days=2)]
    )
    _load(settings, "", warehouse, [])
    [row] = [r for r in table_rows(warehouse.url, raw_orders) if r["order_id"] == last[0]]
    assert row["revenue"] == 99
