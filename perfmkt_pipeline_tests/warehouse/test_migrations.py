"""Schema versions: a warehouse made by an older version upgrades in place with its rows intact."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from perfmkt_pipeline.warehouse import raw, tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.migrate import current_revision, head_revision, upgrade

LOADED = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
HEAD = head_revision()


def test_a_first_version_warehouse_with_rows_upgrades_to_the_latest(warehouse_url: str) -> None:
    warehouse = Warehouse(warehouse_url)
    upgrade(warehouse, "0001")
    with warehouse.begin() as conn:
        conn.execute(
            sa.insert(tables.ad_accounts),
            [
                {
                    "platform": "meta",
                    "account_id": "101",
                    "account_name": "Shop DE",
                    "currency": "EUR",
                    "timezone": "Europe/Berlin",
                    "loaded_at": LOADED,
                },
                {
                    "platform": "google_ads",
                    "account_id": "1234567890",
                    "account_name": "Shop JP",
                    "currency": "JPY",
                    "timezone": "Asia/Tokyo",
                    "loaded_at": LOADED,
                },
            ],
        )
    assert current_revision(warehouse) == "0001"
    with warehouse.begin() as conn:
        assert not sa.inspect(conn).has_table("load_log", schema="raw")

    warehouse.ensure_schema()

    assert current_revision(warehouse) == HEAD
    with warehouse.begin() as conn:
        rows = conn.execute(
            sa.select(
                tables.ad_accounts.c.platform,
                tables.ad_accounts.c.account_id,
                tables.ad_accounts.c.currency,
            ).order_by(tables.ad_accounts.c.platform)
        ).all()
        assert sa.inspect(conn).has_table("load_log", schema="raw")
        assert conn.execute(sa.select(sa.func.count()).select_from(raw.load_log)).scalar() == 0
    assert [tuple(r) for r in rows] == [("google_ads", "1234567890", "JPY"), ("meta", "101", "EUR")]


def test_the_latest_migration_matches_the_table_definitions(warehouse: Warehouse) -> None:
    with warehouse.begin() as conn:
        inspector = sa.inspect(conn)
        for table in tables.metadata.sorted_tables:
            found = [c["name"] for c in inspector.get_columns(table.name, schema=table.schema)]
            assert found == [c.name for c in table.columns], table.fullname


def test_upgrading_an_up_to_date_warehouse_changes_nothing(warehouse: Warehouse) -> None:
    fresh = Warehouse(warehouse.url)
    fresh.ensure_schema()
    assert current_revision(fresh) == HEAD
