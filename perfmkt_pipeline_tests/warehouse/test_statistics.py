"""Planner statistics after a bulk load: refreshed on PostgreSQL, DuckDB's own on DuckDB."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import sqlalchemy as sa

from perfmkt_pipeline.platforms.google_ads import tables as google_ads_tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.write import Slice, arrow_schema, replace_slice

LOADED = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)
COLUMNS = ["account_id", "date", "campaign_id", "cost_micros", "impressions", "clicks"]


def campaign_days(account: str, campaigns: int, days: int) -> pa.Table:
    rows = [
        {
            "account_id": account,
            "date": dt.date(2026, 1, 1) + dt.timedelta(days=day),
            "campaign_id": str(campaign),
            "cost_micros": 1_000_000,
            "impressions": 10,
            "clicks": 1,
        }
        for day in range(days)
        for campaign in range(campaigns)
    ]
    return pa.Table.from_pylist(
        rows, schema=arrow_schema(google_ads_tables.google_ads_campaign_daily, COLUMNS)
    )


def load(warehouse: Warehouse, account: str, campaigns: int, days: int) -> None:
    last = dt.date(2026, 1, 1) + dt.timedelta(days=days - 1)
    replace_slice(
        warehouse,
        google_ads_tables.google_ads_campaign_daily,
        campaign_days(account, campaigns, days),
        Slice({"account_id": account}, "date", dt.date(2026, 1, 1), last),
        loaded_at=LOADED,
    )


def planner_rows(warehouse: Warehouse) -> float:
    with warehouse.begin() as conn:
        return conn.execute(
            sa.text(
                "SELECT reltuples FROM pg_class WHERE oid = 'raw.google_ads_campaign_daily'::regclass"
            )
        ).scalar_one()


@pytest.mark.postgres
def test_postgresql_plans_on_the_rows_of_the_load_just_committed(postgres_url: str) -> None:
    warehouse = Warehouse(postgres_url)
    warehouse.ensure_schema()
    table = [google_ads_tables.google_ads_campaign_daily]
    with warehouse.begin() as conn:  # autovacuum must not analyse it between two assertions
        conn.exec_driver_sql(
            "ALTER TABLE raw.google_ads_campaign_daily SET (autovacuum_enabled = false)"
        )
    try:
        load(warehouse, "1", campaigns=40, days=50)
        assert planner_rows(warehouse) == -1  # PostgreSQL's "never analysed"
        assert warehouse.refresh_statistics(table) == ["raw.google_ads_campaign_daily"]
        assert planner_rows(warehouse) == 2000
        load(warehouse, "2", campaigns=20, days=50)
        assert planner_rows(warehouse) == 2000  # until analysed again
        assert warehouse.refresh_statistics(table * 2) == ["raw.google_ads_campaign_daily"]
        assert planner_rows(warehouse) == 3000
    finally:
        warehouse.dispose()


@pytest.mark.postgres
def test_a_failed_refresh_is_logged_and_leaves_the_load_standing(postgres_url: str, caplog) -> None:
    warehouse = Warehouse(postgres_url)
    warehouse.ensure_schema()
    missing = sa.Table("not_there", sa.MetaData(), sa.Column("id", sa.Integer), schema="raw")
    try:
        load(warehouse, "1", campaigns=40, days=50)
        assert warehouse.refresh_statistics([missing]) == []
        assert [r.getMessage() for r in caplog.records] == [
            'planner statistics not refreshed (the load stands): relation "raw.not_there" does '
            "not exist"
        ]
        with warehouse.begin() as conn:
            count = sa.select(sa.func.count()).select_from(
                google_ads_tables.google_ads_campaign_daily
            )
            assert conn.execute(count).scalar_one() == 2000
    finally:
        warehouse.dispose()


def test_duckdb_keeps_its_own_statistics(duckdb_url: str) -> None:
    warehouse = Warehouse(duckdb_url)
    warehouse.ensure_schema()
    try:
        load(warehouse, "1", campaigns=40, days=50)
        assert warehouse.refresh_statistics([google_ads_tables.google_ads_campaign_daily]) == []
    finally:
        warehouse.dispose()
