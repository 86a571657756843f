"""Acceptance of issue #20 through Dagster: the sandbox's shop served from MariaDB and as its CSV
export, with Meta and Awin, over a 7-day range into DuckDB and PostgreSQL. core.orders,
marts.blended_daily and marts.utm_daily (its order side) equal the ground truth worked out in
Decimal from the order stream and the world (platforms/orders/standin/truth.py); a refund made
after the first load is in the second; a third run changes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import materialize

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.platforms.meta.standin import truth as meta_truth
from perfmkt_pipeline.platforms.orders.raw_tables import orders as raw_orders
from perfmkt_pipeline.platforms.orders.standin import shop_table, truth
from perfmkt_pipeline.platforms.orders.standin.stream import orders_between, shop_now
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests import below_truth
from perfmkt_pipeline_tests.platforms.orders.support import AS_OF, mariadb_server, table_rows  # noqa: F401
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox_env

FIRST, LAST = AS_OF - dt.timedelta(days=7), AS_OF - dt.timedelta(days=1)
RANGE = {
    "dagster/asset_partition_range_start": FIRST.isoformat(),
    "dagster/asset_partition_range_end": LAST.isoformat(),
}
LATER = AS_OF + dt.timedelta(days=4)  # the second load: refunds made since the first are in it
ORDERS_LOOKBACK = 3
META_LOOKBACK, AWIN_LOOKBACK = 28, 45


def _settings(box: Sandbox, form: dict, env: dict):
    ids = box.account_ids()
    return parse_settings(
        {
            "start_date": "2024-01-01",
            "reporting_currency": "USD",
            "meta": {"account_ids": ids["meta"]},
            "awin": {"account_ids": ids["awin"], "currency": "GBP"},
            "orders": [shop_table.source_settings(**form, lookback_days=ORDERS_LOOKBACK)],
        },
        environ=env,
    )


def _run(settings, url: str) -> None:
    defs = build_definitions(settings)
    result = materialize(
        [*defs.assets, *defs.asset_checks],
        resources=defs.resources,
        tags=RANGE,
    )
    assert result.success
    failed = [
        (e.asset_key, e.check_name) for e in result.get_asset_check_evaluations() if not e.passed
    ]
    assert failed == []


def _pulled_on(url: str) -> dt.date:
    """The UTC day of the newest raw.orders load: what `settled` is judged on (the ads were
    loaded by the same run)."""
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            newest = conn.execute(sa.select(sa.func.max(raw_orders.c.loaded_at))).scalar()
    finally:
        warehouse.dispose()
    return newest.astimezone(dt.UTC).date()


def _check_against_truth(box: Sandbox, url: str, *, earlier_days: bool) -> list[dict]:
    world = box.world
    orders = truth.with_reporting(world, truth.expected_orders(world, FIRST, LAST), "USD")
    in_range = tables.orders.c.date.between(FIRST, LAST)
    assert table_rows(url, tables.orders, in_range) == sorted(
        orders, key=lambda r: ("shop", r["order_id"])
    )
    pulled = _pulled_on(url)
    days = [FIRST + dt.timedelta(days=i) for i in range(7)]
    orders_settled = {day: (pulled - day).days >= ORDERS_LOOKBACK for day in days}
    lookback = max(ORDERS_LOOKBACK, META_LOOKBACK, AWIN_LOOKBACK)
    all_settled = {day: (pulled - day).days >= lookback for day in days}
    ads = truth.ad_days(world, ["meta", "awin"], FIRST, LAST, "USD")
    window = tables.blended_daily.c.date.between(FIRST, LAST)
    assert table_rows(url, tables.blended_daily, window) == truth.expected_blended(
        orders, ads, FIRST, LAST, "USD", all_settled
    )
    utm_window = tables.utm_daily.c.date.between(FIRST, LAST)
    # The spend side: Meta's ads carry the tags their campaigns' orders carry (issue #17).
    spend = below_truth.utm_spend(
        world, meta_truth.ad_days(world, FIRST, LAST), meta_truth.ads(world), "USD"
    )
    assert spend
    assert table_rows(url, tables.utm_daily, utm_window) == truth.expected_utm(
        orders, "USD", orders_settled, spend
    )
    # Orders of earlier days read because they changed within the lookback: when the run read
    # up to the shop's present, each is exactly its order's state now.
    earlier = table_rows(url, tables.orders, tables.orders.c.date < FIRST)
    if earlier_days:
        assert earlier
        first_day = min(r["date"] for r in earlier)
        known = {
            r["order_id"]: r
            for r in truth.with_reporting(
                world, truth.expected_orders(world, first_day, FIRST - dt.timedelta(days=1)), "USD"
            )
        }
        assert [known[r["order_id"]] for r in earlier] == earlier
    return orders


@pytest.mark.parametrize("form", ["mariadb", "csv"])
def test_orders_and_marts_equal_the_ground_truth_a_later_refund_lands_and_reruns_change_nothing(
    form: str,
    warehouse_url: str,
    mariadb_server: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "exports"
    box = Sandbox(as_of=AS_OF, google_ads=False, orders=form, orders_folder=folder).start()
    try:
        env = sandbox_env(monkeypatch, box)
        monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", warehouse_url)
        source = (
            {"sql": {"table": "orders"}}
            if form == "mariadb"
            else {"files": {"location": str(folder / "*.csv")}}
        )
        settings = _settings(box, source, env)

        _run(settings, warehouse_url)
        first = {
            r["order_id"]: r for r in _check_against_truth(box, warehouse_url, earlier_days=True)
        }

        # A refund (and other changes) arrive after the first load.
        box.world.as_of = LATER
        box.sync_orders()
        refunded_since = [
            o.order_id
            for o in orders_between(
                box.world, shop_now(AS_OF) - dt.timedelta(days=7), shop_now(AS_OF)
            )
            if o.refunded_at is not None and shop_now(AS_OF) <= o.refunded_at < shop_now(LATER)
        ]
        assert refunded_since, "the world should refund an order of the range after the first load"
        _run(settings, warehouse_url)
        second = {
            r["order_id"]: r for r in _check_against_truth(box, warehouse_url, earlier_days=False)
        }
        for order_id in refunded_since:
            assert first[order_id]["status"] == "placed"
            assert second[order_id]["status"] == "refunded"
            assert second[order_id]["revenue_local"] < first[order_id]["revenue_local"]

        before = {
            t.name: table_rows(warehouse_url, t)
            for t in (tables.orders, tables.blended_daily, tables.utm_daily)
        }
        _run(settings, warehouse_url)
        after = {
            t.name: table_rows(warehouse_url, t)
            for t in (tables.orders, tables.blended_daily, tables.utm_daily)
        }
        assert after == before
    finally:
        box.stop()
