"""`perfmkt ui` started in the background of a non-interactive shell (as a script or a service
wrapper starts it: SIGINT ignored) stops on SIGTERM, and on SIGINT, within 10 s: itself, the
webserver, the daemon, the code servers and a run in progress with its step fork server, and
the sandbox's ports are closed."""

from __future__ import annotations

import datetime as dt
import signal
import time
from pathlib import Path

import pytest

from perfmkt_pipeline_tests.ui_support import STOP_SECONDS, PerfmktUi, start_perfmkt_ui

RUN_START_TIMEOUT_SECONDS = 180
REPOSITORIES = """
{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }
"""
# One run of the asset job over a partition range (the tags `dagster asset materialize
# --partition-range` gives its run), launched through the webserver and started by the daemon's
# run queue. Not a backfill: the backfill daemon looks for new backfills every 30 s, which would
# only add waiting to a test about stopping.
LAUNCH_RUN = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
    ... on PythonError { message }
  }
}
"""
RUNS = "{ runsOrError { ... on Runs { results { runId status } } } }"


def _start_a_run(ui: PerfmktUi) -> None:
    """Run the last two days of every asset (one run) and wait until its step fork server is up
    (a run of one day would execute in process: executor.in_process_max_days)."""
    nodes = ui.graphql("{ assetNodes { assetKey { path } } }")["assetNodes"]
    [repository] = ui.graphql(REPOSITORIES)["repositoriesOrError"]["nodes"]
    # The last partitions: `perfmkt ui` serves the sandbox as of today (UTC).
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    launched = ui.graphql(
        LAUNCH_RUN,
        {
            "executionParams": {
                "selector": {
                    "repositoryLocationName": repository["location"]["name"],
                    "repositoryName": repository["name"],
                    "jobName": "__ASSET_JOB",
                    "assetSelection": [{"path": node["assetKey"]["path"]} for node in nodes],
                    "assetCheckSelection": [],
                },
                "mode": "default",
                "runConfigData": {},
                "executionMetadata": {
                    "tags": [
                        {
                            "key": "dagster/asset_partition_range_start",
                            "value": (yesterday - dt.timedelta(days=1)).isoformat(),
                        },
                        {
                            "key": "dagster/asset_partition_range_end",
                            "value": yesterday.isoformat(),
                        },
                    ]
                },
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    deadline = time.monotonic() + RUN_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        # The project's executor forks every step from a fork server (defs/executor.py).
        if any("multiprocessing.forkserver" in " ".join(p.cmdline()) for p in ui.tree()):
            [run] = ui.graphql(RUNS)["runsOrError"]["results"]
            assert run["status"] in ("STARTING", "STARTED"), run
            return
        time.sleep(0.5)
    raise AssertionError(f"no run started\n{ui.log_tail()}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_perfmkt_ui_in_the_background_stops_with_its_whole_tree_within_10_s(
    tmp_path: Path, signum: int
) -> None:
    ui = start_perfmkt_ui(tmp_path)
    try:
        ui.wait_until_loaded()
        sandbox_ports = ui.sandbox_ports()
        _start_a_run(ui)
        processes = len(ui.tree())

        stopped = ui.stop(signum)

        assert stopped.left == [], f"still running after {STOP_SECONDS} s\n{ui.log_tail()}"
    finally:
        ui.kill_tree()
    assert stopped.seconds < STOP_SECONDS
    assert stopped.still_open == set()
    assert len(sandbox_ports) == 7
    assert sandbox_ports | {ui.port} <= stopped.listening
    # perfmkt, dagster dev, webserver, daemon, a code server and its gRPC server, and the run:
    # its worker, the multiprocessing resource tracker and the step fork server.
    assert processes >= 9
