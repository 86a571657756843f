"""A failed run's notification arrives within 60 s of the failure, once, with the real
`dagster-daemon` running the `notifications` sensor (acceptance 2): a temp DAGSTER_HOME with the
local instance file, the project's definitions (plus a failing asset) as the code location, a
JSON webhook receiver on loopback counting the messages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from dagster._core.definitions.run_request import InstigatorType

from perfmkt_pipeline import cli
from perfmkt_pipeline.config import bundled_sandbox_config
from perfmkt_pipeline_tests.notify_support import WebhookReceiver

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FAKE_SECRET = "sk-live-perfmkt-daemon-8d4f0a"
WEBSERVER = "http://dagster.test:3000"
STARTUP_TIMEOUT_SECONDS = 120
DELIVERY_LIMIT_SECONDS = 60
INTERVAL_SECONDS = 5


def _sensor_started(instance: DagsterInstance) -> bool:
    """The sensor's first tick stored its cursor: from now on every failure is notified."""
    return any(
        state.name == "notifications" and getattr(state.instigator_data, "cursor", None)
        for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
    )


def _log(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def test_a_failed_runs_notification_arrives_within_a_minute_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "perfmkt.yaml"
    data = yaml.safe_load(bundled_sandbox_config())
    data["alerts"] = {"webserver_url": WEBSERVER,
                      "notify": {"webhook": {}, "interval_seconds": INTERVAL_SECONDS}}  # fmt: skip
    config.write_text(yaml.safe_dump(data))
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        "load_from:\n  - python_module:\n"
        "      module_name: perfmkt_pipeline_tests.notify_daemon_defs\n"
        f"      working_directory: {ROOT}\n"
    )
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.delenv("PERFMKT_DAGSTER_INSTANCE", raising=False)
    daemon_log = tmp_path / "daemon.log"
    with WebhookReceiver() as hook:
        env = cli._dagster_env({
            "PERFMKT_CONFIG": str(config),
            "PERFMKT_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
            "PERFMKT_ALERT_WEBHOOK_URL": f"{hook.url}/hooks/ops-31",
            "PERFMKT_TEST_API_TOKEN": FAKE_SECRET,
        })  # fmt: skip
        instance = DagsterInstance.from_config(env["DAGSTER_HOME"])
        with open(daemon_log, "wb") as log:
            daemon = subprocess.Popen(
                [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
            while not _sensor_started(instance):
                assert daemon.poll() is None, _log(daemon_log)
                assert time.monotonic() < deadline, f"no sensor tick\n{_log(daemon_log)}"
                time.sleep(1)
            run = subprocess.run(
                [str(BIN / "dagster"), "asset", "materialize", "-m",
                 "perfmkt_pipeline_tests.notify_daemon_defs", "--select", "leaky_export"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            failed_at = time.monotonic()
            assert run.returncode != 0, run.stdout + run.stderr
            try:
                waited = hook.wait_for(1, DELIVERY_LIMIT_SECONDS)
            except AssertionError as error:
                raise AssertionError(f"{error}\n{_log(daemon_log)}") from None
            assert waited <= DELIVERY_LIMIT_SECONDS
            time.sleep(3 * INTERVAL_SECONDS)  # later ticks send nothing more
            assert len(hook.bodies()) == 1, hook.payloads()
            assert time.monotonic() - failed_at > 3 * INTERVAL_SECONDS
        finally:
            os.killpg(daemon.pid, signal.SIGINT)
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
        (record,) = instance.get_run_records()
        instance.dispose()
        (payload,) = hook.payloads()
        assert hook.requests[0]["path"] == "/hooks/ops-31"
    assert payload["kind"] == "run_failure"
    assert payload["run_url"] == f"{WEBSERVER}/runs/{record.dagster_run.run_id}"
    assert payload["title"] == "Run failed: __ASSET_JOB"
    assert payload["lines"] == [
        "step leaky_export: RuntimeError: export refused: token *** is revoked"
    ]
    body = hook.bodies()[0].decode()
    assert FAKE_SECRET not in body and "/hooks/ops-31" not in body
