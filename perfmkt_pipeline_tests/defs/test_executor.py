"""Runs fork their step processes from a server that preloaded the pipeline's libraries."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetSelection,
    DagsterInstance,
    DailyPartitionsDefinition,
    Definitions,
    JobDefinition,
    asset,
    asset_check,
    define_asset_job,
    execute_job,
    reconstructable,
)

from perfmkt_pipeline.config import ConfigError, parse_settings
from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.defs.executor import (
    PARTITION_TAG,
    PRELOAD_MODULES,
    RANGE_END_TAG,
    RANGE_START_TAG,
    executor_config,
    run_days,
    run_executor,
)
from perfmkt_pipeline.defs.run_worker import RUN_WORKER_TAG, RunWorker

SETTINGS = {"start_date": "2026-01-01", "max_concurrent_steps": 3}


def _report(context: AssetExecutionContext, name: str) -> None:
    """What a step process looked like when its step began, written into the instance's folder
    (not to a path from the environment: a fork server started by an earlier test in this
    process keeps the environment it started with, and the steps inherit that one)."""
    facts = {
        "pid": os.getpid(),
        "parent": os.getppid(),
        "preloaded": [m for m in PRELOAD_MODULES if m in sys.modules],
    }
    reports = Path(context.instance.root_directory) / "reports"
    (reports / f"{name}.json").write_text(json.dumps(facts))


@asset
def first(context) -> None:  # unannotated: Dagster checks it at runtime
    _report(context, "first")


@asset
def second(context) -> None:
    _report(context, "second")


def two_step_job() -> JobDefinition:
    """Two independent assets, run by the project's executor (module level: reconstructable)."""
    executor = run_executor(parse_settings(SETTINGS, environ={}))
    defs = Definitions(
        assets=[first, second],
        jobs=[define_asset_job("two_steps", [first, second])],
        executor=executor,
    )
    return defs.resolve_job_def("two_steps")


def test_the_definitions_run_with_the_forking_executor_and_the_configured_step_limit() -> None:
    settings = parse_settings(SETTINGS, environ={})
    defs = build_definitions(settings)
    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "perfmkt_multiprocess"
    assert executor_config(settings) == {
        "max_concurrent": 3,
        "start_method": {
            "forkserver": {
                "preload_modules": [
                    "perfmkt_pipeline.defs.lifeline",
                    "dagster",
                    "perfmkt_pipeline.defs.build",
                    "google.ads.googleads.client",
                    "facebook_business.api",
                    "duckdb",
                    "perfmkt_pipeline.defs.step_preload",
                ]
            }
        },
    }
    assert parse_settings({"start_date": "2026-01-01"}, environ={}).max_concurrent_steps == 8


def test_steps_run_in_processes_forked_from_one_preloaded_server(tmp_path) -> None:
    reports = tmp_path / "home" / "reports"
    reports.mkdir(parents=True)
    with DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        result = execute_job(reconstructable(two_step_job), instance=instance)
        assert result.success
        # The run worker (here this process) is recorded for the daemon's health check.
        run = instance.get_run_by_id(result.run_id)
        assert run.tags[RUN_WORKER_TAG] == RunWorker.current().tag_value()
    facts = {p.stem: json.loads(p.read_text()) for p in reports.glob("*.json")}
    assert sorted(facts) == ["first", "second"]
    pids = {f["pid"] for f in facts.values()}
    parents = {f["parent"] for f in facts.values()}
    assert len(pids) == 2 and os.getpid() not in pids  # each step in a process of its own
    assert len(parents) == 1 and os.getpid() not in parents  # both forked by the one server
    for fact in facts.values():
        assert fact["preloaded"] == list(PRELOAD_MODULES)


# --- small runs in the run process (executor.in_process_max_days, issue #18) -----------------

DAYS = DailyPartitionsDefinition(start_date="2026-01-01")
SMALL_RUN_SETTINGS = {"start_date": "2026-01-01", "max_concurrent_steps": 3}


@asset(partitions_def=DAYS)
def spend(context) -> None:
    _report(context, f"spend_{context.partition_key_range.start}")


@asset(partitions_def=DAYS)
def clicks(context) -> None:
    _report(context, f"clicks_{context.partition_key_range.start}")


@asset_check(asset=spend, blocking=True)
def spend_in_range(context) -> AssetCheckResult:
    """Fails for the window starting 2026-01-06, naming it, as the pipeline's checks do."""
    start = context.run.tags.get(RANGE_START_TAG) or context.run.tags[PARTITION_TAG]
    _report(context, f"check_{start}")
    return AssetCheckResult(passed=start != "2026-01-06", description=f"spend of day {start}")


@asset(partitions_def=DAYS, deps=[spend])
def roas(context) -> None:
    _report(context, f"roas_{context.partition_key_range.start}")


def small_run_job() -> JobDefinition:
    """Four steps (two independent assets, a blocking check, an asset behind it) with the
    project's executor (module level: reconstructable)."""
    executor = run_executor(parse_settings(SMALL_RUN_SETTINGS, environ={}))
    defs = Definitions(
        assets=[spend, clicks, roas],
        asset_checks=[spend_in_range],
        jobs=[define_asset_job("small_run", AssetSelection.all())],
        executor=executor,
    )
    return defs.resolve_job_def("small_run")


def _run_days(tmp_path: Path, tags: dict[str, str]) -> tuple[dict, dict, bool, list[str]]:
    """The steps' reports, the steps' outcomes (step key -> its last step event, or "SKIPPED"
    when Dagster did not execute it for a failed dependency), whether the run succeeded, and the
    run's engine messages on executing steps in process."""
    home = tmp_path / "home"
    (home / "reports").mkdir(parents=True)
    with DagsterInstance.local_temp(str(home)) as instance:
        result = execute_job(
            reconstructable(small_run_job), instance=instance, tags=tags, raise_on_error=False
        )
        outcomes, engine = {}, []
        for record in instance.all_logs(result.run_id):
            kind = record.dagster_event.event_type_value if record.dagster_event else None
            if kind in ("STEP_SUCCESS", "STEP_FAILURE"):
                outcomes[record.step_key] = kind
            elif kind is None and record.message.startswith("Dependencies for step"):
                outcomes[record.step_key] = "SKIPPED"
            elif kind == "ENGINE_EVENT" and "in process (pid" in record.message:
                engine.append(record.message)
        success = result.success
    facts = {p.stem: json.loads(p.read_text()) for p in (home / "reports").glob("*.json")}
    return facts, outcomes, success, engine


def test_a_one_day_run_executes_every_step_in_the_run_process(tmp_path) -> None:
    facts, outcomes, success, engine = _run_days(
        tmp_path, {RANGE_START_TAG: "2026-01-05", RANGE_END_TAG: "2026-01-05"}
    )
    assert success
    assert sorted(facts) == ["check_2026-01-05", "clicks_2026-01-05", "roas_2026-01-05",
                             "spend_2026-01-05"]  # fmt: skip
    assert {f["pid"] for f in facts.values()} == {os.getpid()}  # no step process, no server
    assert outcomes == {"spend": "STEP_SUCCESS", "clicks": "STEP_SUCCESS",
                        "spend_spend_in_range": "STEP_SUCCESS", "roas": "STEP_SUCCESS"}  # fmt: skip
    assert engine == [
        f"Executing steps in process (pid: {os.getpid()})",
        engine[1],  # "Finished steps in process (pid: ...) in <duration>"
    ]
    assert engine[1].startswith(f"Finished steps in process (pid: {os.getpid()}) in ")


def test_a_run_of_one_partition_executes_in_the_run_process(tmp_path) -> None:
    facts, outcomes, success, _ = _run_days(tmp_path, {PARTITION_TAG: "2026-01-05"})
    assert success
    assert {f["pid"] for f in facts.values()} == {os.getpid()}
    assert set(outcomes.values()) == {"STEP_SUCCESS"} and len(outcomes) == 4


def test_a_longer_run_still_forks_a_process_per_step(tmp_path) -> None:
    facts, outcomes, success, engine = _run_days(
        tmp_path, {RANGE_START_TAG: "2026-01-04", RANGE_END_TAG: "2026-01-05"}
    )
    assert success and engine == []
    assert sorted(facts) == ["check_2026-01-04", "clicks_2026-01-04", "roas_2026-01-04",
                             "spend_2026-01-04"]  # fmt: skip
    pids = {f["pid"] for f in facts.values()}
    assert len(pids) == 4 and os.getpid() not in pids
    assert len({f["parent"] for f in facts.values()}) == 1  # all forked by the one server
    assert set(outcomes.values()) == {"STEP_SUCCESS"} and len(outcomes) == 4


def test_a_failed_blocking_check_blocks_the_same_steps_in_process_as_forked(tmp_path) -> None:
    # 2026-01-06 fails the check: in a one-day run (in process) and in a two-day run (forked),
    # the asset behind it is skipped, the independent one still runs, and the run fails.
    small, small_outcomes, small_success, small_engine = _run_days(
        tmp_path / "one", {RANGE_START_TAG: "2026-01-06", RANGE_END_TAG: "2026-01-06"}
    )
    large, large_outcomes, large_success, large_engine = _run_days(
        tmp_path / "two", {RANGE_START_TAG: "2026-01-06", RANGE_END_TAG: "2026-01-07"}
    )
    expected = {"spend": "STEP_SUCCESS", "clicks": "STEP_SUCCESS",
                "spend_spend_in_range": "STEP_FAILURE", "roas": "SKIPPED"}  # fmt: skip
    assert small_outcomes == expected and large_outcomes == expected
    assert not small_success and not large_success
    assert sorted(small) == sorted(large) == ["check_2026-01-06", "clicks_2026-01-06",
                                              "spend_2026-01-06"]  # fmt: skip
    assert len(small_engine) == 2 and large_engine == []


def test_run_days_counts_the_partitions_of_dagsters_tags() -> None:
    assert run_days({RANGE_START_TAG: "2026-01-05", RANGE_END_TAG: "2026-01-05"}) == 1
    assert run_days({RANGE_START_TAG: "2025-12-31", RANGE_END_TAG: "2026-01-30"}) == 31
    assert run_days({PARTITION_TAG: "2026-01-05"}) == 1
    assert run_days({}) is None  # a run without partitions forks


def test_in_process_max_days_zero_forks_every_run_and_other_kinds_refuse_it() -> None:
    assert parse_settings(SMALL_RUN_SETTINGS, environ={}).executor.in_process_max_days == 1
    never = parse_settings(
        {**SMALL_RUN_SETTINGS, "executor": {"in_process_max_days": 0}}, environ={}
    )
    assert never.executor.in_process_max_days == 0
    with pytest.raises(ConfigError) as raised:
        parse_settings(
            {**SMALL_RUN_SETTINGS, "executor": {"kind": "celery", "in_process_max_days": 1}},
            environ={},
        )
    assert str(raised.value) == (
        "invalid configuration in <config>:\n  executor.in_process_max_days: given, but executor.kind is "
        "celery, whose steps always run on its workers (set kind: multiprocess, or delete the "
        "key)"
    )
    with pytest.raises(ConfigError) as raised:
        parse_settings({**SMALL_RUN_SETTINGS, "executor": {"in_process_max_days": -1}}, environ={})
    assert "executor.in_process_max_days" in str(raised.value)
