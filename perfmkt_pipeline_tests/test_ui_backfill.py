"""Backfilling from the UI (acceptance 2): with the sandbox running in-process and the project's
definitions served by `dagster-webserver` and `dagster-daemon` (subprocesses on loopback, a temp
DAGSTER_HOME with the local instance file, the environment `perfmkt ui` gives them), a 10-day
backfill of every asset launched through GraphQL exactly as the UI's "Materialize all" dialog does
runs as one run (single-run backfill policy), completes, and lands exactly those days."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from perfmkt_pipeline.cli import ui_env
from perfmkt_pipeline.config import load_settings
from perfmkt_pipeline.platforms.ecb.standin import sandbox as ecb_sandbox
from perfmkt_pipeline.platforms.google_ads import tables as google_ads_tables
from perfmkt_pipeline.sandbox.runner import Sandbox
from perfmkt_pipeline.warehouse import tables
from perfmkt_pipeline.warehouse.engine import Warehouse
from perfmkt_pipeline.warehouse.read import read_arrow
from perfmkt_pipeline_tests.sandbox_fixtures import sandbox  # noqa: F401

FIRST, LAST = dt.date(2026, 11, 6), dt.date(2026, 11, 15)
DAYS = [FIRST + dt.timedelta(days=n) for n in range(10)]
BACKFILL_TIMEOUT_SECONDS = 300
STARTUP_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 30
BIN = Path(sys.executable).parent

# What the UI sends from the asset graph's "Materialize all" -> range -> "Launch backfill".
LAUNCH_BACKFILL = """
mutation LaunchPartitionBackfill($backfillParams: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $backfillParams) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}
"""
BACKFILL_STATUS = """
query BackfillStatus($backfillId: String!) {
  partitionBackfillOrError(backfillId: $backfillId) {
    __typename
    ... on PartitionBackfill {
      status
      runs { runId status tags { key value } }
    }
    ... on Error { message }
  }
}
"""
LOCATIONS = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""
ASSETS = "{ assetNodes { assetKey { path } isPartitioned } }"
# Why a run failed, for the assertion message: failed steps and failed checks with their metadata.
RUN_PROBLEMS = """
query RunProblems($runId: ID!) {
  logsForRun(runId: $runId, limit: 10000) {
    ... on EventConnection { events {
      __typename
      ... on MessageEvent { message stepKey }
      ... on AssetCheckEvaluationEvent { evaluation {
        checkName success assetKey { path }
        metadataEntries { label
          ... on MarkdownMetadataEntry { mdStr }
          ... on IntMetadataEntry { intValue }
          ... on TextMetadataEntry { text } } } }
    } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DagsterServices:
    """dagster-webserver and dagster-daemon as subprocesses, each in its own process group.

    With `daemon=False` the daemon is started later, by `start_daemon()`: a test that launches a
    backfill before starting it has the backfill daemon's first look (at its start) find it,
    instead of waiting up to 30 s (Dagster's fixed backfill interval) for its next one."""

    def __init__(self, workspace: Path, env: dict[str, str], logs: Path, daemon: bool = True):
        self.port = _free_port()
        self.logs = logs
        self.processes: dict[str, subprocess.Popen] = {}
        self._workspace, self._env = workspace, env
        self._commands = {
            "webserver": [
                str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(self.port),
                "-w", str(workspace),
            ],
            "daemon": [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
        }  # fmt: skip
        self._start("webserver")
        if daemon:
            self.start_daemon()

    def _start(self, name: str) -> None:
        with open(self.logs / f"{name}.log", "wb") as log:
            self.processes[name] = subprocess.Popen(
                self._commands[name],
                cwd=self._workspace.parent,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_daemon(self) -> None:
        assert "daemon" not in self.processes
        self._start("daemon")

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = requests.post(
            f"http://127.0.0.1:{self.port}/graphql",
            json={"query": query, "variables": variables or {}},
            timeout=60,
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {path.name}\n" + path.read_text(errors="replace")[-3000:]
            for path in sorted(self.logs.glob("*.log"))
        )

    def wait_until_loaded(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited\n{self.log_tail()}"
            with contextlib.suppress(requests.RequestException):
                entries = self.graphql(LOCATIONS)["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["loadStatus"] == "LOADED":
                    location = entries[0]["locationOrLoadError"]
                    assert location["__typename"] == "RepositoryLocation", location
                    return
            time.sleep(1)
        raise AssertionError(f"the code location did not load\n{self.log_tail()}")

    def stop(self) -> dict[str, int]:
        """SIGINT each process group (what Ctrl-C does), wait, and return the exit codes."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        codes = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                codes[name] = process.wait()
        return codes


@pytest.fixture
def services(
    sandbox,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[DagsterServices, Sandbox, str]]:
    # `perfmkt ui` serves the sandbox shop's orders from MariaDB (the bundled configuration
    # reads them): so does this sandbox.
    box = sandbox(orders="mariadb")
    warehouse_url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", warehouse_url)
    monkeypatch.delenv("PERFMKT_DAGSTER_INSTANCE", raising=False)
    env = ui_env(box.env())  # what `perfmkt ui` passes to `dagster dev`
    workspace = tmp_path / "workspace" / "workspace.yaml"
    workspace.parent.mkdir()
    workspace.write_text(
        "load_from:\n"
        "  - python_module:\n"
        "      module_name: perfmkt_pipeline.definitions\n"
        f"      working_directory: {workspace.parent}\n"
    )
    # The daemon is started by the test, once it has launched the backfill.
    running = DagsterServices(workspace, env, tmp_path, daemon=False)
    try:
        running.wait_until_loaded()
        yield running, box, warehouse_url
    finally:
        codes = running.stop()
    assert codes == {"webserver": 0, "daemon": 0}, running.log_tail()


def test_perfmkt_ui_serves_the_bundled_sandbox_accounts(
    sandbox,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box = sandbox()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PERFMKT_CONFIG", str(tmp_path / "someone_elses.yaml"))
    env = ui_env(box.env())
    settings = load_settings(env)
    accounts = box.account_ids()
    assert settings.meta.account_ids == accounts["meta"]
    assert (settings.impact.account_ids, settings.cj.account_ids, settings.awin.account_ids) == (
        accounts["impact"],
        accounts["cj"],
        accounts["awin"],
    )
    assert settings.google_ads.manager_customer_id == env["GOOGLE_ADS_LOGIN_CUSTOMER_ID"]
    assert (settings.endpoints.meta, settings.endpoints.google_ads) == (
        box.url("meta"),
        env["PERFMKT_GOOGLE_ADS_ENDPOINT"],
    )
    instance_file = tmp_path / "home" / "dagster.yaml"
    assert instance_file.read_text() == (Path(__file__).parents[1] / "dagster.yaml").read_text()


def _wait_for_backfill(dagster: DagsterServices, backfill_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + BACKFILL_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        backfill = dagster.graphql(BACKFILL_STATUS, {"backfillId": backfill_id})
        backfill = backfill["partitionBackfillOrError"]
        assert backfill["__typename"] == "PartitionBackfill", backfill
        if backfill["status"] not in ("REQUESTED", "CANCELING", "FAILING"):
            return backfill
        time.sleep(2)
    raise AssertionError(f"backfill {backfill_id} still running\n{dagster.log_tail()}")


def _run_problems(dagster: DagsterServices, run_ids: list[str]) -> str:
    lines = []
    for run_id in run_ids:
        events = dagster.graphql(RUN_PROBLEMS, {"runId": run_id})["logsForRun"]["events"]
        for event in events:
            if event["__typename"] in ("ExecutionStepFailureEvent", "RunFailureEvent"):
                lines.append(f"{event['stepKey']}: {event['message']}")
            evaluation = event.get("evaluation")
            if evaluation and not evaluation["success"]:
                lines.append(f"check {evaluation['assetKey']['path']} {evaluation['checkName']}:")
                lines += [f"  {entry}" for entry in evaluation["metadataEntries"]]
    return "\n".join(lines)


def _rows(url: str, table: sa.Table) -> list[dict[str, Any]]:
    warehouse = Warehouse(url)
    try:
        with warehouse.begin() as conn:
            return read_arrow(conn, table).to_pylist()
    finally:
        warehouse.dispose()


def test_a_ten_day_backfill_launched_like_the_ui_lands_those_days(services) -> None:
    dagster, box, warehouse_url = services
    nodes = dagster.graphql(ASSETS)["assetNodes"]
    assert all(node["isPartitioned"] for node in nodes)
    launched = dagster.graphql(
        LAUNCH_BACKFILL,
        {
            "backfillParams": {
                "tags": [],
                "assetSelection": [{"path": node["assetKey"]["path"]} for node in nodes],
                "partitionNames": [day.isoformat() for day in DAYS],
                "fromFailure": False,
            }
        },
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    # The daemon's backfill loop looks for new backfills at its start and then every 30 s.
    dagster.start_daemon()

    backfill = _wait_for_backfill(dagster, launched["backfillId"])
    run_ids = [run["runId"] for run in backfill["runs"]]
    assert backfill["status"] == "COMPLETED_SUCCESS", _run_problems(dagster, run_ids)
    # Single-run backfill policy on every asset: the whole graph and range in one run.
    [run] = backfill["runs"]
    tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    assert (run["status"], tags["dagster/asset_partition_range_start"]) == ("SUCCESS", "2026-11-06")
    assert tags["dagster/asset_partition_range_end"] == "2026-11-15"

    # Google Ads: exactly those days for each account, with the sandbox's exact spend.
    truth = box.world.ground_truth("google_ads", FIRST, LAST, level="account")
    expected = {(r["account_id"], r["day"]): r["spend"] for r in truth.to_dict("records")}
    landed: dict[tuple[str, dt.date], Decimal] = {}
    for row in _rows(warehouse_url, google_ads_tables.google_ads_campaign_daily):
        key = (row["account_id"], row["date"])
        landed[key] = landed.get(key, Decimal(0)) + Decimal(row["cost_micros"]) / 1_000_000
    assert landed == expected
    assert {day for _, day in landed} == set(DAYS)

    # FX: every fix the ECB published in the range, and none after it.
    fx_days = {r["date"] for r in _rows(warehouse_url, tables.fx_rates)}
    published = set(ecb_sandbox.ground_truth_fx(box.world, FIRST, LAST)["day"])
    assert {day for day in fx_days if day >= FIRST} == published

    # Marts: search and social have exactly those days.
    channel = _rows(warehouse_url, tables.channel_daily)
    for platform in ("google_ads", "meta"):
        assert sorted(r["date"] for r in channel if r["platform"] == platform) == DAYS, platform
    assert {r["channel"] for r in channel} == {"search", "social", "affiliate"}
