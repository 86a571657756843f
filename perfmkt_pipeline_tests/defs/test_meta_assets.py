"""The Meta raw assets materialised against the sandbox into DuckDB and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from dagster import AssetKey, DagsterInstance, Definitions, EnvVar, materialize
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.defs.resources import WarehouseResource
from perfmkt_pipeline.platforms.meta import tables as meta_tables
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.defs.meta_assets_support import (
    ACCOUNTS_KEY,
    ACTIONS_KEY,
    INSIGHTS_KEY,
    build_meta_assets,
    meta_resource,
)
from perfmkt_pipeline_tests.platforms.meta.meta_support import (
    ACCOUNTS,
    UK,
    US,
    actions,
    ad_days,
    campaign_days,
    expected_actions,
    expected_ad_days,
    expected_campaign_days,
)
from perfmkt_pipeline_tests.sandbox_fixtures import (  # noqa: F401 (registers `sandbox`)
    AS_OF,
    sandbox,
    sandbox_env,
)

# 45 days ending the day before the sandbox's as-of date: report runs of 30 and 15 days.
START, END = AS_OF - timedelta(days=45), AS_OF - timedelta(days=1)
WINDOWS = ("7d_click", "1d_view")
# Waits shrunk so that faults cost milliseconds (the client's logic is unchanged).
FAST = {
    "async_poll_seconds": 0.005,
    "async_poll_max_seconds": 0.01,
    "retry_base_seconds": 0.005,
    "throttle_max_wait_seconds": 0.005,
}


@pytest.fixture
def box(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    started = request.getfixturevalue("sandbox")(google_ads=False)
    sandbox_env(monkeypatch, started)
    return started


def run(
    box: Sandbox,
    warehouse_url: str,
    start: date,
    end: date,
    accounts=ACCOUNTS,
    instance: DagsterInstance | None = None,
    **kwargs,
):
    settings = parse_settings(
        {"start_date": "2026-01-01", "meta": {"account_ids": accounts, **FAST}},
        environ=box.env(),
    )
    return materialize(
        build_meta_assets(settings, "duckdb"),
        resources={"meta": meta_resource(), "warehouse": WarehouseResource(url=warehouse_url)},
        instance=instance or DagsterInstance.ephemeral(),
        tags={
            ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
            ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
        },
        **kwargs,
    )


def rows(warehouse_url: str, table: sa.Table) -> list[dict]:
    """Every row of a raw table except its load time, in a fixed order."""
    wh = Warehouse(warehouse_url)
    try:
        with wh.begin() as conn:
            columns = [c for c in table.c if c.name != "loaded_at"]
            found = [dict(r._mapping) for r in conn.execute(sa.select(*columns))]
    finally:
        wh.dispose()
    return sorted(found, key=lambda r: tuple(str(r[c.name]) for c in columns))


def test_a_backfill_through_rate_limits_lands_exactly_the_ground_truth_and_is_idempotent(
    box, warehouse_url
):
    box.faults.set(
        "meta", rate_limit_first_n=2, rate_limit_code=17, fail_first_n=3, usage_percent=95
    )

    result = run(box, warehouse_url, START, END)

    assert result.success
    assert box.counters.faults("meta", "rate_limit") == 2
    for account_id in ACCOUNTS:  # one insights request per account per 30 days
        assert box.counters.count("meta", "meta.report_run", account_id) == 2
    insights = rows(warehouse_url, meta_tables.meta_ad_insights)
    landed_actions = rows(warehouse_url, meta_tables.meta_ad_actions)
    world = box.world
    assert ad_days(insights) == expected_ad_days(world, ACCOUNTS, START, END)
    assert actions(landed_actions) == expected_actions(world, ACCOUNTS, START, END, WINDOWS)
    assert campaign_days(insights, landed_actions) == expected_campaign_days(
        world, ACCOUNTS, START, END
    )
    for row in insights:  # `record` is the row as received; the typed columns come from it
        record = json.loads(row["record"])
        assert (record["ad_id"], record["date_start"]) == (row["ad_id"], row["date"].isoformat())
        assert Decimal(record["spend"]) == row["spend"]
        kept_whole = json.loads(row["actions"]) if row["actions"] is not None else None
        assert kept_whole == record.get("actions")
    assert [(r["account_id"], r["account_name"], r["currency"], r["timezone"]) for r in rows(
        warehouse_url, meta_tables.meta_accounts
    )] == [
        (US, "Acme US Social", "USD", "America/Los_Angeles"),
        (UK, "Acme UK Social", "GBP", "Europe/London"),
        ("101000000000003", "Acme JP Social", "JPY", "Asia/Tokyo"),
    ]  # fmt: skip

    by_key = {m.asset_key: m.metadata for m in result.asset_materializations_for_node("meta_raw")}
    assert by_key[INSIGHTS_KEY]["dagster/row_count"].value == len(insights)
    assert by_key[ACTIONS_KEY]["dagster/row_count"].value == len(landed_actions)
    assert by_key[ACCOUNTS_KEY]["dagster/row_count"].value == 3
    assert by_key[INSIGHTS_KEY]["accounts"].value == 3
    assert by_key[INSIGHTS_KEY]["days"].value == 45
    truth = world.ground_truth("meta", START, END, level="account").groupby("account_id")
    assert by_key[INSIGHTS_KEY]["spend_by_account"].value == {
        account: f"{sum(group.spend)} {group.currency.iloc[0]}" for account, group in truth
    }
    assert by_key[INSIGHTS_KEY]["conversions_by_account"].value == {
        account: str(sum(group.conversions)) for account, group in truth
    }

    # The same range again, through faults again, leaves the same rows.
    box.faults.set("meta", rate_limit_first_n=1, rate_limit_code=80000, fail_first_n=1)
    assert run(box, warehouse_url, START, END).success
    assert rows(warehouse_url, meta_tables.meta_ad_insights) == insights
    assert rows(warehouse_url, meta_tables.meta_ad_actions) == landed_actions


def test_re_pulling_after_the_as_of_date_moves_leaves_exactly_the_restated_values(
    box, warehouse_url
):
    start, end = AS_OF - timedelta(days=40), AS_OF - timedelta(days=1)
    assert run(box, warehouse_url, start, end, accounts=[UK]).success
    before = actions(rows(warehouse_url, meta_tables.meta_ad_actions))
    box.world.as_of = AS_OF + timedelta(days=7)

    assert run(box, warehouse_url, start, end, accounts=[UK]).success

    after = actions(rows(warehouse_url, meta_tables.meta_ad_actions))
    old = expected_actions(box.world, [UK], start, end, WINDOWS, as_of=AS_OF)
    new = expected_actions(box.world, [UK], start, end, WINDOWS)
    assert before == old and after == new
    changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    assert changed and min(k[2] for k in changed) > AS_OF - timedelta(days=28)
    assert ad_days(rows(warehouse_url, meta_tables.meta_ad_insights)) == expected_ad_days(
        box.world, [UK], start, end
    )


def test_days_graph_no_longer_keeps_are_left_as_the_warehouse_holds_them(box, duckdb_url):
    start, end = date(2026, 1, 10), date(2026, 1, 20)
    assert run(box, duckdb_url, start, end, accounts=[UK]).success
    first_pull = rows(duckdb_url, meta_tables.meta_ad_insights)
    assert {r["date"] for r in first_pull} == {start + timedelta(days=n) for n in range(11)}
    wh = Warehouse(duckdb_url)
    try:
        with wh.begin() as conn:
            loads = sa.select(
                meta_tables.meta_ad_insights.c.date, meta_tables.meta_ad_insights.c.loaded_at
            )
            first_loads = dict(conn.execute(loads.distinct()).all())
        # 37 months on, Graph serves from 2026-01-15 only.
        box.world.as_of = date(2029, 2, 15)

        assert run(box, duckdb_url, start, end, accounts=[UK]).success

        assert rows(duckdb_url, meta_tables.meta_ad_insights) == first_pull
        with wh.begin() as conn:
            second_loads = dict(conn.execute(loads.distinct()).all())
    finally:
        wh.dispose()
    kept = {day for day in first_loads if second_loads[day] == first_loads[day]}
    assert kept == {date(2026, 1, day) for day in range(10, 15)}


def test_an_expired_token_fails_the_run_fast_naming_the_account_without_the_token(box, duckdb_url):
    box.faults.set("meta", expired_credentials=True)
    token = box.credentials.meta.access_token
    instance = DagsterInstance.ephemeral()
    began = time.monotonic()

    result = run(box, duckdb_url, START, END, instance=instance, raise_on_error=False)

    assert not result.success
    assert time.monotonic() - began < 10
    assert box.counters.count("meta") == 1
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.to_string()
    assert f"act_{US}" in message and "code 190" in message
    logs = "\n".join(str(entry) for entry in instance.all_logs(result.run_id))
    assert "code 190" in logs  # the failure is in the logs searched
    assert token not in logs and box.credentials.meta.appsecret_proof() not in logs


def test_definitions_load_without_secrets_and_describe_each_raw_table(monkeypatch) -> None:
    monkeypatch.delenv("META_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("META_APP_SECRET", raising=False)
    settings = parse_settings(
        {"start_date": "2026-01-01", "meta": {"account_ids": ["101"]}}, environ={}
    )
    assets = build_meta_assets(settings, "postgres")

    definitions = Definitions(
        assets=assets,
        resources={"meta": meta_resource(), "warehouse": WarehouseResource(url="duckdb:///x.db")},
    )
    graph = definitions.resolve_asset_graph()

    assert sorted(graph.get_all_asset_keys()) == [
        AssetKey(["raw", "meta_accounts"]),
        AssetKey(["raw", "meta_ad_actions"]),
        AssetKey(["raw", "meta_ad_insights"]),
        AssetKey(["raw", "meta_ads"]),
        AssetKey(["raw", "meta_adsets"]),
    ]
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name == "meta" and node.kinds == {"python", "postgres", "meta"}
        assert node.metadata["dagster/table_name"] == f"raw.{key.path[1]}"
    assert (
        build_meta_assets(parse_settings({"start_date": "2026-01-01"}, environ={}), "duckdb") == []
    )


def test_the_app_secret_is_wired_in_only_when_its_variable_exists(monkeypatch) -> None:
    monkeypatch.setenv("META_APP_SECRET", "not-read-here")
    with_secret = meta_resource()
    monkeypatch.delenv("META_APP_SECRET")
    without_secret = meta_resource()

    assert isinstance(with_secret.app_secret, EnvVar)
    assert with_secret.app_secret.env_var_name == "META_APP_SECRET"
    assert isinstance(with_secret.access_token, EnvVar) and without_secret.app_secret is None
