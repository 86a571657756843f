"""Step processes die with their run worker: a fork server that preloaded the lifeline, and every
process forked from it, are gone moments after the worker that started them is killed; without
it, both live on (the server waits for its children, the children for nothing)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perfmkt_pipeline.defs import lifeline
from perfmkt_pipeline_tests.processes import alive, kill_all, wait_until_gone

LIFELINE = "perfmkt_pipeline.defs.lifeline"
START_TIMEOUT_SECONDS = 60
GONE_WITHIN_SECONDS = 5
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")


def _start_worker(tmp_path: Path, preload: list[str]) -> tuple[subprocess.Popen, dict]:
    out = tmp_path / "pids.json"
    code = "from perfmkt_pipeline_tests.defs.lifeline_support import main; main()"
    worker = subprocess.Popen([sys.executable, "-c", code, str(out), *preload])
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not out.exists():
        assert worker.poll() is None, "the stand-in worker exited"
        assert time.monotonic() < deadline, "the stand-in worker never forked its steps"
        time.sleep(0.05)
    time.sleep(0.2)  # the file is written in one call; let it land whole
    return worker, json.loads(out.read_text())


def _kill(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)


def test_the_fork_server_and_its_steps_die_with_the_run_worker(tmp_path) -> None:
    worker, pids = _start_worker(tmp_path, [LIFELINE, "dagster"])
    family = [pids["server"], *pids["steps"]]
    try:
        assert all(alive(pid) for pid in family)
        _kill(worker)
        assert wait_until_gone(family, GONE_WITHIN_SECONDS) == []
    finally:
        kill_all(family, signal.SIGKILL)


def test_without_the_lifeline_they_outlive_the_worker(tmp_path) -> None:
    # What the lifeline is for: the same tree without it, still there well after the kill.
    worker, pids = _start_worker(tmp_path, ["dagster"])
    family = [pids["server"], *pids["steps"]]
    try:
        _kill(worker)
        time.sleep(GONE_WITHIN_SECONDS)
        assert [pid for pid in family if alive(pid)] == family
    finally:
        kill_all(family, signal.SIGKILL)


def test_importing_it_outside_a_fork_server_changes_nothing() -> None:
    # This process (and the webserver, the daemon, a run worker) imports it too: no parent tie,
    # no fork hook.
    assert lifeline.install() is False
    assert lifeline._server_pid is None
    child = os.fork()
    if child == 0:
        os._exit(0 if lifeline._server_pid is None else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
