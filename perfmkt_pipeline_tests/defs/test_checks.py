"""Acceptance 3: each asset check passes on a correct warehouse and fails on one crafted to
break it; a failing blocking check stops the marts from being built."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import materialize

from perfmkt_pipeline.defs import checks
from perfmkt_pipeline.defs.assets.core import build_core_assets
from perfmkt_pipeline.defs.assets.marts import build_mart_assets
from perfmkt_pipeline.defs.core_windows import core_windows
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.warehouse import core_io, tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests import core_marts_fixture as fx

RANGE = {
    "dagster/asset_partition_range_start": fx.START.isoformat(),
    "dagster/asset_partition_range_end": fx.END.isoformat(),
}


def _assets():
    return [*build_core_assets(fx.SETTINGS, "duckdb"), *build_mart_assets(fx.SETTINGS, "duckdb")]


@pytest.fixture(scope="module")
def correct_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB warehouse built from the fixture by the real assets (once per module)."""
    path = tmp_path_factory.mktemp("correct") / "warehouse.duckdb"
    url = f"duckdb:///{path}"
    warehouse = Warehouse(url)
    warehouse.ensure_schema()
    fx.load_raw(warehouse)
    warehouse.dispose()
    materialize(_assets(), resources={"warehouse": WarehouseResource(url=url)}, tags=RANGE)
    return path


@pytest.fixture
def warehouse(correct_file: Path, tmp_path: Path) -> Iterator[Warehouse]:
    """A private copy of the correct warehouse for a test to break."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(correct_file, copy)
    wh = Warehouse(f"duckdb:///{copy}")
    yield wh
    wh.dispose()


def _windows(conn):
    return core_windows(conn, fx.SETTINGS, fx.START, fx.END)


def _span(conn):
    return core_io.overall(_windows(conn), fx.START, fx.END)


def _breaks(warehouse: Warehouse, evaluate: Callable, statements: list[str]) -> checks.Outcome:
    """Asserts `evaluate` passes, runs the breaking statements, and returns the new outcome."""
    with warehouse.begin() as conn:
        assert evaluate(conn).passed
    with warehouse.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    with warehouse.begin() as conn:
        outcome = evaluate(conn)
    assert not outcome.passed
    return outcome


GRAIN_TABLES = [
    tables.ad_accounts, tables.campaigns, tables.ad_performance_daily, tables.conversions_daily,
    tables.affiliate_actions, tables.fx_rates, tables.campaign_daily, tables.channel_daily,
]  # fmt: skip


@pytest.mark.parametrize("table", GRAIN_TABLES, ids=lambda t: t.fullname)
def test_grain_check_fails_on_a_duplicated_row(warehouse: Warehouse, table: sa.Table):
    outcome = _breaks(
        warehouse,
        lambda conn: checks.evaluate_grain(conn, table),
        [f"INSERT INTO {table.fullname} SELECT * FROM {table.fullname} LIMIT 1"],
    )
    assert outcome.metadata["duplicated_keys"] == 1


def test_grain_check_fails_on_a_restatement_recorded_twice(warehouse: Warehouse):
    table = tables.restatements
    row = (
        "DATE '2026-11-05', 'meta', '101', 'M1', 'spend_local', 1, 2, "
        "TIMESTAMPTZ '2026-11-21 10:00:00+00'"
    )
    with warehouse.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {table.fullname} VALUES ({row})"))
    outcome = _breaks(
        warehouse,
        lambda conn: checks.evaluate_grain(conn, table),
        [f"INSERT INTO {table.fullname} VALUES ({row})"],
    )
    assert outcome.metadata["duplicated_keys"] == 1


@pytest.mark.parametrize("column", ["spend", "spend_local", "impressions", "clicks"])
def test_non_negative_check_fails_on_a_negative_value(warehouse: Warehouse, column: str):
    outcome = _breaks(
        warehouse,
        lambda conn: checks.evaluate_non_negative(conn, _span(conn)),
        [f"UPDATE core.ad_performance_daily SET {column} = -1 WHERE campaign_id = 'M2'"],
    )
    assert outcome.metadata["negative_rows"] == 1


def test_clicks_check_fails_when_clicks_exceed_impressions(warehouse: Warehouse):
    outcome = _breaks(
        warehouse,
        lambda conn: checks.evaluate_clicks_within_impressions(conn, _span(conn)),
        ["UPDATE core.ad_performance_daily SET clicks = impressions + 1 WHERE campaign_id = '111'"],
    )
    assert outcome.metadata["rows_with_more_clicks"] == 2


def test_fx_check_fails_when_a_rate_is_missing(warehouse: Warehouse):
    # Without JPY rates no Google Ads or Awin day can be converted.
    outcome = _breaks(
        warehouse,
        lambda conn: checks.evaluate_fx_coverage(conn, fx.SETTINGS, _span(conn)),
        ["DELETE FROM core.fx_rates WHERE currency = 'JPY'"],
    )
    # JPY on Thursday and Saturday in performance and conversions (Google Ads), and on
    # Saturday in affiliate_actions (Awin)
    assert outcome.metadata["currency_days_without_rate"] == 5


def test_fx_check_fails_when_rows_carry_a_rate_the_fixes_no_longer_give(warehouse: Warehouse):
    # Friday's EUR-USD fix corrected after core was built: Saturday's EUR rows are stale.
    outcome = _breaks(
        warehouse,
        lambda conn: checks.evaluate_fx_coverage(conn, fx.SETTINGS, _span(conn)),
        [
            "UPDATE core.fx_rates SET units_per_eur = 1.17 WHERE currency = 'USD' AND date = DATE '2026-11-06'"
        ],
    )
    # Saturday: EUR (Meta) and JPY (Google Ads) in performance and conversions, JPY (Awin) in
    # affiliate_actions
    assert outcome.metadata["currency_days_without_rate"] == 5


def test_account_check_fails_when_a_configured_account_is_missing(warehouse: Warehouse):
    outcome = _breaks(
        warehouse,
        lambda conn: checks.evaluate_accounts_present(conn, fx.SETTINGS),
        ["DELETE FROM core.ad_accounts WHERE platform = 'meta'"],
    )
    assert outcome.metadata["missing"].value == ["meta:101"]


@pytest.mark.parametrize(
    ("statement", "differences"),
    [
        # raw re-landed without core being rebuilt
        ("UPDATE raw.google_ads_campaign_daily SET cost_micros = cost_micros + 1 "
         "WHERE campaign_id = '222' AND date = DATE '2026-11-05'", 1),
        ("UPDATE raw.meta_ad_insights SET clicks = clicks + 1 WHERE ad_id = 'A3'", 1),
        # core lost an affiliate action: its day's spend and the action itself are missing
        ("DELETE FROM core.affiliate_actions WHERE action_id = 'R1'", 2),
        # an affiliate day disagrees with its actions
        ("UPDATE core.ad_performance_daily SET spend_local = 7 WHERE platform = 'cj'", 1),
    ],
    ids=["google_cost", "meta_clicks", "affiliate_action_missing", "affiliate_spend"],
)  # fmt: skip
def test_raw_to_core_check_fails_when_totals_differ(
    warehouse: Warehouse, statement: str, differences: int
):
    outcome = _breaks(
        warehouse,
        lambda conn: checks.evaluate_raw_totals(conn, fx.SETTINGS, _windows(conn)),
        [statement],
    )
    assert outcome.metadata["differences"] == differences


@pytest.mark.parametrize("mart", ["campaign_daily", "channel_daily"])
def test_core_to_marts_check_fails_when_a_mart_total_differs(warehouse: Warehouse, mart: str):
    outcome = _breaks(
        warehouse,
        lambda conn: checks.evaluate_mart_totals(conn, _span(conn)),
        [f"UPDATE marts.{mart} SET conversions = conversions + 1 WHERE platform = 'awin'"],
    )
    assert outcome.metadata["differences"] == 1


def test_a_failing_blocking_check_stops_the_marts(tmp_path: Path):
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    warehouse = Warehouse(url)
    warehouse.ensure_schema()
    negative = {(fx.THU, "222"): {"cost_micros": -5_000_000}}
    fx.load_raw(warehouse, google_ads_campaign_daily=fx.google_campaign_daily(negative))
    warehouse.dispose()
    result = materialize(
        [*_assets(), *checks.build_checks(fx.SETTINGS)],
        resources={"warehouse": WarehouseResource(url=url)},
        tags=RANGE,
        raise_on_error=False,
    )
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed == {"no_negative_spend_clicks_impressions"}
    assert result.asset_materializations_for_node("core_tables")
    assert result.asset_materializations_for_node("mart_tables") == []
