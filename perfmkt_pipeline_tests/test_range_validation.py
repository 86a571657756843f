"""A run over a reversed or out-of-range partition range is refused before any step runs
(issue 15, item 5): through the real `dagster asset materialize` and through Dagster's Python
API (what a GraphQL or schedule launch with range tags comes to), the run fails with one clear
message, no step starts, nothing is materialised and the warehouse gets no row."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    JobDefinition,
    execute_job,
    reconstructable,
)

from perfmkt_pipeline.cli import ui_env
from perfmkt_pipeline.config import load_settings
from perfmkt_pipeline.defs.build import build_definitions
from perfmkt_pipeline.defs.partitions import daily_partitions, range_problem
from perfmkt_pipeline.defs.schedules import SOURCES_JOB
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401

FAILURE = "dagster._core.definitions.events.Failure: "


def sources_job() -> JobDefinition:
    """The daily sync's job of every source: what its schedule launches with range tags."""
    return build_definitions().resolve_job_def(SOURCES_JOB)


@pytest.fixture
def env(sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:  # noqa: F811
    """The sandbox's accounts and endpoints (`perfmkt ui`'s environment), a fresh local instance
    and a warehouse file that does not exist yet."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    monkeypatch.delenv("PERFMKT_DAGSTER_INSTANCE", raising=False)
    # As `perfmkt ui`: the sandbox shop's orders on MariaDB (the bundled configuration reads them).
    environment = ui_env(sandbox(orders="mariadb").env())
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment


def _assert_refused_before_any_step(env: dict[str, str], message: str) -> None:
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        [run] = instance.get_runs()
        assert run.status == DagsterRunStatus.FAILURE
        assert run.tags["dagster/max_retries"] == "0"  # the daemon will not re-run it either
        events = [e.dagster_event for e in instance.all_logs(run.run_id) if e.is_dagster_event]
        kinds = {e.event_type for e in events}
        assert DagsterEventType.STEP_START not in kinds
        assert DagsterEventType.ASSET_MATERIALIZATION not in kinds
        [failure] = [e for e in events if e.event_type == DagsterEventType.RUN_FAILURE]
        assert failure.event_specific_data.error.message.splitlines()[0] == FAILURE + message
    warehouse_file = Path(env["PERFMKT_WAREHOUSE_URL"].removeprefix("duckdb:///"))
    if warehouse_file.exists():  # a step's resource made it: then it must hold no row
        warehouse = Warehouse(env["PERFMKT_WAREHOUSE_URL"])
        with warehouse.begin() as conn:
            for table in tables.metadata.sorted_tables:
                count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                assert count == 0, table.fullname
        warehouse.dispose()


def test_the_command_line_refuses_a_range_that_ends_before_it_starts(env) -> None:
    command = [
        sys.executable, "-m", "dagster", "asset", "materialize",
        "-m", "perfmkt_pipeline.definitions", "--select", "*",
        "--partition-range", "2026-11-10...2026-11-05",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    message = (
        "the run's partition range 2026-11-10...2026-11-05 ends before it starts; nothing was "
        "run (did you mean 2026-11-05...2026-11-10?)"
    )
    assert FAILURE + message in done.stderr.splitlines(), done.stderr[-3000:]
    _assert_refused_before_any_step(env, message)


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_launch_with_range_tags_outside_the_partitions_is_refused(env, where: str) -> None:
    # The command line refuses unknown partition keys itself; a run launched with range tags
    # (GraphQL, a sensor, the Python API) is not checked by Dagster.
    partitions = daily_partitions(load_settings())
    first, last = partitions.get_first_partition_key(), partitions.get_last_partition_key()
    assert first == "2024-01-01"  # the bundled sandbox configuration's start_date
    # Not far beyond: Dagster records the run's planned partitions one by one at launch.
    beyond = (dt.date.fromisoformat(last) + dt.timedelta(days=3)).isoformat()
    start, end = ("2023-12-30", "2024-01-02") if where == "before" else (last, beyond)
    with DagsterInstance.get() as instance:
        result = execute_job(
            reconstructable(sources_job),
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": start,
                "dagster/asset_partition_range_end": end,
            },
        )
        assert not result.success
    if where == "before":
        message = (
            "the run's partition range 2023-12-30...2024-01-02 starts before the first "
            "partition, 2024-01-01 (start_date in the configuration); nothing was run"
        )
    else:
        message = (
            f"the run's partition range {last}...{beyond} ends after the last partition, "
            f"{last} (yesterday in UTC: today is still being counted); nothing was run"
        )
    assert range_problem(start, end, first, last) == message
    _assert_refused_before_any_step(env, message)


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        ("2026-11-01", "2026-11-30", None),
        ("2026-11-05", "2026-11-05", None),
        ("2026-01-01", "2026-11-30", None),
        ("2026-11-06", "2026-11-05", "ends before it starts; nothing was run (did you mean "),
        ("2025-12-31", "2026-01-05", "starts before the first partition, 2026-01-01 (start_date"),
        ("2026-11-29", "2026-12-01", "ends after the last partition, 2026-11-30 (yesterday in"),
        ("2026-11-1", "2026-11-05", ": '2026-11-1' is not a day (YYYY-MM-DD); nothing was run"),
    ],
)
def test_range_problems(start: str, end: str, problem: str | None) -> None:
    found = range_problem(start, end, "2026-01-01", "2026-11-30")
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(f"the run's partition range {start}...{end}")
        assert problem in found


def test_no_partition_yet_refuses_every_range() -> None:
    assert range_problem("2026-11-29", "2026-11-29", "2026-11-29", None) == (
        "the run's partition range 2026-11-29...2026-11-29 ends after the last partition, none "
        "yet (yesterday in UTC: today is still being counted); nothing was run"
    )
