"""Dead runs are detected and cleaned up without a person (issue 15, item 3).

The real thing: `dagster-webserver` and `dagster-daemon` as subprocesses (as in
test_ui_backfill.py) on an instance file made from the shipped dagster.yaml with the run
monitor's intervals shortened, the sandbox in-process, a DuckDB warehouse. A step's warehouse
write is held open inside its transaction (perfmkt_pipeline_tests/dead_run_definitions.py) and the
run's worker is killed with SIGKILL there. Then, with nobody touching anything:

- every process of the killed run (fork server, step processes) is gone within seconds, and the
  held transaction left nothing behind;
- a backfill's run (the Meta assets, so that the machine's load does not decide the timing) is
  marked failed and re-run once by the daemon, and the re-run completes within 2 minutes of the
  monitor's interval, leaving the warehouse equal to a clean run's and to the sandbox's truth;
- a run started from the command line (no code server watches it) is marked failed by the
  daemon's run monitor, its pool slots are freed, and the same command for the same range then
  completes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from dagster import DagsterInstance

from perfmkt_pipeline.cli import ui_env
from perfmkt_pipeline.platforms.meta import tables as meta_tables
from perfmkt_pipeline.warehouse import raw, tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline_tests.dead_run_definitions import HOLD_MARKER_VAR, HOLD_TABLE_VAR
from perfmkt_pipeline_tests.platforms.meta.meta_support import (
    ACCOUNTS,
    actions,
    ad_days,
    expected_actions,
    expected_ad_days,
)
from perfmkt_pipeline_tests.processes import (
    command_line,
    descendants,
    kill_all,
    parent,
    wait_until_gone,
)
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401
from perfmkt_pipeline_tests.test_ui_backfill import LAUNCH_BACKFILL, DagsterServices

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

ROOT = Path(__file__).resolve().parents[1]
FIRST, LAST = dt.date(2026, 11, 13), dt.date(2026, 11, 15)
DAYS = [FIRST + dt.timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
CODE_LOCATION = "perfmkt_pipeline_tests.dead_run_definitions"
HELD_TABLE = "raw.meta_ad_insights"
META_TABLES = (meta_tables.meta_accounts, meta_tables.meta_ad_insights, meta_tables.meta_ad_actions)
# Every raw asset of the Meta multi-asset (it cannot be subset): the listings of issue #17 too.
META_SELECTION = (
    "raw/meta_accounts,raw/meta_ad_insights,raw/meta_ad_actions,raw/meta_ads,raw/meta_adsets"
)
WINDOWS = ("7d_click", "1d_view")
# The shipped run monitor with its intervals shortened, so the test does not wait minutes.
POLL_SECONDS = 5
FREE_SLOTS_SECONDS = 10
# The run queue's daemon looks for queued runs each second (Dagster's default: 5 s), as
# run_coordinator.config.dequeue_interval_seconds allows beside `concurrency: runs:`.
DEQUEUE_SECONDS = 1
# The acceptance bound: the re-run done within 2 minutes of the monitor's interval.
RECOVERY_SECONDS = POLL_SECONDS + 120
HOLD_TIMEOUT_SECONDS = 300
GONE_WITHIN_SECONDS = 15
CLEAN_RUN_TIMEOUT_SECONDS = 600

RUNS = """
{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }
"""


def _instance_file(home: Path) -> None:
    """The shipped dagster.yaml, intervals shortened; its storage created before the services
    start (as `perfmkt ui` does for the shipped file)."""
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    config.setdefault("run_monitoring", {}).update(
        poll_interval_seconds=POLL_SECONDS, free_slots_after_run_end_seconds=FREE_SLOTS_SECONDS
    )
    assert "run_coordinator" not in config
    config["run_coordinator"] = {
        "module": "dagster._core.run_coordinator",
        "class": "QueuedRunCoordinator",
        "config": {"dequeue_interval_seconds": DEQUEUE_SECONDS},
    }
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    DagsterInstance.from_config(str(home)).dispose()


@pytest.fixture
def world(
    sandbox,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Any]]:
    """The sandbox, the services on the test's instance, and the environment every Dagster
    process of the test gets (the hold switched on). The test starts the daemon."""
    box = sandbox()
    home = tmp_path / "dagster_home"
    _instance_file(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    monkeypatch.delenv("PERFMKT_DAGSTER_INSTANCE", raising=False)
    marker = tmp_path / "held.json"
    env = {
        **ui_env(box.env()),
        HOLD_TABLE_VAR: HELD_TABLE,
        HOLD_MARKER_VAR: str(marker),
        # The code location is a module of the tests, which are not installed.
        "PYTHONPATH": str(ROOT),
    }
    workspace = tmp_path / "workspace" / "workspace.yaml"
    workspace.parent.mkdir()
    workspace.write_text(
        "load_from:\n"
        "  - python_module:\n"
        f"      module_name: {CODE_LOCATION}\n"
        f"      working_directory: {ROOT}\n"
    )
    services = DagsterServices(workspace, env, tmp_path, daemon=False)
    try:
        services.wait_until_loaded()
        yield {
            "box": box,
            "services": services,
            "env": env,
            "marker": marker,
            "url": env["PERFMKT_WAREHOUSE_URL"],
            "tmp": tmp_path,
        }
    finally:
        services.stop()


def _materialize_command(module: str, selection: str) -> list[str]:
    return [
        sys.executable, "-m", "dagster", "asset", "materialize", "-m", module,
        "--select", selection,
        "--partition-range", f"{FIRST.isoformat()}...{LAST.isoformat()}",
    ]  # fmt: skip


def _start_clean_run(world: dict[str, Any]) -> tuple[subprocess.Popen, str]:
    """The same range and assets, into a warehouse of its own, on an instance of its own, with
    nothing held or killed: what the recovered warehouse must equal."""
    home = world["tmp"] / "clean_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    url = f"duckdb:///{world['tmp'] / 'clean.duckdb'}"
    env = {k: v for k, v in world["env"].items() if k not in (HOLD_TABLE_VAR, HOLD_MARKER_VAR)}
    env.update(DAGSTER_HOME=str(home), PERFMKT_WAREHOUSE_URL=url)
    with open(world["tmp"] / "clean.log", "wb") as log:
        process = subprocess.Popen(
            _materialize_command("perfmkt_pipeline.definitions", META_SELECTION),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, url


def _held(marker: Path, watched: subprocess.Popen | None = None) -> dict[str, Any]:
    """Wait until a step sits inside the held write; what it holds."""
    deadline = time.monotonic() + HOLD_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert watched is None or watched.poll() is None, "the run ended before the held write"
        with contextlib.suppress(OSError, ValueError):
            return json.loads(marker.read_text())
        time.sleep(0.2)
    raise AssertionError("no step reached the held write")


def _runs(services: DagsterServices) -> list[dict[str, Any]]:
    runs = services.graphql(RUNS)["runsOrError"]["results"]
    for run in runs:
        run["tags"] = {tag["key"]: tag["value"] for tag in run["tags"]}
    return runs


def _run_worker_of(step_pid: int) -> int:
    """The run worker of a step process: the parent of the fork server that forked it."""
    server = parent(step_pid)
    assert server is not None and "multiprocessing.forkserver" in command_line(server)
    worker = parent(server)
    assert worker is not None
    return worker


def _only_run(services: DagsterServices) -> dict[str, Any]:
    [run] = _runs(services)
    assert run["status"] == "STARTED", run
    return run


def _kill_worker(worker: int, held: dict[str, Any]) -> float:
    """SIGKILL the run worker; assert its whole process tree follows it. Returns when it was."""
    family = descendants(worker)
    assert held["pid"] in family
    os.kill(worker, signal.SIGKILL)
    killed_at = time.monotonic()
    try:
        assert wait_until_gone(family, GONE_WITHIN_SECONDS) == [], "processes of the killed run"
    finally:
        kill_all(family, signal.SIGKILL)
    return killed_at


def _rows(url: str, table: sa.Table) -> list[dict[str, Any]]:
    """Every row, without the load times (which differ between two runs), in a fixed order."""
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            columns = [c for c in table.c if c.name not in ("loaded_at", "detected_at")]
            found = [dict(r._mapping) for r in conn.execute(sa.select(*columns))]
    finally:
        warehouse.dispose()
    return sorted(found, key=lambda r: tuple(str(v) for v in r.values()))


def _assert_nothing_of_the_held_write(url: str, held: dict[str, Any]) -> None:
    # The held transaction was the first Meta write: it had written the account's row and its
    # insights, uncommitted, when it was killed. None of it, nor its load_log rows, is there.
    assert held["table"] == HELD_TABLE
    for table in META_TABLES:
        assert [r for r in _rows(url, table) if r["account_id"] == held["account_id"]] == []
    logged = {r["table_name"] for r in _rows(url, raw.load_log)}
    assert logged.isdisjoint(t.fullname for t in META_TABLES), logged


def _contents(url: str) -> dict[str, list[dict[str, Any]]]:
    return {
        t.fullname: _rows(url, t) for t in tables.metadata.sorted_tables if t is not raw.load_log
    }


def _wait(condition, timeout: float, what: str, services: DagsterServices):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"{what} within {timeout:.0f} s\n{services.log_tail()}")


def test_a_backfill_whose_worker_is_killed_mid_write_is_re_run_and_equals_a_clean_run(world):
    services: DagsterServices = world["services"]
    clean, clean_url = _start_clean_run(world)
    try:
        launched = services.graphql(
            LAUNCH_BACKFILL,
            {
                "backfillParams": {
                    "tags": [],
                    "assetSelection": [
                        {"path": key.split("/")} for key in META_SELECTION.split(",")
                    ],
                    "partitionNames": [day.isoformat() for day in DAYS],
                    "fromFailure": False,
                }
            },
        )["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        # Started after the launch: the backfill daemon's first look (at its start) finds the
        # backfill, instead of its next one up to 30 s later (Dagster's fixed interval).
        services.start_daemon()
        held = _held(world["marker"])
        run = _only_run(services)
        killed_at = _kill_worker(_run_worker_of(held["pid"]), held)
        _assert_nothing_of_the_held_write(world["url"], held)

        def rerun_done() -> dict[str, Any] | None:
            runs = {r["runId"]: r for r in _runs(services)}
            rerun = [
                r for r in runs.values() if r["tags"].get("dagster/parent_run_id") == run["runId"]
            ]
            if runs[run["runId"]]["status"] == "FAILURE" and rerun:
                assert rerun[0]["status"] not in ("FAILURE", "CANCELED"), rerun
                return rerun[0] if rerun[0]["status"] == "SUCCESS" else None
            return None

        rerun = _wait(
            rerun_done,
            RECOVERY_SECONDS - (time.monotonic() - killed_at),
            "the re-run succeeded",
            services,
        )
        assert rerun["tags"]["dagster/asset_partition_range_start"] == FIRST.isoformat()
        assert rerun["tags"]["dagster/asset_partition_range_end"] == LAST.isoformat()
        assert clean.wait(timeout=CLEAN_RUN_TIMEOUT_SECONDS) == 0, (
            world["tmp"] / "clean.log"
        ).read_text()[-3000:]
    finally:
        if clean.poll() is None:
            clean.kill()
    recovered, expected = _contents(world["url"]), _contents(clean_url)
    assert {name: len(rows) for name, rows in recovered.items()} == {
        name: len(rows) for name, rows in expected.items()
    }
    assert recovered == expected
    box = world["box"]
    assert ad_days(recovered["raw.meta_ad_insights"]) == expected_ad_days(
        box.world, ACCOUNTS, FIRST, LAST
    )


def test_a_command_line_run_killed_mid_write_is_failed_by_the_monitor_and_the_range_runs_again(
    world,
):
    services: DagsterServices = world["services"]
    services.start_daemon()
    env = world["env"]
    command = _materialize_command(CODE_LOCATION, META_SELECTION)
    with open(world["tmp"] / "first.log", "wb") as log:
        first = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        held = _held(world["marker"], first)
        run = _only_run(services)
        # The command is the run worker: no code server watches it.
        assert _run_worker_of(held["pid"]) == first.pid
        killed_at = _kill_worker(first.pid, held)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    _assert_nothing_of_the_held_write(world["url"], held)

    def failed() -> bool:
        return {r["runId"]: r["status"] for r in _runs(services)}[run["runId"]] == "FAILURE"

    # A poll or two of the monitor (with room for a loaded machine's slow daemon).
    _wait(failed, POLL_SECONDS + 60, "the run monitor failed the dead run", services)

    with open(world["tmp"] / "again.log", "wb") as log:
        again = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        code = again.wait(timeout=RECOVERY_SECONDS - (time.monotonic() - killed_at))
    except subprocess.TimeoutExpired:
        again.kill()
        raise AssertionError(
            f"the same range did not complete\n{(world['tmp'] / 'again.log').read_text()[-3000:]}"
        ) from None
    assert code == 0, (world["tmp"] / "again.log").read_text()[-3000:]
    box = world["box"]
    assert ad_days(_rows(world["url"], meta_tables.meta_ad_insights)) == expected_ad_days(
        box.world, ACCOUNTS, FIRST, LAST
    )
    assert actions(_rows(world["url"], meta_tables.meta_ad_actions)) == expected_actions(
        box.world, ACCOUNTS, FIRST, LAST, WINDOWS
    )
