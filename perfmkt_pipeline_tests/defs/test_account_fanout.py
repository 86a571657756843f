"""Account fan-out (issue #19): `executor.accounts_per_step` splits a platform's configured
accounts into steps of at most N accounts, in the one connector-asset factory.

Without the setting the definitions are those of before (one `meta_raw` step). With it, Meta's
three sandbox accounts in steps of two are two account steps and the step that records the
materialisations, which core waits for. A run of every asset through the project's executor, one
step at a time, in which the first account step fails: the failure names its accounts, the other
account step's rows are exactly the sandbox's and nothing downstream ran; re-executing the run
from failure runs only the failed account step and what follows it, after which raw and core hold
exactly the sandbox's ground truth.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from dagster import (
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    JobDefinition,
    ReexecutionOptions,
    define_asset_job,
    execute_job,
    reconstructable,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from perfmkt_pipeline import platforms
from perfmkt_pipeline.config import ConfigError, parse_settings
from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.defs.connectors import account_groups, collect_step_key, part_step_key
from perfmkt_pipeline.platforms.meta import tables as meta_tables
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.platforms.meta.meta_support import (
    ACCOUNTS,
    JP,
    UK,
    US,
    ad_days,
    expected_ad_days,
)
from perfmkt_pipeline_tests.sandbox_fixtures import AS_OF, sandbox  # noqa: F401

META = platforms.get("meta")
FIRST, LAST = AS_OF - dt.timedelta(days=7), AS_OF - dt.timedelta(days=1)
DAYS = {FIRST + dt.timedelta(days=n) for n in range(7)}
INSIGHTS = AssetKey(["raw", "meta_ad_insights"])
PART_1, PART_2 = part_step_key(META, 1), part_step_key(META, 2)
LANDED = collect_step_key(META)


def _settings(google: bool = True, **executor):
    google_ads = {"customer_ids": ["1000000002", "1000000003", "1000000004"]} if google else {}
    return parse_settings(
        {
            "start_date": "2026-01-01",
            "meta": {"account_ids": ACCOUNTS},
            **({"google_ads": google_ads} if google else {}),
            "executor": executor,
        },
        environ={},
    )


def test_accounts_are_split_into_steps_of_at_most_n_in_configured_order() -> None:
    google = platforms.get("google_ads")
    assert account_groups(META, _settings()) == [(US, UK, JP)]
    assert account_groups(META, _settings(accounts_per_step={"meta": 3})) == [(US, UK, JP)]
    split = _settings(accounts_per_step={"meta": 2, "google_ads": 1})
    assert account_groups(META, split) == [(US, UK), (JP,)]
    assert account_groups(google, split) == [("1000000002",), ("1000000003",), ("1000000004",)]
    # Each step syncs with a section naming only its accounts; the rest of the settings as given.
    narrowed = META.settings_for_accounts(split, (JP,))
    assert narrowed.meta.account_ids == [JP] and split.meta.account_ids == [US, UK, JP]
    assert narrowed.google_ads == split.google_ads
    assert google.settings_for_accounts(split, ("1000000003",)).google_ads.customer_ids == [
        "1000000003"
    ]
    # A manager's discovered accounts are not known before the run: one step.
    manager = parse_settings(
        {
            "start_date": "2026-01-01",
            "google_ads": {"manager_customer_id": "1000000001"},
            "executor": {"accounts_per_step": {"google_ads": 1}},
        },
        environ={},
    )
    assert account_groups(google, manager) == [()]
    with pytest.raises(ConfigError) as refused:
        _settings(accounts_per_step={"bing": 2, "meta": 2})
    assert "executor.accounts_per_step: Value error, bing: not a platform with accounts" in str(
        refused.value
    )
    with pytest.raises(ConfigError, match="accounts_per_step.meta: Input should be greater"):
        _settings(accounts_per_step={"meta": 0})


def _steps(settings) -> dict[str, set[str]]:
    """step key -> the step keys it waits for, of the definitions' job of every asset."""
    from dagster._core.execution.api import create_execution_plan

    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    plan = create_execution_plan(job)
    return {
        step.key: {key for i in step.step_inputs for key in i.dependency_keys}
        for step in plan.steps
    }


def _definitions_env(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'wh.duckdb'}")
    monkeypatch.setenv("META_ACCESS_TOKEN", "token")


def test_without_the_setting_the_steps_are_those_of_before_and_with_it_core_waits_for_all(
    monkeypatch, tmp_path: Path
) -> None:
    _definitions_env(monkeypatch, tmp_path)
    before = _steps(_settings(google=False))
    assert "meta_raw" in before and not any(key.startswith("meta_raw.") for key in before)
    after = _steps(_settings(google=False, accounts_per_step={"meta": 2}))
    assert {key for key in after if key.startswith("meta_raw")} == {PART_1, PART_2, LANDED}
    assert "meta_raw" not in after
    assert after[LANDED] == {PART_1, PART_2}
    assert after[PART_1] == after[PART_2] == set()
    # Every other step is as before; those that waited for `meta_raw` wait for the last step.
    assert set(after) - {PART_1, PART_2, LANDED} == set(before) - {"meta_raw"}
    for key, deps in before.items():
        if key != "meta_raw":
            assert after[key] == {LANDED if d == "meta_raw" else d for d in deps}, key
    assert any("meta_raw" in deps for deps in before.values())
    # The account steps keep the platform's retry policy and each has a pool of its own.
    defs = build_definitions(_settings(google=False, accounts_per_step={"meta": 2}))
    graph = defs.get_assets_def(INSIGHTS).node_def
    ops = {node.name: node for node in graph.node_defs}
    assert {name: op.pool for name, op in ops.items()} == {
        "meta_raw_accounts_1": "meta_accounts_1",
        "meta_raw_accounts_2": "meta_accounts_2",
        "meta_raw_landed": None,
    }
    assert ops["meta_raw_accounts_2"].tags["perfmkt/accounts"] == JP


def all_assets_job() -> JobDefinition:
    """Every asset and check of the project's definitions, with its executor and resources."""
    defs = build_definitions()
    job = define_asset_job("every_asset", selection=AssetSelection.all(include_sources=False))
    return Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        resources=defs.resources,
        executor=defs.executor,
        jobs=[job],
    ).resolve_job_def("every_asset")


def _rows(url: str, table: sa.Table) -> list[dict]:
    wh = Warehouse(url)
    try:
        with wh.begin() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(table))]
    finally:
        wh.dispose()


def _steps_by_status(instance: DagsterInstance, run_id: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {"started": set(), "success": set(), "failure": set()}
    kinds = {
        DagsterEventType.STEP_START: "started",
        DagsterEventType.STEP_SUCCESS: "success",
        DagsterEventType.STEP_FAILURE: "failure",
    }
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is not None and event.event_type in kinds:
            found[kinds[event.event_type]].add(event.step_key)
    return found


def test_a_failed_account_step_names_its_accounts_and_a_re_execution_from_failure_finishes(
    sandbox,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    box = sandbox(google_ads=False)
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", url)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    config = {
        "reporting_currency": "USD",
        "start_date": box.world.spec.history_start.isoformat(),
        # No retry of a request: the first one the sandbox fails fails its step.
        "meta": {"account_ids": ACCOUNTS, "max_retries": 0},
        # One step at a time, in the plan's order: account step 1 makes the first Meta request.
        "max_concurrent_steps": 1,
        "executor": {"accounts_per_step": {"meta": 2}},
    }
    (tmp_path / "perfmkt.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("PERFMKT_CONFIG", str(tmp_path / "perfmkt.yaml"))
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: FIRST.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: LAST.isoformat(),
    }
    box.faults.set("meta", fail_first_n=1)

    with DagsterInstance.get() as instance:
        failed = execute_job(reconstructable(all_assets_job), instance=instance, tags=tags)
        assert not failed.success
        steps = _steps_by_status(instance, failed.run_id)
        # The other account step and the FX rates ran; nothing that waits for Meta started.
        assert steps["failure"] == {PART_1}
        fx = {"raw__ecb_rates", "core__fx_rates", "core__fx_rates_grain_is_unique"}
        assert steps["success"] == {PART_2, *fx}
        assert steps["started"] == {PART_1, PART_2, *fx}
        [failure] = [
            e.dagster_event.step_failure_data
            for e in instance.all_logs(failed.run_id, of_type=DagsterEventType.STEP_FAILURE)
        ]
        assert failure.error.message.startswith(
            "dagster._core.definitions.events.Failure: meta account_ids "
            f"{US}, {UK} (account step 1 of 2): "
        ), failure.error.message
        assert failure.user_failure_data.metadata["accounts"].value == [US, UK]
        # The other step's writes are in place, exactly the sandbox's; nothing of the failed one.
        insights = _rows(url, meta_tables.meta_ad_insights)
        assert ad_days(insights) == expected_ad_days(box.world, [JP], FIRST, LAST)
        assert {r["account_id"] for r in _rows(url, meta_tables.meta_accounts)} == {JP}
        assert _rows(url, tables.ad_performance_daily) == []

        again = execute_job(
            reconstructable(all_assets_job),
            instance=instance,
            tags=tags,
            reexecution_options=ReexecutionOptions.from_failure(failed.run_id, instance),
        )
        assert again.success
        rerun = _steps_by_status(instance, again.run_id)
        # The failed step and what follows it, not the steps that had succeeded.
        assert {PART_1, LANDED, "core_tables", "mart_tables"} <= rerun["success"]
        assert rerun["started"] == rerun["success"]
        assert rerun["started"].isdisjoint({PART_2, *fx})
        assert len(rerun["started"]) > 10
        materialized = {
            m.asset_key: m.metadata for m in again.asset_materializations_for_node("meta_raw")
        }
        insights = _rows(url, meta_tables.meta_ad_insights)
        assert materialized[INSIGHTS]["dagster/row_count"].value == len(insights)
        assert materialized[INSIGHTS]["account_steps"].value == {PART_1: [US, UK], PART_2: [JP]}
    assert ad_days(insights) == expected_ad_days(box.world, ACCOUNTS, FIRST, LAST)
    assert {r["account_id"] for r in _rows(url, meta_tables.meta_accounts)} == set(ACCOUNTS)
    truth = box.world.ground_truth("meta", FIRST, LAST, level="campaign")
    expected = sorted(
        (r.account_id, r.campaign_id, r.day, r.currency, r.spend, r.impressions, r.clicks)
        for r in truth.itertuples()
    )
    core = sorted(
        (r["account_id"], r["campaign_id"], r["date"], r["currency"], r["spend_local"],
         r["impressions"], r["clicks"])
        for r in _rows(url, tables.ad_performance_daily)
        if r["platform"] == "meta"
    )  # fmt: skip
    assert core == expected and {row[2] for row in core} == DAYS
