"""Errors a retry cannot fix fail a scheduled run at once (issue 15, item 4).

A run of the daily sync as its schedule requests it (the `daily_sync_sources` job, whose retry
policy waits about 5 and 15 minutes, the project's executor, the sandbox): with every credential
of a platform expired it fails in well under a minute, its failure naming the platform and the
account; a transient failure of the same step is still retried by the policy.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from perfmkt_pipeline.cli import ui_env
from perfmkt_pipeline.config import bundled_sandbox_config
from perfmkt_pipeline.defs.schedules import SYNC_SOURCE_TAG
from perfmkt_pipeline_tests.sandbox_fixtures import AS_OF, sandbox  # noqa: F401

TICK = AS_OF  # the tick of the sandbox's day: each source re-pulls its lookback before it
FAILS_WITHIN_SECONDS = 60
RUN_TIMEOUT_SECONDS = 240
SUPPORT = "from perfmkt_pipeline_tests.defs.sync_run_support import main; main()"


def _environment(box, tmp_path: Path, monkeypatch, **overrides) -> dict[str, str]:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PERFMKT_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    monkeypatch.delenv("PERFMKT_DAGSTER_INSTANCE", raising=False)
    env = ui_env(box.env())
    if overrides:
        config = yaml.safe_load(bundled_sandbox_config())
        for section, values in overrides.items():
            config[section].update(values)
        path = tmp_path / "perfmkt.yaml"
        path.write_text(yaml.safe_dump(config))
        env["PERFMKT_CONFIG"] = str(path)
    return env


def _start(env: dict[str, str], sources: list[str], tmp_path: Path) -> subprocess.Popen:
    log = open(tmp_path / "runs.log", "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-c", SUPPORT, TICK.isoformat(), *sources],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _failures(
    instance: DagsterInstance, run_id: str, event_type: DagsterEventType
) -> list[tuple[str, str]]:
    """(step, first line of its error) of every event of that type in the run."""
    found = []
    for entry in instance.all_logs(run_id, of_type=event_type):
        event = entry.dagster_event
        data = (
            event.step_failure_data
            if event_type == DagsterEventType.STEP_FAILURE
            else event.step_retry_data
        )
        found.append((event.step_key, data.error.message.splitlines()[0]))
    return found


FAILURE = "dagster._core.definitions.events.Failure: "
# The first line of the step's failure, per platform with every credential expired: the error's
# own message, naming the platform and the account (Google Ads' request id varies per request).
EXPIRED = {
    "google_ads": (
        "google_ads_raw",
        FAILURE + "Google Ads customer 1000000001: account listing: authentication failed, "
        "UNAUTHENTICATED: authentication_error.OAUTH_TOKEN_EXPIRED: The OAuth access token has "
        "expired. (request id ?). Check the developer token and OAuth credentials.",
    ),
    "meta": (
        "meta_raw",
        FAILURE + "meta act_101000000000001: account failed: Error validating access token: "
        "Session has expired. (code 190, subcode 463) - the access token (META_ACCESS_TOKEN) is "
        "expired or invalid",
    ),
    "impact": (
        "raw__affiliate_actions__impact",
        FAILURE + "impact account IRsbxAcme0000000000000000000000001: credentials refused "
        "(HTTP 401): Authentication failed: the auth token has expired",
    ),
    "cj": (
        "raw__affiliate_actions__cj",
        FAILURE + "cj account 5551234: credentials refused (HTTP 401): Unauthorized: the "
        "personal access token has expired",
    ),
    "awin": (
        "raw__affiliate_actions__awin",
        FAILURE
        + "awin account 45678: credentials refused (HTTP 401): The access token has expired",
    ),
}
_REQUEST_ID = re.compile(r"\(request id [^)]+\)")


def _without_request_ids(failures: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(step, _REQUEST_ID.sub("(request id ?)", message)) for step, message in failures]


def test_expired_credentials_fail_each_scheduled_run_at_once_naming_platform_and_account(
    sandbox,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box = sandbox()
    for platform in EXPIRED:
        box.faults.set(platform, expired_credentials=True)
    env = _environment(box, tmp_path, monkeypatch)
    run = _start(env, list(EXPIRED), tmp_path)
    try:
        run.wait(timeout=RUN_TIMEOUT_SECONDS)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    log = (tmp_path / "runs.log").read_text()
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        records = instance.get_run_records(order_by="create_timestamp", ascending=True)
        assert [r.dagster_run.tags[SYNC_SOURCE_TAG] for r in records] == list(EXPIRED), log
        for record in records:
            run_id, platform = record.dagster_run.run_id, record.dagster_run.tags[SYNC_SOURCE_TAG]
            assert record.dagster_run.status == DagsterRunStatus.FAILURE, platform
            assert record.end_time - record.start_time < FAILS_WITHIN_SECONDS, platform
            assert _failures(instance, run_id, DagsterEventType.STEP_UP_FOR_RETRY) == []
            failures = _failures(instance, run_id, DagsterEventType.STEP_FAILURE)
            assert _without_request_ids(failures) == [EXPIRED[platform]]


RETRY_MESSAGE = re.compile(
    r'Execution of step "meta_raw" failed and has requested a retry in (\S+) seconds\.'
)


def test_a_transient_failure_of_the_same_step_is_still_retried_by_the_policy(
    sandbox,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box = sandbox()
    box.faults.set("meta", fail_first_n=1)  # one HTTP 503, and the client may not retry it
    env = _environment(box, tmp_path, monkeypatch, meta={"max_retries": 0})
    run = _start(env, ["meta"], tmp_path)
    try:
        with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
            while not (retries := _retries(instance)):
                assert run.poll() is None, (tmp_path / "runs.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "no retry was requested"
                time.sleep(0.5)
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # the retry would come minutes later
        run.wait()
    [(step, message, error)] = retries
    assert step == "meta_raw"
    # SOURCE_RETRY: about 5 minutes, +/- 5 minutes of jitter.
    assert 0 <= float(RETRY_MESSAGE.fullmatch(message).group(1)) <= 600, message
    assert error == (
        "perfmkt_pipeline.platforms.meta.errors.MetaRetriesExhausted: meta act_101000000000001: "
        "account still failing after 0 retries: An unexpected error has occurred. Please retry "
        "your request later. (code 2)"
    )


def _retries(instance: DagsterInstance) -> list[tuple[str, str, str]]:
    found = []
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_UP_FOR_RETRY):
            event = entry.dagster_event
            error = event.step_retry_data.error
            while error.cause is not None:  # the error the step raised, under Dagster's wrapper
                error = error.cause
            found.append((event.step_key, event.message, error.message.splitlines()[0]))
    return found
