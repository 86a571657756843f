"""Runs fork their step processes from a server that preloaded the pipeline's libraries."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    DagsterInstance,
    Definitions,
    JobDefinition,
    asset,
    define_asset_job,
    execute_job,
    reconstructable,
)

from perfmkt_pipeline.config import parse_settings
from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.defs.executor import PRELOAD_MODULES, executor_config, run_executor
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
