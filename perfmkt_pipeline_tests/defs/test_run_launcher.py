"""The run launcher's worker health check: a run whose recorded worker process has exited is
reported FAILED (so the run monitor fails it); one still running, one this daemon cannot see and
one not recorded yet (a re-run still carrying its parent's) count as running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRun
from dagster._core.launcher import WorkerStatus

from perfmkt_pipeline.defs.run_launcher import MonitoredRunLauncher
from perfmkt_pipeline.defs.run_worker import RUN_WORKER_TAG, RunWorker

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _health(worker: RunWorker | None):
    tags = {} if worker is None else {RUN_WORKER_TAG: worker.tag_value()}
    run = DagsterRun(job_name="__ASSET_JOB", run_id="0123", tags=tags)
    return MonitoredRunLauncher().check_run_worker_health(run)


def test_a_worker_is_recorded_as_host_pid_namespace_pid_and_start_time() -> None:
    worker = RunWorker.current()
    assert (worker.host, worker.pid) == (socket.gethostname(), os.getpid())
    assert worker.pid_namespace == os.readlink("/proc/self/ns/pid")
    with open(f"/proc/{os.getpid()}/stat") as stat:
        assert worker.started == stat.read().rsplit(")", 1)[1].split()[19]
    assert RunWorker.from_tag(worker.tag_value()) == worker
    assert RunWorker.from_tag("host 12") is None
    assert RunWorker.from_tag(None) is None


def test_a_running_worker_is_healthy() -> None:
    assert _health(RunWorker.current()).status == WorkerStatus.RUNNING


def test_an_exited_worker_fails_its_run() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    worker = replace(RunWorker.current(), pid=child.pid)
    with open(f"/proc/{child.pid}/stat") as stat:
        worker = replace(worker, started=stat.read().rsplit(")", 1)[1].split()[19])
    assert _health(worker).status == WorkerStatus.RUNNING
    child.kill()
    child.wait()
    result = _health(worker)
    assert result.status == WorkerStatus.FAILED
    assert result.msg == (
        f"the run worker (pid {child.pid} on {socket.gethostname()}) is gone: it was killed or "
        "crashed; the run is marked failed and its pool slots will be freed"
    )


def test_a_killed_worker_not_yet_reaped_by_its_parent_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with open(f"/proc/{child.pid}/stat") as stat:
            started = stat.read().rsplit(")", 1)[1].split()[19]
        worker = replace(RunWorker.current(), pid=child.pid, started=started)
        child.kill()
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # a zombie now, not reaped
        assert _health(worker).status == WorkerStatus.FAILED
    finally:
        child.wait()


def test_a_pid_reused_by_another_process_is_not_the_worker() -> None:
    other_start = str(int(RunWorker.current().started) - 1)
    assert _health(replace(RunWorker.current(), started=other_start)).status == (
        WorkerStatus.FAILED
    )


def test_a_worker_on_another_host_or_in_another_container_is_not_judged() -> None:
    gone = replace(RunWorker.current(), pid=2**22 + 1)  # above any pid_max: no such process
    assert _health(gone).status == WorkerStatus.FAILED
    assert _health(replace(gone, host="elsewhere")).status == WorkerStatus.RUNNING
    assert _health(replace(gone, pid_namespace="pid:[1]")).status == WorkerStatus.RUNNING
    assert _health(None).status == WorkerStatus.RUNNING


def test_the_local_instance_uses_it_and_monitors_runs(tmp_path) -> None:
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "dagster.yaml").write_text((root / "dagster.yaml").read_text())
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_launcher, MonitoredRunLauncher)
        assert instance.run_launcher.supports_check_run_worker_health
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_poll_interval_seconds == 30
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 30
        assert instance.run_monitoring_max_resume_run_attempts == 0
        assert (instance.run_retries_enabled, instance.run_retries_max_retries) == (True, 1)


def test_a_re_run_is_not_failed_for_the_dead_worker_its_parent_recorded(tmp_path) -> None:
    # A re-run (run_retries' retry of a run whose worker was killed, a re-execution) starts with
    # its parent's tags, the parent's dead worker among them, until its own worker records
    # itself. A monitor poll in between must not fail it; once recorded, its own worker counts.
    dead = replace(RunWorker.current(), pid=2**22 + 1)  # above any pid_max: no such process
    launcher = MonitoredRunLauncher()
    with DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
        launcher.register_instance(instance)
        parent = instance.add_run(
            DagsterRun(job_name="__ASSET_JOB", run_id="p1", tags={RUN_WORKER_TAG: dead.tag_value()})
        )

        def rerun(worker: RunWorker) -> DagsterRun:
            return DagsterRun(
                job_name="__ASSET_JOB",
                run_id="r1",
                parent_run_id=parent.run_id,
                root_run_id=parent.run_id,
                tags={RUN_WORKER_TAG: worker.tag_value()},
            )

        result = launcher.check_run_worker_health(rerun(dead))
        assert (result.status, result.msg) == (
            WorkerStatus.RUNNING,
            "no run worker recorded yet (the one on the run is its parent's)",
        )
        assert launcher.check_run_worker_health(parent).status == WorkerStatus.FAILED
        own = replace(dead, pid=2**22 + 2)
        assert launcher.check_run_worker_health(rerun(own)).status == WorkerStatus.FAILED
        alive = launcher.check_run_worker_health(rerun(RunWorker.current()))
        assert alive.status == WorkerStatus.RUNNING
