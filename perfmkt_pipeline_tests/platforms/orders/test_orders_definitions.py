"""The orders source in the definitions: its assets, checks and resource (the URL an EnvVar,
read at run time), the daily sync's run for it, the missing-secret message, and the migration
creating exactly the tables' columns."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import yaml
from dagster import AssetKey, EnvVar

from perfmkt_pipeline.config import bundled_sandbox_config, missing_secrets, parse_settings
from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.defs.schedules import plan_sync
from perfmkt_pipeline.platforms.orders.raw_tables import orders as raw_orders
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse

SETTINGS = parse_settings(yaml.safe_load(bundled_sandbox_config()), environ={})


def test_the_bundled_configuration_builds_the_orders_assets_checks_and_resource(monkeypatch):
    monkeypatch.delenv("PERFMKT_ORDERS_URL", raising=False)
    defs = build_definitions(SETTINGS)  # no secret is read
    keys = {key for a in defs.assets for key in a.keys}
    assert {
        AssetKey(["raw", "orders", "shop"]),
        AssetKey(["core", "orders"]),
        AssetKey(["marts", "blended_daily"]),
        AssetKey(["marts", "utm_daily"]),
    } <= keys
    checks = {
        (key.asset_key.to_user_string(), key.name)
        for c in defs.asset_checks
        for key in c.check_keys
        if key.asset_key.path[-1] in ("orders", "blended_daily", "utm_daily")
    }
    assert checks == {
        ("core/orders", "grain_is_unique"),
        ("marts/blended_daily", "grain_is_unique"),
        ("marts/utm_daily", "grain_is_unique"),
        ("marts/blended_daily", "orders_and_revenue_equal_core"),
    }
    resource = defs.resources["orders_shop"]
    # An EnvVar: the UI shows the variable's name only, the value is read when a run starts.
    assert isinstance(resource.url, EnvVar) and resource.url.env_var_name == "PERFMKT_ORDERS_URL"


def test_the_daily_sync_runs_the_orders_source_over_its_lookback():
    defs = build_definitions(SETTINGS)
    runs = {
        r.name: r
        for r in plan_sync(SETTINGS, list(defs.assets), dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC))
    }
    run = runs["orders_shop"]
    assert run.keys == (AssetKey(["raw", "orders", "shop"]),)
    assert (run.start, run.end) == (dt.date(2026, 10, 21), dt.date(2026, 11, 19))


def test_a_missing_url_variable_is_named():
    problems = missing_secrets(SETTINGS, environ={})
    assert (
        "orders.shop.sql.url_env: the source is configured but the environment lacks "
        "PERFMKT_ORDERS_URL"
    ) in problems


def test_the_migration_creates_the_columns_of_the_table_definitions(warehouse: Warehouse):
    with warehouse.begin() as conn:
        inspector = sa.inspect(conn)
        for table in (raw_orders, tables.orders, tables.blended_daily, tables.utm_daily):
            found = [c["name"] for c in inspector.get_columns(table.name, schema=table.schema)]
            assert found == [c.name for c in table.columns], table.fullname
