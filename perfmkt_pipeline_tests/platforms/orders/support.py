"""Shared pieces of the orders tests: the MariaDB server (a failure in CI=true when it cannot be
reached, a skip saying why elsewhere), the sandbox shop on it, and settings reading it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.platforms.orders.standin import shop_table
from perfmkt_pipeline.platforms.orders.standin.mariadb import (
    MariaDbUnavailable,
    ShopDatabase,
    connect,
    server_url,
)
from perfmkt_pipeline.sandbox.world import World, WorldSpec
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.read import read_arrow
from perfmkt_pipeline_tests.conftest import IN_CI

AS_OF = dt.date(2026, 11, 20)
URL_ENV = "PERFMKT_TEST_ORDERS_URL"


@pytest.fixture(scope="session")
def mariadb_server() -> str:
    try:
        connect().close()
    except MariaDbUnavailable as error:
        if IN_CI:
            pytest.fail(f"{error} (CI=true: MariaDB tests must run)", pytrace=False)
        pytest.skip(str(error))
    return server_url()


@pytest.fixture
def shop(mariadb_server: str) -> Iterator[Callable[..., ShopDatabase]]:
    """Factory of started shop databases over a world (dropped after the test)."""
    started: list[ShopDatabase] = []

    def start(world: World | None = None, **kwargs: Any) -> ShopDatabase:
        database = ShopDatabase(world or World(WorldSpec.small(), as_of=AS_OF), **kwargs).start()
        started.append(database)
        return database

    yield start
    for database in started:
        database.stop()


def orders_config(form: dict, **overrides: Any) -> dict:
    return {**shop_table.source_settings(**form), **overrides}


def settings_with(orders: list[dict], **config: Any):
    return parse_settings(
        {"start_date": "2024-01-01", "reporting_currency": "USD", "orders": orders, **config},
        environ={},
    )


def table_rows(url: str, table: sa.Table, where=None) -> list[dict]:
    """Rows of `table` without loaded_at, sorted by the grain (NULLs first)."""
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            rows = read_arrow(conn, table, where)
    finally:
        warehouse.dispose()
    if "loaded_at" in rows.column_names:
        rows = rows.drop_columns(["loaded_at"])
    grain = table.info["grain"]
    return sorted(
        rows.to_pylist(), key=lambda r: tuple((r[k] is not None, str(r[k])) for k in grain)
    )
