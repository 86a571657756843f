"""The blocking checks of one asset share a step (defs/check_steps.py): the same check names on
the same assets, blocking as before, and one check's error does not hide the others' results."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, asset, materialize

from perfmkt_pipeline.defs.check_steps import Check, check_steps
from perfmkt_pipeline.defs.checks import Outcome, build_checks
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests import core_marts_fixture as fx

CORE = ["core"]


def test_the_checks_keep_their_names_and_assets_in_fewer_steps() -> None:
    definitions = build_checks(fx.SETTINGS)
    keys = sorted((k.asset_key.to_user_string(), k.name) for d in definitions for k in d.check_keys)
    assert keys == [
        ("core/ad_accounts", "every_configured_account_present"),
        ("core/ad_accounts", "grain_is_unique"),
        ("core/ad_performance_daily", "clicks_within_impressions"),
        ("core/ad_performance_daily", "fx_rate_for_every_currency_and_day"),
        ("core/ad_performance_daily", "grain_is_unique"),
        ("core/ad_performance_daily", "no_negative_spend_clicks_impressions"),
        ("core/ad_performance_daily", "raw_totals_equal_core"),
        ("core/affiliate_actions", "grain_is_unique"),
        ("core/campaigns", "grain_is_unique"),
        ("core/conversions_daily", "grain_is_unique"),
        ("core/fx_rates", "grain_is_unique"),
        ("core/restatements", "grain_is_unique"),
        ("marts/campaign_daily", "grain_is_unique"),
        ("marts/channel_daily", "core_totals_equal_marts"),
        ("marts/channel_daily", "grain_is_unique"),
    ]
    steps = {d.node_def.name: sorted(k.name for k in d.check_keys) for d in definitions}
    assert len(steps) == 10
    assert steps["core__ad_performance_daily_checks"] == [
        "fx_rate_for_every_currency_and_day",
        "grain_is_unique",
        "no_negative_spend_clicks_impressions",
        "raw_totals_equal_core",
    ]
    assert steps["core__ad_accounts_checks"] == [
        "every_configured_account_present",
        "grain_is_unique",
    ]
    assert steps["marts__channel_daily_checks"] == ["core_totals_equal_marts", "grain_is_unique"]
    # The warning stays a step of its own: its error must not stop the marts.
    assert steps["core__ad_performance_daily_clicks_within_impressions"] == [
        "clicks_within_impressions"
    ]
    specs = {
        (s.asset_key.to_user_string(), s.name): s.blocking
        for d in definitions
        for s in d.check_specs
    }
    assert [k for k, blocking in specs.items() if not blocking] == [
        ("core/ad_performance_daily", "clicks_within_impressions")
    ]


def _outcome(passed: bool):
    return lambda conn, context: Outcome(passed, {"checked": 1})


def _raises(conn, context):
    raise ValueError("boom: the check's own error")


@pytest.mark.parametrize("error", [False, True])
def test_a_failing_or_erroring_blocking_check_of_a_shared_step_stops_the_downstream_asset(
    tmp_path: Path, error: bool
) -> None:
    @asset(key=AssetKey([*CORE, "checked"]))
    def checked() -> None:
        return None

    @asset(key=AssetKey([*CORE, "downstream"]), deps=[checked])
    def downstream() -> None:
        return None

    key = checked.key
    checks = [
        Check(key, "passes", "passes", _outcome(True)),
        Check(key, "breaks", "breaks", _raises if error else _outcome(False)),
        Check(key, "also_passes", "also passes", _outcome(True)),
    ]
    definitions = check_steps(checks, None)  # type: ignore[arg-type]
    assert [d.node_def.name for d in definitions] == ["core__checked_checks"]
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    result = materialize(
        [checked, downstream, *definitions],
        resources={"warehouse": WarehouseResource(url=url)},
        raise_on_error=False,
    )
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    if error:  # the others still report; the error fails the step
        assert evaluations == {"passes": True, "also_passes": True}
        failure = result.get_step_failure_events()[0]
        assert "boom: the check's own error" in failure.step_failure_data.error.to_string()
    else:
        assert evaluations == {"passes": True, "breaks": False, "also_passes": True}
    assert not result.success
    assert result.asset_materializations_for_node("core__checked")
    assert result.asset_materializations_for_node("core__downstream") == []


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("campaigns_pass", [True, False])
def test_a_check_reading_another_asset_waits_for_it_and_for_its_blocking_checks(
    tmp_path: Path, grouped: bool, campaigns_pass: bool
) -> None:
    # The below-the-campaign core and its reconciliation check, in small: `ads` does not read
    # `campaigns`, so it is built beside it; the check comparing the two (Check.deps) runs once
    # both are written, and not at all when a blocking check on `campaigns` failed, which then
    # stops the marts reading `ads` as before.
    written: list[str] = []

    @asset(key=AssetKey([*CORE, "campaigns"]))
    def campaigns() -> None:
        written.append("campaigns")

    @asset(key=AssetKey([*CORE, "ads"]))
    def ads() -> None:
        written.append("ads")

    @asset(key=AssetKey([*CORE, "ads_mart"]), deps=[ads])
    def ads_mart() -> None:
        written.append("ads_mart")

    def reconcile(conn, context):
        return Outcome("campaigns" in written and "ads" in written, {"read": sorted(written)})

    checks = [
        Check(campaigns.key, "campaigns_ok", "campaigns ok", _outcome(campaigns_pass)),
        Check(ads.key, "reconcile", "ads equal campaigns", reconcile, deps=(campaigns.key,)),
        *([Check(ads.key, "grain", "ads grain", _outcome(True))] if grouped else []),
    ]
    definitions = check_steps(checks, None)  # type: ignore[arg-type]
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    result = materialize(
        [campaigns, ads, ads_mart, *definitions],
        resources={"warehouse": WarehouseResource(url=url)},
        raise_on_error=False,
    )
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert result.asset_materializations_for_node("core__ads")
    if campaigns_pass:
        assert result.success
        assert evaluations == {
            "campaigns_ok": True,
            "reconcile": True,
            **({"grain": True} if grouped else {}),
        }
        assert written[-1] == "ads_mart"
    else:
        assert not result.success
        assert evaluations == {"campaigns_ok": False}
        assert result.asset_materializations_for_node("core__ads_mart") == []
        assert "ads_mart" not in written


@pytest.mark.parametrize("error", [False, True])
def test_a_failing_or_erroring_warning_of_a_shared_step_stops_nothing(
    tmp_path: Path, error: bool
) -> None:
    @asset(key=AssetKey([*CORE, "checked"]))
    def checked() -> None:
        return None

    @asset(key=AssetKey([*CORE, "downstream"]), deps=[checked])
    def downstream() -> None:
        return None

    key = checked.key
    checks = [
        Check(key, "passes", "passes", _outcome(True), blocking=False),
        Check(key, "warns", "warns", _raises if error else _outcome(False), blocking=False),
        Check(key, "also_passes", "also passes", _outcome(True), blocking=False),
    ]
    definitions = check_steps(checks, None)  # type: ignore[arg-type]
    assert [d.node_def.name for d in definitions] == ["core__checked_warnings"]
    assert [s.blocking for d in definitions for s in d.check_specs] == [False, False, False]
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    result = materialize(
        [checked, downstream, *definitions],
        resources={"warehouse": WarehouseResource(url=url)},
        raise_on_error=False,
    )
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    if error:  # the others still report; the error fails the step of warnings only
        assert evaluations == {"passes": True, "also_passes": True}
        assert [e.step_key for e in result.get_step_failure_events()] == ["core__checked_warnings"]
        assert not result.success
    else:
        assert evaluations == {"passes": True, "warns": False, "also_passes": True}
        assert result.success
    assert result.asset_materializations_for_node("core__checked")
    assert result.asset_materializations_for_node("core__downstream")


def test_the_freshness_and_anomaly_warnings_share_a_step_per_asset() -> None:
    from perfmkt_pipeline.defs.alerts import build_alert_checks

    definitions = build_alert_checks(fx.SETTINGS)
    steps = {d.node_def.name: sorted(k.name for k in d.check_keys) for d in definitions}
    lags = fx.SETTINGS.expected_lags()
    assert steps == {
        "core__ad_performance_daily_warnings": sorted(f"{p}_is_fresh" for p in lags),
        "marts__campaign_daily_warnings": [
            "accounts_and_campaigns_reporting",
            "conversions_tracked_while_spending",
            "spend_within_recent_range",
        ],
    }
    assert all(not s.blocking for d in definitions for s in d.check_specs)


def test_the_checks_of_a_shared_step_run_on_one_duckdb_connection_each_in_its_own_transaction(
    tmp_path: Path,
) -> None:
    # Each check inserts its name; the second then raises: its insert alone is rolled back, its
    # connection closed, and the third check opens a new one.
    seen: dict[str, object] = {}  # the DuckDB connection each check ran on (kept: ids stay unique)

    def writes(name: str, fails: bool = False):
        def evaluate(conn, context):
            seen[name] = conn.connection.driver_connection
            conn.exec_driver_sql(f"INSERT INTO evaluated VALUES ('{name}')")
            if fails:
                raise ValueError(f"{name} fails after its insert")
            return Outcome(True, {"checked": 1})

        return evaluate

    @asset(key=AssetKey([*CORE, "checked"]))
    def checked() -> None:
        return None

    key = checked.key
    checks = [
        Check(key, "first", "first", writes("first")),
        Check(key, "second", "second", writes("second")),
        Check(key, "third", "third", writes("third", fails=True)),
        Check(key, "fourth", "fourth", writes("fourth")),
    ]
    definitions = check_steps(checks, None)  # type: ignore[arg-type]
    database = tmp_path / "warehouse.duckdb"
    wh = Warehouse(f"duckdb:///{database}")
    with wh.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE evaluated (name VARCHAR)")
    result = materialize(
        [checked, *definitions],
        resources={"warehouse": WarehouseResource(url=f"duckdb:///{database}")},
        raise_on_error=False,
    )
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations == {"first": True, "second": True, "fourth": True}
    assert seen["first"] is seen["second"] is seen["third"]
    assert seen["fourth"] is not seen["first"]
    with wh.begin() as conn:  # the step's connection is closed: the file opens here again
        names = sorted(n for (n,) in conn.exec_driver_sql("SELECT name FROM evaluated"))
    assert names == ["first", "fourth", "second"]
    wh.dispose()
