"""The Dagster definitions: load without I/O, validate, and describe every asset fully."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, BackfillPolicy, Definitions

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.defs import policies
from perfmkt_pipeline.defs.build import build_definitions

ROOT = Path(__file__).resolve().parents[2]
# The code of the two functions `policies._guarded` wraps a step in (plain and generator).
FAIL_FAST_WRAPPERS = {
    policies._guarded(lambda: None).__code__,
    policies._guarded(lambda: (yield)).__code__,
}
EVERY_PLATFORM = {
    "start_date": "2026-01-01",
    "google_ads": {"customer_ids": ["1234567890"]},
    "meta": {"account_ids": ["101"]},
    "impact": {"account_ids": ["IRabc"], "program_ids": {"IRabc": ["12345"]}, "currency": "USD"},
    "cj": {"account_ids": ["777"], "currency": "USD"},
    "awin": {"account_ids": ["555"], "currency": "GBP"},
    "file_feeds": [
        {
            "name": "rakuten",
            "location": "feeds/rakuten",
            "currency": "USD",
            "columns": {
                "action_id": "Order",
                "event_date": "Date",
                "status": "Status",
                "commission": "Commission",
            },
            "status_map": {"Approved": "approved"},
        }
    ],
}


@pytest.fixture
def every_asset() -> Definitions:
    return build_definitions(parse_settings(EVERY_PLATFORM, environ={}))


def test_every_asset_has_a_description_group_kinds_and_column_schema(
    every_asset: Definitions,
) -> None:
    graph = every_asset.resolve_asset_graph()
    keys = sorted(graph.get_all_asset_keys())
    assert AssetKey(["core", "fx_rates"]) in keys
    for key in keys:
        node = graph.get(key)
        assert node.description and len(node.description) > 20, key
        assert node.group_name and node.group_name != "default", key
        assert node.kinds and len(node.kinds) >= 2, key
        schema = node.metadata.get("dagster/column_schema")
        assert schema is not None and schema.columns, key
        assert all(column.description for column in schema.columns), key


def test_partitioned_assets_backfill_a_whole_range_in_one_run(every_asset: Definitions) -> None:
    graph = every_asset.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.partitions_def is not None:
            assert node.backfill_policy is not None, key
            assert node.backfill_policy == BackfillPolicy.single_run(), key
            assert node.partitions_def.start.date().isoformat() == "2026-01-01", key


def test_every_step_fails_fast(every_asset: Definitions) -> None:
    # build_definitions runs every asset and check inside fail_fast (policies.py): a new asset
    # cannot be added without it.
    steps = [*every_asset.assets, *every_asset.asset_checks]
    assert len(steps) > 20
    for step in steps:
        function = step.op.compute_fn.decorated_fn
        assert function.__code__ in FAIL_FAST_WRAPPERS, step.op.name


def test_loading_definitions_reads_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every secret variable is absent: definitions still load (secrets are read only by runs).
    for name in list(os.environ):
        if name.startswith(("GOOGLE_ADS_", "META_", "IMPACT_", "CJ_", "AWIN_")):
            monkeypatch.delenv(name)
    build_definitions(parse_settings(EVERY_PLATFORM, environ={})).resolve_asset_graph()


def test_dagster_validates_the_workspace(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "PERFMKT_CONFIG": ""}
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr


def test_a_run_with_an_account_but_no_secret_stops_at_load_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import DagsterInvalidConfigError

    monkeypatch.delenv("META_ACCESS_TOKEN", raising=False)
    database = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", f"duckdb:///{database}")
    settings = parse_settings(
        {"start_date": "2026-01-01", "meta": {"account_ids": ["101"]}}, environ={}
    )
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    meta_keys = [
        AssetKey(["raw", name])
        for name in (
            "meta_accounts",
            "meta_ad_insights",
            "meta_ad_actions",
            "meta_ads",
            "meta_adsets",
        )
    ]

    with pytest.raises(DagsterInvalidConfigError) as error:
        job.execute_in_process(partition_key="2026-01-05", asset_selection=meta_keys)

    message = str(error.value)
    assert "resources:meta:config:access_token" in message
    assert '"META_ACCESS_TOKEN" which is not set' in message
    assert not database.exists()


WAREHOUSE_STEPS = {
    "core__fx_rates",
    "core_tables",
    "mart_tables",
    "below_campaign_core",
    "below_campaign_marts",
}


def _pools(definitions: Definitions) -> dict[str, str | None]:
    return {a.op.name: a.op.pool for a in definitions.assets if a.op.name in WAREHOUSE_STEPS}


def test_warehouse_steps_share_one_pool_on_duckdb_and_have_one_each_on_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # DuckDB takes one writing process at a time: every warehouse step waits in one pool.
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", "duckdb:///data/perfmkt.duckdb")
    duckdb = build_definitions(parse_settings(EVERY_PLATFORM, environ={}))
    assert _pools(duckdb) == dict.fromkeys(WAREHOUSE_STEPS, "warehouse")
    # PostgreSQL takes writers side by side: a pool per step (never beside itself across runs).
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", "postgresql://loader@db.invalid/marketing")
    postgres = build_definitions(parse_settings(EVERY_PLATFORM, environ={}))
    assert _pools(postgres) == {step: f"warehouse_{step}" for step in WAREHOUSE_STEPS}


def test_the_below_campaign_core_does_not_wait_for_the_campaign_core_its_check_does(
    every_asset: Definitions,
) -> None:
    graph = every_asset.resolve_asset_graph()
    campaigns = AssetKey(["core", "ad_performance_daily"])
    for name in ("ad_groups", "ads", "ad_daily", "keyword_daily"):
        assert campaigns not in graph.get(AssetKey(["core", name])).parent_keys, name
    reconcile = {
        spec.name: {dep.asset_key for dep in spec.additional_deps}
        for check in every_asset.asset_checks
        for spec in check.check_specs
        if spec.name.endswith("_ad_totals_reconcile_with_campaigns")
    }
    assert reconcile == {
        "google_ads_ad_totals_reconcile_with_campaigns": {campaigns},
        "meta_ad_totals_reconcile_with_campaigns": {campaigns},
    }
    # The below-the-campaign marts still read both cores.
    assert campaigns in graph.get(AssetKey(["marts", "account_daily"])).parent_keys
